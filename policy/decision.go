package policy

import "fmt"

// Query is the one rule every policy set must define.
const Query = "data.xcsproxy.decision"

// Decision is the gate's answer for one request.
type Decision struct {
	Allow   bool           `json:"allow"`
	Reasons []string       `json:"reasons"`
	Patch   map[string]any `json:"patch,omitempty"`
}

// deny builds a Decision that refuses with one reason.
func deny(format string, args ...any) Decision {
	return Decision{Allow: false, Reasons: []string{fmt.Sprintf(format, args...)}}
}

// decisionFrom checks the shape of a raw evaluation result. Anything that is
// not exactly {"allow": bool, "reasons": [string...], "patch"?: object} is a
// deny, so a policy author's mistake can never open the gate.
func decisionFrom(v any) Decision {
	obj, ok := v.(map[string]any)
	if !ok {
		return deny("policy error: %s is not an object (got %T)", Query, v)
	}
	allow, ok := obj["allow"].(bool)
	if !ok {
		return deny("policy error: %s.allow is missing or not a boolean", Query)
	}
	var d Decision
	d.Allow = allow
	rawReasons, present := obj["reasons"]
	if present {
		list, ok := rawReasons.([]any)
		if !ok {
			return deny("policy error: %s.reasons is not an array of strings", Query)
		}
		for _, r := range list {
			s, ok := r.(string)
			if !ok {
				return deny("policy error: %s.reasons holds a non-string value", Query)
			}
			d.Reasons = append(d.Reasons, s)
		}
	}
	if rawPatch, present := obj["patch"]; present && rawPatch != nil {
		p, ok := rawPatch.(map[string]any)
		if !ok {
			return deny("policy error: %s.patch is not an object", Query)
		}
		if len(p) > 0 {
			d.Patch = p
		}
	}
	for k := range obj {
		switch k {
		case "allow", "reasons", "patch":
		default:
			return deny("policy error: %s has unexpected key %q", Query, k)
		}
	}
	if !d.Allow && len(d.Reasons) == 0 {
		d.Reasons = []string{"denied by policy (no reason given)"}
	}
	return d
}
