package http1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// conn is one client connection and the request it is serving.
type conn struct {
	srv        *Server
	nc         net.Conn
	ctx        context.Context // ConnContext's: values, never cancelled
	remoteAddr string
	tls        *tls.ConnectionState

	cr connReader
	br *bufio.Reader
	bw *bufio.Writer
	// werr is the first failed write to the client; the connection is
	// done for after it.
	werr error
	// lastPOST tolerates the stray CRLF old clients send after a POST body.
	lastPOST bool

	// idle says the connection waits for a request, so Shutdown may
	// close it. An atomic rather than srv.mu: it changes twice a request.
	idle atomic.Bool

	// The watch for the client leaving, all under wmu (see watch.go).
	wmu      sync.Mutex
	wcond    sync.Cond
	req      *requestContext // the request being served; nil between requests
	wanted   bool            // something waits on req's context
	bodyDone bool            // req's body is read, so the connection may be
	watching bool            // a background read is in flight
	aborting bool            // endWatch is stopping that read
	hasByte  bool            // the background read took the next request's first byte
	byteBuf  [1]byte
	hijacked bool
}

// defaultMaxHeaderBytes is net/http's default too.
const defaultMaxHeaderBytes = 1 << 20

// maxDrain is how much of a body the handler left unread is read and
// dropped to keep the connection; net/http's server allows as much.
const maxDrain = 256 << 10

// newConn tracks an accepted connection; nil when the server is closing.
func (s *Server) newConn(nc net.Conn) *conn {
	c := &conn{srv: s, nc: nc, ctx: context.Background()}
	if a := nc.RemoteAddr(); a != nil {
		c.remoteAddr = a.String()
	}
	c.cr.c = c
	c.wcond.L = &c.wmu
	if s.ConnContext != nil {
		c.ctx = s.ConnContext(c.ctx, nc)
	}
	c.br = bufio.NewReaderSize(&c.cr, 4096)
	c.bw = bufio.NewWriterSize(connWriter{c}, 4096)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		// Accepted as the server closed: Close may have passed over the
		// connections already, so this one is not served.
		nc.Close()
		return nil
	}
	if s.conns == nil {
		s.conns = map[*conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	return c
}

// serve answers the connection's requests one after the other until the
// client or a reply closes it, or a handler hijacks it.
func (c *conn) serve() {
	defer func() {
		if v := recover(); v != nil && v != http.ErrAbortHandler {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.srv.logf("http1: panic serving %s: %v\n%s", c.remoteAddr, v, buf)
		}
		c.close()
	}()
	if tc, ok := c.nc.(*tls.Conn); ok && !c.handshake(tc) {
		return
	}
	for first := true; ; first = false {
		if !first && !c.awaitNext() {
			return
		}
		w := c.readRequest()
		if w == nil {
			return
		}
		c.srv.Handler.ServeHTTP(w, w.req)
		if c.isHijacked() {
			w.req.Context().(*requestContext).cancel()
			return
		}
		if !c.finish(w) {
			return
		}
	}
}

// close ends the connection unless a handler took it over.
func (c *conn) close() {
	s := c.srv
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	if c.isHijacked() {
		return
	}
	c.nc.Close()
	c.wmu.Lock()
	x := c.req
	c.wmu.Unlock()
	if x != nil {
		x.cancel() // a handler that panicked, or the connection broke
	}
	s.connState(c.nc, http.StateClosed)
}

func (c *conn) isHijacked() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.hijacked
}

