package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xcsproxy/xcsproxy/http1"
)

// A request whose body xcsproxy already holds (none, or the canonical JSON)
// goes to a unix-socket daemon through a Forwarder: the request is written
// from its canonical parts straight onto a kept-alive connection, and the
// answer is read (readAnswer: its header kept as bytes) and streamed back. It
// does what httputil.ReverseProxy over http.Transport did on this path
// without cloning the request and its headers and without the Transport's
// two goroutines per connection, which were a fifth of xcsproxy's CPU per
// request. Uploads streamed from the client (image load and import) and TLS
// daemons keep the Transport, which writes and reads concurrently and
// notices a TLS daemon closing idle connections.
type Forwarder struct {
	up      *Upstream
	maxIdle int

	mu   sync.Mutex
	idle []*upstreamConn // most recently used last
}

// idleTimeout drops a pooled connection no request has used for this long.
const idleTimeout = 90 * time.Second

// upstreamBufferSize sizes each connection's reader: a large container log
// arrives in many small chunks, and one read then takes many of them.
const upstreamBufferSize = 32 << 10

type upstreamConn struct {
	net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	reused   bool
	lastUsed time.Time
}

// NewForwarder pools as many idle connections to a unix-socket daemon as
// the upstream allows its Transport; nil for any other upstream.
func NewForwarder(up *Upstream) *Forwarder {
	if up == nil || up.network != "unix" {
		return nil
	}
	return &Forwarder{up: up, maxIdle: up.Transport.MaxIdleConnsPerHost}
}

func (f *Forwarder) get(r *http.Request, fresh bool) (*upstreamConn, error) {
	if fresh {
		return f.dial(r)
	}
	f.mu.Lock()
	for len(f.idle) > 0 {
		c := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		if time.Since(c.lastUsed) < idleTimeout {
			f.mu.Unlock()
			c.reused = true
			return c, nil
		}
		c.Close()
	}
	f.mu.Unlock()
	return f.dial(r)
}

func (f *Forwarder) dial(r *http.Request) (*upstreamConn, error) {
	nc, err := f.up.Dial(r.Context())
	if err != nil {
		return nil, err
	}
	return &upstreamConn{Conn: nc, br: bufio.NewReaderSize(nc, upstreamBufferSize), bw: bufio.NewWriterSize(nc, 4096)}, nil
}

func (f *Forwarder) put(c *upstreamConn) {
	c.lastUsed = time.Now()
	f.mu.Lock()
	if len(f.idle) < f.maxIdle {
		f.idle = append(f.idle, c)
		c = nil
	}
	f.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// Close closes the idle connections.
func (f *Forwarder) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.idle {
		c.Close()
	}
	f.idle = nil
}

// errAbort means the answer broke off after its header was sent; the
// client's connection must be cut so it cannot mistake the rest for a
// whole answer.
var errAbort = errors.New("the daemon's answer broke off")

// forward sends ex to the daemon and streams the answer to w. finite bounds
// the whole exchange (0: a stream, unbounded). An error before anything was
// written to w has been answered already; errAbort says w is half written.
func (f *Forwarder) forward(w http.ResponseWriter, r *http.Request, ex *Exchange, finite time.Duration, onError func(http.ResponseWriter, *http.Request, error)) error {
	c, a, stop, err := f.roundTrip(r, ex, finite)
	if err != nil {
		onError(w, r, err)
		return err
	}
	err = copyResponse(w, a, ex)
	if stop() && err == nil && !a.close {
		_ = c.SetDeadline(time.Time{})
		f.put(c)
	} else {
		c.Close()
	}
	return err
}

// roundTrip writes the request and reads the answer's header. A pooled
// connection the daemon closed in the meantime (it restarted) fails on the
// write, before the daemon saw anything (a unix socket whose peer is gone
// refuses writes); the request is then sent once more on a new connection. A failure while reading is retried only for reads
// (GET, HEAD), which cannot have changed anything. Until stop is called,
// the client going away closes the connection: the daemon would otherwise
// answer (or stream) into a connection nobody reads.
func (f *Forwarder) roundTrip(r *http.Request, ex *Exchange, finite time.Duration) (c *upstreamConn, a *answer, stop func() bool, err error) {
	for attempt := 0; ; attempt++ {
		if c, err = f.get(r, attempt > 0); err != nil {
			return nil, nil, nil, err
		}
		if finite > 0 {
			_ = c.SetDeadline(time.Now().Add(finite))
		}
		stop = closeOnCancel(r, c, finite)
		wrote := writeRequest(c.bw, r, ex)
		err = wrote
		if err == nil {
			a, err = readAnswer(c.br, r.Method)
		}
		if err == nil {
			return c, a, stop, nil
		}
		cancelled := !stop()
		c.Close()
		if cancelled || r.Context().Err() != nil {
			return nil, nil, nil, fmt.Errorf("%w (%v)", r.Context().Err(), err)
		}
		if isTimeout(err) {
			return nil, nil, nil, errTimeout
		}
		retry := c.reused && attempt == 0 && (wrote != nil || r.Method == http.MethodGet || r.Method == http.MethodHead)
		if !retry {
			return nil, nil, nil, err
		}
		// The daemon closed a pooled connection: it restarted, and every
		// other pooled connection is as dead. The retry dials afresh.
		f.Close()
	}
}

