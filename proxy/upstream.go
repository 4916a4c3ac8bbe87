package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Upstream is the Docker daemon xcsproxy forwards to.
type Upstream struct {
	Addr      string // as configured, for messages
	network   string
	address   string
	tls       *tls.Config
	Transport *http.Transport
}

// NewUpstream parses unix:///path or tcp://host:port. A tcp upstream needs
// tlsConfig: plain TCP to a daemon is the hole this proxy exists to close.
func NewUpstream(addr string, tlsConfig *tls.Config, maxIdle int) (*Upstream, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("upstream %q: %w", addr, err)
	}
	up := &Upstream{Addr: addr}
	switch u.Scheme {
	case "unix":
		if u.Path == "" {
			return nil, fmt.Errorf("upstream %q: unix address needs a socket path (unix:///var/run/docker.sock)", addr)
		}
		up.network, up.address = "unix", u.Path
	case "tcp":
		if tlsConfig == nil {
			return nil, fmt.Errorf("upstream %q is plain TCP: anyone on that network path could drive the daemon as root; give --upstream-tls-ca, --upstream-tls-cert and --upstream-tls-key, or use a unix socket", addr)
		}
		if u.Host == "" {
			return nil, fmt.Errorf("upstream %q: tcp address needs host:port", addr)
		}
		tc := tlsConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = u.Hostname()
		}
		up.network, up.address, up.tls = "tcp", u.Host, tc
	default:
		return nil, fmt.Errorf("upstream %q: scheme must be unix:// or tcp://", addr)
	}
	if maxIdle <= 0 {
		maxIdle = 64
	}
	up.Transport = &http.Transport{
		DialContext:           func(ctx context.Context, _, _ string) (net.Conn, error) { return up.Dial(ctx) },
		MaxIdleConns:          maxIdle,
		MaxIdleConnsPerHost:   maxIdle,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: 0, // waits and pulls answer late; finite requests carry their own deadline
		ForceAttemptHTTP2:     false,
	}
	return up, nil
}

// Dial opens one raw connection to the daemon (TLS-wrapped for tcp).
func (u *Upstream) Dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	d.Timeout = 10 * time.Second
	c, err := d.DialContext(ctx, u.network, u.address)
	if err != nil {
		return nil, err
	}
	if u.tls == nil {
		return c, nil
	}
	tc := tls.Client(c, u.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("TLS handshake with daemon: %w", err)
	}
	return tc, nil
}
