package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// whoamiPolicy denies everything with a reason that echoes the client
// identity xcsproxy established, so the test can compare it with its own.
const whoamiPolicy = `package xcsproxy

decision := {"allow": false, "reasons": [sprintf("transport=%s uid=%d gid=%d pid=%d", [input.client.transport, input.client.uid, input.client.gid, input.client.pid])]}
`

func TestUnixClientIdentityComesFromTheKernel(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/whoami.rego", whoamiPolicy)
	p := startProxyExpectingDenies(t, "--policies", dir)
	resp, err := p.HTTP().Get("http://docker/containers/json")
	if err != nil {
		t.Fatal(err)
	}
	var msg struct{ Message string }
	json.NewDecoder(resp.Body).Decode(&msg)
	resp.Body.Close()
	want := fmt.Sprintf("transport=unix uid=%d gid=%d pid=%d", os.Getuid(), os.Getgid(), os.Getpid())
	if resp.StatusCode != http.StatusForbidden || !strings.HasSuffix(msg.Message, want) {
		t.Fatalf("status %d, message %q; want 403 ending %q", resp.StatusCode, msg.Message, want)
	}
}

// startProxyExpectingDenies starts xcsproxy with a policy that may deny
// /_ping, waiting for the socket instead of a successful ping.
func startProxyExpectingDenies(t *testing.T, extra ...string) *proxyProc {
	t.Helper()
	p := startProxyNoWait(t, extra...)
	waitFor(t, 15*time.Second, "the xcsproxy socket", func() bool {
		c, err := net.Dial("unix", p.Sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return p
}

func TestPipelinedRequestsAreAnsweredInOrderOnOneConnection(t *testing.T) {
	p := startProxy(t)
	c, err := net.Dial("unix", p.Sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Three requests in one write: allowed, denied, allowed.
	_, err = io.WriteString(c, "GET /_ping HTTP/1.1\r\nHost: docker.socket\r\n\r\n"+
		"POST /containers/x/exec HTTP/1.1\r\nHost: docker.socket\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"Cmd\":[\"id\"]}"+
		"GET /version HTTP/1.1\r\nHost: docker.socket\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for i, want := range []int{200, 403, 200} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("response %d: status %d, want %d", i, resp.StatusCode, want)
		}
	}
}

func TestUpgradeHeaderAloneOpensNoTunnel(t *testing.T) {
	p := startProxy(t)
	c, err := net.Dial("unix", p.Sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	// Attach to a container that does not exist: the daemon answers 404, not
	// 101, so the connection must stay HTTP and serve the next request.
	io.WriteString(c, "POST /containers/xcsproxy-nope/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("attach to a missing container: %d, want the daemon's 404", resp.StatusCode)
	}
	io.WriteString(c, "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		// The proxy may close after a refused upgrade; then nothing was
		// tunnelled either, which is what matters. A raw byte stream would
		// not parse as HTTP.
		if err == io.EOF || strings.Contains(err.Error(), "EOF") {
			return
		}
		t.Fatalf("after a refused upgrade the connection is not HTTP: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ping after a refused upgrade: %d", resp.StatusCode)
	}
}

func TestShutdownIsBoundedWithAnOpenEventStream(t *testing.T) {
	p := startProxy(t, "--shutdown-timeout", "1s")
	resp, err := p.HTTP().Get("http://docker/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); done <- err }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the event stream was still open 10s after SIGTERM with --shutdown-timeout 1s")
	}
	t.Logf("stream closed %s after SIGTERM", time.Since(start))
}

func TestAdminHealthAndReadiness(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startProxy(t, "--admin-listen", addr)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}
