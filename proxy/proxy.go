// Package proxy owns the Docker-API side of xcsproxy: listeners and client
// identity, the routing table of Docker endpoints, path and body
// canonicalization, building the policy input, forwarding to the daemon,
// streaming and protocol-switch tunnels.
package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/xcsproxy/xcsproxy/audit"
	"github.com/xcsproxy/xcsproxy/oplog"
	"github.com/xcsproxy/xcsproxy/policy"
)

// Config is everything a Proxy needs; zero values take safe defaults.
type Config struct {
	Upstream *Upstream
	Engine   *policy.Engine
	Log      hclog.Logger
	// MaxBody caps a request body; larger bodies get 413 and are never
	// forwarded uninspected.
	MaxBody int64
	// MaxHeaderFields caps the header fields of a request (431 above it);
	// the byte size of the header block is the server's MaxHeaderBytes.
	MaxHeaderFields int
	// RequestTimeout bounds a finite (non-stream) request end to end.
	RequestTimeout time.Duration
	// BodyReadTimeout bounds reading a request body from the client.
	BodyReadTimeout time.Duration
	// Version is reported to policies as input.proxy.version.
	Version string
	// Facts looks up image, target and mount facts; nil leaves them out.
	Facts *Facts
	// Audit records every decision before anything is forwarded, and the
	// outcome after; nil means no audit log (tests and experiments only).
	Audit Recorder
	// Local answers xcsproxy's own endpoints (Route.Local) once the policy
	// allowed them.
	Local LocalHandler
	// OnOutcome, when set, hears of every forwarded request's result (e.g.
	// to refresh image-label commands after a pull).
	OnOutcome func(endpoint string, status int)
	// Metrics, when set, receives the Prometheus series.
	Metrics *Metrics
}

// LocalHandler serves the endpoints xcsproxy answers itself.
type LocalHandler interface {
	ServeLocal(w http.ResponseWriter, r *http.Request, endpoint string, params map[string]string, body []byte, decisionID string)
}

// Recorder is the audit log as the proxy uses it: Append must return only
// once the record is written; Enqueue may return before, for records
// nothing waits on. Neither may keep the record once it returns: the proxy
// reuses it.
type Recorder interface {
	Append(*audit.Record) error
	Enqueue(*audit.Record) error
}

// Exchange is one request on its way through the gate.
type Exchange struct {
	ID       string // the decision id
	Start    time.Time
	Route    *Route
	Target   *Target
	Params   map[string]string
	Body     *Body
	Input    *policy.Input
	Decision policy.Decision
	// ObjectID is the id of what a create made, read from the daemon's answer.
	ObjectID string
	// EvalTime is how long the policy took.
	EvalTime time.Duration
	// ClientDoc is the client as the audit log records it (shared).
	ClientDoc map[string]any
}

type exchangeKey struct{}

// Proxy is an http.Handler that decides every Docker API request with the
// policy engine and forwards only what is allowed.
type Proxy struct {
	cfg     Config
	router  *Router
	forward *httputil.ReverseProxy
	// direct forwards requests whose body is in hand to a unix-socket
	// daemon; nil when forward (the Transport) carries everything.
	direct *Forwarder
	log    hclog.Logger

	mu      sync.Mutex
	tunnels map[io.Closer]struct{}
	// oneAtATime holds the requests of Route.OneAtATime endpoints from
	// their facts to the daemon's answer.
	oneAtATime sync.Mutex

	auditBroken atomic.Bool
	// labels are the OPA decision-log labels of every record; never mutated.
	labels map[string]any
}

var importRoute = &Route{Name: "image.import", Method: "POST", Pattern: "/images/create", Body: BodyRaw, Stream: true}

var unknownRoute = &Route{Name: Unknown, Body: BodyNone}

