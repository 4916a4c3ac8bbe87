package commands

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Object is an XNAT object (project, subject, session, scan, assessor,
// resource, file) as the Container Service serializes it: the value a
// launch passes for an object-typed wrapper input.
type Object map[string]any

// objectTypes are the wrapper input types whose values are XNAT objects.
var objectTypes = map[string]string{
	"Project": "projects", "ProjectAsset": "project-assets", "Subject": "subjects",
	"SubjectAssessor": "subject-assessors", "Session": "sessions", "Scan": "scans",
	"Assessor": "assessors", "Resource": "resources", "File": "files", "File[]": "files",
	"Directory": "", "Config": "",
}

func isObjectType(t string) bool {
	_, ok := objectTypes[t]
	return ok && t != "Directory" && t != "Config"
}

// parseObject reads an object input's value (its JSON).
func parseObject(name, value string) (Object, error) {
	var o Object
	if err := json.Unmarshal([]byte(value), &o); err != nil {
		return nil, fmt.Errorf("input %q: an XNAT object is given as its JSON: %v", name, err)
	}
	return o, nil
}

// Prop returns a property as text ("" when absent).
func (o Object) Prop(name string) string {
	v, ok := o[name]
	if !ok || v == nil {
		return ""
	}
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// Children lists the object's children of an XNAT type.
func (o Object) Children(typ string) []Object {
	key := objectTypes[typ]
	list, _ := o[key].([]any)
	out := make([]Object, 0, len(list))
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			out = append(out, Object(m))
		}
	}
	return out
}

// matcherTerm is one `@.prop OP value` comparison.
var matcherTerm = regexp.MustCompile(`^\s*@\.([A-Za-z0-9_-]+)\s*(==|!=|=~|\bnin\b|\bin\b)\s*(.+?)\s*$`)

// Match evaluates a CS JSONPath filter expression (the part inside
// [?( )]) against an object: terms `@.prop == 'v'`, `!=`, `=~ /re/`,
// `in [..]`, `nin [..]`, joined by && or ||.
func (o Object) Match(expr string) (bool, error) {
	if strings.TrimSpace(expr) == "" {
		return true, nil
	}
	for _, alt := range strings.Split(expr, "||") {
		all := true
		for _, term := range strings.Split(alt, "&&") {
			ok, err := o.matchTerm(term)
			if err != nil {
				return false, err
			}
			if !ok {
				all = false
				break
			}
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func (o Object) matchTerm(term string) (bool, error) {
	m := matcherTerm.FindStringSubmatch(term)
	if m == nil {
		return false, fmt.Errorf("matcher term %q is not of the form @.property OP value", strings.TrimSpace(term))
	}
	have := o.Prop(m[1])
	switch m[2] {
	case "==", "!=":
		want, err := literal(m[3])
		if err != nil {
			return false, err
		}
		return (have == want) == (m[2] == "=="), nil
	case "=~":
		re := strings.TrimSpace(m[3])
		if len(re) < 2 || re[0] != '/' {
			return false, fmt.Errorf("matcher regex %q must be /.../", re)
		}
		end := strings.LastIndex(re, "/")
		pattern, flags := re[1:end], re[end+1:]
		if strings.Contains(flags, "i") {
			pattern = "(?i)" + pattern
		}
		r, err := regexp.Compile(pattern)
		if err != nil {
			return false, fmt.Errorf("matcher regex %q: %v", re, err)
		}
		return r.MatchString(have), nil
	default: // in, nin
		var list []any
		if err := json.Unmarshal([]byte(strings.ReplaceAll(m[3], "'", `"`)), &list); err != nil {
			return false, fmt.Errorf("matcher list %q: %v", m[3], err)
		}
		found := false
		for _, v := range list {
			if fmt.Sprint(v) == have {
				found = true
			}
		}
		return found == (m[2] == "in"), nil
	}
}

func literal(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s, nil
	}
	return "", fmt.Errorf("matcher value %q is not a quoted string or a number", s)
}
