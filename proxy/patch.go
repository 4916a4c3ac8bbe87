package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/docker/docker/api/types/filters"

	"github.com/xcsproxy/xcsproxy/canonjson"
)

// applyPatch carries out a decision's patch before forwarding:
//
//	patch.body    a JSON merge patch (RFC 7386) over the canonical body; keys
//	              must be spelled as Docker's types spell them ("Labels").
//	patch.filters label/other filters added to the request's `filters`
//	              query parameter (ANDed with the client's own).
//
// The patched body is decoded into the route's Docker type and re-encoded,
// so what is forwarded is still canonical, and the input the audit log shows
// is updated to what was forwarded.
func applyPatch(ex *Exchange, patch map[string]any) error {
	if bp, ok := patch["body"]; ok && bp != nil {
		if err := patchBody(ex, bp); err != nil {
			return err
		}
	}
	if fp, ok := patch["filters"].(map[string]any); ok && len(fp) > 0 {
		if err := patchFilters(ex, fp); err != nil {
			return err
		}
	}
	return nil
}

func patchBody(ex *Exchange, bp any) error {
	if ex.Route.Body != BodyJSON {
		return fmt.Errorf("policy patch.body on %s, which has no JSON body", ex.Route.Name)
	}
	current := ex.Input.Request.Body
	if current == nil {
		current = map[string]any{}
	}
	merged := mergePatch(current, bp)
	raw, err := json.Marshal(merged)
	if err != nil {
		return fmt.Errorf("encoding patched body: %w", err)
	}
	v := ex.Route.NewBody()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("policy patch.body does not fit %s: %w", ex.Route.Name, err)
	}
	if err := ex.setCanonicalBody(v); err != nil {
		return fmt.Errorf("re-encoding patched body: %w", err)
	}
	return nil
}

// mergePatch applies an RFC 7386 merge patch.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	} else {
		copied := make(map[string]any, len(t))
		for k, v := range t {
			copied[k] = v
		}
		t = copied
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

func patchFilters(ex *Exchange, fp map[string]any) error {
	args, err := filters.FromJSON(ex.Target.Query.Get("filters"))
	if err != nil {
		return fmt.Errorf("the request's filters parameter: %w", err)
	}
	for key, vals := range fp {
		list, ok := vals.([]any)
		if !ok {
			return fmt.Errorf("policy patch.filters.%s is not a list", key)
		}
		for _, v := range list {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("policy patch.filters.%s holds a non-string", key)
			}
			args.Add(key, s)
		}
	}
	encoded := filtersJSON(args)
	ex.Target.Query.Set("filters", encoded)
	ex.Input.Request.Query["filters"] = []string{encoded}
	return nil
}

// filtersJSON writes args as filters.ToJSON does ({"key":{"value":true}},
// keys sorted; "" for none) without its reflection, which was most of the
// cost of a list's label filter. Only the escaping of <, > and & differs,
// which the daemon's decoder reads the same.
func filtersJSON(args filters.Args) string {
	if args.Len() == 0 {
		return ""
	}
	keys := args.Keys()
	slices.Sort(keys)
	b := make([]byte, 0, 64)
	b = append(b, '{')
	for i, key := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = canonjson.AppendString(b, key)
		b = append(b, ':', '{')
		values := args.Get(key)
		slices.Sort(values)
		for j, v := range values {
			if j > 0 {
				b = append(b, ',')
			}
			b = canonjson.AppendString(b, v)
			b = append(b, ":true"...)
		}
		b = append(b, '}')
	}
	return string(append(b, '}'))
}
