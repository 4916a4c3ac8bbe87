package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
)

var createRoute = func() *Route {
	for i := range DockerAPI {
		if DockerAPI[i].Name == "container.create" {
			return &DockerAPI[i]
		}
	}
	panic("no container.create route")
}()

func readCreate(t *testing.T, body, contentType string) (*Body, *Error) {
	t.Helper()
	r := httptest.NewRequest("POST", "/containers/create", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return readBody(r, createRoute, 1<<20)
}

// canonicalPrivileged decodes the canonical bytes the way the daemon would
// and says whether the container would be privileged.
func canonicalPrivileged(t *testing.T, b *Body) bool {
	t.Helper()
	var cr container.CreateRequest
	if err := json.Unmarshal(b.Canonical, &cr); err != nil {
		t.Fatal(err)
	}
	return cr.HostConfig != nil && cr.HostConfig.Privileged
}

func TestCanonicalBodyShowsWhatTheDaemonWouldDecode(t *testing.T) {
	for _, c := range []struct {
		name       string
		body       string
		privileged bool
	}{
		{"plain key", `{"Image":"a","HostConfig":{"Privileged":true}}`, true},
		{"lower-case keys", `{"image":"a","hostconfig":{"privileged":true}}`, true},
		{"repeated HostConfig objects merge", `{"Image":"a","HostConfig":{"Privileged":true},"HostConfig":{"Memory":1}}`, true},
		{"later duplicate wins", `{"Image":"a","HostConfig":{"Privileged":true,"Privileged":false}}`, false},
		{"Unicode case folding (long s in HoſtConfig) matches HostConfig", "{\"Image\":\"a\",\"Ho\u017ftConfig\":{\"Privileged\":true}}", true},
		{"escaped key", `{"Image":"a","HostConfig":{"Privil\u0065ged":true}}`, true},
		{"explicit nulls as docker-java sends", `{"Image":"a","Cmd":null,"HostConfig":{"Binds":null,"Privileged":null}}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, herr := readCreate(t, c.body, "application/json")
			if herr != nil {
				t.Fatalf("refused: %v", herr)
			}
			if got := canonicalPrivileged(t, b); got != c.privileged {
				t.Fatalf("canonical body %s: privileged=%v, want %v", b.Canonical, got, c.privileged)
			}
		})
	}
}

func TestBodyRefusals(t *testing.T) {
	for _, c := range []struct {
		name, body, contentType string
		status                  int
	}{
		{"trailing second object", `{"Image":"a"}{"HostConfig":{"Privileged":true}}`, "application/json", http.StatusBadRequest},
		{"trailing garbage", `{"Image":"a"} x`, "application/json", http.StatusBadRequest},
		{"not JSON", `Image=a`, "application/json", http.StatusBadRequest},
		{"wrong type for a field", `{"Image":["a"]}`, "application/json", http.StatusBadRequest},
		{"text/plain media type", `{"Image":"a"}`, "text/plain", http.StatusBadRequest},
		{"json-ish media type", `{"Image":"a"}`, "application/json-patch+json", http.StatusBadRequest},
		{"no media type", `{"Image":"a"}`, "", http.StatusBadRequest},
		{"over the cap", `{"Image":"` + strings.Repeat("a", 1<<20) + `"}`, "application/json", http.StatusRequestEntityTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, herr := readCreate(t, c.body, c.contentType)
			if herr == nil {
				t.Fatalf("accepted as %s", b.Canonical)
			}
			if herr.Status != c.status {
				t.Fatalf("status %d (%s), want %d", herr.Status, herr.Message, c.status)
			}
		})
	}
}

func TestMediaTypeParametersAreAccepted(t *testing.T) {
	if _, herr := readCreate(t, `{"Image":"a"}`, "application/json; charset=UTF-8"); herr != nil {
		t.Fatal(herr)
	}
}

func TestEmptyAndNullBodiesMeanNoBody(t *testing.T) {
	for _, body := range []string{"", "  ", "null"} {
		b, herr := readCreate(t, body, "")
		if herr != nil || b.Canonical != nil {
			t.Fatalf("body %q: %+v %v", body, b, herr)
		}
	}
}

func TestBodylessEndpointRefusesABody(t *testing.T) {
	rt := &Route{Name: "container.kill", Body: BodyNone}
	r := httptest.NewRequest("POST", "/containers/x/kill", strings.NewReader(`{"Signal":"KILL"}`))
	if _, herr := readBody(r, rt, 1024); herr == nil || herr.Status != http.StatusBadRequest {
		t.Fatalf("got %v, want 400", herr)
	}
	r = httptest.NewRequest("POST", "/containers/x/kill", strings.NewReader(`{}`))
	if b, herr := readBody(r, rt, 1024); herr != nil || b.Canonical != nil {
		t.Fatalf("an empty object on a bodyless endpoint: %+v %v", b, herr)
	}
}

func FuzzCreateBody(f *testing.F) {
	f.Add(`{"Image":"a","HostConfig":{"Privileged":true}}`)
	f.Add(`{"image":"a","HOSTCONFIG":{"binds":["/:/h"]}}`)
	f.Add(`{"Image":"a"}{"x":1}`)
	f.Fuzz(func(t *testing.T, body string) {
		b, herr := readCreate(t, body, "application/json")
		if herr != nil || b.Canonical == nil {
			return
		}
		// The canonical form is a fixed point: canonicalizing it again
		// yields the same bytes, so what was judged is what is forwarded.
		again, herr := readCreate(t, string(b.Canonical), "application/json")
		if herr != nil {
			t.Fatalf("canonical body refused: %v", herr)
		}
		if string(again.Canonical) != string(b.Canonical) {
			t.Fatalf("canonical form is not stable:\n%s\n%s", b.Canonical, again.Canonical)
		}
	})
}
