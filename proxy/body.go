package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// Body is a request body after canonicalization: what the policy judges and
// what is forwarded are the same bytes.
type Body struct {
	// Canonical is the re-encoded body; nil when there is none.
	Canonical []byte
	// Typed is the decoded Docker type (a pointer), nil when there is none.
	Typed any
	// Raw marks an opaque body (BodyRaw routes) left in the request stream.
	Raw bool
}

// readBody reads and canonicalizes a request body for route. It reads the
// bytes actually sent (never trusting Content-Length), refuses more than max
// with 413, and for JSON endpoints decodes into Docker's own type the way the
// daemon does (encoding/json: case-insensitive keys, merging duplicates),
// rejects trailing data, and re-encodes.
func readBody(r *http.Request, rt *Route, max int64) (*Body, *Error) {
	if rt.Body == BodyRaw {
		return &Body{Raw: true}, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than the %d-byte limit (--max-body)", max))
		}
		return nil, errorf(http.StatusBadRequest, "reading request body: "+err.Error())
	}
	if int64(len(raw)) > max {
		return nil, errorf(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than the %d-byte limit (--max-body)", max))
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return &Body{}, nil
	}
	if rt.Body == BodyNone {
		if bytes.Equal(trimmed, []byte("{}")) {
			return &Body{}, nil
		}
		return nil, errorf(http.StatusBadRequest, fmt.Sprintf("endpoint %s takes no request body", rt.Name))
	}
	if e := checkJSONMediaType(r.Header.Get("Content-Type")); e != nil {
		return nil, e
	}
	v := rt.NewBody()
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		return nil, errorf(http.StatusBadRequest, fmt.Sprintf("malformed JSON body for %s: %v", rt.Name, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(http.StatusBadRequest, fmt.Sprintf("malformed JSON body for %s: trailing data after the JSON value", rt.Name))
	}
	if rt.Misread != nil {
		if what := rt.Misread(trimmed); what != "" {
			return nil, errorf(http.StatusBadRequest, fmt.Sprintf("%s: %s", rt.Name, what))
		}
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, fmt.Sprintf("re-encoding body for %s: %v", rt.Name, err))
	}
	return &Body{Canonical: canon, Typed: v}, nil
}

// checkJSONMediaType accepts application/json with any parameters and
// nothing else: a daemon that sniffs bodies must never see a JSON body the
// policy was told was something else.
func checkJSONMediaType(ct string) *Error {
	if ct == "" {
		return errorf(http.StatusBadRequest, "a JSON body needs Content-Type: application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return errorf(http.StatusBadRequest, fmt.Sprintf("Content-Type %q is not application/json", ct))
	}
	return nil
}

// setCanonicalBody makes v the body forwarded, re-encoded as Docker's type.
func (ex *Exchange) setCanonicalBody(v any) error {
	canon, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(canon))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return err
	}
	ex.Body.Canonical, ex.Body.Typed = canon, v
	ex.Input.Request.Body = generic
	return nil
}
