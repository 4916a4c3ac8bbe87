package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/xcsproxy/xcsproxy/policies"
)

const benchImage = "xcsproxy-bench/logger:latest"

// environment is the running xcsproxy under test and its scratch space.
type environment struct {
	dir       string
	proxySock string
	auditLog  string
	adminAddr string
	cmd       *exec.Cmd
	bin       string // the xcsproxy binary the run built
	policies  string // the run's policy directory
	// references are the processes behind --reference's targets.
	references []*exec.Cmd
	docker     *client.Client
	pingCPU    []float64 // µs of xcsproxy CPU per ping, one per round
	cycleCPU   []float64 // ms of xcsproxy CPU per CS cycle at 8 clients, one per round
	// pingSwitches are a started target's context switches per ping at
	// one client, one per round.
	pingSwitches map[string][]float64
	kept         []string // containers kept for the whole run, removed by close
	// The Container Service's mount roots for the run: a session directory
	// in the archive, and the build root jobs get output directories in.
	archiveRoot, buildRoot, session string
	hardened                        bool // buildRoot is mounted on itself nosuid,nodev
	jobs                            atomic.Int64
}

func setup(ctx context.Context) (*environment, error) {
	dir, err := os.MkdirTemp("", "xcsproxy-bench-")
	if err != nil {
		return nil, err
	}
	env := &environment{dir: dir, proxySock: filepath.Join(dir, "docker.sock"), auditLog: filepath.Join(dir, "audit.log"),
		archiveRoot: filepath.Join(dir, "archive"), buildRoot: filepath.Join(dir, "build"), pingSwitches: map[string][]float64{}}
	env.session = filepath.Join(env.archiveRoot, "P1", "arc001", "S1")
	for _, d := range []string{env.session, env.buildRoot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// A site mounts its writable root nosuid,nodev, or the default pack
	// refuses writable binds in it; that takes root. Without it the run
	// turns the rule off, and says so.
	env.hardened = hardenRoot(env.buildRoot) == nil
	if !env.hardened {
		fmt.Fprintln(os.Stderr, "bench: could not mount the build root nosuid,nodev (needs root); this run turns mounts.require_nosuid_nodev off")
	}
	if env.docker, err = client.NewClientWithOpts(client.WithHost("unix:///var/run/docker.sock"), client.WithAPIVersionNegotiation()); err != nil {
		return nil, err
	}
	if _, err := env.docker.Ping(ctx); err != nil {
		return nil, fmt.Errorf("no Docker daemon (run .ci/docker-up): %w", err)
	}
	bin := filepath.Join(dir, "xcsproxy")
	// Built as `make build` and the image build it, static: a cgo build
	// maps the C library too (1.5 MB more RSS here, at the same speed).
	buildXcsproxy := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/xcsproxy")
	buildXcsproxy.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := buildXcsproxy.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building xcsproxy (run from the repository root): %v\n%s", err, out)
	}
	logger := filepath.Join(dir, "logger")
	build := exec.Command("go", "build", "-o", logger, "./bench/testdata/logger")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the bench image program: %v\n%s", err, out)
	}
	if err := importImage(ctx, env.docker, logger); err != nil {
		return nil, err
	}
	pol, err := policyDir(dir, env.archiveRoot, env.buildRoot, env.hardened)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	env.adminAddr = l.Addr().String()
	l.Close()
	env.bin, env.policies = bin, pol
	env.cmd, err = env.startXcsproxy(env.proxySock, "--audit-log", env.auditLog, "--admin-listen", env.adminAddr, "--audit-sync", auditSync)
	if err != nil {
		env.close()
		return nil, err
	}
	return env, nil
}

