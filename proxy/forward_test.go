package proxy

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTheForwardedRequestCarriesOnlyWhatWasJudged(t *testing.T) {
	cases := []struct {
		name     string
		method   string
		uri      string
		header   map[string]string
		body     string
		want     []string // lines the request must contain
		mustNot  []string // substrings it must not contain
		bodySent string
	}{
		{
			name: "a bodyless GET goes with the canonical path and no framing", method: "GET", uri: "/v1.41/containers/json?all=1",
			header:  map[string]string{"User-Agent": "docker/28", "Content-Length": "0"},
			want:    []string{"GET /v1.41/containers/json?all=1 HTTP/1.1", "Host: docker", "User-Agent: docker/28"},
			mustNot: []string{"Content-Length", "Transfer-Encoding"},
		},
		{
			name: "hop-by-hop headers and those Connection names stay behind", method: "GET", uri: "/_ping",
			header:  map[string]string{"Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1", "Keep-Alive": "300", "Te": "trailers", "Upgrade": "h2c", "Proxy-Authorization": "Basic eA==", "X-Registry-Auth": "e30="},
			want:    []string{"GET /_ping HTTP/1.1", "X-Registry-Auth: e30="},
			mustNot: []string{"X-Secret-Hop", "Keep-Alive", "Te:", "Upgrade", "Proxy-Authorization", "Connection"},
		},
		{
			name: "a body goes as the canonical bytes with their exact length", method: "POST", uri: "/containers/create?name=job",
			header:   map[string]string{"Content-Type": "text/plain", "Transfer-Encoding": "chunked", "Expect": "100-continue"},
			body:     `{"Image":"x"}`,
			want:     []string{"POST /containers/create?name=job HTTP/1.1", "Content-Type: application/json", "Content-Length: 13"},
			mustNot:  []string{"text/plain", "chunked", "Expect"},
			bodySent: `{"Image":"x"}`,
		},
		{
			name: "a bodyless POST says its length is zero", method: "POST", uri: "/containers/abc/start",
			want: []string{"POST /containers/abc/start HTTP/1.1", "Content-Length: 0"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.uri, nil)
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			target, err := ParseTarget(c.uri)
			if err != nil {
				t.Fatal(err)
			}
			ex := &Exchange{Target: target, Body: &Body{}}
			if c.body != "" {
				ex.Body.Canonical = []byte(c.body)
			}
			var out bytes.Buffer
			if err := writeRequest(bufio.NewWriter(&out), r, ex); err != nil {
				t.Fatal(err)
			}
			head, body, _ := strings.Cut(out.String(), "\r\n\r\n")
			lines := strings.Split(head, "\r\n")
			for _, w := range c.want {
				if !contains(lines, w) {
					t.Errorf("missing %q in\n%s", w, head)
				}
			}
			for _, m := range c.mustNot {
				if strings.Contains(head, m) {
					t.Errorf("forwarded %q:\n%s", m, head)
				}
			}
			if body != c.bodySent {
				t.Errorf("body %q, want %q", body, c.bodySent)
			}
			// What was written must parse as exactly one request.
			parsed, err := http.ReadRequest(bufio.NewReader(strings.NewReader(out.String())))
			if err != nil {
				t.Fatalf("the daemon could not read it: %v", err)
			}
			if parsed.ContentLength != int64(len(c.bodySent)) && !(c.bodySent == "" && parsed.ContentLength <= 0) {
				t.Errorf("Content-Length %d for a %d-byte body", parsed.ContentLength, len(c.bodySent))
			}
		})
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
