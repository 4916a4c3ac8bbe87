package audit

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// benchRecord is a decision record as the proxy writes one for a poll: the
// input already encoded, the client and labels shared.
func benchRecord() *Record {
	return &Record{
		Type: TypeDecision, DecisionID: NewDecisionID(), Timestamp: time.Now().UTC(), Path: DecisionPath,
		Endpoint: "container.inspect", Method: "GET", RequestPath: "/containers/0123456789ab/json",
		Client:         map[string]any{"gid": 1000, "listener": "unix:///run/xcsproxy/docker.sock", "pid": 4242, "transport": "unix", "uid": 1000},
		PolicyRevision: "0123456789ab",
		Input: json.RawMessage(`{"client":{"gid":1000,"listener":"unix:///run/xcsproxy/docker.sock","pid":4242,"transport":"unix","uid":1000},"containers":{},"mounts":[],` +
			`"proxy":{"managed_label":"org.xcsproxy.managed","policy_revision":"0123456789ab","protected_paths":["/var/run/docker.sock","/run/containerd"],"version":"dev"},` +
			`"request":{"api_version":"1.41","body":null,"content_type":"","endpoint":"container.inspect","method":"GET","params":{"id":"0123456789ab"},"path":"/containers/0123456789ab/json","query":{}},` +
			`"target":{"exists":true,"id":"0123456789abcdef","kind":"container","managed":true,"name":"job-1"}}`),
		Result:  &Result{Allow: true, Reasons: []string{}},
		Labels:  map[string]any{"app": "xcsproxy", "version": "dev"},
		Metrics: Metrics{RegoQueryEvalNS: 38000},
	}
}

// BenchmarkRecordEncodingAndChaining is the CPU of one record without the
// write: its fields encoded and the line hashed onto the chain.
func BenchmarkRecordEncodingAndChaining(b *testing.B) {
	rec := benchRecord()
	h := newChainHasher()
	var line []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		if line, err = rec.appendFields(line[:0]); err != nil {
			b.Fatal(err)
		}
		line = h.append(line, "0000000000000000000000000000000000000000000000000000000000000000", line)
	}
}

// BenchmarkAppend is a whole Append into a file (no fsync), as the proxy
// calls it once before forwarding.
func BenchmarkAppend(b *testing.B) {
	w, err := Open(filepath.Join(b.TempDir(), "audit.log"), Options{Sync: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rec := benchRecord()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := w.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
}
