package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sys/unix"

	"github.com/xcsproxy/xcsproxy/policy"
	"github.com/xcsproxy/xcsproxy/proxy"
)

// startAdmin serves /healthz (the process answers), /readyz (the daemon
// answers, a policy is loaded, the audit log can be written) and /metrics
// on a unix socket or a loopback address.
// admin is what the admin endpoints look at.
type admin struct {
	engine   *policy.Engine
	up       *proxy.Upstream
	p        *proxy.Proxy
	auditLog string // "" when the audit log is off
	registry *prometheus.Registry
	pprof    bool
}

func startAdmin(addr string, a admin) (*http.Server, error) {
	var l net.Listener
	var err error
	if strings.HasPrefix(addr, "unix://") {
		// The same listener code as the API sockets: a stale socket is
		// replaced, a live one or a regular file never is.
		l, err = proxy.Listen(proxy.ListenSpec{Addr: addr, SocketMode: 0o660})
	} else {
		hostport := strings.TrimPrefix(addr, "tcp://")
		host, _, splitErr := net.SplitHostPort(hostport)
		if splitErr != nil {
			return nil, fmt.Errorf("--admin-listen %q: %w", addr, splitErr)
		}
		if !proxy.IsLoopback(host) {
			return nil, fmt.Errorf("--admin-listen %q must be a unix socket or a loopback address: metrics and profiles are for this host only", addr)
		}
		l, err = net.Listen("tcp", hostport)
	}
	if err != nil {
		return nil, fmt.Errorf("admin listener: %w", err)
	}
	client := &http.Client{Transport: a.up.Transport, Timeout: 3 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if a.engine.Current() == nil {
			http.Error(w, "no policy loaded", http.StatusServiceUnavailable)
			return
		}
		if a.auditLog != "" {
			if !a.p.AuditHealthy() {
				http.Error(w, "the last audit write failed: requests are being refused", http.StatusServiceUnavailable)
				return
			}
			if err := unix.Access(filepath.Dir(a.auditLog), unix.W_OK); err != nil {
				http.Error(w, "audit directory not writable: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/_ping", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "docker daemon unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			http.Error(w, fmt.Sprintf("docker daemon answered %d to /_ping", resp.StatusCode), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	if a.pprof {
		// Profiles show request data in memory: only on an admin address
		// that is already loopback or a unix socket, and only when asked.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	return srv, nil
}
