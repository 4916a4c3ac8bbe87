package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/xcsproxy/xcsproxy/audit"
	"github.com/xcsproxy/xcsproxy/commands"
	"github.com/xcsproxy/xcsproxy/gcpace"
	"github.com/xcsproxy/xcsproxy/http1"
	"github.com/xcsproxy/xcsproxy/oplog"
	"github.com/xcsproxy/xcsproxy/policies"
	"github.com/xcsproxy/xcsproxy/policy"
	"github.com/xcsproxy/xcsproxy/proxy"
)

type serveOptions struct {
	listen             []string
	socketMode         string
	socketGroup        string
	tlsCert            string
	tlsKey             string
	tlsClientCA        string
	allowPlainLoopback bool
	upstream           string
	upstreamCA         string
	upstreamCert       string
	upstreamKey        string
	policies           string
	adminListen        string
	maxBody            int64
	shutdownTimeout    time.Duration
	requestTimeout     time.Duration
	logLevel           string
	logFormat          string
	protect            []string
	auditLog           string
	auditMaxSize       int64
	auditKeep          int
	auditSync          string
	auditAnchorEvery   time.Duration
	commandsDir        string
	buildRoot          string
	pathTranslation    []string
	pprof              bool
	headerTimeout      time.Duration
	idleTimeout        time.Duration
	maxHeaderBytes     int
	maxHeaderFields    int
	gcBudget           int64
	maxConnsPerClient  int
}

func serveCmd() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Docker API, deciding every request with the policy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			startWithoutMemProfile(o)
			return runServe(cmd.Context(), o)
		},
	}
	addServeFlags(cmd.Flags(), o)
	return cmd
}

// startWithoutMemProfile starts serve again, in this process, with the
// runtime's memory profile sampling off where the collector is paced to a
// budget (gcpace says why), unless heap profiles are served. The arguments
// and the process stay; if the exec fails, serve goes on as it is.
func startWithoutMemProfile(o *serveOptions) {
	if o.pprof || !gcpace.Paces(o.gcBudget) {
		return
	}
	if env := gcpace.WithoutMemProfile(os.Environ()); env != nil {
		_ = syscall.Exec("/proc/self/exe", os.Args, env)
	}
}

func newLogger(level, format string) hclog.Logger {
	json := format == "json"
	if format == "auto" {
		fi, err := os.Stderr.Stat()
		json = err != nil || fi.Mode()&os.ModeCharDevice == 0
	}
	// Redacting: a line may quote what a client sent, secrets and all.
	return oplog.New(&hclog.LoggerOptions{
		Name:       "xcsproxy",
		Level:      hclog.LevelFromString(level),
		JSONFormat: json,
		Output:     os.Stderr,
	})
}

// loadPolicy loads the directory, or the embedded pack when dir is empty.
// A server never starts on a policy that does not compile.
func loadPolicy(ctx context.Context, dir string) (*policy.Set, error) {
	var fsys fs.FS = policies.FS
	where := "embedded default pack"
	if dir != "" {
		fsys, where = os.DirFS(dir), dir
	}
	s, err := policy.Load(ctx, fsys)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", where, err)
	}
	return s, nil
}