// New builds a Proxy over the full Docker API table.
func New(cfg Config) *Proxy {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 2 << 20
	}
	if cfg.MaxHeaderFields <= 0 {
		cfg.MaxHeaderFields = 100
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 2 * time.Minute
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = hclog.NewNullLogger()
	}
	p := &Proxy{
		cfg:    cfg,
		router: NewRouter(DockerAPI),
		// A line may quote what the client sent (a refused URI, an error
		// naming its image reference, a denial's reasons), credentials
		// and all: whatever logger it is given, the proxy's redacts.
		log:     oplog.Redacting(cfg.Log),
		tunnels: map[io.Closer]struct{}{},
		labels:  map[string]any{"app": "xcsproxy", "version": cfg.Version},
	}
	p.direct = NewForwarder(cfg.Upstream)
	p.forward = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      cfg.Upstream.Transport,
		BufferPool:     bufferPool{},
		ErrorHandler:   p.upstreamError,
		ModifyResponse: p.modifyResponse,
		// Docker streams have no Content-Length, so ReverseProxy flushes
		// each chunk at once; finite answers are copied without flushing.
		FlushInterval: 0,
	}
	return p
}

// ServeHTTP judges a request and carries out what is allowed: the decision
// is recorded before anything reaches the daemon, and the outcome after.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if n := headerFields(r.Header); n > p.cfg.MaxHeaderFields {
		p.refuse(w, r, nil, errorf(http.StatusRequestHeaderFieldsTooLarge,
			fmt.Sprintf("the request has %d header fields; the limit is %d (--max-header-fields)", n, p.cfg.MaxHeaderFields)))
		return
	}
	ex, herr := p.prepare(w, r)
	if herr != nil {
		p.refuse(w, r, ex, herr)
		return
	}
	ex.Start = start
	if ex.Route.OneAtATime {
		p.oneAtATime.Lock()
		defer p.oneAtATime.Unlock()
	}
	if !p.judge(w, r, ex) {
		return
	}
	missing, pinErr := pin(ex)
	rec := &responseRecorder{ResponseWriter: w}
	forwardStart := time.Now()
	if ex.Route.Stream && !ex.Route.Hijack {
		p.cfg.Metrics.gauge(func(m *Metrics) prometheus.Gauge { return m.OpenStreams }, 1)
		defer p.cfg.Metrics.gauge(func(m *Metrics) prometheus.Gauge { return m.OpenStreams }, -1)
	}
	forwardErr := p.deliver(rec, r, ex, missing, pinErr)
	if !ex.Route.Stream {
		p.cfg.Metrics.duration(ex.Route.Name, "proxy", forwardStart.Sub(start))
		p.cfg.Metrics.duration(ex.Route.Name, "daemon", time.Since(forwardStart))
	}
	aborted := errors.Is(forwardErr, errAbort)
	if aborted && r.Context().Err() != nil {
		// The client left (and its leaving closed the daemon's side).
		forwardErr = fmt.Errorf("the client went away: %w", r.Context().Err())
	}
	p.recordOutcome(ex, rec, forwardErr)
	if p.cfg.OnOutcome != nil {
		p.cfg.OnOutcome(ex.Route.Name, rec.status)
	}
	if aborted {
		// Cut the client's connection: ending the handler normally would
		// close a chunked answer as if it were whole.
		panic(http.ErrAbortHandler)
	}
}

// judge looks up the facts, decides and writes the decision record. When
// the request is refused or denied it answers the client itself and
// reports false: nothing is to be forwarded.
func (p *Proxy) judge(w http.ResponseWriter, r *http.Request, ex *Exchange) bool {
	if p.cfg.Facts != nil && !p.gatherFacts(w, r, ex) {
		return false
	}
	inputBuf := inputBuffers.Get().(*[]byte)
	encoded := p.decide(ex, inputBuf)
	recErr := p.recordDecision(ex, encoded)
	inputBuffers.Put(inputBuf)
	if !ex.Decision.Allow {
		p.cfg.Metrics.request(ex.Route.Name, "deny")
		p.log.Info("denied", "decision_id", ex.ID, "endpoint", ex.Route.Name, "method", r.Method, "path", ex.Target.Path,
			"client", audit.ClientName(ex.Input.Client.Map()), "reasons", ex.Decision.Reasons)
		writeError(w, http.StatusForbidden, "denied: "+strings.Join(ex.Decision.Reasons, "; "))
		return false
	}
	if recErr != nil {
		// No record, no request.
		p.cfg.Metrics.request(ex.Route.Name, "refused")
		p.log.Error("audit log unavailable; refusing", "decision_id", ex.ID, "error", recErr)
		writeError(w, http.StatusServiceUnavailable, "the audit log cannot be written, so nothing was forwarded: "+recErr.Error())
		return false
	}
	p.cfg.Metrics.request(ex.Route.Name, "allow")
	return true
}

