package policy

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func load(t *testing.T, files map[string]string) (*Set, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return Load(context.Background(), fsys)
}

func mustLoad(t *testing.T, files map[string]string) *Engine {
	t.Helper()
	s, err := load(t, files)
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(s)
}

func TestEveryMalformedDecisionDenies(t *testing.T) {
	for _, c := range []struct {
		name, rego, reason string
	}{
		{"undefined decision", "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": []} if input.never", "undefined"},
		{"decision is not an object", "package xcsproxy\ndecision := true", "not an object"},
		{"allow is a string", "package xcsproxy\ndecision := {\"allow\": \"yes\", \"reasons\": []}", "not a boolean"},
		{"allow is missing", "package xcsproxy\ndecision := {\"reasons\": []}", "missing"},
		{"reasons hold a number", "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": [1]}", "non-string"},
		{"patch is a list", "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": [], \"patch\": [1]}", "patch is not an object"},
		{"unexpected key", "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": [], \"allowed\": true}", "unexpected key"},
		{"evaluation error (conflicting values)", "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": []} if true\ndecision := {\"allow\": false, \"reasons\": []} if input.x == 1", "policy error"},
		{"builtin error", "package xcsproxy\ndecision := {\"allow\": to_number(\"x\") > 0, \"reasons\": []}", "policy error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := mustLoad(t, map[string]string{"p.rego": c.rego})
			d := e.Decide(context.Background(), map[string]any{"x": 1})
			if d.Allow {
				t.Fatalf("allowed; a malformed decision must deny")
			}
			if !strings.Contains(strings.Join(d.Reasons, " "), c.reason) {
				t.Fatalf("reasons %q do not say %q", d.Reasons, c.reason)
			}
		})
	}
}

func TestEvaluationTimeoutDenies(t *testing.T) {
	e := mustLoad(t, map[string]string{"p.rego": `package xcsproxy
decision := {"allow": count(big) > 0, "reasons": []}
big contains x if {
	some i in numbers.range(1, 100000000)
	x := i * 2
}`})
	e.Timeout = 50 * time.Millisecond
	d := e.Decide(context.Background(), map[string]any{})
	if d.Allow || !strings.Contains(strings.Join(d.Reasons, " "), "timed out") {
		t.Fatalf("got %+v, want a deny that says it timed out", d)
	}
}

