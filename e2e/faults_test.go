package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
)

// goroutines reads the proxy's goroutine count from /debug/pprof.
func goroutines(t *testing.T, admin string) int {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`goroutine profile: total (\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no goroutine count in %q", b[:min(len(b), 200)])
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func openFDs(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// settles waits for a count to come back near its baseline.
func settles(t *testing.T, what string, baseline, slack int, read func() int) {
	t.Helper()
	var last int
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if last = read(); last <= baseline+slack {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not come back: %d, baseline %d", what, last, baseline)
}

func TestFaultsAreSurvivedWithoutLeaks(t *testing.T) {
	dir, err := os.MkdirTemp("", "xf")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	f := &forwarder{path: filepath.Join(dir, "docker.sock")}
	// The daemon's socket is not there when xcsproxy starts.
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startProxyNoWait(t, "--upstream", "unix://"+f.path, "--admin-listen", admin, "--debug-pprof", "--idle-timeout", "2s")
	waitFor(t, 15*time.Second, "the admin endpoint", func() bool {
		resp, err := http.Get("http://" + admin + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	hc := p.HTTP()
	status := func() int {
		resp, err := hc.Get("http://docker/_ping")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(); got != http.StatusBadGateway {
		t.Fatalf("ping with no daemon: %d, want 502", got)
	}
	f.start(t)
	defer f.stop()
	waitFor(t, 5*time.Second, "service once the daemon appears", func() bool { return status() == 200 })
	hc.CloseIdleConnections()
	baseG, baseFD := goroutines(t, admin), openFDs(t, p.cmd.Process.Pid)

	t.Run("the daemon goes away during an event stream", func(t *testing.T) {
		resp, err := p.HTTP().Get("http://docker/events")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		endsWhenTheDaemonGoes(t, f, resp.Body, "event stream")
		resp.Body.Close()
		if got := status(); got != http.StatusBadGateway {
			t.Fatalf("ping while the daemon is gone: %d", got)
		}
		f.start(t)
		waitFor(t, 5*time.Second, "recovery after the daemon returns", func() bool { return status() == 200 })
	})
	t.Run("the daemon goes away during a log follow and a create", func(t *testing.T) {
		id, errOut, err := p.cli(ctxFor(t, time.Minute), "", "run", "-d", "--label", testLabel+"=fault", testImage, "tick", "100", "100")
		if err != nil {
			t.Fatalf("docker run -d: %v %s", err, errOut)
		}
		id = strings.TrimSpace(id)
		defer docker.ContainerRemove(ctxFor(t, time.Minute), id, containerRemoveForce())
		resp, err := p.HTTP().Get("http://docker/containers/" + id + "/logs?follow=1&stdout=1")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		endsWhenTheDaemonGoes(t, f, resp.Body, "log follow")
		resp.Body.Close()
		before := snapshot(t)
		status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/create", body: fmt.Sprintf(`{"Image":%q,"Cmd":["echo"]}`, testImage)})
		if status != http.StatusBadGateway || !strings.Contains(msg, "unreachable") {
			t.Fatalf("create with the daemon gone: %d %q, want 502 saying it is unreachable", status, msg)
		}
		assertUnchanged(t, before, snapshot(t))
		f.start(t)
		waitFor(t, 5*time.Second, "recovery", func() bool { return statusOf(t, p) == 200 })
	})
	t.Run("the daemon goes away during a pull", func(t *testing.T) {
		ctx := ctxFor(t, 2*time.Minute)
		repo := pushTestImage(t, ctx, "fault-pull")
		ref := repo + ":fault-pull"
		defer docker.ImageRemove(ctxFor(t, time.Minute), ref, image.RemoveOptions{})
		pull := func() (*http.Response, error) {
			req, _ := http.NewRequest("POST", "http://docker/images/create?fromImage="+url.QueryEscape(repo)+"&tag=fault-pull", nil)
			req.Header.Set("X-Registry-Auth", emptyAuth())
			return p.HTTP().Do(req)
		}
		resp, err := pull()
		if err != nil {
			t.Fatal(err)
		}
		// The daemon has answered and the progress stream is open: take the
		// daemon away now.
		br := bufio.NewReader(resp.Body)
		if _, err := br.Peek(1); err != nil {
			t.Fatalf("no pull progress: %v", err)
		}
		endsWhenTheDaemonGoes(t, f, br, "pull stream")
		resp.Body.Close()
		if got := status(); got != http.StatusBadGateway {
			t.Fatalf("ping while the daemon is gone: %d", got)
		}
		f.start(t)
		waitFor(t, 5*time.Second, "recovery", func() bool { return status() == 200 })
		// The same pull, once more, completes through the same xcsproxy.
		resp, err = pull()
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || containsErrorDetail(out) {
			t.Fatalf("pull after the daemon came back: %d %s", resp.StatusCode, out)
		}
		if _, err := docker.ImageInspect(ctx, ref); err != nil {
			t.Fatalf("the image is not there after the second pull: %v", err)
		}
	})
	t.Run("the first create after the daemon returns goes through", func(t *testing.T) {
		// Fill xcsproxy's pool of daemon connections, then restart the daemon
		// under it: every pooled connection is dead.
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); status() }()
		}
		wg.Wait()
		f.stop()
		f.start(t)
		id := createThroughProxy(t, p, fmt.Sprintf(`{"Image":%q,"Cmd":["echo"],"Labels":{%q:"fault"}}`, testImage, testLabel))
		if err := docker.ContainerRemove(ctxFor(t, time.Minute), id, containerRemoveForce()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("clients vanish mid-stream", func(t *testing.T) {
		for i := 0; i < 20; i++ {
			c, err := net.Dial("unix", p.Sock)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET /events HTTP/1.1\r\nHost: d\r\n\r\n")
			c.Read(make([]byte, 64))
			c.Close()
		}
	})
	t.Run("a thousand idle connections", func(t *testing.T) {
		var conns []net.Conn
		for i := 0; i < 1000; i++ {
			c, err := net.Dial("unix", p.Sock)
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		if got := status(); got != 200 {
			t.Fatalf("ping with 1000 idle connections open: %d", got)
		}
		for _, c := range conns {
			c.Close()
		}
	})
	hc.CloseIdleConnections()
	settles(t, "goroutines", baseG, 5, func() int { return goroutines(t, admin) })
	settles(t, "file descriptors", baseFD, 5, func() int { return openFDs(t, p.cmd.Process.Pid) })
	t.Logf("goroutines %d -> %d, fds %d -> %d", baseG, goroutines(t, admin), baseFD, openFDs(t, p.cmd.Process.Pid))
}

// endsWhenTheDaemonGoes reads a stream through xcsproxy, takes the daemon
// away, and fails unless the stream ends within 10 s.
func endsWhenTheDaemonGoes(t *testing.T, f *forwarder, stream io.Reader, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, stream); close(done) }()
	f.stop()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the %s stayed open after the daemon went away", what)
	}
}

func statusOf(t *testing.T, p *proxyProc) int {
	t.Helper()
	resp, err := p.HTTP().Get("http://docker/_ping")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestOneClientCannotHoldMoreThanItsConnections(t *testing.T) {
	p := startProxy(t, "--max-conns-per-client", "20")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// Hold 20 connections, each proven served: a connection this process
	// closed before (startProxy's readiness check) still counts until the
	// proxy sees it close, and its slot must not be taken for a 21st.
	for attempts := 0; len(conns) < 20; attempts++ {
		if attempts == 40 {
			t.Fatalf("only %d connections were served in 40 attempts", len(conns))
		}
		c, err := net.Dial("unix", p.Sock)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, _ := c.Read(make([]byte, 64)); n == 0 {
			c.Close()
			continue
		}
		conns = append(conns, c)
	}
	extra, err := net.Dial("unix", p.Sock)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	io.WriteString(extra, "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := extra.Read(make([]byte, 64)); err == nil {
		t.Fatalf("connection 21 was served (%d bytes); the limit is 20", n)
	}
	conns[0].Close()
	conns = conns[1:]
	waitFor(t, 5*time.Second, "a freed slot to be usable", func() bool {
		c, err := net.Dial("unix", p.Sock)
		if err != nil {
			return false
		}
		defer c.Close()
		io.WriteString(c, "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _ := c.Read(make([]byte, 64))
		return n > 0
	})
}
