package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xcsproxy/xcsproxy/http1"
)

// pingAnswer is dockerd's answer to /_ping, as it comes off the socket.
const pingAnswer = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nCache-Control: no-cache, no-store, must-revalidate\r\n" +
	"Content-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\nDocker-Experimental: false\r\n" +
	"Date: Sun, 29 Nov 2026 03:00:00 GMT\r\nOstype: linux\r\nPragma: no-cache\r\nServer: Docker/20.10.24 (linux)\r\n\r\nOK"

func TestTheDaemonsAnswerIsReadAsHTTPFramesIt(t *testing.T) {
	cases := []struct {
		name, method, raw string
		status            int
		fields            string // the fields passed on, in order
		length            int64
		body              string
		close             bool
		rest              string // what is left on the connection after the body
	}{
		{"an answer of a declared length", "GET", pingAnswer + "HTTP/1.1 204",
			200, "Api-Version: 1.41\r\nCache-Control: no-cache, no-store, must-revalidate\r\nContent-Type: text/plain; charset=utf-8\r\nDocker-Experimental: false\r\nDate: Sun, 29 Nov 2026 03:00:00 GMT\r\nOstype: linux\r\nPragma: no-cache\r\nServer: Docker/20.10.24 (linux)\r\n",
			2, "OK", false, "HTTP/1.1 204"},
		{"a chunked stream, with its trailer read off the connection", "GET",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\nNEXT",
			200, "Content-Type: application/vnd.docker.multiplexed-stream\r\n", -1, "abcde", false, "NEXT"},
		{"a chunked answer overrides a Content-Length", "GET",
			"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
			200, "", -1, "x", false, ""},
		{"an answer without a body", "POST", "HTTP/1.1 204 No Content\r\nDate: d\r\n\r\nNEXT",
			204, "Date: d\r\n", -1, "", false, "NEXT"},
		{"an answer to a HEAD keeps its declared length and has no body", "HEAD",
			"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\nNEXT", 200, "", 42, "", false, "NEXT"},
		{"interim answers are passed over", "POST",
			"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}", 201, "", 2, "{}", false, ""},
		{"an answer without framing runs to the connection's end", "GET",
			"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nraw bytes", 200,
			"Content-Type: application/vnd.docker.raw-stream\r\n", -1, "raw bytes", true, ""},
		{"hop-by-hop fields and those Connection names are left out", "GET",
			"HTTP/1.1 200 OK\r\nX-Secret-Hop: 1\r\nKeep-Alive: timeout=5\r\nConnection: x-secret-hop, close\r\nUpgrade: h2\r\nX-Kept: yes\r\nContent-Length: 0\r\n\r\n",
			200, "X-Kept: yes\r\n", 0, "", true, ""},
		{"an HTTP/1.0 daemon's connection is not reused", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
			200, "", 1, "x", true, ""},
		{"bare line feeds end lines too", "GET", "HTTP/1.1 200 OK\nA: b\n\n", 200, "A: b\r\n", -1, "", true, ""},
		{"blanks around a value are dropped", "GET", "HTTP/1.1 200 OK\r\nA:  b c \t\r\nContent-Length: 0\r\n\r\n", 200, "A: b c\r\n", 0, "", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(c.raw))
			a, err := readAnswer(br, c.method)
			if err != nil {
				t.Fatal(err)
			}
			if a.status != c.status || string(a.fields) != c.fields || a.contentLength != c.length || a.close != c.close {
				t.Fatalf("got status %d, fields %q, length %d, close %v", a.status, a.fields, a.contentLength, a.close)
			}
			var body []byte
			if a.body != nil {
				if body, err = io.ReadAll(a.body); err != nil {
					t.Fatalf("body: %v", err)
				}
			}
			rest, _ := io.ReadAll(br)
			if string(body) != c.body || string(rest) != c.rest {
				t.Fatalf("body %q and then %q on the connection; want %q and %q", body, rest, c.body, c.rest)
			}
		})
	}
}

func TestAMalformedAnswerFromTheDaemonIsAnError(t *testing.T) {
	cases := []struct{ name, raw, want string }{
		{"a status line that is not HTTP/1", "HTTP/2 200 OK\r\n\r\n", "malformed status line"},
		{"a status code that is not three digits", "HTTP/1.1 20 OK\r\n\r\n", "malformed status line"},
		{"a header line without a colon", "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n", "malformed header line"},
		{"a space in a header name", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "malformed header name"},
		{"a folded header line", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", "malformed header"},
		{"a control character in a value", "HTTP/1.1 200 OK\r\nA: b\x00c\r\n\r\n", "control character"},
		{"a Content-Length that is not a number", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "bad Content-Length"},
		{"Content-Lengths that disagree", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "conflicting Content-Length"},
		{"a transfer coding other than chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"},
		{"a protocol switch", "HTTP/1.1 101 Switching Protocols\r\n\r\n", "switched protocols"},
		{"a header cut off", "HTTP/1.1 200 OK\r\nA: b", "unexpected EOF"},
		{"a header larger than the limit", "HTTP/1.1 200 OK\r\n" + strings.Repeat("A: "+strings.Repeat("b", 1000)+"\r\n", 1100) + "\r\n", "larger than 1 MiB"},
		{"a header line longer than the reader's buffer", "HTTP/1.1 200 OK\r\nA: " + strings.Repeat("b", upstreamBufferSize) + "\r\n\r\n", "longer than the 32768 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readAnswer(bufio.NewReaderSize(strings.NewReader(c.raw), upstreamBufferSize), "GET")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error saying %q", err, c.want)
			}
		})
	}
}