// closeOnCancel closes c if the client's request is cancelled, so a
// stream the client left stops at once; stop reports whether that had not
// happened. A finite request is bounded by its deadline instead: it ends on
// its own, and watching its context cost an allocation per request.
func closeOnCancel(r *http.Request, c *upstreamConn, finite time.Duration) (stop func() bool) {
	if finite > 0 {
		return notCancelled
	}
	return context.AfterFunc(r.Context(), func() { c.Close() })
}

func notCancelled() bool { return true }

// errTimeout is a finite request the daemon did not answer in time.
var errTimeout = errors.New("the daemon did not answer in time")

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// writeRequest writes the canonical request: the judged path and query,
// the client's end-to-end headers, and the canonical body with its exact
// length. It never forwards the client's own framing.
func writeRequest(bw *bufio.Writer, r *http.Request, ex *Exchange) error {
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(ex.Target.UpstreamPath())
	if q := ex.Target.Query.Encode(); q != "" {
		bw.WriteByte('?')
		bw.WriteString(q)
	}
	bw.WriteString(" HTTP/1.1\r\nHost: docker\r\n")
	dropped := connectionTokens(r.Header)
	for k, vs := range r.Header {
		if hopByHop(k) || requestFraming[k] || (dropped != nil && dropped[k]) {
			continue
		}
		for _, v := range vs {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	body := ex.Body.Canonical
	if body != nil {
		bw.WriteString("Content-Type: application/json\r\nContent-Length: ")
		bw.WriteString(strconv.Itoa(len(body)))
		bw.WriteString("\r\n\r\n")
		bw.Write(body)
	} else if r.Method == http.MethodPost || r.Method == http.MethodPut {
		bw.WriteString("Content-Length: 0\r\n\r\n")
	} else {
		bw.WriteString("\r\n")
	}
	return bw.Flush()
}

// requestFraming are headers xcsproxy sets itself (or drops): the body it
// forwards is the canonical one, whatever the client said about its own.
var requestFraming = map[string]bool{"Host": true, "Content-Length": true, "Content-Type": true, "Expect": true}

// hopByHopFields are the headers that belong to one connection (RFC 9110
// 7.6.1), never forwarded either way.
var hopByHopFields = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// hopByHop reports whether k, in canonical form, is hop-by-hop.
func hopByHop(k string) bool { return slices.Contains(hopByHopFields, k) }

// connectionTokens are the headers a Connection header names as hop-by-hop.
func connectionTokens(h http.Header) map[string]bool {
	vs := h["Connection"]
	if len(vs) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, v := range vs {
		for _, tok := range strings.Split(v, ",") {
			if tok = strings.TrimSpace(tok); tok != "" {
				out[http.CanonicalHeaderKey(tok)] = true
			}
		}
	}
	return out
}

// copyResponse copies the daemon's answer to the client. A stream (no
// Content-Length) is flushed after every read, and one read takes every
// chunk that has already arrived, so a burst of small log frames leaves in
// one write. An answer holdAnswer holds goes on as one finite body.
func copyResponse(w http.ResponseWriter, a *answer, ex *Exchange) error {
	b, held, err := holdAnswer(ex, a.status, a.body)
	if err != nil {
		return errAbort
	}
	if held {
		a.body, a.contentLength = bytes.NewReader(b), int64(len(b))
	}
	if !http1.AdoptFields(w, a.fields, a.contentLength) {
		a.setHeader(w.Header())
	}
	w.WriteHeader(a.status)
	if a.body == nil {
		return nil
	}
	stream := a.contentLength < 0
	rc := http.NewResponseController(w)
	if stream {
		// The header goes at once: a client may wait on it before its next
		// call (docker run starts the container once its wait is answered).
		if err := rc.Flush(); err != nil {
			return err
		}
	}
	buf := bufferPool{}.Get()
	defer bufferPool{}.Put(buf)
	for {
		n, rerr := a.body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr // the client went away
			}
			if stream {
				if werr := rc.Flush(); werr != nil {
					return werr
				}
			}
		}
		if rerr == io.EOF {
			if !stream {
				// Out now, rather than when the handler returns: the
				// outcome record comes after, off the client's clock.
				return rc.Flush()
			}
			return nil
		}
		if rerr != nil {
			return errAbort
		}
	}
}
