package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPolicyHotReloadKeepsTheLastGoodPolicyAndTakesGoodEdits(t *testing.T) {
	dir := policyDir(t, "")
	p := startProxy(t, "--policies", dir)
	hc := p.HTTP()
	status := func(method, path string) int {
		req, _ := http.NewRequest(method, "http://docker"+path, nil)
		if method == "POST" {
			req.Body = io.NopCloser(strings.NewReader(`{"Cmd":["true"]}`))
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const execPath = "/containers/xcsproxy-no-such-container/exec"
	if got := status("POST", execPath); got != http.StatusForbidden {
		t.Fatalf("exec create before any edit: %d, want 403", got)
	}

	// An edit to invalid Rego: the previous policy keeps deciding.
	writeFile(t, filepath.Join(dir, "endpoints.rego"), "package xcsproxy.rules.endpoints\n\ndeny contains msg if {{{ broken\n")
	p.waitLog(t, "policy reload failed; the previous policy keeps deciding", 5*time.Second)
	if got := status("GET", "/_ping"); got != http.StatusOK {
		t.Fatalf("ping after a broken edit: %d, want 200 from the last good policy", got)
	}
	if got := status("POST", execPath); got != http.StatusForbidden {
		t.Fatalf("exec create after a broken edit: %d, want 403 from the last good policy", got)
	}

	// A good edit, saved the way editors do (write a temp file, rename over),
	// takes over within 2 s: exec now reaches the daemon, which answers 404.
	good := policyDir(t, execAllowedConfig())
	for _, name := range []string{"endpoints.rego", "config.yaml"} {
		b, err := os.ReadFile(filepath.Join(good, name))
		if err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, "."+name+".swp")
		writeFile(t, tmp, string(b))
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	edited := time.Now()
	waitFor(t, 2*time.Second, "the good edit to take over", func() bool {
		return status("POST", execPath) == http.StatusNotFound
	})
	t.Logf("good edit deciding after %s", time.Since(edited))
	p.waitLog(t, "policy reloaded", time.Second)
}

func TestAPolicyDirectoryDeletedAndRecreatedIsPickedUpAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "policies")
	os.MkdirAll(dir, 0o755)
	good := policyDir(t, testConfig())
	copyDir := func(to string) {
		entries, _ := os.ReadDir(good)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(good, e.Name()))
			writeFile(t, filepath.Join(to, e.Name()), string(b))
		}
	}
	copyDir(dir)
	p := startProxy(t, "--policies", dir)
	exec := func() int {
		status, _ := send(t, p.HTTP(), attack{method: "POST", path: "/containers/xcsproxy-no-such/exec", body: `{"Cmd":["id"]}`})
		return status
	}
	if got := exec(); got != http.StatusForbidden {
		t.Fatalf("exec before: %d", got)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, "policy reload failed; the previous policy keeps deciding", 5*time.Second)
	if got := exec(); got != http.StatusForbidden {
		t.Fatalf("exec with the directory gone: %d, want the last good policy's 403", got)
	}
	// Recreated with exec allowed: the new policy takes over by itself.
	os.MkdirAll(dir, 0o755)
	copyDir(dir)
	writeFile(t, filepath.Join(dir, "config.yaml"), execAllowedConfig())
	waitFor(t, 5*time.Second, "the recreated directory to take effect", func() bool { return exec() == http.StatusNotFound })
}

// A config.yaml setting of the wrong type never decides: `allow: no` is the
// string "no" to YAML, which a rule would read as true. A reload to it keeps
// the last good policy, loudly, so a GPU request stays refused and leaves
// nothing behind; and xcsproxy will not start on it at all.
func TestAConfigSettingOfTheWrongTypeNeverDecides(t *testing.T) {
	dir := policyDir(t, testConfig())
	p := startProxy(t, "--policies", dir)
	gpu := attack{name: "a GPU request", method: "POST", path: "/containers/create",
		body: createBody(`{"DeviceRequests":[{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}]}`), reason: "DeviceRequests"}
	runAttacks(t, p, []attack{gpu})

	config := testConfig()
	if !strings.Contains(config, "gpus: {allow: false}") {
		t.Fatalf("the test config no longer sets gpus.allow to false:\n%s", config)
	}
	writeFile(t, filepath.Join(dir, "config.yaml"), strings.Replace(config, "gpus: {allow: false}", "gpus: {allow: no}", 1))
	p.waitLog(t, "gpus.allow must be true or false", 5*time.Second)
	p.waitLog(t, "policy reload failed; the previous policy keeps deciding", time.Second)
	runAttacks(t, p, []attack{gpu})

	assertStartRefused(t, dir, "gpus.allow must be true or false")
}

// assertStartRefused fails unless xcsproxy, started on the policy
// directory, exits with a log that says why.
func assertStartRefused(t *testing.T, dir, why string) {
	t.Helper()
	q := startProxyNoWait(t, "--policies", dir)
	select {
	case <-q.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("xcsproxy started on a policy directory it should refuse (%s)", why)
	}
	if logs := q.Logs.String(); !strings.Contains(logs, why) {
		t.Fatalf("xcsproxy exited without saying %q:\n%s", why, logs)
	}
}

// An endpoint that hands the host over whatever a rule says (a plugin runs
// with the privileges it asks for) cannot be allowed in config.yaml:
// xcsproxy will not start on such a config.
func TestAConfigAllowingAnEndpointThatHandsTheHostOverDoesNotLoad(t *testing.T) {
	assertStartRefused(t, policyDir(t, testConfig("exec.create", "plugin.pull")), "endpoints.allow_extra must not name plugin.pull: a plugin runs with the privileges it asks for")
}
