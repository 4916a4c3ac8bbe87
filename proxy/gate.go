package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Do sends one Docker API request through the whole pipeline (route,
// canonical body, facts, policy, audit, patch, forward) as the client in
// ctx, and returns the answer. Launching a Command uses it, so a launch
// can do nothing any other client could not.
func (p *Proxy) Do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("encoding %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://docker"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.RequestURI = path
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	w := &bufferedResponse{header: http.Header{}}
	if aborted := p.serveInProcess(w, req); aborted {
		return 0, nil, fmt.Errorf("%s %s: the daemon's answer broke off", method, path)
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.status, w.body.Bytes(), nil
}

// serveInProcess runs the handler, turning the abort a server would turn
// into a cut connection into a result.
func (p *Proxy) serveInProcess(w http.ResponseWriter, req *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	p.ServeHTTP(w, req)
	return false
}

// bufferedResponse collects an in-process answer.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// Flush is a no-op: everything is kept until the request ends.
func (b *bufferedResponse) Flush() {}
