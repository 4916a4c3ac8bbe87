package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
)

// lastDecision is the newest decision record of an audit log.
func lastDecision(t *testing.T, path string) map[string]any {
	t.Helper()
	recs := readAuditRaw(t, path)
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i]["type"] == "decision" {
			return recs[i]
		}
	}
	t.Fatal("no decision in the audit log")
	return nil
}

func readAuditRaw(t *testing.T, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(readFileString(t, path), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// TestTheDaemonActsOnWhatWasJudged sends path and body forms that parsers
// disagree on. Each is either refused by xcsproxy, or forwarded: then the
// path the daemon received is the canonical path the policy judged, and the
// body it received decodes (as the daemon decodes it) to exactly the body
// the policy judged.
func TestTheDaemonActsOnWhatWasJudged(t *testing.T) {
	up := newCountingUpstream(t)
	p := startProxy(t, "--upstream", "unix://"+up.sock)
	paths := []string{
		"/containers/json", "/v1.41/containers/json", "/containers/json?all=1&all=0",
		"/containers/%6Ason", "/containers/%2e%2e/json", "/containers%2Fjson", "/containers/%252e/json",
		"//containers/json", "/containers/./json", "/containers/json/", "/containers/json;x=1",
		"/Containers/json", "/v1.41//containers/json", "/v1.4/containers/json", "/v01.41/containers/json",
		"/containers/json?filters=%7B%22label%22%3A%5B%22a%22%5D%7D", "/containers/json?a=1;b=2", "/containers/json%00",
	}
	hc := p.HTTP()
	for _, path := range paths {
		t.Run("path "+path, func(t *testing.T) {
			before := up.forwarded.Load()
			req, _ := http.NewRequest("GET", "http://docker/", nil)
			req.URL.Opaque = strings.SplitN(path, "?", 2)[0]
			if q := strings.SplitN(path, "?", 2); len(q) == 2 {
				req.URL.RawQuery = q[1]
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if up.forwarded.Load() == before {
				if resp.StatusCode < 400 {
					t.Fatalf("status %d but nothing reached the daemon", resp.StatusCode)
				}
				return // refused
			}
			d := lastDecision(t, p.AuditLog)
			up.mu.Lock()
			seen := up.last
			up.mu.Unlock()
			judged := d["request_path"].(string)
			if got := strings.TrimPrefix(seen.Path, "/v1.41"); got != judged {
				t.Fatalf("the daemon received %s; the policy judged %s", seen.Path, judged)
			}
			if d["endpoint"] != "container.list" {
				t.Fatalf("judged as %v", d["endpoint"])
			}
		})
	}
	bodies := []struct{ name, body string }{
		{"plain", `{"Image":%q,"Cmd":["echo"],"HostConfig":{"Memory":0}}`},
		{"lower-case keys", `{"image":%q,"cmd":["echo"],"hostconfig":{"memory":0}}`},
		{"duplicate keys, last wins", `{"Image":"other","Image":%q,"Cmd":["echo"]}`},
		{"duplicate objects merge", `{"Image":%q,"Cmd":["echo"],"HostConfig":{"Memory":1048576000},"HostConfig":{"CpuShares":512}}`},
		{"escaped key", `{"\u0049mage":%q,"Cmd":["echo"]}`},
		{"Unicode case folding", "{\"Image\":%q,\"Cmd\":[\"echo\"],\"Ho\u017ftConfig\":{\"Memory\":0}}"},
		{"explicit nulls", `{"Image":%q,"Cmd":["echo"],"Entrypoint":null,"Env":null,"HostConfig":{"Binds":null,"Privileged":null}}`},
		{"trailing data", `{"Image":%q}{"HostConfig":{"Privileged":true}}`},
		{"a second value after whitespace", `{"Image":%q} []`},
	}
	for _, b := range bodies {
		t.Run("body "+b.name, func(t *testing.T) {
			before := up.forwarded.Load()
			body := fmt.Sprintf(b.body, testImage)
			status, msg := send(t, hc, attack{method: "POST", path: "/containers/create", body: body})
			if up.forwarded.Load() == before {
				if status < 400 {
					t.Fatalf("status %d but nothing reached the daemon", status)
				}
				return
			}
			if status != http.StatusCreated {
				t.Fatalf("forwarded create: %d %s", status, msg)
			}
			up.mu.Lock()
			seen := up.last
			up.mu.Unlock()
			var daemonSaw, policySaw container.CreateRequest
			if err := json.Unmarshal(seen.Body, &daemonSaw); err != nil {
				t.Fatalf("the daemon's body does not decode: %v", err)
			}
			judged, _ := json.Marshal(lastDecision(t, p.AuditLog)["input"].(map[string]any)["request"].(map[string]any)["body"])
			if err := json.Unmarshal(judged, &policySaw); err != nil {
				t.Fatal(err)
			}
			// The record keeps environment names, never values (the pack
			// stamps one variable on every create).
			for i, e := range daemonSaw.Env {
				name, _, _ := strings.Cut(e, "=")
				daemonSaw.Env[i] = name + "=<redacted>"
			}
			if !reflect.DeepEqual(daemonSaw, policySaw) {
				t.Fatalf("the daemon received\n%s\nthe policy judged\n%s", seen.Body, judged)
			}
		})
	}
}
