package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/xcsproxy/xcsproxy/audit"
	"github.com/xcsproxy/xcsproxy/policies"
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

// A request refused before the policy is logged with its URI, the client's
// query included, and a denial with reasons that may quote it: a
// credential in either is redacted in the operational log and the audit
// record alike.
func TestARefusedOrDeniedRequestsCredentialsReachNoLog(t *testing.T) {
	dir := t.TempDir()
	up, err := NewUpstream("unix://"+filepath.Join(dir, "no-daemon.sock"), nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := audit.Open(filepath.Join(dir, "audit.log"), audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	set, err := policy.Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := NewFacts(up, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := New(Config{Upstream: up, Engine: policy.NewEngine(set), Audit: w, Facts: facts, Log: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Info}),
		MaxBody: 1 << 20, MaxHeaderFields: 100, RequestTimeout: time.Minute, BodyReadTimeout: time.Minute})
	t.Cleanup(p.Close)
	const secret = "tok-4c7e91"
	for _, uri := range []string{
		"/build/?remote=https://xnat:" + secret + "@git.example/x.git",
		"/v1.41//images/create?fromSrc=https://xnat:" + secret + "@data.example/i.tar",
		// Canonical, and denied by the pack with a reason that quotes it.
		"/images/create?fromSrc=https://xnat:" + secret + "@data.example/i.tar",
		// Refused at the fact lookup, whose error quotes the reference.
		"/images/create?fromImage=https://xnat:" + secret + "@registry.example/x&tag=1",
	} {
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest("POST", uri, nil))
		if rec.Code < 400 {
			t.Fatalf("%s answered %d; want a refusal", uri, rec.Code)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	record, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "refused") || !strings.Contains(logs.String(), "denied") {
		t.Fatalf("no refusal and denial were logged:\n%s", logs.String())
	}
	for what, text := range map[string]string{"operational log": logs.String(), "audit log": string(record)} {
		if strings.Contains(text, secret) {
			t.Errorf("the %s holds the credential:\n%s", what, text)
		}
	}
}
