package audit

import (
	"strconv"
	"time"

	"github.com/xcsproxy/xcsproxy/canonjson"
)

// appendFields appends the record's fields (not seq and prev_hash, which
// the writer leads the line with) as the inside of a JSON object, in the
// order and shape encoding/json gives the struct tags. Every request writes
// two records, and reflection over this struct cost more than the rest of
// the audit write; TestRecordFieldsMatchEncodingJSON holds the two equal.
func (r *Record) appendFields(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `"type":`...)
	dst = canonjson.AppendString(dst, r.Type)
	dst = append(dst, `,"decision_id":`...)
	dst = canonjson.AppendString(dst, r.DecisionID)
	dst = append(dst, `,"timestamp":"`...)
	dst = r.Timestamp.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	dst = appendStringField(dst, "path", r.Path, true)
	dst = appendStringField(dst, "endpoint", r.Endpoint, false)
	dst = appendStringField(dst, "method", r.Method, true)
	dst = appendStringField(dst, "request_path", r.RequestPath, true)
	if dst, err = appendValueField(dst, "client", r.Client, len(r.Client) > 0); err != nil {
		return dst, err
	}
	dst = appendStringField(dst, "policy_revision", r.PolicyRevision, true)
	if dst, err = appendValueField(dst, "input", r.Input, r.Input != nil); err != nil {
		return dst, err
	}
	if r.Result != nil {
		if dst, err = r.Result.appendJSON(appendFieldName(dst, "result")); err != nil {
			return dst, err
		}
	}
	if dst, err = appendValueField(dst, "labels", r.Labels, len(r.Labels) > 0); err != nil {
		return dst, err
	}
	if r.Metrics != (Metrics{}) {
		dst = append(appendFieldName(dst, "metrics"), `{"timer_rego_query_eval_ns":`...)
		dst = append(strconv.AppendInt(dst, r.Metrics.RegoQueryEvalNS, 10), '}')
	}
	if r.Outcome != nil {
		if dst, err = r.Outcome.appendJSON(appendFieldName(dst, "outcome")); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func appendStringField(dst []byte, name, value string, omitEmpty bool) []byte {
	if omitEmpty && value == "" {
		return dst
	}
	return canonjson.AppendString(appendFieldName(dst, name), value)
}

// appendValueField appends ,"name":v when present (omitempty's test is the
// caller's: len for maps, nil for the input).
func appendValueField(dst []byte, name string, v any, present bool) ([]byte, error) {
	if !present {
		return dst, nil
	}
	return canonjson.Append(appendFieldName(dst, name), v)
}

func appendFieldName(dst []byte, name string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

func (r *Result) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"allow":`...)
	dst = strconv.AppendBool(dst, r.Allow)
	dst = append(dst, `,"reasons":`...)
	dst = canonjson.AppendStrings(dst, r.Reasons)
	if dst, err = appendValueField(dst, "patch", r.Patch, len(r.Patch) > 0); err != nil {
		return dst, err
	}
	if r.Status != 0 {
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(r.Status), 10)
	}
	return append(dst, '}'), nil
}

func (o *Outcome) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"status":`...)
	dst = strconv.AppendInt(dst, int64(o.Status), 10)
	dst = appendStringField(dst, "object_id", o.ObjectID, true)
	dst = append(dst, `,"bytes":`...)
	dst = strconv.AppendInt(dst, o.Bytes, 10)
	dst = append(dst, `,"duration_ms":`...)
	if dst, err = canonjson.AppendFloat(dst, o.DurationMS); err != nil {
		return dst, err
	}
	dst = appendStringField(dst, "error", o.Error, true)
	return append(dst, '}'), nil
}
