package http1_test

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xcsproxy/xcsproxy/http1"
)

// pipeListener hands the server connections made in the test.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn, 1), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.UnixAddr{Name: "pipe", Net: "unix"} }

// FuzzServeConn sends arbitrary bytes down one connection. Whatever they
// are, the server must not panic or hang, everything it writes back must
// read as a sequence of whole HTTP answers, and every request the handler
// saw must have had its own answer.
func FuzzServeConn(f *testing.F) {
	for _, seed := range []string{
		"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n",
		"GET /odd HTTP/1.1\r\nHost: d\r\n\r\nHEAD /odd HTTP/1.1\r\nHost: d\r\n\r\nGET /odd HTTP/1.0\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: d\r\n\r\nHEAD /b HTTP/1.1\r\nHost: d\r\n\r\nGET /c HTTP/1.0\r\n\r\n",
		"POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n\r\n{}",
		"POST / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: d\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\nHost: d\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: d\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
		"POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 1\r\n\r\na\r\n\r\nGET / HTTP/1.1\r\nHost: d\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\nGET /after HTTP/1.1\r\nHost: d\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: d\r\n\r\n",
		"\x16\x03\x01\x00\xa5garbage",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var logged bytes.Buffer
		var logMu sync.Mutex
		var served atomic.Int64
		srv := &http1.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// As the proxy does: a body that stops coming ends the read.
				_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				n, _ := io.Copy(io.Discard, r.Body)
				served.Add(1)
				// An empty body, declared, so the answers read the same
				// whatever the method (a HEAD answer may leave out its length).
				// Odd-length paths take the header as bytes, as the proxy does.
				if len(r.URL.Path)%2 == 1 {
					http1.AdoptFields(w, []byte("X-Body-Bytes: "+strconv.FormatInt(n, 10)+"\r\n"), 0)
					return
				}
				w.Header().Set("X-Body-Bytes", strconv.FormatInt(n, 10))
				w.Header().Set("Content-Length", "0")
			}),
			ReadHeaderTimeout: 100 * time.Millisecond,
			IdleTimeout:       100 * time.Millisecond,
			MaxHeaderBytes:    1024,
			ErrorLog:          log.New(writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return logged.Write(p) }), "", 0),
		}
		l := newPipeListener()
		served0 := make(chan error, 1)
		go func() { served0 <- srv.Serve(l) }()
		client, server := socketPair(t)
		l.conns <- server
		go func() {
			_, _ = client.Write(raw)
			_ = client.CloseWrite() // the server reads to the end, then answers what it read
		}()
		_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
		out, err := io.ReadAll(client)
		client.Close()
		srv.Close()
		<-served0
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the server neither answered nor closed within 5 s (%d bytes so far)", len(out))
		}
		logMu.Lock()
		if bytes.Contains(logged.Bytes(), []byte("panic")) {
			t.Fatalf("the server panicked: %s", logged.String())
		}
		logMu.Unlock()

		br := bufio.NewReader(bytes.NewReader(out))
		answered := int64(0)
		for {
			if _, err := br.Peek(1); err == io.EOF {
				break
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("the server wrote something that is not an HTTP answer: %v\n%q", err, out)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatalf("an answer's body is cut: %v\n%q", err, out)
			}
			resp.Body.Close()
			if resp.Header.Get("X-Body-Bytes") != "" {
				answered++
			}
		}
		if got := served.Load(); got != answered {
			t.Fatalf("the handler saw %d requests and %d answers went out:\n%q", got, answered, out)
		}
	})
}

// socketPair is a connected pair of unix sockets: unlike net.Pipe, the
// client can close its sending side and still read the answers.
func socketPair(t *testing.T) (client *net.UnixConn, server net.Conn) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return conn(fds[0]).(*net.UnixConn), conn(fds[1])
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
