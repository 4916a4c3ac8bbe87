package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryRealCommandValidates(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "commands", "*.json"))
	if len(files) != 5 {
		t.Fatalf("found %d command fixtures, want 5", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, warnings, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %q", warnings)
			}
			if problems := Validate(c); len(problems) > 0 {
				t.Errorf("problems: %q", problems)
			}
		})
	}
}

func TestFiveMistakesGiveFiveMessages(t *testing.T) {
	c, _, err := Parse([]byte(`{
		"name": "broken",
		"image": "xnat/no-tag",
		"command-line": "run #in#",
		"inputs": [
			{"name": "in put", "type": "string"},
			{"name": "pick", "type": "select-one"}
		],
		"mounts": [{"name": "out", "path": "/output"}],
		"outputs": [{"name": "result", "mount": "nowhere"}],
		"xnat": [{"name": "w", "output-handlers": [{"name": "h", "accepts-command-output": "result"}],
			"derived-inputs": [{"name": "d", "derived-from-wrapper-input": "ghost", "type": "Scan"}]}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	problems := Validate(c)
	want := []string{"has no tag", "letters, digits", "needs select-values", "names mount \"nowhere\"", "not declared before it"}
	if len(problems) != len(want) {
		t.Fatalf("%d problems, want %d: %q", len(problems), len(want), problems)
	}
	for _, w := range want {
		found := false
		for _, p := range problems {
			found = found || strings.Contains(p, w)
		}
		if !found {
			t.Errorf("no problem says %q: %q", w, problems)
		}
	}
}

func TestSetupCommandsMayNotDeclareInputs(t *testing.T) {
	c := &Command{Name: "s", Type: TypeSetup, Image: "x/y:1", CommandLine: "x", Inputs: []Input{{Name: "a"}}}
	if p := Validate(c); len(p) != 1 || !strings.Contains(p[0], "cannot declare inputs") {
		t.Fatalf("%q", p)
	}
}

func TestUnknownFieldsAreReported(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "conformance", "illegal-args-command.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, warnings, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "xnat[0].external-inputs[0].provides-value-to-command-input") {
		t.Fatalf("warnings %q", warnings)
	}
}
