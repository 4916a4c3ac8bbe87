package proxy

import (
	"encoding/json"
	"testing"

	"github.com/xcsproxy/xcsproxy/audit"
	"github.com/xcsproxy/xcsproxy/policy"
)

// The audit record's input is redacted when the whole input needs it; the
// proxy asks only about the parts that can carry secrets, so the two
// answers must agree.
func TestSecretBearingPartsDecideRedactionAsTheWholeInput(t *testing.T) {
	base := func() policy.Input {
		return policy.Input{
			Request: policy.Request{Method: "GET", Path: "/containers/json", Endpoint: "container.list", Params: map[string]string{}, Query: map[string][]string{}},
			Client:  policy.Client{Transport: "unix", UID: 1000, Listener: "unix:///run/xcsproxy/docker.sock"},
			Proxy:   policy.Proxy{Version: "dev", PolicyRevision: "abc", Protected: []string{"/var/run/docker.sock"}, ManagedLabel: ManagedLabel},
		}
	}
	cases := []struct {
		name   string
		change func(in *policy.Input)
		want   bool
	}{
		{"a plain list needs nothing redacted", func(*policy.Input) {}, false},
		{"a create body with Env needs redaction", func(in *policy.Input) {
			in.Request.Body = map[string]any{"Image": "x", "Env": []any{"XNAT_PASS=token"}}
		}, true},
		{"a body with Env null needs nothing", func(in *policy.Input) { in.Request.Body = map[string]any{"Env": nil} }, false},
		{"a Cmd passing a token as the word after its flag needs redaction", func(in *policy.Input) {
			in.Request.Body = map[string]any{"Image": "x", "Cmd": []any{"tool", "--api-token", "abc"}}
		}, true},
		{"a Cmd with ordinary flags needs nothing", func(in *policy.Input) {
			in.Request.Body = map[string]any{"Image": "x", "Cmd": []any{"tool", "--threads", "4"}}
		}, false},
		{"a secret-looking label value needs redaction", func(in *policy.Input) {
			in.Request.Body = map[string]any{"Labels": map[string]any{"xnat.auth-token": "abc"}}
		}, true},
		{"a query parameter named env needs redaction", func(in *policy.Input) { in.Request.Query = map[string][]string{"env": {"x"}} }, true},
		{"a query parameter named password does not (its values are lists)", func(in *policy.Input) {
			in.Request.Query = map[string][]string{"password": {"x"}}
		}, false},
		{"a route parameter with a secret-looking name needs redaction", func(in *policy.Input) { in.Request.Params = map[string]string{"token": "x"} }, true},
		{"image labels with a secret-looking key need redaction", func(in *policy.Input) {
			in.Image = map[string]any{"labels": map[string]any{"registry.password": "hunter2"}}
		}, true},
		{"target facts with ordinary labels need nothing", func(in *policy.Input) {
			in.Target = map[string]any{"labels": map[string]any{ManagedLabel: "true"}}
		}, false},
		{"an auth body needs redaction", func(in *policy.Input) {
			in.Request.Endpoint = "system.auth"
			in.Request.Body = map[string]any{"username": "u"}
		}, true},
		{"mount facts need nothing", func(in *policy.Input) {
			in.Mounts = []any{map[string]any{"source": "/data", "read_only": json.Number("1")}}
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.change(&in)
			whole := audit.NeedsRedaction(in.Map(), nil)
			parts := mayHoldSecrets(&in)
			if whole != c.want || parts != c.want {
				t.Fatalf("whole input: %v, secret-bearing parts: %v, want %v", whole, parts, c.want)
			}
		})
	}
}
