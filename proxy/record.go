package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/xcsproxy/xcsproxy/audit"
	"github.com/xcsproxy/xcsproxy/policy"
)

// refuse answers a request xcsproxy turned away before (or instead of)
// asking the policy, and records that refusal.
func (p *Proxy) refuse(w http.ResponseWriter, r *http.Request, ex *Exchange, herr *Error) {
	endpoint := Unknown
	if ex != nil && ex.Route != nil {
		endpoint = ex.Route.Name
	}
	p.cfg.Metrics.request(endpoint, "refused")
	// The URI is the client's, query included, and a refusal may quote
	// it: the log redacts both, the record's reason is redacted here.
	reason := audit.RedactString(herr.Message)
	p.log.Info("refused", "method", r.Method, "uri", truncate(r.RequestURI), "status", herr.Status, "reason", reason)
	if p.cfg.Audit != nil {
		rec := &audit.Record{
			Type:        audit.TypeDecision,
			DecisionID:  audit.NewDecisionID(),
			Timestamp:   time.Now().UTC(),
			Path:        audit.DecisionPath,
			Endpoint:    Unknown,
			Method:      r.Method,
			RequestPath: truncate(r.URL.Path),
			Client:      clientDoc(r),
			Result:      &audit.Result{Allow: false, Reasons: []string{reason}, Status: herr.Status},
			Labels:      p.labels,
		}
		if ex != nil && ex.Route != nil {
			rec.DecisionID, rec.Endpoint = ex.ID, ex.Route.Name
		}
		if err := p.append(rec); err != nil {
			p.log.Error("audit log unavailable", "error", err)
		}
	}
	writeError(w, herr.Status, herr.Message)
}

// pooledRecord is a record with the parts it points to. The audit writer
// encodes a record before Append or Enqueue returns and keeps nothing of
// it, so a request's two records are reused rather than allocated: fresh,
// they were a sixth of the bytes a request allocated, and the collector's
// work grows with those bytes.
type pooledRecord struct {
	rec audit.Record
	res audit.Result
	out audit.Outcome
}

var recordPool = sync.Pool{New: func() any { return new(pooledRecord) }}

func getRecord() *pooledRecord { return recordPool.Get().(*pooledRecord) }

func (r *pooledRecord) release() {
	*r = pooledRecord{}
	recordPool.Put(r)
}

// recordDecision writes the decision record; its error means the request
// must not be forwarded.
func (p *Proxy) recordDecision(ex *Exchange, encoded []byte) error {
	if p.cfg.Audit == nil {
		return nil
	}
	pr := getRecord()
	defer pr.release()
	res := &pr.res
	// A reason may quote what the client sent (a fromSrc URL with its
	// password); the client is answered with the reasons whole.
	res.Allow, res.Reasons = ex.Decision.Allow, audit.RedactStrings(ex.Decision.Reasons)
	if len(ex.Decision.Patch) > 0 {
		res.Patch = audit.RedactPatch(ex.Decision.Patch, nil)
	}
	var input any = json.RawMessage(encoded)
	if encoded == nil || mayHoldSecrets(ex.Input) {
		input = audit.RedactInput(ex.Input.Map(), nil)
	}
	if res.Reasons == nil {
		res.Reasons = []string{}
	}
	if !res.Allow {
		res.Status = http.StatusForbidden
	}
	pr.rec = audit.Record{
		Type:           audit.TypeDecision,
		DecisionID:     ex.ID,
		Timestamp:      time.Now().UTC(),
		Path:           audit.DecisionPath,
		Endpoint:       ex.Route.Name,
		Method:         ex.Input.Request.Method,
		RequestPath:    ex.Target.Path,
		Client:         ex.ClientDoc,
		PolicyRevision: ex.Input.Proxy.PolicyRevision,
		Input:          input,
		Result:         res,
		Labels:         p.labels,
		Metrics:        audit.Metrics{RegoQueryEvalNS: ex.EvalTime.Nanoseconds()},
	}
	return p.append(&pr.rec)
}

// recordOutcome writes what the daemon answered to a forwarded request.
func (p *Proxy) recordOutcome(ex *Exchange, rec *responseRecorder, forwardErr error) {
	if p.cfg.Audit == nil {
		return
	}
	pr := getRecord()
	defer pr.release()
	pr.out = audit.Outcome{
		Status:     rec.status,
		ObjectID:   ex.ObjectID,
		Bytes:      rec.bytes,
		DurationMS: float64(time.Since(ex.Start).Microseconds()) / 1000,
		Error:      errorText(forwardErr),
	}
	pr.rec = audit.Record{
		Type:       audit.TypeOutcome,
		DecisionID: ex.ID,
		Timestamp:  time.Now().UTC(),
		Endpoint:   ex.Route.Name,
		Outcome:    &pr.out,
	}
	// The outcome rides along with the next decision's write (or follows
	// within milliseconds): nothing waits on it, and that halves the
	// writes per request. A write that fails surfaces on that decision.
	if err := p.cfg.Audit.Enqueue(&pr.rec); err != nil {
		p.log.Error("audit outcome not written", "decision_id", ex.ID, "error", err)
	}
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// append writes one record, timing it and remembering whether the log
// can be written (for readiness).
func (p *Proxy) append(rec *audit.Record) error {
	start := time.Now()
	err := p.cfg.Audit.Append(rec)
	p.cfg.Metrics.auditWrite(time.Since(start), err)
	p.auditBroken.Store(err != nil)
	return err
}

// AuditHealthy reports whether the last audit write succeeded.
func (p *Proxy) AuditHealthy() bool { return !p.auditBroken.Load() }

// mayHoldSecrets reports whether the input's record must be redacted,
// asking only about the parts that can carry secrets (the request's
// parameters, query and body, and the facts), where they are: this is asked
// on every request. Client and proxy descriptions hold none.
func mayHoldSecrets(in *policy.Input) bool {
	if audit.SecretBody(in.Request.Endpoint) && in.Request.Body != nil {
		return true
	}
	for _, part := range []any{in.Request.Params, in.Request.Query, in.Request.Body, in.Image, in.Target, in.Containers, in.Mounts, in.Registry} {
		if audit.ValueNeedsRedaction(part, nil) {
			return true
		}
	}
	return false
}

func clientDoc(r *http.Request) map[string]any {
	_, doc := clientOf(r)
	return doc
}

// creates are the endpoints whose answer names the object they made.
var creates = map[string]bool{"container.create": true, "service.create": true, "exec.create": true}

// modifyResponse is ReverseProxy's hook: the answers holdAnswer holds are
// passed on as it leaves them, with their length.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	ex, ok := resp.Request.Context().Value(exchangeKey{}).(*Exchange)
	if !ok {
		return nil
	}
	b, held, err := holdAnswer(ex, resp.StatusCode, resp.Body)
	if !held {
		return nil
	}
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body, resp.ContentLength, resp.TransferEncoding = io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return nil
}

// createdID reads the id from a create's answer ({"Id": ...} for
// containers, {"ID": ...} for services).
func createdID(b []byte) string {
	var created struct {
		ID  string `json:"Id"`
		ID2 string `json:"ID"`
	}
	if json.Unmarshal(b, &created) != nil {
		return ""
	}
	if created.ID != "" {
		return created.ID
	}
	return created.ID2
}

// responseRecorder notes the status and size of what reaches the client.
type responseRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *responseRecorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 || code == http.StatusSwitchingProtocols {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *responseRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (r *responseRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
