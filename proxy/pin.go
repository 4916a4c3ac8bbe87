package proxy

import (
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

// The daemon resolves a container reference as a full id, then as a name,
// then as a unique prefix of an id; swarm resolves services alike. A client
// may name its container after the first characters of another container's
// id: the name reaches its own container while that exists, and the prefix
// reaches the other one the moment it is removed. Forwarded as the client
// wrote it, a request judged on the one could act on the other, so it is
// forwarded naming what was judged by full id (pinned), and a request whose
// object did not exist when judged is answered here.

// pin rewrites the forwarded request to name the objects the decision was
// about by their full ids. It runs after the decision was recorded: the
// record's facts (target.id, containers[...].id) name those objects. When
// the request's target did not exist when it was judged, pin changes nothing
// and returns the target's kind, for the caller to answer 404.
func pin(ex *Exchange) (missing string, err error) {
	if t := ex.Input.Target; t != nil {
		if exists, _ := t["exists"].(bool); !exists {
			kind, _ := t["kind"].(string)
			return kind, nil
		}
		id, _ := t["id"].(string)
		if id == "" {
			return "", fmt.Errorf("the %s's facts have no id", t["kind"])
		}
		kind, _ := t["kind"].(string)
		if err := ex.Target.setParam(ex.Route, targetParam(kind), id); err != nil {
			return "", err
		}
	}
	changed := false
	if create, ok := ex.Body.Typed.(*container.CreateRequest); ok && create.HostConfig != nil {
		changed = pinReferences(create.HostConfig, ex.Input.Containers)
	}
	if ref, rename := namedContainer(ex); rename != nil {
		if id, ok := judgedID(ex.Input.Containers, ref); ok {
			changed = rename(id) || changed
		}
	}
	if changed {
		if err := ex.setCanonicalBody(ex.Body.Typed); err != nil {
			return "", fmt.Errorf("re-encoding the pinned body: %w", err)
		}
	}
	return "", nil
}

// judgedID is the full id of the container judged for ref (facts keyed by
// the reference as written), when that differs from ref.
func judgedID(judged map[string]any, ref string) (string, bool) {
	fact, _ := judged[ref].(map[string]any)
	id, _ := fact["id"].(string)
	return id, id != "" && id != ref
}

// namedContainer is the container a request names outside its path: a
// network connection's, in its body, or a commit's, in its query. The facts
// describe it and the pinning renames it; rename names it by another
// reference and reports whether that changed the body. rename is nil for
// other requests.
func namedContainer(ex *Exchange) (ref string, rename func(string) (bodyChanged bool)) {
	switch body := ex.Body.Typed.(type) {
	case *network.ConnectOptions:
		return body.Container, func(id string) bool { body.Container = id; return true }
	case *network.DisconnectOptions:
		return body.Container, func(id string) bool { body.Container = id; return true }
	}
	if ex.Route.Name == "image.commit" {
		return ex.Target.Query.Get("container"), func(id string) bool { ex.Target.Query.Set("container", id); return false }
	}
	return "", nil
}

// pinReferences points a create's container:<ref> modes and legacy links at
// the containers judged (facts keyed by the reference as written), and
// reports whether anything changed.
func pinReferences(hc *container.HostConfig, judged map[string]any) bool {
	changed := false
	for _, mode := range []*string{(*string)(&hc.NetworkMode), (*string)(&hc.PidMode), (*string)(&hc.IpcMode)} {
		if ref, ok := strings.CutPrefix(*mode, "container:"); ok {
			if id, ok := judgedID(judged, ref); ok {
				*mode, changed = "container:"+id, true
			}
		}
	}
	// On a network of its own making a link is a name the network's DNS
	// answers at query time, not a reference the daemon resolves at create;
	// only the default bridge's legacy links (which copy the linked
	// container's environment into this one) are pinned.
	if !defaultBridge(hc.NetworkMode) {
		return changed
	}
	for i, l := range hc.Links {
		name, alias, hasAlias := strings.Cut(l, ":")
		ref := strings.TrimPrefix(name, "/")
		id, ok := judgedID(judged, ref)
		if !ok {
			continue
		}
		if !hasAlias {
			alias = ref // the name the client gave stays the link's name
		}
		hc.Links[i], changed = id+":"+alias, true
	}
	return changed
}

func defaultBridge(mode container.NetworkMode) bool {
	return mode == "" || mode == "default" || mode == "bridge"
}

// setParam replaces the path segment that holds the route's parameter.
func (t *Target) setParam(rt *Route, name, value string) error {
	for i, seg := range rt.prefix {
		if seg == "{"+name+"}" {
			if i >= len(t.Segments) {
				break
			}
			segs := append([]string(nil), t.Segments...)
			segs[i] = value
			t.Segments, t.Path = segs, "/"+strings.Join(segs, "/")
			return nil
		}
	}
	return fmt.Errorf("route %s has no {%s} segment to pin", rt.Name, name)
}
