package commands

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func fixture(t *testing.T, name string) *Command {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "conformance", name))
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fixtureText(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "conformance", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func resolveOK(t *testing.T, c *Command, l Launch) *Resolved {
	t.Helper()
	r, err := Resolve(c, l)
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	return r
}

func resolveErr(t *testing.T, c *Command, l Launch) *ResolveError {
	t.Helper()
	_, err := Resolve(c, l)
	var re *ResolveError
	if !errors.As(err, &re) {
		t.Fatalf("resolve returned %v, want a ResolveError", err)
	}
	return re
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// A1: CommandResolutionTest.testRequiredParamNotBlank.
func TestA1RequiredParamsResolveAndMissingOnesAreNamed(t *testing.T) {
	c := fixture(t, "params-command.json")
	r := resolveOK(t, c, Launch{Wrapper: "blank-wrapper", Inputs: map[string]string{"REQUIRED_WITH_FLAG": "foo", "REQUIRED_NO_FLAG": "bar"}})
	if r.CommandLine != "echo bar --flag foo " {
		t.Errorf("command line %q", r.CommandLine)
	}
	if deref(r.CommandValues["REQUIRED_WITH_FLAG"]) != "foo" || deref(r.CommandValues["REQUIRED_NO_FLAG"]) != "bar" || r.CommandValues["NOT_REQUIRED"] != nil {
		t.Errorf("values %v", r.CommandValues)
	}
	re := resolveErr(t, c, Launch{Wrapper: "blank-wrapper", Inputs: map[string]string{}})
	if len(re.Problems) != 1 || re.Problems[0] != "Missing values for required inputs: REQUIRED_NO_FLAG, REQUIRED_WITH_FLAG." {
		t.Errorf("error %q", re.Problems)
	}
}

// A2: CommandResolutionTest.testMultiParamCommandLine.
func TestA2MultipleValuesFollowEachDelimiter(t *testing.T) {
	c := fixture(t, "multi-command.json")
	r := resolveOK(t, c, Launch{Wrapper: "multiple", Inputs: map[string]string{"session": fixtureText(t, "testSessionScanMult.session.json")}})
	want := "echo --flag=scan1 --flag=scan2 --flag scan1 --flag scan2 'scan1 scan2' --flag='scan1 scan2' scan1,scan2 scan1 scan2 scan1 scan2 -alt scan1,scan2"
	if r.CommandLine != want {
		t.Errorf("command line\n got %q\nwant %q", r.CommandLine, want)
	}
	if len(r.CommandValues) != 8 {
		t.Fatalf("%d command inputs, want 8", len(r.CommandValues))
	}
	for name, v := range r.CommandValues {
		if deref(v) != "scan1 scan2" {
			t.Errorf("input %s raw value %v, want %q", name, deref(v), "scan1 scan2")
		}
	}
	per := map[string]string{
		"MULTI_FLAG1": "--flag=scan1 --flag=scan2", "MULTI_FLAG2": "--flag scan1 --flag scan2",
		"MULTI_QSPACE": "'scan1 scan2'", "MULTI_QSPACE_FLAG": "--flag='scan1 scan2'",
		"MULTI_COMMA": "scan1,scan2", "MULTI_SPACE": "scan1 scan2", "MULTI_DEFAULT": "scan1 scan2",
		"MULTI_COMMA_FLAG": "-alt scan1,scan2",
	}
	for i := range c.Inputs {
		in := &c.Inputs[i]
		got := commandLineValue(in, value{multi: true, list: []string{"scan1", "scan2"}})
		if got != per[in.Name] {
			t.Errorf("%s: %q, want %q", in.Name, got, per[in.Name])
		}
	}
}

// A3: CommandResolutionTest.testSelectParamCommandLine.
func TestA3SelectManyDefaultsAreJSONArrays(t *testing.T) {
	r := resolveOK(t, fixture(t, "select-command.json"), Launch{Wrapper: "multiple"})
	want := "echo --flag=scan1 --flag=scan2 --flag scan1 --flag scan2 'scan1 scan2' scan1,scan2 scan1 scan2 scan1"
	if r.CommandLine != want {
		t.Errorf("command line\n got %q\nwant %q", r.CommandLine, want)
	}
}

// A4: CommandResolutionTest.testIllegalArgs.
func TestA4IllegalStringsAreRefusedWithCSMessage(t *testing.T) {
	c := fixture(t, "illegal-args-command.json")
	for _, s := range []string{";", "&&", "||", "`", "("} {
		re := resolveErr(t, c, Launch{Wrapper: "identity-wrapper", Inputs: map[string]string{"anything": "foo " + s + " curl https://my-malware-server"}})
		want := `Input "anything" has a value containing illegal string "` + s + `".`
		if !re.Illegal || len(re.Problems) != 1 || re.Problems[0] != want {
			t.Errorf("%s: %q, want %q", s, re.Problems, want)
		}
	}
}

// A5: CommandLaunchIntegrationTest.testFakeReconAll.
func TestA5FakeReconAllResolvesWrapperAndCommandInputs(t *testing.T) {
	c := fixture(t, "fakeReconAllCommand.json")
	env := map[string]string{"XNAT_USER": "u", "XNAT_PASS": "p", "XNAT_HOST": "h", "XNAT_WORKFLOW_ID": "1", "XNAT_EVENT_ID": "2"}
	// The fixture's resource has no directory (CS fills it in at runtime);
	// give it one, as XNAT would, to see the input mount bind it.
	session := strings.Replace(fixtureText(t, "commandLaunchTest.session.json"),
		`"uri": "/experiments/session1/scans/scan1/resources/DICOM"`,
		`"uri": "/experiments/session1/scans/scan1/resources/DICOM", "directory": "/data/xnat/archive/P/arc001/session1/SCANS/scan1/DICOM"`, 1)
	r := resolveOK(t, c, Launch{Wrapper: "recon-all-session", Environment: env, Inputs: map[string]string{
		"session": session, "T1-scantype": "T1_TEST_SCANTYPE",
	}})
	wantWrapper := map[string]any{
		"session": "/experiments/session1", "T1-scantype": "T1_TEST_SCANTYPE", "label": "session1",
		"T1": "/experiments/session1/scans/scan1", "resource": "/experiments/session1/scans/scan1/resources/DICOM",
	}
	for k, want := range wantWrapper {
		if got := deref(r.WrapperValues[k]); got != want {
			t.Errorf("wrapper input %s = %v, want %v", k, got, want)
		}
	}
	if deref(r.CommandValues["subject-id"]) != "session1" || deref(r.CommandValues["other-recon-all-args"]) != "-all" {
		t.Errorf("command inputs %v %v", deref(r.CommandValues["subject-id"]), deref(r.CommandValues["other-recon-all-args"]))
	}
	if want := "echo recon-all -s session1 -all >> /output/out.txt; ls /input >> /output/out.txt"; r.CommandLine != want {
		t.Errorf("command line %q, want %q", r.CommandLine, want)
	}
	var keys []string
	for k := range r.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, []string{"XNAT_EVENT_ID", "XNAT_HOST", "XNAT_PASS", "XNAT_USER", "XNAT_WORKFLOW_ID"}) {
		t.Errorf("environment %v", keys)
	}
	build := t.TempDir()
	spec, err := ContainerCreate(r, Options{BuildRoot: build, PathTranslation: map[string]string{"/data/xnat/archive": "/srv/archive"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.HostConfig.Binds) != 2 || spec.HostConfig.Binds[0] != "/srv/archive/P/arc001/session1/SCANS/scan1/DICOM:/input:ro" ||
		!strings.HasPrefix(spec.HostConfig.Binds[1], build+"/") || !strings.HasSuffix(spec.HostConfig.Binds[1], ":/output:rw") {
		t.Errorf("binds %q", spec.HostConfig.Binds)
	}
	if !reflect.DeepEqual([]string(spec.Config.Cmd), []string{"/bin/sh", "-c", r.CommandLine}) || !reflect.DeepEqual([]string(spec.Config.Entrypoint), []string{""}) {
		t.Errorf("override-entrypoint: Entrypoint %q Cmd %q", spec.Config.Entrypoint, spec.Config.Cmd)
	}
	if len(r.Mounts) != 2 || r.Mounts[0].ContainerPath != "/input" || r.Mounts[0].Output || !r.Mounts[1].Output || r.Mounts[1].ContainerPath != "/output" {
		t.Errorf("mounts %+v", r.Mounts)
	}
	if len(c.Outputs) != 2 || c.Wrappers[0].OutputHandlers[0].AcceptsCommandOutput != "data" || c.Wrappers[0].OutputHandlers[1].AcceptsCommandOutput != "text-file" {
		t.Errorf("outputs %+v", c.Outputs)
	}
}

// A6: testEntrypointIsPreserved / testEntrypointIsRemoved.
func TestA6EntrypointIsKeptOrEmptied(t *testing.T) {
	c := &Command{Name: "ep", Image: "x/ep:1", CommandLine: "no-entrypoint.sh"}
	r := resolveOK(t, c, Launch{})
	spec, err := ContainerCreate(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Config.Entrypoint != nil || !reflect.DeepEqual([]string(spec.Config.Cmd), []string{"no-entrypoint.sh"}) {
		t.Errorf("kept entrypoint: Entrypoint %q Cmd %q", spec.Config.Entrypoint, spec.Config.Cmd)
	}
	c.OverrideEntrypoint = true
	spec, _ = ContainerCreate(resolveOK(t, c, Launch{}), Options{})
	if !reflect.DeepEqual([]string(spec.Config.Entrypoint), []string{""}) || !reflect.DeepEqual([]string(spec.Config.Cmd), []string{"/bin/sh", "-c", "no-entrypoint.sh"}) {
		t.Errorf("overridden entrypoint: Entrypoint %q Cmd %q", spec.Config.Entrypoint, spec.Config.Cmd)
	}
}

// A7: docs/command.md "complex-example".
func TestA7BooleanTrueAndFalseValues(t *testing.T) {
	sep := "="
	tv, fv := "T", "F"
	def := String("false")
	c := &Command{Name: "complex", Image: "x/y:1", CommandLine: "/run/my_script.sh [THE_BOOLEAN] a-string",
		Environment: map[string]string{"STR_VAL": "a-string", "BOOL_VAL": "[THE_BOOLEAN]"},
		Inputs: []Input{
			{Name: "the_boolean", Type: "boolean", DefaultValue: &def, ReplacementKey: "[THE_BOOLEAN]", TrueValue: &tv, FalseValue: &fv, Flag: "--bool", Separator: &sep},
			{Name: "the_string", ReplacementKey: "a-string", Flag: "--str"},
		}}
	r := resolveOK(t, c, Launch{})
	if r.CommandLine != "/run/my_script.sh --bool=F " || r.Env["STR_VAL"] != "" || r.Env["BOOL_VAL"] != "F" {
		t.Errorf("no inputs: %q env %v", r.CommandLine, r.Env)
	}
	r = resolveOK(t, c, Launch{Inputs: map[string]string{"the_boolean": "true", "the_string": "Hey"}})
	if r.CommandLine != "/run/my_script.sh --bool=T --str Hey" {
		t.Errorf("with inputs: %q", r.CommandLine)
	}
}

// A8: docs/command.md "sample-multi".
func TestA8FlagDelimitedScanIDs(t *testing.T) {
	sep := "="
	yes := Bool(true)
	c := &Command{Name: "sample-multi", Image: "x/y:1", CommandLine: `echo SCAN_IDS value is "#SCAN_IDS#"`,
		Inputs: []Input{{Name: "SCAN_IDS", Flag: "--scan", Separator: &sep, MultipleDelimiter: "flag"}},
		Wrappers: []Wrapper{{Name: "w",
			ExternalInputs: []WrapperInput{{Name: "session", Type: "Session"}},
			DerivedInputs: []WrapperInput{{Name: "scans", Type: "Scan", DerivedFrom: "session", DerivedFromProperty: "id",
				Matcher: "@.scan-type == 'DICOM'", Multiple: &yes, ProvidesValueFor: "SCAN_IDS"}},
		}}}
	session := `{"id":"s","uri":"/experiments/s","scans":[{"id":"1","scan-type":"DICOM"},{"id":"2","scan-type":"DICOM"},{"id":"3","scan-type":"DICOM"},{"id":"4","scan-type":"OTHER"}]}`
	r := resolveOK(t, c, Launch{Wrapper: "w", Inputs: map[string]string{"session": session}})
	if want := `echo SCAN_IDS value is "--scan=1 --scan=2 --scan=3"`; r.CommandLine != want {
		t.Errorf("%q, want %q", r.CommandLine, want)
	}
}

// B: the rule edge cases of getValueForCommandLine.
func TestBCommandLineValueEdgeCases(t *testing.T) {
	p := func(s string) *string { return &s }
	single := []struct {
		name string
		in   Input
		val  *string
		want string
	}{
		{"no flag ignores the separator", Input{Separator: p("=")}, p("v"), "v"},
		{"flag with no separator uses a space", Input{Flag: "-f"}, p("v"), "-f v"},
		{"flag with = separator", Input{Flag: "-f", Separator: p("=")}, p("v"), "-f=v"},
		{"flag with empty separator joins", Input{Flag: "-f", Separator: p("")}, p("v"), "-fv"},
		{"null value drops the flag", Input{Flag: "-f", Separator: p("=")}, nil, ""},
		{"empty value drops the flag", Input{Flag: "-f"}, p(""), ""},
		{"blank value drops the flag", Input{Flag: "-f"}, p("  "), ""},
	}
	for _, c := range single {
		if got := commandLineValue(&c.in, value{s: c.val}); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	multi := []struct {
		name string
		in   Input
		want string
	}{
		{"no flag, no separator: empty prefix", Input{}, "a b"},
		{"flag, no separator: flag and space", Input{Flag: "-f"}, "-f a b"},
		{"flag and =", Input{Flag: "-f", Separator: p("=")}, "-f=a b"},
		{"= without flag: the space-equals quirk", Input{Separator: p("=")}, " =a b"},
	}
	for _, c := range multi {
		if got := commandLineValue(&c.in, value{multi: true, list: []string{"a", "b"}}); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if got := commandLineValue(&Input{Flag: "-f"}, value{multi: true}); got != "" {
		t.Errorf("empty list: %q", got)
	}
	tv, fv := "yes", "no"
	b := &Command{Name: "b", Image: "x/y:1", CommandLine: "run #B#", Inputs: []Input{{Name: "B", Type: "boolean", TrueValue: &tv, FalseValue: &fv}}}
	for in, want := range map[string]string{"true": "run yes", "TRUE": "run yes", "1": "run no", "yes": "run no"} {
		if r := resolveOK(t, b, Launch{Inputs: map[string]string{"B": in}}); r.CommandLine != want {
			t.Errorf("boolean %q: %q, want %q", in, r.CommandLine, want)
		}
	}
	raw := &Command{Name: "b", Image: "x/y:1", CommandLine: "run #B# #UNDEFINED#", Inputs: []Input{{Name: "B", Type: "boolean"}}}
	if r := resolveOK(t, raw, Launch{Inputs: map[string]string{"B": "maybe"}}); r.CommandLine != "run maybe #UNDEFINED#" {
		t.Errorf("boolean without true/false values, and an unknown key: %q", r.CommandLine)
	}
	if r := resolveOK(t, raw, Launch{}); r.CommandLine != "run  #UNDEFINED#" {
		t.Errorf("null boolean: %q", r.CommandLine)
	}
}

// B: wrapper-input keys are replaced in env and paths, never in the command line.
func TestBWrapperKeysStayOutOfTheCommandLine(t *testing.T) {
	c := &Command{Name: "w", Image: "x/y:1", CommandLine: "run #project# #X#",
		Environment: map[string]string{"P": "#project#"}, WorkingDirectory: "/work/#project#",
		Inputs:   []Input{{Name: "X"}},
		Wrappers: []Wrapper{{Name: "w", ExternalInputs: []WrapperInput{{Name: "project", Type: "string", ProvidesValueFor: "X"}}}}}
	r := resolveOK(t, c, Launch{Wrapper: "w", Inputs: map[string]string{"project": "p1"}})
	if r.CommandLine != "run #project# p1" || r.Env["P"] != "p1" || r.WorkingDir != "/work/p1" {
		t.Errorf("command line %q env %v dir %q", r.CommandLine, r.Env, r.WorkingDir)
	}
}
