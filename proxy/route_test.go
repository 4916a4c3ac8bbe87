package proxy

import (
	"strings"
	"testing"
)

// TestEveryRouteIsReachableByItsOwnPath builds a concrete path from each
// route's pattern and checks the router finds exactly that route.
func TestEveryRouteIsReachableByItsOwnPath(t *testing.T) {
	r := NewRouter(DockerAPI)
	for _, rt := range DockerAPI {
		path := strings.NewReplacer("{id}", "abc123", "{name}", "vol1", "{checkpoint}", "cp1",
			"{name*}", "registry.example.org:5000/neuro/dcm2niix:1.0").Replace(rt.Pattern)
		t.Run(rt.Name+" "+rt.Method+" "+path, func(t *testing.T) {
			target, err := ParseTarget(path)
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", path, err)
			}
			m := r.Lookup(rt.Method, target.Segments)
			if m == nil {
				t.Fatalf("no route for %s %s", rt.Method, path)
			}
			if m.Route.Name != rt.Name || m.Route.Pattern != rt.Pattern {
				t.Fatalf("%s %s routed to %s (%s), want %s (%s)", rt.Method, path, m.Route.Name, m.Route.Pattern, rt.Name, rt.Pattern)
			}
		})
	}
}

func TestRoutesExtractTheirParameters(t *testing.T) {
	r := NewRouter(DockerAPI)
	cases := []struct {
		name, method, path, endpoint string
		params                       map[string]string
	}{
		{"container start names the id", "POST", "/containers/abc/start", "container.start", map[string]string{"id": "abc"}},
		{"image inspect keeps a registry, port and tag", "GET", "/images/localhost:5000/xnat/dcm2niix:latest/json", "image.inspect", map[string]string{"name": "localhost:5000/xnat/dcm2niix:latest"}},
		{"image delete by digest", "DELETE", "/images/xnat/tool@sha256:abcd", "image.remove", map[string]string{"name": "xnat/tool@sha256:abcd"}},
		{"image named json is still an inspect", "GET", "/images/json/json", "image.inspect", map[string]string{"name": "json"}},
		{"image list wins over inspect", "GET", "/images/json", "image.list", nil},
		{"exec start names the exec id", "POST", "/exec/e1/start", "exec.start", map[string]string{"id": "e1"}},
		{"plugin names may hold slashes", "POST", "/plugins/vieux/sshfs:latest/enable", "plugin.enable", map[string]string{"name": "vieux/sshfs:latest"}},
		{"checkpoint delete names both", "DELETE", "/containers/c1/checkpoints/cp", "container.checkpoint_remove", map[string]string{"id": "c1", "checkpoint": "cp"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target, err := ParseTarget(c.path)
			if err != nil {
				t.Fatal(err)
			}
			m := r.Lookup(c.method, target.Segments)
			if m == nil || m.Route.Name != c.endpoint {
				t.Fatalf("%s %s: got %+v, want %s", c.method, c.path, m, c.endpoint)
			}
			for k, v := range c.params {
				if m.Params[k] != v {
					t.Errorf("param %s = %q, want %q", k, m.Params[k], v)
				}
			}
		})
	}
}

func TestPathsThatMatchNothingAreUnknown(t *testing.T) {
	r := NewRouter(DockerAPI)
	for _, c := range []struct{ method, path string }{
		{"GET", "/containers/create"},     // wrong method
		{"POST", "/Containers/create"},    // Docker's router is case-sensitive
		{"GET", "/containers/abc/exec"},   // exec create is POST only
		{"POST", "/containers/a/b/start"}, // an id cannot hold a slash
		{"GET", "/imagesx"},
		{"GET", "/debug/pprof/goroutine"}, // not part of the Engine API
		{"POST", "/containers/abc/copy"},  // removed before 1.24
	} {
		target, err := ParseTarget(c.path)
		if err != nil {
			continue // refused earlier is fine too
		}
		if m := r.Lookup(c.method, target.Segments); m != nil {
			t.Errorf("%s %s routed to %s; want no route", c.method, c.path, m.Route.Name)
		}
	}
}