func TestABodyCutShortIsAnError(t *testing.T) {
	cases := []struct{ name, raw string }{
		{"shorter than its declared length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"},
		{"a chunked body without its last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"},
		{"a chunked body without the end of its trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := readAnswer(bufio.NewReader(strings.NewReader(c.raw)), "GET")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadAll(a.body); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("reading the body: %v, want an unexpected EOF", err)
			}
		})
	}
}

// Fields taken as bytes go out as they came, framed by the server.
func TestAnAnswersFieldsReachTheClientAsTheyCame(t *testing.T) {
	a, err := readAnswer(bufio.NewReader(strings.NewReader(pingAnswer)), "GET")
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, resp *http.Response, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		want, _ := http.ReadResponse(bufio.NewReader(strings.NewReader(pingAnswer)), nil)
		if string(body) != "OK" || resp.ContentLength != 2 || !reflect.DeepEqual(resp.Header, want.Header) {
			t.Fatalf("got %q, length %d, header %v; want the daemon's %v", body, resp.ContentLength, resp.Header, want.Header)
		}
	}
	t.Run("through the listener", func(t *testing.T) {
		sock, stop := serveHTTP1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !http1.AdoptFields(w, a.fields, a.contentLength) {
				t.Error("the listener did not take the fields")
			}
			w.WriteHeader(a.status)
			io.WriteString(w, "OK")
		}))
		defer stop()
		resp, err := unixGet(sock, "/_ping")
		check(t, resp, err)
	})
	t.Run("through any other writer", func(t *testing.T) {
		rec := httptest.NewRecorder()
		a.setHeader(rec.Header())
		rec.WriteHeader(a.status)
		io.WriteString(rec, "OK")
		check(t, rec.Result(), nil)
	})
}

// FuzzReadAnswer holds readAnswer to net/http's reading: whatever it
// accepts, net/http accepts too, with the same status, the same end-to-end
// fields, the same body, and the connection left at the same byte.
func FuzzReadAnswer(f *testing.F) {
	f.Add([]byte(pingAnswer+"HTTP/1.1 204 No Content\r\n\r\n"), false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\nrest"), false)
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"), false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\n\r\n"), true)
	f.Add([]byte("HTTP/1.0 304 Not Modified\r\nContent-Length: 3\r\n\r\nabc"), false)
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		mine := bufio.NewReaderSize(bytes.NewReader(data), upstreamBufferSize)
		a, err := readAnswer(mine, method)
		if err != nil {
			return // refusing more than net/http is allowed
		}
		theirs := bufio.NewReaderSize(bytes.NewReader(data), upstreamBufferSize)
		var resp *http.Response
		for {
			resp, err = http.ReadResponse(theirs, &http.Request{Method: method})
			if err != nil {
				t.Fatalf("accepted what net/http refuses (%v)", err)
			}
			if resp.StatusCode >= 200 {
				break
			}
		}
		if a.status != resp.StatusCode {
			t.Fatalf("status %d, net/http %d", a.status, resp.StatusCode)
		}
		got := http.Header{}
		a.setHeader(got)
		got.Del("Content-Length")
		want := resp.Header.Clone()
		for k := range connectionTokens(want) {
			want.Del(k)
		}
		for k := range want {
			if hopByHop(k) || k == "Content-Length" {
				want.Del(k)
			}
		}
		if _, ok := got["Cache-Control"]; !ok && len(want["Pragma"]) > 0 && want["Pragma"][0] == "no-cache" {
			// net/http adds this beside a Pragma: no-cache; the daemon's
			// own header is what passes here.
			want.Del("Cache-Control")
		}
		if !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("fields %v, net/http %v", got, want)
		}
		if resp.Close && !a.close {
			t.Fatal("net/http would not reuse the connection; readAnswer would")
		}
		var mineBody []byte
		var mineErr error
		if a.body != nil {
			mineBody, mineErr = io.ReadAll(a.body)
		}
		theirBody, theirErr := io.ReadAll(resp.Body)
		if (mineErr == nil) != (theirErr == nil) || !bytes.Equal(mineBody, theirBody) {
			t.Fatalf("body %q (%v), net/http %q (%v)", mineBody, mineErr, theirBody, theirErr)
		}
		if mineErr != nil || a.close {
			return
		}
		restMine, _ := io.ReadAll(mine)
		restTheirs, _ := io.ReadAll(theirs)
		if !bytes.Equal(restMine, restTheirs) {
			t.Fatalf("left %q on the connection, net/http %q", restMine, restTheirs)
		}
	})
}

// serveHTTP1 runs h behind an http1 listener on a fresh unix socket.
func serveHTTP1(t *testing.T, h http.Handler) (sock string, stop func()) {
	t.Helper()
	sock = filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http1.Server{Handler: h, ReadHeaderTimeout: 2 * time.Second}
	go srv.Serve(l)
	return sock, func() { srv.Close() }
}

func unixGet(sock, path string) (*http.Response, error) {
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	return hc.Get("http://docker" + path)
}
