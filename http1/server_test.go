package http1_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xcsproxy/xcsproxy/http1"
)

// serve runs an http1.Server with h on a fresh unix socket.
func serve(t *testing.T, h http.Handler) (sock string, srv *http1.Server) {
	t.Helper()
	sock = filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv = &http1.Server{Handler: h, ReadHeaderTimeout: 2 * time.Second, MaxHeaderBytes: 4096}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return sock, srv
}

func client(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
}

// rawExchange writes raw on a new connection and reads until the server
// closes it, or goes quiet for a moment once it has answered (the first
// byte may take up to 5 s on a loaded machine).
func rawExchange(t *testing.T, sock, raw string) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 64<<10)
	wait := 5 * time.Second
	for {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return string(got)
		}
		wait = 300 * time.Millisecond
	}
}

func TestAnswersAreFramedAsHTTP11Requires(t *testing.T) {
	big := strings.Repeat("x", 10000)
	sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			io.WriteString(w, "hello")
		case "/big":
			io.WriteString(w, big)
		case "/declared":
			w.Header().Set("Content-Length", "3")
			io.WriteString(w, "abc")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/short":
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "abc")
		}
	}))
	cases := []struct {
		name, raw string
		want      []string // substrings of the answer, in order
		notWant   string
	}{
		{"a short answer gets a Content-Length", "GET /small HTTP/1.1\r\nHost: h\r\n\r\n", []string{"HTTP/1.1 200 OK\r\n", "Content-Length: 5\r\n", "hello"}, "chunked"},
		{"a long answer without a length is chunked", "GET /big HTTP/1.1\r\nHost: h\r\n\r\n", []string{"Transfer-Encoding: chunked\r\n", "\r\n0\r\n\r\n"}, "Content-Length"},
		{"a declared length is kept", "GET /declared HTTP/1.1\r\nHost: h\r\n\r\n", []string{"Content-Length: 3\r\n", "abc"}, "chunked"},
		{"HEAD gets the header and no body", "HEAD /declared HTTP/1.1\r\nHost: h\r\n\r\n", []string{"Content-Length: 3\r\n"}, "abc"},
		{"204 has no body and no framing", "GET /empty HTTP/1.1\r\nHost: h\r\n\r\n", []string{"HTTP/1.1 204 No Content\r\n"}, "chunked"},
		{"an answer shorter than declared ends the connection", "GET /short HTTP/1.1\r\nHost: h\r\n\r\nGET /small HTTP/1.1\r\nHost: h\r\n\r\n", []string{"Content-Length: 10\r\n", "abc"}, "hello"},
		{"pipelined requests are answered in order", "GET /declared HTTP/1.1\r\nHost: h\r\n\r\nGET /small HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", []string{"abc", "Connection: close\r\n", "hello"}, ""},
		{"an HTTP/1.0 client reads to the connection's end", "GET /big HTTP/1.0\r\n\r\n", []string{"HTTP/1.0 200 OK\r\n", "Connection: close\r\n", big}, "chunked"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := rawExchange(t, sock, c.raw)
			rest := got
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("answer lacks %q (in order):\n%.400s", w, got)
				}
				rest = rest[i+len(w):]
			}
			if c.notWant != "" && strings.Contains(got, c.notWant) {
				t.Fatalf("answer has %q:\n%.400s", c.notWant, got)
			}
		})
	}
}

func TestMalformedRequestsAreRefusedBeforeTheHandler(t *testing.T) {
	var reached atomic.Int64
	sock, srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	srv.Reject = func(status int, reason string) (string, []byte) {
		return "application/json", []byte(fmt.Sprintf(`{"message":"test: %s"}`, reason))
	}
	cases := []struct{ name, raw, status, reason string }{
		{"a request without Host", "GET / HTTP/1.1\r\n\r\n", "400", "missing required Host header"},
		{"a malformed Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "400", "malformed Host header"},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400", "malformed request"},
		{"two different Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "400", "malformed request"},
		{"a header line without a colon", "GET / HTTP/1.1\r\nHost: a\r\nbogus\r\n\r\n", "400", "malformed request"},
		{"HTTP/2 in the request line", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", "505", "unsupported protocol version"},
		{"a header larger than allowed", "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", 16<<10) + "\r\n\r\n", "431", "larger than the listener allows"},
		{"an expectation other than 100-continue", "POST / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 1\r\n\r\na", "417", "unsupported Expect header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := rawExchange(t, sock, c.raw)
			if !strings.HasPrefix(got, "HTTP/1.1 "+c.status+" ") || !strings.Contains(got, `{"message":"test: `) || !strings.Contains(got, c.reason) || !strings.Contains(got, "Connection: close") {
				t.Fatalf("answer %.300q, want %s with %q in the Reject shape, closing", got, c.status, c.reason)
			}
		})
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the handler saw %d malformed requests", n)
	}
}

