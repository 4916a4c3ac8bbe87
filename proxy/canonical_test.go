package proxy

import (
	"errors"
	"testing"
)

func TestParseTargetRefusesNonCanonicalForms(t *testing.T) {
	for _, c := range []struct{ name, uri string }{
		{"dot-dot segment", "/containers/../exec/x/start"},
		{"dot segment", "/containers/./create"},
		{"doubled slash", "//containers/create"},
		{"doubled slash inside", "/containers//create"},
		{"trailing slash", "/containers/create/"},
		{"encoded slash", "/containers%2fcreate"},
		{"encoded slash upper case", "/containers%2Fcreate"},
		{"encoded dot segment", "/containers/%2e%2e/exec/x/start"},
		{"encoded NUL", "/containers/abc%00/start"},
		{"double-encoded slash", "/containers%252fcreate"},
		{"encoded backslash", "/containers%5ccreate"},
		{"semicolon parameter", "/containers/abc;x/start"},
		{"raw backslash", "/containers\\create"},
		{"space", "/containers/a b/start"},
		{"absolute-form target", "http://docker/containers/create"},
		{"root only", "/"},
		{"version only", "/v1.41"},
		{"version below the floor", "/v1.23/containers/abc/start"},
		{"malformed version", "/v1/containers/json"},
		{"three-part version", "/v1.4.1/containers/json"},
		{"version with a leading zero", "/v01.41/containers/json"},
		{"bad percent-encoding", "/containers/%zz/json"},
		{"semicolon in query", "/containers/json?all=1;x=2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			target, err := ParseTarget(c.uri)
			var ce *CanonicalError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseTarget(%q) = %+v, %v; want a CanonicalError", c.uri, target, err)
			}
		})
	}
}

func TestParseTargetCanonicalizes(t *testing.T) {
	for _, c := range []struct {
		name, uri, version, path, upstream string
	}{
		{"unversioned path as CS sends it", "/containers/create?name=x", "", "/containers/create", "/containers/create"},
		{"versioned path keeps its version upstream", "/v1.41/containers/json?all=1", "1.41", "/containers/json", "/v1.41/containers/json"},
		{"the floor itself is accepted", "/v1.24/_ping", "1.24", "/_ping", "/v1.24/_ping"},
		{"encoded colon decodes once", "/images/alpine%3Alatest/json", "", "/images/alpine:latest/json", "/images/alpine:latest/json"},
		{"image reference with registry and digest", "/images/r.example:5000/a/b@sha256:00ff/json", "", "/images/r.example:5000/a/b@sha256:00ff/json", "/images/r.example:5000/a/b@sha256:00ff/json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			target, err := ParseTarget(c.uri)
			if err != nil {
				t.Fatal(err)
			}
			if target.APIVersion != c.version || target.Path != c.path || target.UpstreamPath() != c.upstream {
				t.Fatalf("got version %q path %q upstream %q; want %q %q %q", target.APIVersion, target.Path, target.UpstreamPath(), c.version, c.path, c.upstream)
			}
		})
	}
}

func TestParseTargetKeepsQueryValues(t *testing.T) {
	target, err := ParseTarget(`/events?since=1&until=2&filters=%7B%22type%22%3A%5B%22container%22%5D%7D`)
	if err != nil {
		t.Fatal(err)
	}
	if got := target.Query.Get("filters"); got != `{"type":["container"]}` {
		t.Fatalf("filters = %q", got)
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"/containers/create", "/v1.41/images/a/b:c/json", "/containers/%2e%2e/x", "//x", "/_ping?x=1"} {
		f.Add(s)
	}
	r := NewRouter(DockerAPI)
	f.Fuzz(func(t *testing.T, uri string) {
		target, err := ParseTarget(uri)
		if err != nil {
			return
		}
		// Whatever is accepted is already canonical: parsing the forwarded
		// form again yields the same target.
		again, err := ParseTarget(target.UpstreamPath())
		if err != nil {
			t.Fatalf("canonical form %q of %q is refused: %v", target.UpstreamPath(), uri, err)
		}
		if again.Path != target.Path || again.APIVersion != target.APIVersion {
			t.Fatalf("canonical form of %q changes on re-parse: %q vs %q", uri, target.Path, again.Path)
		}
		_ = r.Lookup("POST", target.Segments)
	})
}