// gatherFacts looks up what the decision needs from the daemon; when that
// fails it refuses the request itself and reports false.
func (p *Proxy) gatherFacts(w http.ResponseWriter, r *http.Request, ex *Exchange) bool {
	if err := p.cfg.Facts.gather(r.Context(), ex); err != nil {
		if r.Context().Err() != nil {
			// The client left while its facts were looked up: nobody
			// to answer, and nothing wrong with the daemon. Logged as
			// an error, every client that gives up would page ops.
			p.log.Info("the client went away during the fact lookup; refusing", "endpoint", ex.Route.Name, "error", err)
		} else {
			p.log.Error("fact lookup failed; refusing", "endpoint", ex.Route.Name, "error", err)
		}
		msg := "looking up facts for the policy: " + err.Error()
		if client.IsErrConnectionFailed(err) {
			msg = "the Docker daemon at " + p.cfg.Upstream.Addr + " is unreachable (while looking up facts for the policy); check that dockerd is running and --upstream is right"
		}
		p.refuse(w, r, ex, errorf(http.StatusBadGateway, msg))
		return false
	}
	return true
}

// decide encodes the input, has the policy decide on it and applies the
// decision's patch. It returns the input as forwarded, encoded in inputBuf
// (nil if it could not be encoded), for the decision record.
func (p *Proxy) decide(ex *Exchange, inputBuf *[]byte) []byte {
	// One encoding of the input keys the decision memo and, when it holds
	// nothing to redact, is the audit record's input.
	encoded, encErr := ex.Input.AppendJSON((*inputBuf)[:0])
	*inputBuf = encoded
	if encErr != nil {
		encoded = nil
	}
	// Only bodyless requests repeat (polls, inspects, lists); a create is
	// new every time, and remembering it would only crowd the memo.
	var memoKey []byte
	if ex.Body.Canonical == nil {
		memoKey = encoded
	}
	evalStart := time.Now()
	// The policy's own timeout bounds the evaluation; a client leaving
	// meanwhile must not turn the recorded decision into a "cancelled"
	// deny, and waiting on its context would have the listener watch the
	// connection for every decision. The evaluation reads no value from
	// the request's context, so it gets none (WithoutCancel would cost an
	// allocation on every request, a remembered decision's too).
	ex.Decision = p.cfg.Engine.DecideInput(context.Background(), ex.Input, memoKey)
	ex.EvalTime = time.Since(evalStart)
	p.cfg.Metrics.eval(ex.EvalTime)
	if ex.Decision.Allow && len(ex.Decision.Patch) > 0 {
		if err := applyPatch(ex, ex.Decision.Patch); err != nil {
			// A patch the proxy cannot carry out must not be skipped: the
			// policy allowed the request only with it.
			p.log.Error("policy patch failed; refusing", "endpoint", ex.Route.Name, "error", err)
			ex.Decision = policy.Decision{Allow: false, Reasons: []string{"the policy's patch could not be applied: " + err.Error()}}
		} else {
			// The record shows the input as forwarded, patch applied.
			encoded, encErr = ex.Input.AppendJSON(encoded[:0])
			*inputBuf = encoded
			if encErr != nil {
				encoded = nil
			}
		}
	}
	return encoded
}

