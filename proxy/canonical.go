package proxy

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// MinAPIVersion is the floor: older versions let containers/{id}/start carry
// a HostConfig, which would bypass every rule about container creation.
const MinAPIVersion = "1.24"

// Target is a request target reduced to its one canonical form.
type Target struct {
	APIVersion string   // "" when unversioned
	Path       string   // canonical, without the version prefix
	Segments   []string // Path split on "/"
	Query      url.Values
}

// UpstreamPath is the path forwarded to the daemon: the canonical path, with
// the client's version prefix kept so the daemon answers in that version.
func (t *Target) UpstreamPath() string {
	if t.APIVersion == "" {
		return t.Path
	}
	return "/v" + t.APIVersion + t.Path
}

// CanonicalError is a request target that is refused as malformed.
type CanonicalError struct {
	Reason string
	// Forbidden marks a well-formed target refused on principle (an API
	// version below the floor) rather than as malformed.
	Forbidden bool
}

func (e *CanonicalError) Error() string { return e.Reason }

func nonCanonical(format string, args ...any) error {
	return &CanonicalError{Reason: fmt.Sprintf(format, args...)}
}

// ParseTarget decodes a raw request-target exactly once and refuses every
// form that two parsers could read differently: empty or dot segments,
// doubled or trailing slashes, encoded separators, control bytes, and
// characters no Docker object name may hold.
func ParseTarget(requestURI string) (*Target, error) {
	rawPath, rawQuery, _ := strings.Cut(requestURI, "?")
	if !strings.HasPrefix(rawPath, "/") {
		return nil, nonCanonical("request target %q is not an absolute path", truncate(requestURI))
	}
	if rawPath == "/" {
		return nil, nonCanonical("request target / names no endpoint")
	}
	if strings.HasSuffix(rawPath, "/") {
		return nil, nonCanonical("path %q has a trailing slash", truncate(rawPath))
	}
	rawSegs := strings.Split(rawPath[1:], "/")
	segs := make([]string, 0, len(rawSegs))
	for _, raw := range rawSegs {
		seg, err := decodeSegment(raw)
		if err != nil {
			return nil, nonCanonical("path %q: %s", truncate(rawPath), err)
		}
		segs = append(segs, seg)
	}
	t := &Target{}
	if v, ok := versionSegment(segs[0]); ok {
		if v == "" {
			return nil, nonCanonical("malformed API version prefix %q", segs[0])
		}
		if compareVersions(v, MinAPIVersion) < 0 {
			return nil, &CanonicalError{Forbidden: true, Reason: fmt.Sprintf("API version %s is below the minimum %s this proxy accepts (older versions let containers/{id}/start change the host configuration)", v, MinAPIVersion)}
		}
		t.APIVersion = v
		segs = segs[1:]
		if len(segs) == 0 {
			return nil, nonCanonical("path %q names no endpoint after the version", truncate(rawPath))
		}
	}
	t.Segments = segs
	t.Path = "/" + strings.Join(segs, "/")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, nonCanonical("malformed query string: %v", err)
	}
	t.Query = q
	return t, nil
}

// decodeSegment percent-decodes one segment and checks what it decodes to.
func decodeSegment(raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("empty path segment (doubled slash)")
	}
	if strings.Contains(raw, "%") {
		lower := strings.ToLower(raw)
		for _, enc := range []string{"%2f", "%2e", "%5c", "%25", "%00"} {
			if strings.Contains(lower, enc) {
				return "", fmt.Errorf("encoded %q in a path segment", enc)
			}
		}
	}
	seg, err := url.PathUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("bad percent-encoding")
	}
	if seg == "." || seg == ".." {
		return "", fmt.Errorf("dot segment %q", seg)
	}
	for i := 0; i < len(seg); i++ {
		if !nameByte(seg[i]) {
			return "", fmt.Errorf("character %q is not allowed in a path", seg[i])
		}
	}
	return seg, nil
}

// nameByte reports whether c may appear in a Docker path segment: object
// ids, names, image references (with tags and digests) and plugin names.
func nameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '_', '.', '-', ':', '@', '+':
		return true
	}
	return false
}

// versionSegment recognises "vX.Y". It returns ok with an empty version for
// a segment that looks like a version but is malformed ("v1", "v1.2.3").
func versionSegment(s string) (string, bool) {
	if len(s) < 2 || s[0] != 'v' || s[1] < '0' || s[1] > '9' {
		return "", false
	}
	v := s[1:]
	major, minor, ok := strings.Cut(v, ".")
	// One spelling per version: no leading zeros ("v01.41" would be judged
	// as one string and forwarded as another).
	if !ok || !digits(major) || !digits(minor) || len(major) > 3 || len(minor) > 3 ||
		(len(major) > 1 && major[0] == '0') || (len(minor) > 1 && minor[0] == '0') {
		return "", true
	}
	return v, true
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compareVersions compares "X.Y" strings numerically.
func compareVersions(a, b string) int {
	am, an, _ := strings.Cut(a, ".")
	bm, bn, _ := strings.Cut(b, ".")
	for _, pair := range [][2]string{{am, bm}, {an, bn}} {
		x, _ := strconv.Atoi(pair[0])
		y, _ := strconv.Atoi(pair[1])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func truncate(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}