func TestLoadRefuses(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"a directory without Rego", map[string]string{"config.yaml": "a: 1"}, "no policy modules"},
		{"a parse error, naming the file", map[string]string{"bad.rego": "package xcsproxy\ndecision := {"}, "bad.rego"},
		{"a policy without the decision rule", map[string]string{"p.rego": "package xcsproxy\nother := 1"}, "no module defines"},
		{"http.send, which could reach the network", map[string]string{"p.rego": "package xcsproxy\ndecision := {\"allow\": http.send({\"method\": \"GET\", \"url\": \"http://x\"}).status_code == 200, \"reasons\": []}"}, "http.send"},
		{"opa.runtime, which exposes the environment", map[string]string{"p.rego": "package xcsproxy\ndecision := {\"allow\": count(opa.runtime().env) > 0, \"reasons\": []}"}, "opa.runtime"},
		{"an unsafe variable (strict compile)", map[string]string{"p.rego": "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": [x]}"}, "var x is unsafe"},
		{"malformed config.yaml", map[string]string{"p.rego": "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": []}", "config.yaml": "a: [1"}, "config.yaml"},
		{"a config.yaml the pack's own schema refuses, with every message", map[string]string{
			"p.rego":      "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": []}",
			"config.rego": "package xcsproxy.config\nerrors contains \"gpus.allow must be a boolean\" if not is_boolean(data.config.gpus.allow)\nerrors contains \"ports must be a mapping\" if not is_object(data.config.ports)",
			"config.yaml": "gpus: {allow: no}\nports: 80\n",
		}, "config.yaml: gpus.allow must be a boolean; ports must be a mapping"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.files)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load error %v; want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestAConfigTheSchemaAcceptsLoads(t *testing.T) {
	_, err := load(t, map[string]string{
		"p.rego":      "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": []}",
		"config.rego": "package xcsproxy.config\nerrors contains \"gpus.allow must be a boolean\" if not is_boolean(data.config.gpus.allow)",
		"config.yaml": "gpus: {allow: false}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConfigYAMLIsDataConfigAndInputIsSeen(t *testing.T) {
	e := mustLoad(t, map[string]string{
		"p.rego":      "package xcsproxy\ndecision := {\"allow\": input.request.endpoint in data.config.allowed, \"reasons\": [\"not listed\"]}",
		"config.yaml": "allowed: [system.ping]\n",
	})
	allowsPingOnly(t, e)
}

func TestSwapChangesTheDecidingRevision(t *testing.T) {
	allow := map[string]string{"p.rego": "package xcsproxy\ndecision := {\"allow\": true, \"reasons\": []}"}
	deny := map[string]string{"p.rego": "package xcsproxy\ndecision := {\"allow\": false, \"reasons\": [\"closed\"]}"}
	e := mustLoad(t, allow)
	s, err := load(t, deny)
	if err != nil {
		t.Fatal(err)
	}
	if e.Current().Revision == s.Revision {
		t.Fatal("different sources share a revision")
	}
	e.Swap(s)
	if d := e.Decide(context.Background(), map[string]any{}); d.Allow {
		t.Fatal("the swapped-in policy is not deciding")
	}
}

func TestDecisionsAreRememberedOnlyForDeterministicPolicies(t *testing.T) {
	det, err := load(t, map[string]string{"p.rego": "package xcsproxy\ndecision := {\"allow\": input.x == 1, \"reasons\": [\"x\"]}"})
	if err != nil {
		t.Fatal(err)
	}
	if det.memo == nil {
		t.Fatal("a deterministic policy gets no memo")
	}
	e := NewEngine(det)
	if !e.Decide(context.Background(), map[string]any{"x": 1}).Allow || e.Decide(context.Background(), map[string]any{"x": 2}).Allow {
		t.Fatal("wrong decisions")
	}
	if _, hit := det.memo.get(memoKeyOf([]byte(`{"x":1}`))); !hit {
		t.Fatal("the decision was not remembered")
	}
	clock, err := load(t, map[string]string{"p.rego": "package xcsproxy\ndecision := {\"allow\": time.now_ns() > 0, \"reasons\": []}"})
	if err != nil {
		t.Fatal(err)
	}
	if clock.memo != nil {
		t.Fatal("a policy reading the clock must not be memoized")
	}
}

func TestValueSaysWhatTheLoadedPackSays(t *testing.T) {
	fsys := fstest.MapFS{
		"p.rego":      {Data: []byte("package xcsproxy\n\ndecision := {\"allow\": true, \"reasons\": [], \"patch\": {}}\n\ndefault strict := true\n\nstrict := data.config.strict\n")},
		"config.yaml": {Data: []byte("strict: false\n")},
	}
	set, err := Load(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, ref string
		want      any
		found     bool
	}{
		{"a rule's value comes from the data it reads", "data.xcsproxy.strict", false, true},
		{"a data document is read as it is", "data.config.strict", false, true},
		{"a rule the pack lacks is not found", "data.xcsproxy.lenient", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, found, err := set.Value(context.Background(), c.ref)
			if err != nil || found != c.found || got != c.want {
				t.Errorf("Value(%s) = %v, %v, %v; want %v, %v", c.ref, got, found, err, c.want, c.found)
			}
		})
	}
	if _, _, err := set.Value(context.Background(), "not a ref("); err == nil {
		t.Error("Value accepted something that is not a reference")
	}
}

func TestASetForDecidingDecidesWithoutItsTestsAndSources(t *testing.T) {
	s, err := load(t, map[string]string{
		"p.rego":      "package xcsproxy\ndecision := {\"allow\": input.request.endpoint == \"system.ping\", \"reasons\": [\"not a ping\"]}",
		"p_test.rego": "package xcsproxy\ntest_ping if decision.allow with input as {\"request\": {\"endpoint\": \"system.ping\"}}",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Tests) != 1 || len(s.Sources) != 2 {
		t.Fatalf("loaded %d tests and %d sources, want 1 and 2", len(s.Tests), len(s.Sources))
	}
	e := NewEngine(s.ForDeciding())
	if s.Tests != nil || s.Sources != nil {
		t.Fatal("the set kept its tests or sources")
	}
	allowsPingOnly(t, e)
}

// allowsPingOnly checks that e allows system.ping and denies exec.create.
func allowsPingOnly(t *testing.T, e *Engine) {
	t.Helper()
	in := &Input{Request: Request{Endpoint: "system.ping"}}
	if d := e.Decide(context.Background(), in.Map()); !d.Allow {
		t.Fatalf("system.ping denied: %v", d.Reasons)
	}
	in.Request.Endpoint = "exec.create"
	if d := e.Decide(context.Background(), in.Map()); d.Allow {
		t.Fatal("exec.create allowed")
	}
}
