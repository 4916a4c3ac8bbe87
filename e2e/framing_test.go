package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingUpstream is a Docker API socket that counts the requests that
// reach it from clients (not xcsproxy's own fact lookups) and passes them
// on to the real daemon.
type countingUpstream struct {
	sock      string
	forwarded atomic.Int64
	srv       *http.Server

	mu   sync.Mutex
	last seenRequest // the last client request that reached the daemon

	// factDelay holds xcsproxy's own lookups (the facts) this long.
	factDelay atomic.Int64
}

// seenRequest is a request as the daemon received it.
type seenRequest struct {
	Method, Path, Query string
	Body                []byte
}

func newCountingUpstream(t *testing.T) *countingUpstream {
	t.Helper()
	dir, err := os.MkdirTemp("", "xu")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	u := &countingUpstream{sock: filepath.Join(dir, "docker.sock")}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: "http", Host: "docker"})
			pr.Out.Host = "docker"
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", "/var/run/docker.sock")
		}},
		FlushInterval: -1,
	}
	u.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := time.Duration(u.factDelay.Load()); d > 0 && r.UserAgent() == "xcsproxy-facts" {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if r.UserAgent() != "xcsproxy-facts" {
			u.forwarded.Add(1)
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			u.mu.Lock()
			u.last = seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body}
			u.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})}
	l, err := net.Listen("unix", u.sock)
	if err != nil {
		t.Fatal(err)
	}
	go u.srv.Serve(l)
	t.Cleanup(func() { u.srv.Close() })
	return u
}

// allowedDecisions counts the allowed decisions that were forwarded; the
// rest (a target missing when judged) xcsproxy answered itself.
func allowedDecisions(t *testing.T, path string) int {
	t.Helper()
	n := 0
	for _, r := range readAudit(t, path) {
		if r.Type == "decision" && r.Result != nil && r.Result.Allow {
			n++
		}
		if r.Type == "outcome" && r.Outcome != nil && strings.HasPrefix(r.Outcome.Error, "not forwarded: ") {
			n--
		}
	}
	return n
}

// exchange writes raw bytes on a fresh connection and reads until the
// proxy closes it or goes quiet.
func exchange(t *testing.T, sock, raw string, pause time.Duration) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, raw)
	if pause > 0 {
		time.Sleep(pause)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	b, _ := io.ReadAll(bufio.NewReader(c))
	return string(b)
}

func TestHostileFramingNeverReachesTheDaemonUndecided(t *testing.T) {
	up := newCountingUpstream(t)
	p := startProxy(t, "--upstream", "unix://"+up.sock, "--header-timeout", "1s", "--max-header-bytes", "8192")
	big := strings.Repeat("a", 64<<10)
	cases := []struct {
		name, raw string
		status    string // expected in the answer ("" = anything, even nothing)
	}{
		{"Content-Length with Transfer-Encoding", "POST /containers/x/kill HTTP/1.1\r\nHost: d\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /containers/json HTTP/1.1\r\nHost: d\r\n\r\n", ""},
		{"two different Content-Lengths", "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}", "400"},
		{"bare LF line ends", "GET /_ping HTTP/1.1\nHost: d\n\n", ""},
		{"obs-fold header", "GET /_ping HTTP/1.1\r\nHost: d\r\nX-A: a\r\n b\r\n\r\n", ""},
		{"huge header", "GET /_ping HTTP/1.1\r\nHost: d\r\nX-Big: " + big + "\r\n\r\n", "431"},
		{"too many header fields", "GET /_ping HTTP/1.1\r\nHost: d\r\n" + strings.Repeat("X-A: 1\r\n", 101) + "\r\n", "431"},
		{"three pipelined requests", "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\nGET /version HTTP/1.1\r\nHost: d\r\n\r\nGET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n", "200"},
		{"a request hidden in a body", "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 58\r\n\r\nGET /containers/json HTTP/1.1\r\nHost: d\r\nX: 1234567890123\r\n\r\n", "400"},
		{"a request line with an absolute URL", "GET http://evil/containers/json HTTP/1.1\r\nHost: d\r\n\r\n", "400"},
		{"a chunked body with trailing garbage", "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nzz\r\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := exchange(t, p.Sock, c.raw, 0)
			if c.status != "" && !strings.Contains(got, "HTTP/1.1 "+c.status) {
				t.Fatalf("answer %q, want status %s", truncateStr(got, 300), c.status)
			}
			// Refusals, the listener's own included, come in Docker's shape.
			if c.status != "" && c.status != "200" && !strings.Contains(got, `{"message":"xcsproxy: `) {
				t.Fatalf("answer %q is not in Docker's error shape", truncateStr(got, 300))
			}
		})
	}
	t.Run("a request hidden in the body of a refused upload is never served", func(t *testing.T) {
		// The gate refuses an image load before reading its body; the
		// listener must drop that body, not read it as the next request.
		hidden := "GET /containers/json HTTP/1.1\r\nHost: d\r\n\r\n"
		got := exchange(t, p.Sock, "POST /images/load HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\nContent-Length: "+strconv.Itoa(len(hidden))+"\r\n\r\n"+hidden, 0)
		if !strings.HasPrefix(got, "HTTP/1.1 403 ") || strings.Count(got, "HTTP/1.1 ") != 1 {
			t.Fatalf("answer %q, want one 403 and nothing for the hidden request", truncateStr(got, 600))
		}
	})
	t.Run("a slow client is cut off", func(t *testing.T) {
		c, err := net.Dial("unix", p.Sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /containers/json HTTP/1.1\r\nHo")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		// Go's server answers 408 or just closes; either way the connection
		// must end long before the 5 s read deadline.
		_, err = io.ReadAll(c)
		if err != nil || time.Since(start) > 4*time.Second {
			t.Fatalf("the slow client was not cut off by --header-timeout 1s (%v after %s)", err, time.Since(start))
		}
	})
	t.Run("a client that leaves mid-body", func(t *testing.T) {
		c, err := net.Dial("unix", p.Sock)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"Image\":")
		c.Close()
		time.Sleep(200 * time.Millisecond)
	})
	p.stop(t)
	allowed := allowedDecisions(t, p.AuditLog)
	if got := up.forwarded.Load(); got != int64(allowed) {
		t.Fatalf("the daemon received %d requests; xcsproxy allowed %d", got, allowed)
	}
	t.Logf("daemon received %d requests, all %d allowed by a decision", up.forwarded.Load(), allowed)
}

func truncateStr(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// A client that gives up while its facts are looked up is nobody's fault:
// xcsproxy says so at info level, and pages nobody with an error.
func TestAClientLeavingDuringTheFactLookupIsNotAnError(t *testing.T) {
	up := newCountingUpstream(t)
	p := startProxy(t, "--upstream", "unix://"+up.sock)
	up.factDelay.Store(int64(2 * time.Second))
	before := up.forwarded.Load() // start-up's readiness checks
	c, err := net.Dial("unix", p.Sock)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /containers/xcs-gone/json HTTP/1.1\r\nHost: d\r\n\r\n")
	time.Sleep(200 * time.Millisecond)
	c.Close()
	p.waitLog(t, "the client went away during the fact lookup", 5*time.Second)
	if strings.Contains(p.Logs.String(), "fact lookup failed") {
		t.Fatalf("a client leaving was logged as a failed lookup:\n%s", p.Logs.String())
	}
	if got := up.forwarded.Load() - before; got != 0 {
		t.Fatalf("the daemon received %d requests for a client that had left", got)
	}
}