func TestAStreamReachesTheClientAsItIsFlushed(t *testing.T) {
	next := make(chan struct{})
	sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "event %d\n", i)
			w.(http.Flusher).Flush()
			<-next
		}
	}))
	resp, err := client(sock).Get("http://h/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := 0; i < 3; i++ {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("event %d\n", i) {
			t.Fatalf("line %d: %q, %v", i, line, err)
		}
		next <- struct{}{} // the handler writes the next one only now
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after the stream: %q, %v", rest, err)
	}
}

func TestTheRequestContextEndsWhenTheClientLeaves(t *testing.T) {
	ended := make(chan error, 1)
	started := make(chan struct{})
	sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		close(started)
		select {
		case <-r.Context().Done():
			ended <- r.Context().Err()
		case <-time.After(5 * time.Second):
			ended <- errors.New("the context outlived its client")
		}
	}))
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
	<-started
	c.Close()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("context ended with %v, want Canceled", err)
	}
}

func TestAPipelinedRequestDoesNotCancelTheOneBeingServed(t *testing.T) {
	sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wait" {
			select {
			case <-r.Context().Done():
				io.WriteString(w, "cancelled")
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		io.WriteString(w, "served "+r.URL.Path+";")
	}))
	got := rawExchange(t, sock, "GET /wait HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if !strings.Contains(got, "served /wait;") || !strings.Contains(got, "served /next;") {
		t.Fatalf("answer %q, want both requests served", got)
	}
}

func TestABodyTheHandlerLeftIsNeverTakenForTheNextRequest(t *testing.T) {
	sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok "+r.URL.Path+";") // never reads the body
	}))
	hidden := "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"
	t.Run("a small unread body is dropped and the connection kept", func(t *testing.T) {
		got := rawExchange(t, sock, fmt.Sprintf("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%sGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", len(hidden), hidden))
		if !strings.Contains(got, "ok /a;") || !strings.Contains(got, "ok /b;") || strings.Contains(got, "smuggled") {
			t.Fatalf("answer %q", got)
		}
	})
	t.Run("a large unread body ends the connection", func(t *testing.T) {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", 1<<20)
		go func() { c.Write([]byte(strings.Repeat(hidden, (1<<20)/len(hidden)))) }()
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		got, _ := io.ReadAll(c)
		if !strings.Contains(string(got), "ok /a;") || !strings.Contains(string(got), "Connection: close") || strings.Contains(string(got), "smuggled") {
			t.Fatalf("answer %q", got)
		}
	})
}

func TestExpectContinueIsAnsweredBeforeTheBody(t *testing.T) {
	sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("first line %q, %v; want 100 Continue before the body is sent", line, err)
	}
	io.WriteString(c, "body")
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "HTTP/1.1 200 OK") || !strings.HasSuffix(string(rest), "body") {
		t.Fatalf("final answer %q", rest)
	}
}

func TestAHijackedConnectionKeepsWhatTheClientAlreadySent(t *testing.T) {
	sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer nc.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\n\r\n")
		rw.Flush()
		line, _ := rw.ReadString('\n')
		rw.WriteString("echo " + line)
		rw.Flush()
	}))
	// The tunnel's first bytes arrive with the request itself.
	got := rawExchange(t, sock, "POST /attach HTTP/1.1\r\nHost: h\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\nfirst line\n")
	if !strings.HasPrefix(got, "HTTP/1.1 101 ") || !strings.HasSuffix(got, "echo first line\n") {
		t.Fatalf("answer %q", got)
	}
}

func TestAPanicEndsOnlyItsOwnConnection(t *testing.T) {
	sock, srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/abort" {
			io.WriteString(w, strings.Repeat("partial", 1000))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		io.WriteString(w, "fine")
	}))
	srv.ErrorLog = nil
	resp, err := client(sock).Get("http://h/abort")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("an aborted answer read as whole")
	}
	resp, err = client(sock).Get("http://h/ok")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "fine" {
		t.Fatalf("next connection got %q", b)
	}
}