// deliver carries out an allowed request and reports why it was not
// carried out whole: the pin's failure and a target missing when judged
// are answered here, a local endpoint by its handler, a tunnel and the
// daemon's answer through w.
func (p *Proxy) deliver(w http.ResponseWriter, r *http.Request, ex *Exchange, missing string, pinErr error) error {
	switch {
	case pinErr != nil:
		p.log.Error("pinning the request to what was judged failed; refusing", "decision_id", ex.ID, "error", pinErr)
		writeError(w, http.StatusInternalServerError, "the request could not be pinned to the objects it was judged on, so nothing was forwarded: "+pinErr.Error())
		return fmt.Errorf("not forwarded: pinning: %w", pinErr)
	case missing != "":
		// Forwarded, the name could reach an object made meanwhile that
		// nobody judged; the daemon's answer would have been this one.
		// A missing target's facts name it as the client did.
		writeError(w, http.StatusNotFound, fmt.Sprintf("No such %s: %v", missing, ex.Input.Target["id"]))
		return fmt.Errorf("not forwarded: no such %s when judged", missing)
	case ex.Route.Local:
		if p.cfg.Local == nil {
			writeError(w, http.StatusNotFound, ex.Route.Name+" is not enabled on this xcsproxy")
		} else {
			p.cfg.Local.ServeLocal(w, r, ex.Route.Name, ex.Params, ex.Body.Canonical, ex.ID)
		}
	case ex.Route.Hijack:
		return p.tunnel(w, r, ex)
	case p.direct != nil && !ex.Body.Raw:
		var finite time.Duration
		if !ex.Route.Stream {
			finite = p.cfg.RequestTimeout
		}
		return p.direct.forward(w, r, ex, finite, p.upstreamError)
	default:
		ctx := context.WithValue(r.Context(), exchangeKey{}, ex)
		if !ex.Route.Stream {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, p.cfg.RequestTimeout)
			defer cancel()
		}
		p.forward.ServeHTTP(w, r.WithContext(ctx))
	}
	return nil
}

// headerFields counts a request's header fields, repeated names included.
func headerFields(h http.Header) int {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	return n
}

// prepare canonicalizes the request and builds the policy input.
func (p *Proxy) prepare(w http.ResponseWriter, r *http.Request) (*Exchange, *Error) {
	t, err := ParseTarget(r.RequestURI)
	if err != nil {
		var ce *CanonicalError
		if errors.As(err, &ce) && ce.Forbidden {
			return nil, errorf(http.StatusForbidden, "denied: "+ce.Reason)
		}
		return nil, errorf(http.StatusBadRequest, err.Error())
	}
	return p.route(w, r, t)
}

// route names the endpoint, reads the body and builds the policy input.
func (p *Proxy) route(w http.ResponseWriter, r *http.Request, t *Target) (*Exchange, *Error) {
	ex := &Exchange{ID: audit.NewDecisionID(), Target: t, Route: unknownRoute}
	if m := p.router.Lookup(r.Method, t.Segments); m != nil {
		ex.Route, ex.Params = m.Route, m.Params
	}
	// The daemon pulls when fromImage names an image and imports (from
	// fromSrc) otherwise, whatever else the query holds.
	if ex.Route.Name == "image.pull" && t.Query.Get("fromImage") == "" {
		ex.Route = importRoute
	}
	body, herr := p.readBody(w, r, ex.Route)
	if herr != nil {
		return ex, herr
	}
	ex.Body = body
	client, clientDoc := clientOf(r)
	ex.ClientDoc = clientDoc
	ex.Input = &policy.Input{
		Request: policy.Request{
			Method:      r.Method,
			Path:        t.Path,
			APIVersion:  t.APIVersion,
			Endpoint:    ex.Route.Name,
			Params:      ex.Params, // nil reads as {}
			Query:       t.Query,
			ContentType: r.Header.Get("Content-Type"),
		},
		Client: client,
		Proxy:  policy.Proxy{Version: p.cfg.Version, ManagedLabel: ManagedLabel},
	}
	if p.cfg.Facts != nil {
		ex.Input.Proxy.Protected = p.cfg.Facts.Protected
	}
	if s := p.cfg.Engine.Current(); s != nil {
		ex.Input.Proxy.PolicyRevision = s.Revision
	}
	if err := decodeGeneric(ex); err != nil {
		return ex, errorf(http.StatusBadRequest, "decoding canonical body: "+err.Error())
	}
	return ex, nil
}

