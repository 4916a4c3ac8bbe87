package proxy

import "strings"

// BodyKind says what a route's request body is and how it is judged.
type BodyKind int

const (
	// BodyNone: the endpoint takes no body; anything beyond an empty body,
	// `null` or `{}` is refused.
	BodyNone BodyKind = iota
	// BodyJSON: the body is decoded into Docker's own type and re-encoded.
	BodyJSON
	// BodyRaw: an opaque stream (tar archives, build contexts) that no policy
	// can read; it is forwarded as is only when the endpoint is allowed.
	BodyRaw
)

// Route is one Docker Engine API endpoint.
type Route struct {
	Name    string // e.g. "container.create"
	Method  string
	Pattern string // Docker's path with {param}; {name*} takes several segments
	Body    BodyKind
	// NewBody returns a pointer to the Docker type a BodyJSON route decodes.
	NewBody func() any
	// Answer, when set, rewrites a successful answer's body, read whole,
	// before the client sees it: for what the daemon tells that no client
	// of xcsproxy may learn.
	Answer func(body []byte) []byte
	// Misread, when set, names what in a body some daemon reads that
	// NewBody's type drops: canonicalizing would quietly change such a
	// request, so it is refused instead.
	Misread func(body []byte) string
	// Stream marks responses that may run without end (events, logs, pulls,
	// waits): no deadline applies and every chunk is flushed at once.
	Stream bool
	// Hijack marks endpoints that switch protocols to a raw tunnel.
	Hijack bool
	// Local marks xcsproxy's own endpoints, answered by Config.Local.
	Local bool
	// OneAtATime marks endpoints whose requests are decided and forwarded
	// one at a time. A swarm service's tasks start, and restart, without
	// passing xcsproxy again, so its spec is judged against what every other
	// service binds (Facts.markNesting); two specs decided at the same
	// instant would each miss the other.
	OneAtATime bool

	prefix []string // segments before the greedy parameter (or all of them); {param} ones match anything
	greedy string   // the greedy parameter's name, "" when none
	suffix []string // fixed segments after the greedy parameter
}

// Match is the result of routing one canonical path.
type Match struct {
	Route  *Route
	Params map[string]string
}

// Unknown is the endpoint name of every path that matches no route.
const Unknown = "unknown"

// Router finds the Route for a method and canonical path.
type Router struct {
	routes []*Route
}

// NewRouter compiles a table. Exact routes win over parameterised ones, as
// in Docker's own router, because they come first in the table.
func NewRouter(table []Route) *Router {
	r := &Router{}
	for i := range table {
		rt := table[i]
		compilePattern(&rt)
		r.routes = append(r.routes, &rt)
	}
	return r
}

func compilePattern(rt *Route) {
	segs := strings.Split(strings.TrimPrefix(rt.Pattern, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "*}") {
			rt.greedy = s[1 : len(s)-2]
			rt.suffix = segs[i+1:]
			return
		}
		rt.prefix = append(rt.prefix, s)
	}
}

// Lookup returns the route for method and the canonical path's segments, or
// nil when nothing matches.
func (r *Router) Lookup(method string, segs []string) *Match {
	for _, rt := range r.routes {
		if rt.Method != method {
			continue
		}
		if m := rt.match(segs); m != nil {
			return m
		}
	}
	return nil
}

func (rt *Route) match(segs []string) *Match {
	if rt.greedy == "" {
		if len(segs) != len(rt.prefix) {
			return nil
		}
	} else if len(segs) < len(rt.prefix)+1+len(rt.suffix) {
		return nil
	}
	var params map[string]string
	for i, want := range rt.prefix {
		if want[0] == '{' {
			if params == nil {
				params = make(map[string]string, 2)
			}
			params[want[1:len(want)-1]] = segs[i]
			continue
		}
		if segs[i] != want {
			return nil
		}
	}
	if rt.greedy != "" {
		tail := segs[len(segs)-len(rt.suffix):]
		for i, want := range rt.suffix {
			if tail[i] != want {
				return nil
			}
		}
		if params == nil {
			params = make(map[string]string, 1)
		}
		params[rt.greedy] = strings.Join(segs[len(rt.prefix):len(segs)-len(rt.suffix)], "/")
	}
	return &Match{Route: rt, Params: params}
}