func TestShutdownClosesIdleConnectionsAndWaitsForBusyOnes(t *testing.T) {
	release := make(chan struct{})
	inHandler := make(chan struct{})
	sock, srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(inHandler)
			<-release
		}
		io.WriteString(w, "done")
	}))
	idle, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /quick HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReader(idle)
	if resp, err := http.ReadResponse(br, nil); err != nil {
		t.Fatal(err)
	} else {
		io.ReadAll(resp.Body)
	}
	busy, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	<-inHandler

	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	_ = idle.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := br.Read(make([]byte, 1)); err == nil {
		t.Fatalf("the idle connection is still open (%d bytes)", n)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a request was being served", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	_ = busy.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, _ := io.ReadAll(busy)
	if !strings.Contains(string(got), "Connection: close") || !strings.HasSuffix(string(got), "done") {
		t.Fatalf("the busy request's answer %q, want it whole and closing", got)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestABodyCannotBeReadAfterTheHandlerReturns(t *testing.T) {
	leftover := make(chan io.Reader, 1)
	sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leftover <- r.Body
	}))
	rawExchange(t, sock, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
	if _, err := (<-leftover).Read(make([]byte, 3)); !errors.Is(err, http.ErrBodyReadAfterClose) {
		t.Fatalf("read after the handler returned: %v, want ErrBodyReadAfterClose", err)
	}
}

func TestAnAdoptedHeaderIsTheOneSent(t *testing.T) {
	adopted := make(chan bool, 2)
	sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields := []byte("X-From-Elsewhere: yes\r\n")
		adopted <- http1.AdoptFields(struct{ http.ResponseWriter }{w}, fields, 2) // not unwrappable: refused
		adopted <- http1.AdoptFields(unwrapper{w}, fields, 2)
		io.WriteString(w, "ok")
	}))
	got := rawExchange(t, sock, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if <-adopted || !<-adopted {
		t.Fatal("AdoptFields took a writer it cannot reach, or refused one it can")
	}
	if !strings.Contains(got, "X-From-Elsewhere: yes\r\n") || !strings.HasSuffix(got, "\r\n\r\nok") {
		t.Fatalf("answer %q", got)
	}
}

// unwrapper wraps a ResponseWriter as middleware does, with Unwrap.
type unwrapper struct{ http.ResponseWriter }

func (u unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

func TestAdoptedFieldsGoOutAsTheyCameFramedOnce(t *testing.T) {
	cases := []struct {
		name, method string
		length       int64
		handle       func(w http.ResponseWriter)
		want         []string // in the answer
		lengths      int      // Content-Length fields in it
	}{
		{"with a declared length", "GET", 2, func(w http.ResponseWriter) { io.WriteString(w, "ok") },
			[]string{"X-From-Elsewhere: yes\r\n", "Content-Length: 2\r\n", "\r\n\r\nok"}, 1},
		{"without a length, a short body is measured", "GET", -1, func(w http.ResponseWriter) { io.WriteString(w, "short") },
			[]string{"X-From-Elsewhere: yes\r\n", "Content-Length: 5\r\n", "\r\n\r\nshort"}, 1},
		{"without a length, a flushed body is chunked", "GET", -1, func(w http.ResponseWriter) {
			io.WriteString(w, "part")
			w.(http.Flusher).Flush()
		}, []string{"X-From-Elsewhere: yes\r\n", "Transfer-Encoding: chunked\r\n", "4\r\npart\r\n0\r\n\r\n"}, 0},
		{"to a HEAD, with the length a GET would get", "HEAD", 42, func(w http.ResponseWriter) {},
			[]string{"X-From-Elsewhere: yes\r\n", "Content-Length: 42\r\n"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sock, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !http1.AdoptFields(unwrapper{w}, []byte("X-From-Elsewhere: yes\r\nDate: Sun, 29 Nov 2026 03:00:00 GMT\r\n"), c.length) {
					t.Error("AdoptFields refused a writer it can reach")
				}
				w.WriteHeader(http.StatusOK)
				c.handle(w)
			}))
			got := rawExchange(t, sock, c.method+" / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Fatalf("answer %q lacks %q", got, w)
				}
			}
			if n := strings.Count(got, "Content-Length:"); n != c.lengths || strings.Count(got, "Date:") != 1 {
				t.Fatalf("answer %q has %d Content-Length fields (want %d) and its own Date once", got, n, c.lengths)
			}
		})
	}
}