func runServe(ctx context.Context, o *serveOptions) error {
	log := newLogger(o.logLevel, o.logFormat)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	set, err := loadPolicy(ctx, o.policies)
	if err != nil {
		return err
	}
	for root, missing := range unhardenedRoots(ctx, set) {
		log.Warn("a writable mount root lacks mount options: every writable bind under it will be refused (mounts.require_nosuid_nodev); xcsproxy doctor gives the commands", "root", root, "missing", missing)
	}
	if gcpace.Start(ctx, o.gcBudget, time.Second) {
		log.Debug("garbage collector paced to a memory budget", "bytes", o.gcBudget)
	}
	engine := policy.NewEngine(set.ForDeciding())
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := proxy.NewMetrics(registry, version)
	if o.policies != "" {
		onReload := func(_ string, err error) {
			result := "ok"
			if err != nil {
				result = "error"
			}
			metrics.PolicyReloads.WithLabelValues(result).Inc()
		}
		if err := policy.Watch(ctx, engine, o.policies, log.Named("policy"), onReload); err != nil {
			return err
		}
	}

	var upTLS *tls.Config
	if o.upstreamCA != "" || o.upstreamCert != "" || o.upstreamKey != "" {
		if upTLS, err = proxy.ClientTLS(o.upstreamCA, o.upstreamCert, o.upstreamKey); err != nil {
			return err
		}
	}
	up, err := proxy.NewUpstream(o.upstream, upTLS, 0)
	if err != nil {
		return err
	}

	mode, err := strconv.ParseUint(o.socketMode, 8, 32)
	if err != nil {
		return fmt.Errorf("--socket-mode %q is not an octal mode: %w", o.socketMode, err)
	}
	var serverTLS *tls.Config
	if o.tlsCert != "" || o.tlsKey != "" || o.tlsClientCA != "" {
		if serverTLS, err = proxy.ServerTLS(o.tlsCert, o.tlsKey, o.tlsClientCA); err != nil {
			return err
		}
	}
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for _, addr := range o.listen {
		spec := proxy.ListenSpec{Addr: addr, SocketMode: os.FileMode(mode), SocketGroup: o.socketGroup, AllowPlainLoopback: o.allowPlainLoopback}
		if strings.HasPrefix(addr, "tcp://") {
			spec.TLS = serverTLS
		}
		l, err := proxy.Listen(spec)
		if err != nil {
			return err
		}
		listeners = append(listeners, l)
	}

	facts, err := proxy.NewFacts(up, protectedPaths(o))
	if err != nil {
		return err
	}
	var recorder proxy.Recorder
	if o.auditLog != "none" {
		if o.auditAnchorEvery < 0 {
			return fmt.Errorf("--audit-anchor-every %v: want a positive interval, or 0 for heads at rotation and shutdown only", o.auditAnchorEvery)
		}
		alog := log.Named("audit")
		logHead := func(file string, seq uint64, hash string) {
			alog.Info("audit chain head (keep it to check the log with audit verify --head)", "file", file, "seq", seq, "hash", hash)
		}
		w, err := audit.Open(o.auditLog, audit.Options{
			MaxSize: o.auditMaxSize, Keep: o.auditKeep, Sync: audit.SyncMode(o.auditSync),
			OnHead: logHead,
			OnLost: func(err error) {
				alog.Error("request outcome records could not be written to the audit log", "error", err)
			},
		})
		if err != nil {
			return fmt.Errorf("%w (set --audit-log to a writable file, or none)", err)
		}
		defer w.Close()
		recorder = w
		if o.auditAnchorEvery > 0 {
			go anchorAuditHead(ctx, w, o.auditLog, o.auditAnchorEvery, logHead)
		}
	} else {
		log.Warn("the audit log is off (--audit-log none): decisions are not recorded")
	}
	launcher, err := newLauncher(ctx, o, facts, log.Named("commands"))
	if err != nil {
		return err
	}
	p := proxy.New(proxy.Config{
		Metrics:         metrics,
		Local:           &commands.API{Launcher: launcher},
		OnOutcome:       refreshOnImageChange(ctx, launcher.Store, facts, log.Named("commands")),
		Audit:           recorder,
		Facts:           facts,
		Upstream:        up,
		Engine:          engine,
		Log:             log.Named("proxy"),
		MaxBody:         o.maxBody,
		MaxHeaderFields: o.maxHeaderFields,
		RequestTimeout:  o.requestTimeout,
		Version:         version,
	})
	launcher.Gate = p
	var servers []server
	errc := make(chan error, len(listeners)+1)
	// The admin endpoint first: once a client is answered on the API
	// sockets, health checks are answered too, and an admin address that
	// cannot be had stops the start before any request is served.
	if o.adminListen != "" {
		auditLog := o.auditLog
		if auditLog == "none" {
			auditLog = ""
		}
		adminSrv, err := startAdmin(o.adminListen, admin{engine: engine, up: up, p: p, auditLog: auditLog, registry: registry, pprof: o.pprof})
		if err != nil {
			return err
		}
		servers = append(servers, adminSrv)
	}
	limit := &proxy.ConnLimit{Max: o.maxConnsPerClient}
	for i, l := range listeners {
		srv := &http1.Server{
			Handler:           p,
			ConnContext:       proxy.ConnContext(o.listen[i]),
			ConnState:         limit.ConnState,
			ReadHeaderTimeout: o.headerTimeout,
			IdleTimeout:       o.idleTimeout,
			MaxHeaderBytes:    o.maxHeaderBytes,
			Reject:            proxy.Rejection,
			ErrorLog:          log.Named("http").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
		}
		servers = append(servers, srv)
		go func(l net.Listener) { errc <- srv.Serve(l) }(l)
	}
	log.Info("serving", "listen", o.listen, "upstream", o.upstream, "policy_revision", set.Revision, "version", version)

	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && err != http.ErrServerClosed {
			log.Error("listener failed", "error", err)
		}
	}
	log.Info("shutting down", "timeout", o.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func(srv server) {
			defer wg.Done()
			if err := srv.Shutdown(sctx); err != nil {
				srv.Close() // streams still open at the deadline are cut
			}
		}(srv)
	}
	wg.Wait()
	p.Close()
	return nil
}

// server is a listener's server (http1 for the Docker API, net/http for
// the admin endpoint) as shutdown sees it.
type server interface {
	Shutdown(context.Context) error
	Close() error
}

// protectedPaths adds the sockets this process itself uses to --protect-path.
func protectedPaths(o *serveOptions) []string {
	paths := append([]string{}, o.protect...)
	for _, addr := range append([]string{o.upstream}, o.listen...) {
		if p, ok := strings.CutPrefix(addr, "unix://"); ok {
			paths = append(paths, p)
		}
	}
	return paths
}

