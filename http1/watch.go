package http1

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// requestContext is a request's context. It is cancelled when the client
// goes away (or the request ends), but the connection is only read in the
// background to notice that once something asks for Done: a cheap request
// nobody waits on costs no extra goroutine and no extra syscalls.
type requestContext struct {
	context.Context // the connection's; supplies values only
	c               *conn

	mu   sync.Mutex
	done chan struct{}
	err  error
}

func (x *requestContext) Done() <-chan struct{} {
	x.mu.Lock()
	start := false
	if x.done == nil {
		x.done = make(chan struct{})
		if x.err != nil {
			close(x.done)
		} else {
			start = true
		}
	}
	d := x.done
	x.mu.Unlock()
	if start {
		x.c.want(x)
	}
	return d
}

// Err reports a cancellation seen so far; asking does not start the watch.
func (x *requestContext) Err() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err
}

func (x *requestContext) Deadline() (time.Time, bool) { return time.Time{}, false }

func (x *requestContext) cancel() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err != nil {
		return
	}
	x.err = context.Canceled
	if x.done != nil {
		close(x.done)
	}
}

// want starts the watch for x's client leaving, once its body is read.
func (c *conn) want(x *requestContext) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.req != x {
		return // the request is over
	}
	c.wanted = true
	c.maybeWatchLocked()
}

// bodyRead says the request's body reached its end: the connection's next
// bytes belong to the next request, and the watch may read them.
func (c *conn) bodyRead() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.bodyDone = true
	c.maybeWatchLocked()
}

func (c *conn) maybeWatchLocked() {
	if c.wanted && c.bodyDone && !c.watching && !c.hijacked && !c.hasByte && c.req != nil {
		c.watching = true
		go c.watch(c.req)
	}
}

// watch reads one byte in the background: a byte is a pipelined next
// request (kept for it, and not a reason to cancel, as in net/http); an
// error other than endWatch's own deadline means the client is gone.
func (c *conn) watch(x *requestContext) {
	n, err := c.nc.Read(c.byteBuf[:])
	c.wmu.Lock()
	if n == 1 {
		c.hasByte = true
	}
	stopped := c.aborting && isTimeout(err)
	c.watching = false
	c.wcond.Broadcast()
	c.wmu.Unlock()
	if n == 0 && !stopped {
		x.cancel()
	}
}

// aLongTimeAgo is a read deadline that ends a blocked read at once.
var aLongTimeAgo = time.Unix(1, 0)

// endWatch stops a background read and forgets the request.
func (c *conn) endWatch() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.stopWatchLocked()
	c.req, c.wanted, c.bodyDone = nil, false, false
}

func (c *conn) stopWatchLocked() {
	if !c.watching {
		return
	}
	c.aborting = true
	_ = c.nc.SetReadDeadline(aLongTimeAgo)
	for c.watching {
		c.wcond.Wait()
	}
	c.aborting = false
	_ = c.nc.SetReadDeadline(time.Time{})
}

// requestBody is a request's body as the handler reads it: reaching its end
// lets the watch start, and once the handler returns it reads no more, so
// a goroutine the handler left behind cannot eat the next request.
type requestBody struct {
	c  *conn
	rc io.ReadCloser

	mu      sync.Mutex
	reading bool
	eof     bool
	closed  bool
}

func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, http.ErrBodyReadAfterClose
	}
	if b.eof {
		b.mu.Unlock()
		return 0, io.EOF
	}
	b.reading = true
	b.mu.Unlock()
	n, err := b.rc.Read(p)
	b.mu.Lock()
	b.reading = false
	if err == io.EOF {
		b.eof = true
	}
	b.mu.Unlock()
	if err == io.EOF {
		b.c.bodyRead()
	}
	return n, err
}

// Close ends the handler's reading; what is left is the server's to drop.
func (b *requestBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// unread reports whether the handler has yet to read the body to its end.
func (b *requestBody) unread() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.eof
}

// reclaim takes the body back from the handler and reports whether the
// connection, which keep says may otherwise go on, can carry another
// request: the body was read to its end, or a small unread rest is read
// and dropped now. A read still in flight, from a goroutine the handler
// left, ends the connection.
func (b *requestBody) reclaim(keep bool) bool {
	b.mu.Lock()
	b.closed = true
	eof, inFlight := b.eof, b.reading
	b.mu.Unlock()
	if !keep || inFlight {
		return false
	}
	if eof {
		return true
	}
	if d := b.c.srv.ReadHeaderTimeout; d > 0 {
		_ = b.c.nc.SetReadDeadline(time.Now().Add(d)) // a client that stalls mid-body
	}
	n, err := io.CopyN(io.Discard, b.rc, maxDrain+1)
	return err == io.EOF && n <= maxDrain
}
