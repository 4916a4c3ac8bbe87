package audit

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzVerifyLine checks that no line, however malformed, crashes the
// parser, and that a sealed line verifies only with its own bytes.
func FuzzVerifyLine(f *testing.F) {
	line, _ := seal("", []byte(`{"seq":1,"prev_hash":"","type":"decision","decision_id":"x","timestamp":"2026-01-01T00:00:00Z","endpoint":"system.ping"}`))
	f.Add(bytes.TrimSuffix(line, []byte("\n")))
	f.Add([]byte(`{"seq":2,"prev_hash":"`))
	f.Add([]byte(`{"hash":"` + string(bytes.Repeat([]byte("0"), 64)) + `"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseLine(b)
		if err != nil {
			return
		}
		if s.valid() && !bytes.Equal(b, bytes.TrimSuffix(mustReseal(s), []byte("\n"))) {
			t.Fatalf("a line verifies but is not what sealing its body gives: %q", b)
		}
	})
}

func mustReseal(s *sealedLine) []byte {
	line, _ := seal(s.prevHash, append(append([]byte{}, s.body...), '}'))
	return line
}

// seal is the writer's sealing for one record outside a chain (tests only).
func seal(prev string, encoded []byte) (line []byte, hash string) {
	body := bytes.TrimRight(encoded, "\n")
	line = make([]byte, 0, len(body)+len(hashPrefix)+hashLen+3)
	line = append(line, body[:len(body)-1]...) // the hash field closes the object
	hash = chainHash(prev, line)
	return appendHash(line, hash), hash
}

// FuzzRedaction holds the promise the proxy relies on when it logs an
// input's bytes as they are: an input NeedsRedaction passes over is one
// RedactInput leaves unchanged. Redacting twice changes nothing more.
func FuzzRedaction(f *testing.F) {
	f.Add("--api-token", "abc")
	f.Add("tool --password 'a b' -v", "x")
	f.Add("addr=1,password=p", "--db-password=q")
	f.Add("--threads", "4")
	f.Add("git clone https://u:p@h/x", "https://u:@h")
	f.Add(`curl -H "Authorization: Bearer x"`, "X-Token: y")
	f.Fuzz(func(t *testing.T, a, b string) {
		input := func() map[string]any {
			return map[string]any{"request": map[string]any{
				"body":  map[string]any{"Cmd": []any{a, b, "/bin/sh", "-c", a + " " + b}, "Labels": map[string]any{"k": a}},
				"query": map[string]any{"q": []any{b}},
			}}
		}
		once := RedactInput(input(), nil)
		if !NeedsRedaction(input(), nil) && !reflect.DeepEqual(once, input()) {
			t.Fatalf("NeedsRedaction passes over %q, %q, but RedactInput changes it to %v", a, b, once)
		}
		if twice := RedactInput(once, nil); !reflect.DeepEqual(twice, once) {
			t.Fatalf("redacting %q, %q again changes %v to %v", a, b, once, twice)
		}
	})
}
