package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// Gate is the way a launch reaches Docker: the proxy's own pipeline, so the
// create and start it issues are decided, audited and stamped like any
// other client's.
type Gate interface {
	Do(ctx context.Context, method, path string, body any) (status int, answer []byte, err error)
}

// Launcher resolves Commands from the store and runs them through the gate.
type Launcher struct {
	Store   *Store
	Options Options
	Gate    Gate
}

// Result is what a launch made.
type Result struct {
	ContainerID string            `json:"container_id,omitempty"`
	ServiceID   string            `json:"service_id,omitempty"`
	CommandLine string            `json:"command_line"`
	Mounts      map[string]string `json:"mounts,omitempty"` // mount name → host path
}

// LaunchError is a refused or failed launch, with the HTTP status to answer.
type LaunchError struct {
	Status   int
	Message  string
	Problems []string
}

func (e *LaunchError) Error() string { return e.Message }

// Plan resolves and translates a launch without running anything: what
// `command resolve` prints and what Launch then issues.
type Plan struct {
	Resolved *Resolved
	Create   *Create
	Service  any
}

// Prepare resolves a Command for a launch and builds its Docker request.
func Prepare(c *Command, req Launch, o Options) (*Plan, error) {
	r, err := Resolve(c, req)
	if err != nil {
		re := err.(*ResolveError)
		return nil, &LaunchError{Status: http.StatusBadRequest, Message: strings.Join(re.Problems, " "), Problems: re.Problems}
	}
	plan := &Plan{Resolved: r}
	switch req.Backend {
	case "", "docker":
		plan.Create, err = ContainerCreate(r, o)
	case "swarm":
		plan.Service, err = ServiceSpec(r, o)
	default:
		err = fmt.Errorf("backend %q is not docker or swarm", req.Backend)
	}
	if err != nil {
		return nil, &LaunchError{Status: http.StatusBadRequest, Message: err.Error(), Problems: []string{err.Error()}}
	}
	return plan, nil
}

// Launch runs a stored Command. Nothing is left behind when it fails: the
// output directories it made are removed, and so is a container or service
// that was created but could not be started.
func (l *Launcher) Launch(ctx context.Context, name string, req Launch) (*Result, error) {
	entry, ok := l.Store.Get(name)
	if !ok {
		return nil, &LaunchError{Status: http.StatusNotFound, Message: fmt.Sprintf("no command named %q (see GET /xcsproxy/v1/commands)", name)}
	}
	plan, err := Prepare(entry.Command, req, l.Options)
	if err != nil {
		return nil, err
	}
	res := &Result{CommandLine: plan.Resolved.CommandLine, Mounts: map[string]string{}}
	var made []string
	for _, m := range plan.Resolved.Mounts {
		res.Mounts[m.Name] = m.HostPath
		if m.Output {
			if err := os.MkdirAll(m.HostPath, 0o755); err != nil {
				removeAll(made)
				return nil, &LaunchError{Status: http.StatusInternalServerError, Message: fmt.Sprintf("creating output directory for mount %q: %v", m.Name, err)}
			}
			made = append(made, m.HostPath)
		}
	}
	if plan.Create != nil {
		res.ContainerID, err = l.runContainer(ctx, plan.Create)
	} else {
		res.ServiceID, err = l.runService(ctx, plan.Service)
	}
	if err != nil {
		removeAll(made)
		return nil, err
	}
	return res, nil
}

func (l *Launcher) runContainer(ctx context.Context, c *Create) (string, error) {
	path := "/containers/create"
	if c.Name != "" {
		path += "?name=" + url.QueryEscape(c.Name)
	}
	var created struct{ Id string }
	if err := l.call(ctx, "POST", path, c.CreateRequest, http.StatusCreated, &created); err != nil {
		return "", err
	}
	if err := l.call(ctx, "POST", "/containers/"+created.Id+"/start", nil, http.StatusNoContent, nil); err != nil {
		_ = l.call(ctx, "DELETE", "/containers/"+created.Id+"?force=true", nil, http.StatusNoContent, nil)
		return "", err
	}
	return created.Id, nil
}

// runService creates the service with no replicas and scales it to one, as
// CS's swarm backend does.
func (l *Launcher) runService(ctx context.Context, spec any) (string, error) {
	var created struct{ ID string }
	if err := l.call(ctx, "POST", "/services/create", spec, http.StatusCreated, &created); err != nil {
		return "", err
	}
	fail := func(err error) (string, error) {
		_ = l.call(ctx, "DELETE", "/services/"+created.ID, nil, http.StatusOK, nil)
		return "", err
	}
	var svc struct {
		Version struct{ Index uint64 }
		Spec    map[string]any
	}
	if err := l.call(ctx, "GET", "/services/"+created.ID, nil, http.StatusOK, &svc); err != nil {
		return fail(err)
	}
	svc.Spec["Mode"] = map[string]any{"Replicated": map[string]any{"Replicas": 1}}
	if err := l.call(ctx, "POST", fmt.Sprintf("/services/%s/update?version=%d", created.ID, svc.Version.Index), svc.Spec, http.StatusOK, nil); err != nil {
		return fail(err)
	}
	return created.ID, nil
}

// call sends one request through the gate and decodes the answer.
func (l *Launcher) call(ctx context.Context, method, path string, body any, want int, out any) error {
	status, answer, err := l.Gate.Do(ctx, method, path, body)
	if err != nil {
		return &LaunchError{Status: http.StatusBadGateway, Message: fmt.Sprintf("%s %s: %v", method, path, err)}
	}
	if status != want {
		var msg struct{ Message string }
		_ = json.Unmarshal(answer, &msg)
		if msg.Message == "" {
			msg.Message = strings.TrimSpace(string(answer))
		}
		return &LaunchError{Status: status, Message: strings.TrimPrefix(msg.Message, "xcsproxy: "), Problems: []string{msg.Message}}
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			return &LaunchError{Status: http.StatusBadGateway, Message: fmt.Sprintf("%s %s: unreadable answer: %v", method, path, err)}
		}
	}
	return nil
}

func removeAll(dirs []string) {
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
}
