// Package http1 serves HTTP/1.1 on accepted connections to an
// http.Handler: xcsproxy's Docker-API listeners run it in place of
// net/http's Server.
//
// Requests are parsed by net/http's own reader (http.ReadRequest) and
// checked as net/http's server checks them (version, Host, header size),
// and handlers get the usual ResponseWriter with Flush, Hijack and
// read/write deadlines through http.ResponseController. What differs is
// when a connection is watched for its client leaving: net/http's server
// starts a background read at every request and stops it at every
// response, which was two goroutine hand-offs and several syscalls on each
// cheap Docker call, about a third of xcsproxy's latency on /_ping. Here
// the watch starts only when something waits on the request's context
// (a stream, an upstream call bound to it), and a failed write to the
// client cancels the context as well.
package http1

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Server serves HTTP/1.1 connections. Its fields mean what they mean on
// http.Server; set them before Serve.
type Server struct {
	Handler http.Handler
	// ConnContext derives each connection's context (values only: it is
	// never cancelled) from a background context.
	ConnContext func(ctx context.Context, c net.Conn) context.Context
	// ConnState hears of StateNew, StateHijacked and StateClosed; the
	// idle and active transitions between requests are not reported.
	ConnState func(net.Conn, http.ConnState)
	// ReadHeaderTimeout bounds reading a request's line and header (and a
	// TLS handshake); IdleTimeout bounds the wait for the next request on
	// a kept-alive connection (ReadHeaderTimeout when zero).
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// MaxHeaderBytes caps a request's line and header (1 MiB when zero);
	// larger ones get 431.
	MaxHeaderBytes int
	// Reject shapes the answer to a request that never reaches Handler
	// (malformed, or its header too large); nil answers in plain text.
	Reject func(status int, reason string) (contentType string, body []byte)
	// ErrorLog receives handler panics, TLS handshake failures and accept
	// errors; nil logs to the standard logger.
	ErrorLog *log.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool
}

// Serve accepts connections on l until Shutdown or Close, and then
// returns http.ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	if !s.track(l) {
		l.Close()
		return http.ErrServerClosed
	}
	defer s.untrack(l)
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			if retryableAccept(err) {
				// Out of descriptors, for instance: wait for some to free up
				// rather than spin.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logf("http1: accept error: %v; retrying in %v", err, backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := s.newConn(nc)
		if c == nil {
			return http.ErrServerClosed
		}
		// In accept order, as net/http does: a per-client connection cap
		// must refuse the newest connection, not an older idle one.
		s.connState(nc, http.StateNew)
		go c.serve()
	}
}

// retryableAccept reports whether an accept error passes on its own: a
// timeout, or the process out of file descriptors.
func retryableAccept(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

func (s *Server) track(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) untrack(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
}

// Shutdown stops accepting, closes connections waiting for a request, and
// waits for the others to finish theirs (they are answered with
// "Connection: close"). At ctx's end it returns ctx.Err() and leaves the
// rest to Close. Hijacked connections are the handler's to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeListeners()
	wait := time.Millisecond
	for {
		if s.closeIdle() == 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// Close stops accepting and closes every connection at once.
func (s *Server) Close() error {
	s.closeListeners()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
	return nil
}

func (s *Server) closeListeners() {
	s.closing.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		l.Close()
	}
}

// closeIdle closes the connections between requests and counts the ones
// still busy.
func (s *Server) closeIdle() (busy int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.idle.Load() {
			c.nc.Close()
			continue
		}
		busy++
	}
	return busy
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

func (s *Server) connState(nc net.Conn, st http.ConnState) {
	if s.ConnState != nil {
		s.ConnState(nc, st)
	}
}
