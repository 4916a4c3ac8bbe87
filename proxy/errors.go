package proxy

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Error is a refusal sent back in Docker's error shape.
type Error struct {
	Status  int
	Message string // without the "xcsproxy: " prefix
}

func (e *Error) Error() string { return e.Message }

func errorf(status int, msg string) *Error { return &Error{Status: status, Message: msg} }

// Rejection is the answer, in Docker's shape, to a request a listener
// refuses before the gate sees it (malformed, or its header too large).
func Rejection(status int, reason string) (contentType string, body []byte) {
	return "application/json", dockerError(reason)
}

func dockerError(msg string) []byte {
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{"xcsproxy: " + msg})
	return append(b, '\n')
}

// writeError answers in the shape every Docker client already parses, so the
// reason reaches the operator through XNAT or the docker CLI unchanged.
func writeError(w http.ResponseWriter, status int, msg string) {
	b := dockerError(msg)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
