package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/xcsproxy/xcsproxy/policies"
)

func containerListAll() container.ListOptions       { return container.ListOptions{All: true} }
func containerRemoveForce() container.RemoveOptions { return container.RemoveOptions{Force: true} }

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proxyProc is one running `xcsproxy serve`.
type proxyProc struct {
	Sock     string
	AuditLog string
	Logs     *syncBuffer
	cmd      *exec.Cmd
	done     chan struct{}
}

// startProxy runs xcsproxy on a fresh unix socket with extra flags and
// waits until it answers /_ping through to the daemon.
func startProxy(t *testing.T, extra ...string) *proxyProc {
	t.Helper()
	p := startProxyNoWait(t, extra...)
	hc := p.HTTP()
	// The readiness check leaves no connection behind for the test to
	// inherit (a per-client connection limit counts it).
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if p.exited() {
			t.Fatalf("xcsproxy exited during start-up:\n%s", p.Logs.String())
		}
		resp, err := hc.Get("http://docker/_ping")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("xcsproxy not ready after 15s (last error %v):\n%s", err, p.Logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proxyProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// startProxyNoWait starts xcsproxy and returns at once.
func startProxyNoWait(t *testing.T, extra ...string) *proxyProc {
	t.Helper()
	if !slices.Contains(extra, "--policies") {
		extra = append(extra, "--policies", policyDir(t, testConfig()))
	}
	dir, err := os.MkdirTemp("", "xp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &proxyProc{Sock: filepath.Join(dir, "docker.sock"), Logs: &syncBuffer{}, AuditLog: filepath.Join(dir, "audit.log")}
	if !slices.Contains(extra, "--audit-log") {
		extra = append(extra, "--audit-log", p.AuditLog)
	}
	args := append([]string{"serve", "--listen", "unix://" + p.Sock, "--log-format", "text", "--log-level", "debug"}, extra...)
	p.cmd = exec.Command(binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.Logs, p.Logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.done = make(chan struct{})
	exited := p.done
	go func() { p.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			t.Errorf("xcsproxy did not stop within 15s of SIGTERM")
		}
		if strings.Contains(p.Logs.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector reported a data race in xcsproxy")
		}
		if t.Failed() {
			t.Logf("xcsproxy logs:\n%s", p.Logs.String())
		}
	})
	return p
}

// HTTP is a raw HTTP client over the proxy's socket: it sends exactly the
// paths and bodies a test writes, as XNAT's docker-java does.
func (p *proxyProc) HTTP() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", p.Sock)
		},
	}}
}

// Docker is the Docker Go client pointed at the proxy.
func (p *proxyProc) Docker(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.NewClientWithOpts(client.WithHost("unix://"+p.Sock), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// cli runs the docker CLI against the proxy.
func (p *proxyProc) cli(ctx context.Context, stdin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+p.Sock, "DOCKER_CONFIG="+os.TempDir()+"/xcsproxy-e2e-dockercfg")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err = cmd.Run()
	return o.String(), e.String(), err
}

// waitLog waits until the proxy's log holds substr.
func (p *proxyProc) waitLog(t *testing.T, substr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(p.Logs.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("log line %q did not appear within %s", substr, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// policyDir copies the embedded pack to a directory the test may edit, with
// config.yaml replaced when config is not empty.
func policyDir(t *testing.T, config string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "policies")
	if err := os.CopyFS(dir, policies.FS); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		writeFile(t, filepath.Join(dir, "config.yaml"), config)
	}
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// testConfig is the default pack's config.yaml for the tests: the test
// images are allowed, and so is a temporary archive root, read-only, and a
// build root, writable; extra endpoints may be allowed by name.
func testConfig(allowExtra ...string) string {
	extra := "[]"
	if len(allowExtra) > 0 {
		extra = "[" + strings.Join(allowExtra, ", ") + "]"
	}
	return fmt.Sprintf(`endpoints:
  allow_extra: %s
images:
  allow: [docker.io/xcsproxy-e2e/*, %s/xcsproxy-e2e/*]
mounts:
  allow:
    - {path: %q, read_only: true}
    - {path: %q, read_only: false}
runtimes: {allow: [runc]}
capabilities: {add_allow: []}
gpus: {allow: false}
ports: {min_host_port: 1024}
logging: {allow: [json-file, local]}
resources: {max_memory_bytes: 0, max_nano_cpus: 0, max_pids: 0}
labels: {}
defaults: {no_new_privileges: true, pids_limit: 4096}
`, extra, registryAddr(), archiveRoot, buildRoot)
}

func imageRemoveForce() image.RemoveOptions { return image.RemoveOptions{Force: true} }

func readFileString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// createThroughProxy creates a container through xcsproxy and returns its
// id, failing the test unless the daemon answered 201.
func createThroughProxy(t *testing.T, p *proxyProc, body string) string {
	t.Helper()
	return createNamedThroughProxy(t, p, "", body)
}

// createNamedThroughProxy is createThroughProxy with the container's name
// ("" for one the daemon picks).
func createNamedThroughProxy(t *testing.T, p *proxyProc, name, body string) string {
	t.Helper()
	path := "http://docker/containers/create"
	if name != "" {
		path += "?name=" + url.QueryEscape(name)
	}
	resp, err := p.HTTP().Post(path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create through xcsproxy (name %q): %d %s", name, resp.StatusCode, raw)
	}
	var created struct{ Id string }
	if err := json.Unmarshal(raw, &created); err != nil || created.Id == "" {
		t.Fatalf("create answered %s", raw)
	}
	return created.Id
}

// mountOnItself bind-mounts dir on itself with the given options, as a site
// hardens a mount root (docs/deploy.md). It needs root, and Linux 5.10+ for
// nosymfollow.
func mountOnItself(dir, options string) error {
	for _, args := range [][]string{{"--bind", dir, dir}, {"-o", "remount,bind," + options, dir}} {
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("mount %v (needs root): %v\n%s", args, err, out)
		}
	}
	return nil
}

// unmount undoes mountOnItself.
func unmount(dir string) { exec.Command("umount", "-l", dir).Run() }

// runIn runs a command of the test tool in a running container, straight
// on the daemon, and returns its output.
func runIn(t *testing.T, id string, args ...string) string {
	t.Helper()
	ctx := ctxFor(t, 30*time.Second)
	out, err := exec.CommandContext(ctx, "docker", append([]string{"exec", id}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker exec %s %v: %v\n%s", id[:12], args, err, out)
	}
	return string(out)
}

// routeDevice is the interface the host routes ip through (ip route get).
func routeDevice(t *testing.T, ip string) string {
	t.Helper()
	out, err := exec.Command("ip", "route", "get", ip).CombinedOutput()
	if err != nil {
		t.Fatalf("ip route get %s: %v %s", ip, err, out)
	}
	fields := strings.Fields(string(out))
	for i, f := range fields {
		if f == "dev" && i+1 < len(fields) {
			return fields[i+1]
		}
	}
	t.Fatalf("ip route get %s names no device: %s", ip, out)
	return ""
}

// removeBuiltImage removes, when the test ends, the image a build's answer
// names (the classic builder's and BuildKit's answers both carry its id
// as "aux":{"ID":...}).
func removeBuiltImage(t *testing.T, answer string) {
	t.Helper()
	if _, rest, ok := strings.Cut(answer, `"aux":{"ID":"`); ok {
		id, _, _ := strings.Cut(rest, `"`)
		t.Cleanup(func() { docker.ImageRemove(context.Background(), id, imageRemoveForce()) })
	}
}