// addServeFlags declares serve's flags; doctor takes the same ones, so it
// checks exactly the configuration serve would run.
func addServeFlags(f *pflag.FlagSet, o *serveOptions) {
	f.StringArrayVar(&o.listen, "listen", []string{"unix:///run/xcsproxy/docker.sock"}, "client listener, unix:///PATH or tcp://HOST:PORT (repeatable)")
	f.StringVar(&o.socketMode, "socket-mode", "0660", "permissions of unix listener sockets (octal)")
	f.StringVar(&o.socketGroup, "socket-group", "", "group (name or gid) owning unix listener sockets")
	f.StringVar(&o.tlsCert, "tls-cert", "", "server certificate for tcp:// listeners")
	f.StringVar(&o.tlsKey, "tls-key", "", "server key for tcp:// listeners")
	f.StringVar(&o.tlsClientCA, "tls-client-ca", "", "CA bundle that client certificates must chain to")
	f.BoolVar(&o.allowPlainLoopback, "insecure-allow-plain-loopback", false, "allow a plain-TCP listener on a loopback address (local experiments only)")
	f.StringVar(&o.upstream, "upstream", "unix:///var/run/docker.sock", "the Docker daemon, unix:///PATH or tcp://HOST:PORT (with --upstream-tls-*)")
	f.StringVar(&o.upstreamCA, "upstream-tls-ca", "", "CA bundle for a tcp:// upstream")
	f.StringVar(&o.upstreamCert, "upstream-tls-cert", "", "client certificate for a tcp:// upstream")
	f.StringVar(&o.upstreamKey, "upstream-tls-key", "", "client key for a tcp:// upstream")
	f.StringVar(&o.policies, "policies", "", "policy directory (Rego + config.yaml), hot-reloaded; default: the embedded pack")
	f.StringVar(&o.adminListen, "admin-listen", "", "health endpoint address, unix:///PATH or HOST:PORT on loopback; empty: off")
	f.Int64Var(&o.maxBody, "max-body", 2<<20, "largest request body inspected, in bytes (larger: 413)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for open requests and streams")
	f.DurationVar(&o.requestTimeout, "request-timeout", 2*time.Minute, "bound on a finite (non-streaming) request")
	f.StringArrayVar(&o.protect, "protect-path", []string{"/var/run/docker.sock", "/run/docker.sock", "/var/run/docker", "/run/containerd", "/var/lib/docker", "/var/lib/containerd"},
		"host path no container may bind, under any alias (the upstream and listen sockets are always added)")
	f.StringVar(&o.auditLog, "audit-log", "/var/log/xcsproxy/audit.log", "tamper-evident decision log (JSON lines); \"none\" turns it off")
	f.Int64Var(&o.auditMaxSize, "audit-max-size", 100<<20, "rotate the audit log at this many bytes")
	f.IntVar(&o.auditKeep, "audit-keep", 10, "rotated audit files to keep")
	f.StringVar(&o.auditSync, "audit-sync", "batch", "when records reach the disk: always (before forwarding), batch (in the background, at most 50 ms behind) or none")
	f.DurationVar(&o.auditAnchorEvery, "audit-anchor-every", time.Minute, "how often the audit chain's head (as far as it is fsynced; with --audit-sync none, as written) is logged while records come, for audit verify --head; 0: at rotation and shutdown only")
	f.StringVar(&o.commandsDir, "commands", "", "directory of XNAT Command JSON files (hot-reloaded); image org.nrg.commands labels are read too")
	f.StringVar(&o.buildRoot, "build-root", "/data/xnat/build", "host directory where launched Commands get fresh output directories")
	f.StringArrayVar(&o.pathTranslation, "path-translation", nil, "XNAT_PREFIX=HOST_PREFIX for paths in XNAT objects (repeatable)")
	f.DurationVar(&o.headerTimeout, "header-timeout", 10*time.Second, "time a client has to send a request's headers (slow clients are cut off)")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 2*time.Minute, "how long an idle keep-alive connection is kept")
	f.IntVar(&o.maxHeaderBytes, "max-header-bytes", 64<<10, "largest request header block (larger: 431)")
	f.IntVar(&o.maxHeaderFields, "max-header-fields", 100, "most header fields a request may carry (more: 431)")
	f.Int64Var(&o.gcBudget, "gc-budget", 20<<20, "runtime memory, in bytes, within which the garbage collector runs rarely (0, or GOGC/GOMEMLIMIT set: Go's own pacing)")
	f.IntVar(&o.maxConnsPerClient, "max-conns-per-client", 1024, "open connections one client (unix uid or TCP address) may hold; 0: no limit")
	f.BoolVar(&o.pprof, "debug-pprof", false, "serve /debug/pprof on --admin-listen (for profiling; shows request data in memory, and keeps the runtime sampling allocations for heap profiles)")
	f.StringVar(&o.logLevel, "log-level", "info", "trace, debug, info, warn or error")
	f.StringVar(&o.logFormat, "log-format", "auto", "text, json, or auto (text on a terminal)")
}
