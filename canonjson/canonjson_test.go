package canonjson

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// stdlib is what encoding/json writes for v with HTML escaping off: the
// reference this package must match byte for byte.
func stdlib(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	cases := []struct {
		name string
		v    any
	}{
		{"a policy input with nested maps is written with sorted keys", map[string]any{
			"request": map[string]any{"method": "GET", "path": "/_ping", "params": map[string]string{"id": "abc"}, "query": map[string][]string{"all": {"1"}, "filters": {`{"label":["a=b"]}`}}},
			"client":  map[string]any{"uid": 1000, "gid": int64(-1), "transport": "unix"},
			"mounts":  []any{},
			"image":   nil,
		}},
		{"numbers decoded with UseNumber keep their literal", []any{json.Number("1"), json.Number("-0.5e+10"), json.Number("123456789012345678901234567890")}},
		{"floats follow encoding/json's choice of notation", []any{0.0, 1.5, 1e21, 1e20, 1e-7, 0.000001, -3.25e-9, math.MaxFloat64, math.SmallestNonzeroFloat64}},
		{"control characters, quotes and backslashes are escaped", "a\"b\\c\n\r\t\b\f\x00\x1f\x7f"},
		{"HTML characters are left alone", "<script>&amp;</script>"},
		{"invalid UTF-8 becomes the replacement character", "a\xffb\xc3"},
		{"line and paragraph separators are escaped", "x\u2028y\u2029z"},
		{"multi-byte characters pass through", "Grüße, 世界 🐳"},
		{"nil lists and maps are null", map[string]any{"l": []any(nil), "s": []string(nil), "m": map[string]any(nil), "sm": map[string]string(nil), "lm": map[string][]string(nil)}},
		{"raw JSON is kept as it is", map[string]any{"input": json.RawMessage(`{"a":[1,2,{"b":null}]}`)}},
		{"other types fall back to encoding/json", map[string]any{"struct": struct {
			A int `json:"a"`
		}{7}, "uint": uint(9)}},
		{"booleans", []any{true, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Append(nil, c.v)
			if err != nil {
				t.Fatal(err)
			}
			if want := stdlib(t, c.v); !bytes.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestAppendRefusesWhatIsNotJSON(t *testing.T) {
	cases := []struct {
		name string
		v    any
	}{
		{"a json.Number that is not a number", json.Number("1; rm -rf /")},
		{"a json.Number with a leading zero", json.Number("01")},
		{"NaN", math.NaN()},
		{"infinity", math.Inf(1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, err := Append(nil, c.v); err == nil {
				t.Fatalf("accepted %v as %s", c.v, got)
			}
		})
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x01\x1f", "\u2028\u2029", "\xff\xfe", "<>&", "Grüße 🐳", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		if want := stdlib(t, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

func FuzzAppendNumber(f *testing.F) {
	for _, s := range []string{"0", "-1", "1.5", "1e10", "-0.0E-5", "01", "1.", ".5", "1e", "+1", "--1", "1e+", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Append(nil, json.Number(s))
		want, werr := json.Marshal(json.Number(s))
		if (err == nil) != (werr == nil) {
			t.Fatalf("Append(Number(%q)) error %v, encoding/json error %v", s, err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("Append(Number(%q)) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

func BenchmarkAppendInput(b *testing.B) {
	v := map[string]any{
		"request": map[string]any{"method": "GET", "path": "/containers/json", "params": map[string]string{}, "query": map[string][]string{"all": {"1"}}, "body": nil, "endpoint": "container.list"},
		"client":  map[string]any{"uid": 1000, "gid": 1000, "pid": 4242, "transport": "unix", "listener": "unix:///run/xcsproxy/docker.sock"},
		"proxy":   map[string]any{"version": "dev", "policy_revision": "0123456789ab", "managed_label": "org.xcsproxy.managed", "protected_paths": []any{"/var/run/docker.sock", "/run/containerd"}},
	}
	b.Run("canonjson", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for i := 0; i < b.N; i++ {
			buf, _ = Append(buf[:0], v)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			stdlib(b, v)
		}
	})
}
