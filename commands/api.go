package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// API serves xcsproxy's own Command endpoints. The proxy has already
// decided and audited each request before it gets here.
type API struct {
	Launcher *Launcher
}

// ServeLocal answers command.list, command.inspect and command.launch.
func (a *API) ServeLocal(w http.ResponseWriter, r *http.Request, endpoint string, params map[string]string, body []byte, decisionID string) {
	switch endpoint {
	case "command.list":
		writeJSON(w, http.StatusOK, map[string]any{"commands": a.Launcher.Store.List(), "problems": a.Launcher.Store.Problems()})
	case "command.inspect":
		e, ok := a.Launcher.Store.Get(params["name"])
		if !ok {
			writeProblem(w, &LaunchError{Status: http.StatusNotFound, Message: fmt.Sprintf("no command named %q", params["name"])})
			return
		}
		writeJSON(w, http.StatusOK, e)
	case "command.launch":
		var req Launch
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if len(body) > 0 {
			if err := dec.Decode(&req); err != nil {
				writeProblem(w, &LaunchError{Status: http.StatusBadRequest, Message: "launch request: " + err.Error()})
				return
			}
		}
		res, err := a.Launcher.Launch(r.Context(), params["name"], req)
		if err != nil {
			var le *LaunchError
			if !errors.As(err, &le) {
				le = &LaunchError{Status: http.StatusInternalServerError, Message: err.Error()}
			}
			writeProblem(w, le)
			return
		}
		writeJSON(w, http.StatusCreated, struct {
			*Result
			DecisionID string `json:"decision_id"`
		}{res, decisionID})
	default:
		writeProblem(w, &LaunchError{Status: http.StatusNotFound, Message: "no such xcsproxy endpoint " + endpoint})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeProblem answers in Docker's error shape, with every problem listed.
func writeProblem(w http.ResponseWriter, e *LaunchError) {
	writeJSON(w, e.Status, map[string]any{"message": "xcsproxy: " + e.Message, "problems": e.Problems})
}