// readBody bounds the time a client may take to send its body, then hands
// the bytes to readBody.
func (p *Proxy) readBody(w http.ResponseWriter, r *http.Request, rt *Route) (*Body, *Error) {
	if rt.Body == BodyRaw {
		return &Body{Raw: true}, nil
	}
	if r.Body == nil || r.Body == http.NoBody {
		// The server says so only when the request declared no body at
		// all; nothing to read, and nothing to bound.
		return &Body{}, nil
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(p.cfg.BodyReadTimeout))
	b, herr := readBody(r, rt, p.cfg.MaxBody)
	// Streams and tunnels that follow must not inherit the deadline.
	_ = rc.SetReadDeadline(time.Time{})
	return b, herr
}

// rewrite turns the inbound request into the canonical upstream request.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	canonicalize(pr.Out, pr.In.Context().Value(exchangeKey{}).(*Exchange))
}

// canonicalize points an outgoing request at the daemon with the canonical
// path, query and body, for the forwarder and the tunnel alike.
func canonicalize(out *http.Request, ex *Exchange) {
	out.URL.Scheme, out.URL.Host = "http", "docker"
	out.URL.Path, out.URL.RawPath = ex.Target.UpstreamPath(), ""
	out.URL.RawQuery = ex.Target.Query.Encode()
	out.Host = "docker"
	setBody(out, ex.Body)
}

// setBody replaces the outgoing body with the canonical bytes and a fixed
// Content-Length, so the daemon reads exactly what the policy judged.
func setBody(out *http.Request, b *Body) {
	if b.Raw {
		return
	}
	out.Header.Del("Transfer-Encoding")
	out.TransferEncoding = nil
	if b.Canonical == nil {
		out.Body = http.NoBody
		out.ContentLength = 0
		out.Header.Del("Content-Length")
		return
	}
	out.Body = io.NopCloser(bytes.NewReader(b.Canonical))
	out.ContentLength = int64(len(b.Canonical))
	out.Header.Set("Content-Length", strconv.Itoa(len(b.Canonical)))
	out.Header.Set("Content-Type", "application/json")
}

// upstreamError answers when the daemon could not be reached or failed mid
// request, in Docker's shape and with what to check.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		return // the client went away; nobody is left to answer
	}
	if errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		p.log.Warn("request to daemon timed out", "path", r.URL.Path, "timeout", p.cfg.RequestTimeout)
		writeError(w, http.StatusGatewayTimeout, "the Docker daemon did not answer within "+p.cfg.RequestTimeout.String()+" (--request-timeout)")
		return
	}
	p.log.Error("docker daemon unreachable", "upstream", p.cfg.Upstream.Addr, "error", err)
	writeError(w, http.StatusBadGateway, "the Docker daemon at "+p.cfg.Upstream.Addr+" is unreachable: "+err.Error()+"; check that dockerd is running and --upstream is right")
}

// Close ends every open tunnel; http.Server.Shutdown does not see hijacked
// connections, so a bounded shutdown needs this.
func (p *Proxy) Close() {
	if p.direct != nil {
		p.direct.Close()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.tunnels {
		c.Close()
	}
}

func (p *Proxy) track(c io.Closer) {
	p.mu.Lock()
	p.tunnels[c] = struct{}{}
	p.mu.Unlock()
}

func (p *Proxy) untrack(c io.Closer) {
	p.mu.Lock()
	delete(p.tunnels, c)
	p.mu.Unlock()
}

// bufferPool lends ReverseProxy its copy buffers instead of allocating 32
// KiB per response.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// inputBuffers hold each request's encoded policy input.
var inputBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func (bufferPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }

// decodeGeneric gives the policy the canonical body as generic JSON.
func decodeGeneric(ex *Exchange) error {
	if ex.Body.Canonical == nil {
		ex.Input.Request.Body = nil
		return nil
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(ex.Body.Canonical))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return err
	}
	ex.Input.Request.Body = generic
	return nil
}
