package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestJoinTokensAreBlankedAndTheRestOfTheSwarmKept(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     map[string]any
	}{
		{"a manager's answer", `{"ID":"abc","JoinTokens":{"Worker":"SWMTKN-1-w","Manager":"SWMTKN-1-m"},"Spec":{"Name":"default"}}`,
			map[string]any{"ID": "abc", "JoinTokens": map[string]any{"Worker": "", "Manager": ""}, "Spec": map[string]any{"Name": "default"}}},
		{"an answer without tokens", `{"ID":"abc"}`, map[string]any{"ID": "abc"}},
		{"not a JSON object", `["SWMTKN-1-m"]`, map[string]any{}},
		{"not JSON at all", `SWMTKN-1-m`, map[string]any{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := hideJoinTokens([]byte(c.in))
			if strings.Contains(string(out), "SWMTKN") {
				t.Fatalf("a token passed: %s", out)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if g, w := mustJSON(t, got), mustJSON(t, c.want); g != w {
				t.Fatalf("got %s, want %s", g, w)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Answers that go through the Transport (TLS daemons) are rewritten too.
func TestJoinTokensAreBlankedOnTheTransportPath(t *testing.T) {
	rt := NewRouter(DockerAPI).Lookup("GET", []string{"swarm"})
	if rt == nil || rt.Route.Answer == nil {
		t.Fatal("GET /swarm has no answer rewrite")
	}
	body := `{"ID":"abc","JoinTokens":{"Worker":"SWMTKN-1-w","Manager":"SWMTKN-1-m"}}`
	req := httptest.NewRequest("GET", "/swarm", nil)
	req = req.WithContext(context.WithValue(req.Context(), exchangeKey{}, &Exchange{Route: rt.Route}))
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Length": {strconv.Itoa(len(body))}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}
	if err := (&Proxy{}).modifyResponse(resp); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(out), "SWMTKN") {
		t.Fatalf("a token passed: %s", out)
	}
	if resp.ContentLength != int64(len(out)) || resp.Header.Get("Content-Length") != strconv.Itoa(len(out)) {
		t.Fatalf("length %d / %q for a %d-byte body", resp.ContentLength, resp.Header.Get("Content-Length"), len(out))
	}
}