// handshake runs the TLS handshake under the header timeout.
func (c *conn) handshake(tc *tls.Conn) bool {
	if d := c.srv.ReadHeaderTimeout; d > 0 {
		_ = tc.SetDeadline(time.Now().Add(d))
	}
	if err := tc.HandshakeContext(c.ctx); err != nil {
		var re tls.RecordHeaderError
		if errors.As(err, &re) && re.Conn != nil && looksLikeHTTP(re.RecordHeader[:]) {
			_, _ = io.WriteString(re.Conn, "HTTP/1.0 400 Bad Request\r\n\r\nThis listener speaks TLS (https://, or tcp:// with --tlsverify); the client sent plain HTTP.\n")
			re.Conn.Close()
			return false
		}
		c.srv.logf("http1: TLS handshake with %s failed: %v", c.remoteAddr, err)
		return false
	}
	_ = tc.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	c.tls = &st
	return true
}

func looksLikeHTTP(hdr []byte) bool {
	switch string(hdr) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "DELET", "PATCH":
		return true
	}
	return false
}

// awaitNext waits, for at most the idle timeout, for the next request on a
// kept-alive connection. While it waits, Shutdown may close it.
func (c *conn) awaitNext() bool {
	s := c.srv
	if !c.setIdle(true) {
		return false
	}
	d := s.IdleTimeout
	if d == 0 {
		d = s.ReadHeaderTimeout
	}
	if d > 0 {
		_ = c.nc.SetReadDeadline(time.Now().Add(d))
	}
	_, err := c.br.Peek(1)
	c.setIdle(false)
	return err == nil
}

// setIdle marks the connection idle or busy; it refuses to go idle once the
// server is shutting down. Shutdown sets closing before it looks for idle
// connections, so a connection going idle meanwhile either sees closing
// here or is seen idle there.
func (c *conn) setIdle(idle bool) bool {
	c.idle.Store(idle)
	if idle && c.srv.closing.Load() {
		c.idle.Store(false)
		return false
	}
	return true
}

// readRequest reads and checks the next request, answering (and ending the
// connection) when it is malformed.
func (c *conn) readRequest() *response {
	s := c.srv
	if d := s.ReadHeaderTimeout; d > 0 {
		_ = c.nc.SetReadDeadline(time.Now().Add(d))
	}
	limit := s.MaxHeaderBytes
	if limit <= 0 {
		limit = defaultMaxHeaderBytes
	}
	c.cr.setLimit(int64(limit) + 4096) // the slack bufio reads ahead
	if c.lastPOST {
		peek, _ := c.br.Peek(4)
		_, _ = c.br.Discard(leadingCRLF(peek))
	}
	req, err := http.ReadRequest(c.br)
	if err != nil {
		switch {
		case c.cr.hitLimit:
			c.reject(http.StatusRequestHeaderFieldsTooLarge, "the request's line and header are larger than the listener allows")
		case errors.Is(err, io.EOF), isTimeout(err), c.werr != nil, errors.Is(err, net.ErrClosed):
			// The client left, or was too slow: nobody to answer.
		default:
			c.reject(http.StatusBadRequest, "malformed request: "+err.Error())
		}
		return nil
	}
	c.cr.setLimit(-1)
	_ = c.nc.SetReadDeadline(time.Time{})
	c.lastPOST = req.Method == http.MethodPost
	if reason := checkRequest(req); reason != "" {
		status := http.StatusBadRequest
		if req.ProtoMajor != 1 {
			status = http.StatusHTTPVersionNotSupported
		}
		c.reject(status, reason)
		return nil
	}
	if !c.expectContinue(req) {
		return nil
	}

	x := &requestContext{Context: c.ctx, c: c}
	req = req.WithContext(x)
	req.RemoteAddr = c.remoteAddr
	req.TLS = c.tls
	bodyDone := req.Body == nil || req.Body == http.NoBody
	if !bodyDone {
		req.Body = &requestBody{c: c, rc: req.Body}
	}
	c.wmu.Lock()
	c.req, c.wanted, c.bodyDone = x, false, bodyDone
	c.wmu.Unlock()
	return &response{c: c, req: req, header: make(http.Header), contentLength: -1}
}

