package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzResolve feeds arbitrary launch values to real Commands: resolution
// must never panic, every value it accepts is free of CS's illegal strings,
// and the command line it builds shell-splits without a panic.
func FuzzResolve(f *testing.F) {
	var cmds []*Command
	for _, name := range []string{"params-command.json", "multi-command.json", "select-command.json", "fakeReconAllCommand.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "conformance", name))
		if err != nil {
			f.Fatal(err)
		}
		c, _, err := Parse(b)
		if err != nil {
			f.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	f.Add(uint8(0), "blank-wrapper", "REQUIRED_NO_FLAG", "bar")
	f.Add(uint8(1), "multiple", "session", `{"uri":"/s","scans":[{"id":"a"},{"id":"b"}]}`)
	f.Add(uint8(3), "recon-all-session", "session", `{"uri":"/s","label":"l","scans":[{"scan-type":"T1","resources":[{"label":"DICOM","directory":"/d"}]}]}`)
	f.Add(uint8(0), "blank-wrapper", "REQUIRED_WITH_FLAG", "x; rm -rf /")
	f.Fuzz(func(t *testing.T, which uint8, wrapper, input, val string) {
		c := cmds[int(which)%len(cmds)]
		r, err := Resolve(c, Launch{Wrapper: wrapper, Inputs: map[string]string{input: val}})
		if err != nil {
			return
		}
		for _, v := range r.CommandValues {
			if v == nil {
				continue
			}
			for _, bad := range IllegalStrings {
				if strings.Contains(*v, bad) && strings.Contains(val, bad) {
					t.Fatalf("value %q with %q was accepted", *v, bad)
				}
			}
		}
		_ = ShellSplit(r.CommandLine)
		_, _ = ContainerCreate(r, Options{BuildRoot: "/build"})
	})
}
