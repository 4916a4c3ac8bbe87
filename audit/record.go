package audit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Record types.
const (
	TypeDecision = "decision"
	TypeOutcome  = "outcome"
)

// DecisionPath is the OPA decision-log "path" of xcsproxy's query.
const DecisionPath = "xcsproxy/decision"

// Record is one audit line. Field names follow OPA's decision logs where
// they exist (decision_id, timestamp, path, input, result, labels, metrics).
type Record struct {
	// Seq and PrevHash lead every line; the writer puts them there itself.
	Seq            uint64         `json:"seq,omitempty"`
	PrevHash       string         `json:"prev_hash,omitempty"`
	Type           string         `json:"type"`
	DecisionID     string         `json:"decision_id"`
	Timestamp      time.Time      `json:"timestamp"`
	Path           string         `json:"path,omitempty"`
	Endpoint       string         `json:"endpoint"`
	Method         string         `json:"method,omitempty"`
	RequestPath    string         `json:"request_path,omitempty"`
	Client         map[string]any `json:"client,omitempty"`
	PolicyRevision string         `json:"policy_revision,omitempty"`
	// Input is the (redacted) policy input: a map, or its JSON as a
	// json.RawMessage when the writer already has the bytes.
	Input   any            `json:"input,omitempty"`
	Result  *Result        `json:"result,omitempty"`
	Labels  map[string]any `json:"labels,omitempty"`
	Metrics Metrics        `json:"metrics,omitzero"`
	Outcome *Outcome       `json:"outcome,omitempty"`
}

// Metrics are a decision's timings, named as OPA's decision logs name them.
// A struct rather than a map: every request's record carries one, and a map
// was a tenth of the bytes a request allocated.
type Metrics struct {
	RegoQueryEvalNS int64 `json:"timer_rego_query_eval_ns,omitempty"`
}

// Result is the decision as the policy gave it (or the refusal before it).
type Result struct {
	Allow   bool           `json:"allow"`
	Reasons []string       `json:"reasons"`
	Patch   map[string]any `json:"patch,omitempty"`
	// Status is the HTTP status xcsproxy answered with itself when it
	// refused; 0 when the request was forwarded.
	Status int `json:"status,omitempty"`
}

// Outcome is what happened to a forwarded request.
type Outcome struct {
	Status     int     `json:"status"`
	ObjectID   string  `json:"object_id,omitempty"`
	Bytes      int64   `json:"bytes"`
	DurationMS float64 `json:"duration_ms"`
	Error      string  `json:"error,omitempty"`
}

// NewDecisionID returns a random UUID (version 4), as OPA uses.
func NewDecisionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var id [36]byte
	hex.Encode(id[0:8], b[0:4])
	hex.Encode(id[9:13], b[4:6])
	hex.Encode(id[14:18], b[6:8])
	hex.Encode(id[19:23], b[8:10])
	hex.Encode(id[24:36], b[10:16])
	id[8], id[13], id[18], id[23] = '-', '-', '-', '-'
	return string(id[:])
}

// InputMap is the record's input as a generic document.
func (r *Record) InputMap() map[string]any {
	switch in := r.Input.(type) {
	case map[string]any:
		return in
	case json.RawMessage:
		var m map[string]any
		_ = json.Unmarshal(in, &m)
		return m
	}
	return nil
}