// checkRequest applies the checks net/http's server makes beyond parsing,
// and names what is wrong.
func checkRequest(req *http.Request) string {
	if req.ProtoMajor != 1 {
		return "unsupported protocol version " + req.Proto
	}
	// http.ReadRequest keeps the Host header only as req.Host (and refuses
	// two of them), so an empty Host reads as a missing one here.
	if req.ProtoAtLeast(1, 1) && req.Host == "" {
		return "missing required Host header"
	}
	if !httpguts.ValidHostHeader(req.Host) {
		return "malformed Host header"
	}
	for k, vs := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return "invalid header name"
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return "invalid header value"
			}
		}
	}
	return ""
}

// expectContinue answers "Expect: 100-continue" at once (RFC 9110 10.1.1
// allows either that or an immediate final answer; the handler decides
// only after reading the body, so the client must send it) and refuses
// any other expectation.
func (c *conn) expectContinue(req *http.Request) bool {
	vs, ok := req.Header["Expect"]
	if !ok {
		return true
	}
	if len(vs) != 1 || !strings.EqualFold(vs[0], "100-continue") || !req.ProtoAtLeast(1, 1) {
		c.reject(http.StatusExpectationFailed, "unsupported Expect header")
		return false
	}
	req.Header.Del("Expect")
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	_, _ = c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	return c.bw.Flush() == nil
}

// reject answers a request that never reaches the handler, and the
// connection ends after it.
func (c *conn) reject(status int, reason string) {
	ctype, body := "text/plain; charset=utf-8", []byte(http.StatusText(status)+": "+reason+"\n")
	if c.srv.Reject != nil {
		ctype, body = c.srv.Reject(status, reason)
	}
	w := &response{c: c, req: &http.Request{Method: http.MethodGet, ProtoMajor: 1, ProtoMinor: 1}, header: make(http.Header), contentLength: -1, closeAfter: true}
	w.header.Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = w.Write(body)
	w.finish()
}

// finish completes the answer after the handler returns and reports
// whether the connection may carry another request.
func (c *conn) finish(w *response) bool {
	w.finish()
	keep := !w.closeAfter && c.werr == nil
	if b, ok := w.req.Body.(*requestBody); ok {
		// A body the handler left unread must not be taken for the next
		// request.
		keep = b.reclaim(keep)
	}
	c.endWatch()
	w.req.Context().(*requestContext).cancel()
	return keep && !c.srv.closing.Load()
}

func leadingCRLF(b []byte) int {
	n := 0
	for _, ch := range b {
		if ch != '\r' && ch != '\n' {
			break
		}
		n++
	}
	return n
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// connReader is the connection as the request reader sees it: it hands
// over a byte the watch read first, and caps a request's header.
type connReader struct {
	c        *conn
	remain   int64 // bytes the header may still take; <0: no cap
	hitLimit bool
}

func (r *connReader) setLimit(n int64) { r.remain, r.hitLimit = n, false }

func (r *connReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c := r.c
	c.wmu.Lock()
	if c.hasByte {
		p[0] = c.byteBuf[0]
		c.hasByte = false
		c.wmu.Unlock()
		if r.remain > 0 {
			r.remain--
		}
		return 1, nil
	}
	c.wmu.Unlock()
	if r.remain == 0 {
		r.hitLimit = true
		return 0, io.EOF
	}
	if r.remain > 0 && int64(len(p)) > r.remain {
		p = p[:r.remain]
	}
	n, err := c.nc.Read(p)
	if r.remain > 0 {
		r.remain -= int64(n)
	}
	return n, err
}

// connWriter is the connection as the response writer sees it: the first
// failed write cancels the request, as the client has gone.
type connWriter struct{ c *conn }

func (w connWriter) Write(p []byte) (int, error) {
	n, err := w.c.nc.Write(p)
	if err != nil && w.c.werr == nil {
		w.c.werr = err
		w.c.wmu.Lock()
		x := w.c.req
		w.c.wmu.Unlock()
		if x != nil {
			x.cancel()
		}
	}
	return n, err
}
