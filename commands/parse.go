package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Parse decodes one Command. Fields the model does not know are returned
// as warnings (the Container Service ignores them silently; a misspelled
// "provides-value-to-command-input" then wires nothing, so say so).
func Parse(data []byte) (*Command, []string, error) {
	var c Command
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, nil, fmt.Errorf("not a Command: %w", err)
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, err
	}
	var unknown []string
	collectUnknown(raw, reflect.TypeOf(c), "", &unknown)
	sort.Strings(unknown)
	warnings := make([]string, len(unknown))
	for i, u := range unknown {
		warnings[i] = fmt.Sprintf("unknown field %s (ignored)", u)
	}
	return &c, warnings, nil
}

// ParseLabel decodes an org.nrg.commands label: a JSON array of Commands.
func ParseLabel(label string) ([]*Command, []string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(label), &items); err != nil {
		return nil, nil, fmt.Errorf("org.nrg.commands label is not a JSON array of Commands: %w", err)
	}
	var out []*Command
	var warnings []string
	for i, item := range items {
		c, w, err := Parse(item)
		if err != nil {
			return nil, nil, fmt.Errorf("command %d in the label: %w", i, err)
		}
		out = append(out, c)
		for _, msg := range w {
			warnings = append(warnings, fmt.Sprintf("command %q: %s", c.Name, msg))
		}
	}
	return out, warnings, nil
}

// collectUnknown walks raw JSON alongside the Go type it decodes into and
// records object keys no field claims.
func collectUnknown(raw any, t reflect.Type, path string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := raw.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			fields := jsonFields(t)
			for k, val := range v {
				ft, ok := fields[k]
				if !ok {
					*out = append(*out, join(path, k))
					continue
				}
				collectUnknown(val, ft, join(path, k), out)
			}
		case reflect.Map:
			for k, val := range v {
				collectUnknown(val, t.Elem(), join(path, k), out)
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, val := range v {
				collectUnknown(val, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
			}
		}
	}
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Encode renders a Command as JSON (for labels and the API).
func Encode(c *Command) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c)
	return bytes.TrimSpace(buf.Bytes())
}