// startXcsproxy serves the run's policy on sock, with extra flags, and
// returns once it answers a ping.
func (e *environment) startXcsproxy(sock string, extra ...string) (*exec.Cmd, error) {
	args := append([]string{"serve", "--listen", "unix://" + sock, "--policies", e.policies, "--log-level", "warn", "--log-format", "json"}, extra...)
	cmd := exec.Command(e.bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := awaitPing(sock); err != nil {
		stop(cmd)
		return nil, fmt.Errorf("xcsproxy did not come up on %s: %w", sock, err)
	}
	return cmd, nil
}

// awaitPing waits up to 15 seconds for a 200 to GET /_ping on sock.
func awaitPing(sock string) error {
	hc := unixClient(sock, 1)
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := hc.Get("http://docker/_ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop interrupts a process the run started and waits up to 10 seconds
// for it to end before killing it.
func stop(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
	}
}

func (e *environment) close() {
	for _, id := range e.kept {
		if err := e.docker.ContainerRemove(context.Background(), id, container.RemoveOptions{Force: true}); err != nil {
			fmt.Fprintf(os.Stderr, "bench: removing container %s: %v\n", id[:12], err)
		}
	}
	stop(e.cmd)
	for _, r := range e.references {
		stop(r)
	}
	if e.hardened {
		exec.Command("umount", "-l", e.buildRoot).Run()
	}
	os.RemoveAll(e.dir)
}

// hardenRoot bind-mounts dir on itself with nosuid and nodev, as
// docs/deploy.md has a site do.
func hardenRoot(dir string) error {
	for _, args := range [][]string{{"--bind", dir, dir}, {"-o", "remount,bind,nosuid,nodev", dir}} {
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			if args[0] != "--bind" {
				exec.Command("umount", "-l", dir).Run()
			}
			return fmt.Errorf("mount %v: %v: %s", args, err, out)
		}
	}
	return nil
}

// policyDir is the embedded pack with a config.yaml that allows the bench
// image and the run's archive (read-only) and build roots: the default
// rules, the audit log on (and mounts.require_nosuid_nodev off when the
// build root could not be hardened).
func policyDir(dir, archiveRoot, buildRoot string, hardened bool) (string, error) {
	pol := filepath.Join(dir, "policies")
	if err := os.CopyFS(pol, policies.FS); err != nil {
		return "", err
	}
	config := filepath.Join(pol, "config.yaml")
	b, err := os.ReadFile(config)
	if err != nil {
		return "", err
	}
	text := string(b)
	edits := []struct{ old, new string }{
		{"    - docker.io/xnat/*", "    - docker.io/xnat/*\n    - docker.io/xcsproxy-bench/*"},
		{"    - path: /data/xnat/archive\n", fmt.Sprintf("    - path: %s\n", archiveRoot)},
		{"    - path: /data/xnat/build\n", fmt.Sprintf("    - path: %s\n", buildRoot)},
	}
	if !hardened {
		edits = append(edits, struct{ old, new string }{"  require_nosuid_nodev: true\n", "  require_nosuid_nodev: false\n"})
	}
	for _, r := range edits {
		if !strings.Contains(text, r.old) {
			return "", fmt.Errorf("the embedded config.yaml no longer has %q to replace", r.old)
		}
		text = strings.Replace(text, r.old, r.new, 1)
	}
	return pol, os.WriteFile(config, []byte(text), 0o644)
}

func importImage(ctx context.Context, c *client.Client, program string) error {
	bin, err := os.ReadFile(program)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "logger", Mode: 0o755, Size: int64(len(bin))})
	tw.Write(bin)
	tw.Close()
	rc, err := c.ImageImport(ctx, image.ImportSource{Source: &buf, SourceName: "-"}, benchImage, image.ImportOptions{Changes: []string{`ENTRYPOINT ["/logger"]`}})
	if err != nil {
		return fmt.Errorf("importing the bench image: %w", err)
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// unixClient is an HTTP client over a unix socket with conns idle
// connections kept, like a long-lived Docker client.
func unixClient(sock string, conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: conns,
		MaxIdleConns:        conns,
	}}
}

// processFigures reports xcsproxy's CPU time per request over the whole
// run (from /proc, against the audit log's decision count) and its RSS.
func (e *environment) processFigures() []result {
	pid := e.cmd.Process.Pid
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	var rssKB float64
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			rssKB, _ = strconv.ParseFloat(strings.Fields(line)[1], 64)
		}
	}
	out := []result{{Scenario: "process", Target: "xcsproxy", Unit: "MiB RSS", Value: rssKB / 1024}}
	if len(e.pingCPU) > 0 {
		out = append(out, result{Scenario: "process", Target: "xcsproxy", Unit: "µs CPU per ping (16 clients)", Value: middle(e.pingCPU)})
	}
	if len(e.cycleCPU) > 0 {
		out = append(out, result{Scenario: "process", Target: "xcsproxy", Unit: "ms CPU per CS cycle (8 clients)", Value: middle(e.cycleCPU)})
	}
	for _, name := range slices.Sorted(maps.Keys(e.pingSwitches)) {
		out = append(out, result{Scenario: "process", Target: name, Unit: "context switches per ping (1 client)", Value: middle(e.pingSwitches[name])})
	}
	return out
}

// middle is the median of the rounds' figures (the upper one of an even
// count, as median takes it).
func middle(rounds []float64) float64 {
	sorted := slices.Sorted(slices.Values(rounds))
	return sorted[len(sorted)/2]
}

// contextSwitches counts the voluntary and involuntary context switches of
// all of a target's process's threads so far, from /proc; 0 for a target
// the run did not start.
func contextSwitches(t target) float64 {
	if t.pid == 0 {
		return 0
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", t.pid))
	n := 0.0
	for _, task := range tasks {
		status, err := os.ReadFile(task)
		if err != nil {
			continue // the thread ended meanwhile
		}
		for _, line := range strings.Split(string(status), "\n") {
			// voluntary_ctxt_switches and nonvoluntary_ctxt_switches
			if key, value, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(key, "ctxt_switches") {
				v, _ := strconv.ParseFloat(strings.TrimSpace(value), 64)
				n += v
			}
		}
	}
	return n
}

// cpuSeconds is the user+system CPU time so far of a target's process,
// from /proc; 0 for a target the run did not start.
func cpuSeconds(t target) float64 {
	if t.pid == 0 {
		return 0
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", t.pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(stat)[strings.LastIndexByte(string(stat), ')')+2:])
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // clock ticks of USER_HZ = 100
}
