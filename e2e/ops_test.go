package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/versions"
)

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// metric reads one series' value ("" when absent).
func metric(text, series string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// The runtime's memory profile table (1.4 MiB) counts against the memory
// budget the collector is paced to; serve starts itself again, same process,
// with sampling off, unless it serves heap profiles.
func TestServeRunsWithoutTheMemoryProfileTableUnlessItServesProfiles(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Fatal("GOGC or GOMEMLIMIT is set for the test run: xcsproxy then paces nothing, and this test has nothing to check")
	}
	cases := []struct {
		name         string
		flags        []string
		wantSampling bool
	}{
		{"a server paced to the budget samples nothing", nil, false},
		{"a server that serves heap profiles samples", []string{"--debug-pprof"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			p := startProxy(t, append([]string{"--admin-listen", addr}, c.flags...)...)
			environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.cmd.Process.Pid))
			if err != nil {
				t.Fatalf("the process started is not the one serving: %v", err)
			}
			off := slices.Contains(strings.Split(string(environ), "\x00"), "GODEBUG=memprofilerate=0")
			table := metric(scrape(t, addr), "go_memstats_buck_hash_sys_bytes")
			if off == c.wantSampling {
				t.Errorf("GODEBUG=memprofilerate=0 in the serving process's environment: %v", off)
			}
			if (table > 1<<20) != c.wantSampling {
				t.Errorf("the runtime's profile buckets take %.0f bytes", table)
			}
		})
	}
}

func TestMetricsMoveWithTraffic(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startProxy(t, "--admin-listen", addr)
	before := scrape(t, addr)
	for _, name := range []string{"xcsproxy_build_info", "xcsproxy_policy_evaluation_seconds", "xcsproxy_audit_write_seconds",
		"xcsproxy_request_duration_seconds", "xcsproxy_open_streams", "xcsproxy_open_tunnels", "xcsproxy_policy_reloads_total", "xcsproxy_audit_write_failures_total"} {
		if !strings.Contains(before, name) {
			t.Errorf("/metrics has no %s", name)
		}
	}
	hc := p.HTTP()
	for i := 0; i < 5; i++ {
		resp, err := hc.Get("http://docker/_ping")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send(t, hc, attack{method: "POST", path: "/containers/x/exec", body: `{"Cmd":["id"]}`})
	// An open event stream shows as an open stream.
	stream, err := p.HTTP().Get("http://docker/events")
	if err != nil {
		t.Fatal(err)
	}
	after := scrape(t, addr)
	stream.Body.Close()
	checks := []struct {
		series  string
		atLeast float64
	}{
		{`xcsproxy_requests_total{decision="allow",endpoint="system.ping"}`, metric(before, `xcsproxy_requests_total{decision="allow",endpoint="system.ping"}`) + 5},
		{`xcsproxy_requests_total{decision="deny",endpoint="exec.create"}`, 1},
		{`xcsproxy_policy_evaluation_seconds_count`, metric(before, `xcsproxy_policy_evaluation_seconds_count`) + 6},
		{`xcsproxy_audit_write_seconds_count`, metric(before, `xcsproxy_audit_write_seconds_count`) + 6},
		{`xcsproxy_request_duration_seconds_count{endpoint="system.ping",part="daemon"}`, 5},
		{`xcsproxy_open_streams`, 1},
	}
	for _, c := range checks {
		if got := metric(after, c.series); got < c.atLeast {
			t.Errorf("%s = %v, want at least %v", c.series, got, c.atLeast)
		}
	}
}

// forwarder is a unix socket in front of the real daemon that the test can
// take away and bring back, as when dockerd restarts.
type forwarder struct {
	path  string
	mu    sync.Mutex
	l     net.Listener
	conns map[net.Conn]bool
}

func (f *forwarder) start(t *testing.T) {
	t.Helper()
	l, err := net.Listen("unix", f.path)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.l = l
	f.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				up, err := net.Dial("unix", "/var/run/docker.sock")
				if err != nil {
					c.Close()
					return
				}
				f.mu.Lock()
				if f.conns == nil {
					f.conns = map[net.Conn]bool{}
				}
				f.conns[c], f.conns[up] = true, true
				f.mu.Unlock()
				go func() { io.Copy(up, c); up.Close() }()
				io.Copy(c, up)
				c.Close()
			}()
		}
	}()
}

// stop takes the socket away and cuts every open connection, as a daemon
// restart does.
func (f *forwarder) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.l != nil {
		f.l.Close()
		f.l = nil
	}
	for c := range f.conns {
		c.Close()
	}
	f.conns = nil
	os.Remove(f.path)
}

func TestReadinessFollowsTheDaemonSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "xf")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	f := &forwarder{path: filepath.Join(dir, "docker.sock")}
	f.start(t)
	defer f.stop()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startProxy(t, "--upstream", "unix://"+f.path, "--admin-listen", addr)
	ready := func() int {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := ready(); got != 200 {
		t.Fatalf("readyz with the daemon up: %d", got)
	}
	f.stop()
	waitFor(t, 10*time.Second, "readyz to turn unready without the daemon", func() bool { return ready() == http.StatusServiceUnavailable })
	f.start(t)
	waitFor(t, 10*time.Second, "readyz to turn ready again", func() bool { return ready() == 200 })
}

