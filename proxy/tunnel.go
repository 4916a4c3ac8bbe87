package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// tunnel forwards a protocol-switching request (attach, exec start). The
// client's connection is hijacked only after the daemon has answered 101:
// a client's Upgrade header alone never opens a raw pipe to the daemon. Its
// error is errAbort when an ordinary answer broke off half written.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request, ex *Exchange) error {
	ctx := r.Context()
	up, err := p.cfg.Upstream.Dial(ctx)
	if err != nil {
		p.upstreamError(w, r, err)
		return err
	}
	out := upstreamRequest(r, ex)
	if err := out.Write(up); err != nil {
		up.Close()
		err = fmt.Errorf("sending request: %w", err)
		p.upstreamError(w, r, err)
		return err
	}
	upr := bufio.NewReader(up)
	resp, err := http.ReadResponse(upr, out)
	if err != nil {
		up.Close()
		err = fmt.Errorf("reading response: %w", err)
		p.upstreamError(w, r, err)
		return err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		// The daemon refused the upgrade (or answered an old-style raw
		// stream): pass its answer through as any other answer.
		defer up.Close()
		defer resp.Body.Close()
		return copyResponse(w, answerFrom(resp), ex)
	}
	client, clientBuf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		p.log.Error("cannot hijack client connection for tunnel", "endpoint", ex.Route.Name, "error", err)
		return err
	}
	_ = client.SetDeadline(time.Time{}) // a tunnel lives as long as its container stream
	if err := writeSwitchHeader(clientBuf.Writer, resp); err != nil {
		client.Close()
		up.Close()
		return err
	}
	p.cfg.Metrics.gauge(func(m *Metrics) prometheus.Gauge { return m.OpenTunnels }, 1)
	defer p.cfg.Metrics.gauge(func(m *Metrics) prometheus.Gauge { return m.OpenTunnels }, -1)
	p.track(client)
	p.track(up)
	defer p.untrack(client)
	defer p.untrack(up)
	n := pipe(client, clientBuf.Reader, up, upr)
	if rec, ok := w.(*responseRecorder); ok {
		rec.status, rec.bytes = http.StatusSwitchingProtocols, n
	}
	return nil
}

// upstreamRequest builds the canonical request for a raw connection,
// keeping the Upgrade headers the daemon needs to switch protocols.
func upstreamRequest(r *http.Request, ex *Exchange) *http.Request {
	out := r.Clone(r.Context()) // a raw body stays the client's stream
	out.RequestURI = ""
	out.Close = false
	for _, h := range []string{"Proxy-Connection", "Keep-Alive", "Proxy-Authorization", "Te", "Trailer"} {
		out.Header.Del(h)
	}
	canonicalize(out, ex)
	return out
}

func writeSwitchHeader(w *bufio.Writer, resp *http.Response) error {
	if _, err := fmt.Fprintf(w, "HTTP/1.1 %s\r\n", resp.Status); err != nil {
		return err
	}
	if err := resp.Header.Write(w); err != nil {
		return err
	}
	if _, err := w.WriteString("\r\n"); err != nil {
		return err
	}
	return w.Flush()
}

// pipe copies both ways until the daemon's side ends. When the client
// finishes sending (stdin closed) only the write half toward the daemon is
// closed, so the container's remaining output still reaches the client.
func pipe(client net.Conn, clientR io.Reader, up net.Conn, upR io.Reader) int64 {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(up, clientR)
		closeWrite(up)
	}()
	n, _ := io.Copy(client, upR)
	closeWrite(client)
	client.Close()
	up.Close()
	wg.Wait()
	return n
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}
