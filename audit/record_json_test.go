package audit

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
	"time"
)

func TestRecordFieldsMatchEncodingJSON(t *testing.T) {
	ts := time.Date(2026, 11, 28, 22, 8, 14, 123456789, time.UTC)
	cases := []struct {
		name string
		rec  Record
	}{
		{"an allowed decision with its input as raw bytes", Record{
			Type: TypeDecision, DecisionID: "d1", Timestamp: ts, Path: DecisionPath, Endpoint: "system.ping", Method: "GET",
			RequestPath: "/_ping", Client: map[string]any{"uid": 1000, "transport": "unix"}, PolicyRevision: "abc",
			Input:  json.RawMessage(`{"request":{"endpoint":"system.ping"}}`),
			Result: &Result{Allow: true, Reasons: []string{}}, Labels: map[string]any{"app": "xcsproxy", "version": "dev"},
			Metrics: Metrics{RegoQueryEvalNS: 1234},
		}},
		{"a denied create with a redacted input map and a patch", Record{
			Type: TypeDecision, DecisionID: "d2", Timestamp: ts.Add(time.Hour), Endpoint: "container.create",
			Input:  map[string]any{"request": map[string]any{"body": map[string]any{"Env": []any{"A=<redacted>"}}}},
			Result: &Result{Allow: false, Reasons: []string{"privileged containers are not allowed", "quote \" and <html>"}, Patch: map[string]any{"body": map[string]any{"Labels": map[string]any{"b": "1", "a": "2"}}}, Status: 403},
		}},
		{"a refusal before the policy with nil reasons", Record{Type: TypeDecision, DecisionID: "d3", Timestamp: ts, Endpoint: "unknown", Result: &Result{}}},
		{"an outcome with an object id and a fractional duration", Record{
			Type: TypeOutcome, DecisionID: "d4", Timestamp: ts, Endpoint: "container.create",
			Outcome: &Outcome{Status: 201, ObjectID: "abc123", Bytes: 88, DurationMS: 12.345},
		}},
		{"an outcome that failed, in a zone other than UTC", Record{
			Type: TypeOutcome, DecisionID: "d5", Timestamp: ts.In(time.FixedZone("x", 3600)), Endpoint: "container.logs",
			Outcome: &Outcome{Status: 502, Bytes: 0, DurationMS: 0, Error: "daemon went away"},
		}},
		{"empty client and labels maps and zero metrics are left out", Record{Type: TypeOutcome, DecisionID: "d6", Timestamp: ts, Client: map[string]any{}, Labels: map[string]any{}, Metrics: Metrics{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.rec.appendFields(nil)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(&c.rec); err != nil {
				t.Fatal(err)
			}
			want := bytes.TrimSuffix(buf.Bytes(), []byte("}\n"))[1:]
			if !bytes.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestDecisionIDsAreVersion4UUIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewDecisionID()
		if !uuid.MatchString(id) {
			t.Fatalf("%q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%q came twice", id)
		}
		seen[id] = true
	}
}