func TestDoctor(t *testing.T) {
	good := func(dir string) []string {
		return []string{"doctor", "--listen", "unix://" + filepath.Join(dir, "d.sock"), "--audit-log", filepath.Join(dir, "audit.log")}
	}
	t.Run("a healthy setup is all well", func(t *testing.T) {
		// The tests' own roots, the writable one hardened by setup: the
		// default pack's /data/xnat may exist on the machine, unhardened.
		out, err := xcsproxy(t, append(good(t.TempDir()), "--policies", policyDir(t, testConfig()))...)
		if err != nil || !strings.Contains(out, "all well") {
			t.Fatalf("doctor: %v\n%s", err, out)
		}
		// What it reads of the daemon is the daemon's: this one's API
		// decides whether read-only binds are recursive.
		v, err := docker.ServerVersion(ctxFor(t, time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if old := versions.LessThan(v.APIVersion, "1.44"); old != strings.Contains(out, "mounts read-only binds non-recursively") {
			t.Errorf("the daemon's API is %s, so doctor's note that read-only binds are non-recursive should be there: %v; doctor said:\n%s", v.APIVersion, old, out)
		}
	})
	t.Run("docker cp allowed on a daemon older than its fix is a problem", func(t *testing.T) {
		v, err := docker.ServerVersion(ctxFor(t, time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		out, err := xcsproxy(t, append(good(t.TempDir()), "--policies", policyDir(t, testConfig("container.archive_put")))...)
		flagged := strings.Contains(out, "the policy allows container.archive_put, and the daemon is Docker "+v.Version) && strings.Contains(out, "CVE-2026-41567")
		// This machine's daemon is Debian's 20.10; 29.5.1 has the fix.
		before := versions.LessThan(strings.SplitN(v.Version, "+", 2)[0], "29.5.1")
		if flagged != before || (err != nil) != before {
			t.Fatalf("Docker %s (before the fix: %v): doctor flagged docker cp %v, exit error %v:\n%s", v.Version, before, flagged, err, out)
		}
	})
	t.Run("a port a service here listens on, that a job could take, is named", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		out, err := xcsproxy(t, append(good(t.TempDir()), "--policies", policyDir(t, testConfig()))...)
		if err != nil {
			t.Fatalf("doctor: %v\n%s", err, out)
		}
		_, rest, _ := strings.Cut(out, "TCP ports ")
		named, _, _ := strings.Cut(rest, " are listened on in")
		if !slices.Contains(strings.Split(named, ", "), fmt.Sprint(port)) {
			t.Fatalf("doctor does not name port %d, which this test listens on:\n%s", port, out)
		}
	})
	t.Run("each mount root says whether a symlink under it would be followed", func(t *testing.T) {
		dir := t.TempDir()
		// plain lies in a directory anyone may write, where a rename could
		// put a symlink in its path.
		hardened, open := filepath.Join(dir, "hardened"), filepath.Join(dir, "open")
		plain := filepath.Join(open, "plain")
		for _, d := range []string{hardened, plain} {
			os.MkdirAll(d, 0o755)
		}
		os.Chmod(open, 0o777)
		bindMountNoSymFollow(t, hardened)
		config := strings.NewReplacer(archiveRoot, plain, buildRoot, hardened).Replace(testConfig())
		out, err := xcsproxy(t, append(good(dir), "--policies", policyDir(t, config))...)
		if err != nil || !strings.Contains(out, "all well") {
			t.Fatalf("doctor: %v\n%s", err, out)
		}
		for _, want := range []string{
			fmt.Sprintf("mount root %s is on a nosymfollow mount", hardened),
			fmt.Sprintf("mount root %s is on a mount that follows symlinks", plain),
			"mount -o remount,bind,nosymfollow " + plain,
			fmt.Sprintf("%s, above mount root %s, has mode 0777", open, plain),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("doctor output does not say %q:\n%s", want, out)
			}
		}
	})
	for _, c := range []struct {
		name  string
		extra func(t *testing.T, dir string) []string
		says  []string
	}{
		{"a broken policy", func(t *testing.T, dir string) []string {
			pol := filepath.Join(dir, "pol")
			os.MkdirAll(pol, 0o755)
			os.WriteFile(filepath.Join(pol, "x.rego"), []byte("package xcsproxy\ndecision := {{"), 0o644)
			return []string{"--policies", pol}
		}, []string{"does not load", "x.rego", "fix: "}},
		{"an unwritable audit path", func(t *testing.T, dir string) []string {
			file := filepath.Join(dir, "not-a-dir")
			os.WriteFile(file, nil, 0o644)
			return []string{"--audit-log", filepath.Join(file, "audit.log")}
		}, []string{"audit directory", "fix: "}},
		{"a plain-TCP listener", func(t *testing.T, dir string) []string { return []string{"--listen", "tcp://0.0.0.0:2375"} },
			[]string{"plain TCP", "fix: "}},
		{"a writable root on a mount that honours set-user-ID bits and devices", func(t *testing.T, dir string) []string {
			plain := filepath.Join(dir, "plain")
			os.MkdirAll(plain, 0o755)
			// Whatever the mount holding the temporary directory does.
			if err := mountOnItself(plain, "suid,dev"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unmount(plain) })
			config := strings.NewReplacer(buildRoot, plain).Replace(testConfig())
			return []string{"--policies", policyDir(t, config)}
		}, []string{"without nosuid and nodev", "mounts.require_nosuid_nodev refuses every writable bind", "fix: mount --bind", "remount,bind,nosuid,nodev"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(binary, append(good(dir), c.extra(t, dir)...)...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("doctor exited 0:\n%s", out)
			}
			for _, s := range c.says {
				if !strings.Contains(string(out), s) {
					t.Errorf("doctor output does not say %q:\n%s", s, out)
				}
			}
		})
	}
}
