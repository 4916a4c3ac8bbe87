package audit

import (
	"slices"
	"strings"
)

// Redacted replaces every secret value in an audit record.
const Redacted = "<redacted>"

// secretWords mark names whose values are treated as secrets wherever they
// appear (labels, options, command inputs). A substring test on the lowered
// name: this runs for every key of every audited request.
var secretWords = []string{"pass", "secret", "token", "auth", "credential", "private", "apikey", "api_key", "api-key", "session"}

func secretKey(k string) bool {
	lower := strings.ToLower(k)
	for _, w := range secretWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// endpointsWithSecretBodies carry credentials in the whole body.
var endpointsWithSecretBodies = map[string]bool{"system.auth": true}

// secretBodyFields are the body fields of an endpoint that hold a secret
// whole: a swarm secret's Data is its content, base64-encoded.
var secretBodyFields = map[string][]string{"secret.create": {"Data"}, "secret.update": {"Data"}}

// wholeSecretKeys name values that are replaced whole wherever they
// appear: a build's buildargs (a JSON object of build-time variables, which
// carry tokens as environment variables do) and a commit's or import's
// changes (Dockerfile instructions such as ENV TOKEN=...).
var wholeSecretKeys = []string{"buildargs", "changes"}

func wholeSecretKey(k string) bool {
	for _, w := range wholeSecretKeys {
		if strings.EqualFold(k, w) {
			return true
		}
	}
	return false
}

// RedactInput returns a copy of a policy input document that is safe to log:
// environment values (names kept), secret-looking label and option values,
// whole bodies of credential endpoints, and any value listed in extra (such
// as Command inputs marked sensitive) are replaced.
func RedactInput(in map[string]any, extra []string) map[string]any {
	if in == nil {
		return nil
	}
	out, _ := redactValue(in, "", extra).(map[string]any)
	req, ok := out["request"].(map[string]any)
	if !ok {
		return out
	}
	ep, _ := req["endpoint"].(string)
	if endpointsWithSecretBodies[ep] && req["body"] != nil {
		req["body"] = Redacted
	}
	if body, ok := req["body"].(map[string]any); ok {
		for _, f := range secretBodyFields[ep] {
			if _, present := body[f]; present {
				body[f] = Redacted
			}
		}
	}
	return out
}

// RedactString replaces the secrets a free-form string may carry: a URL's
// password, a secret-looking header's value, the word after a
// secret-looking flag, and a secret-looking NAME=VALUE part. The records'
// strings get it, and so does every line of the operational log.
//
// Each way of reading a string splits it differently, and a value one
// replaces can change what another reads: it is read again until nothing
// changes, so that what is logged needs no more redaction.
func RedactString(s string) string {
	for {
		redacted := redactString(s)
		if redacted == s {
			return s
		}
		s = redacted
	}
}

// RedactStrings is RedactString of each of ss: ss itself when none
// changes, else a copy.
func RedactStrings(ss []string) []string {
	var out []string
	for i, s := range ss {
		if r := RedactString(s); r != s {
			if out == nil {
				out = slices.Clone(ss)
			}
			out[i] = r
		}
	}
	if out == nil {
		return ss
	}
	return out
}

// redactString reads s once each way a secret can sit in it. A pass that
// changes s replaces text other than Redacted (never a piece of it: no way
// of reading splits it) with Redacted, so the text left to replace shrinks
// with every pass, and passes until nothing changes end.
func redactString(s string) string {
	for _, read := range readings {
		if read(s, nil) {
			var b strings.Builder
			read(s, &b)
			s = b.String()
		}
	}
	return s
}

// A reading is one way a secret can sit in a free-form string. It reports
// whether s holds such a secret not yet Redacted and, given out, writes s
// to it with those secrets redacted.
type reading func(s string, out *strings.Builder) (found bool)

// readings, in the order a pass applies them: flags before assignments,
// since a quoted word after a flag may hold the commas and equals signs the
// assignments are split at.
var readings = []reading{urlPasswords, secretHeaders, secretFlagWords, secretAssignments}

// holdsSecret reports whether some reading finds a secret in s.
func holdsSecret(s string) bool {
	for _, read := range readings {
		if read(s, nil) {
			return true
		}
	}
	return false
}

func redactValue(v any, key string, extra []string) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, val := range t {
			switch {
			case strings.EqualFold(k, "Env"):
				m[k] = redactEnv(val)
			case wholeSecretKey(k) && val != nil:
				m[k] = redactWhole(val)
			case secretKey(k):
				if s, ok := val.(string); ok && s != "" {
					m[k] = Redacted
				} else {
					m[k] = redactValue(val, k, extra)
				}
			default:
				m[k] = redactValue(val, k, extra)
			}
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			if i > 0 && flagTakesSecret(t[i-1]) {
				if _, ok := e.(string); ok {
					l[i] = Redacted
					continue
				}
			}
			l[i] = redactValue(e, key, extra)
		}
		return l
	case string:
		for _, secret := range extra {
			if secret != "" && strings.Contains(t, secret) {
				t = strings.ReplaceAll(t, secret, Redacted)
			}
		}
		return RedactString(t)
	default:
		return v
	}
}

// redactEnv keeps variable names and drops every value: KEY=VALUE becomes
// KEY=<redacted>.
func redactEnv(v any) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			out[i] = Redacted
			continue
		}
		name, _, _ := strings.Cut(s, "=")
		out[i] = name + "=" + Redacted
	}
	return out
}

// redactWhole replaces a string, or each string of a list, whole.
func redactWhole(v any) any {
	list, ok := v.([]any)
	if !ok {
		return Redacted
	}
	out := make([]any, len(list))
	for i := range list {
		out[i] = Redacted
	}
	return out
}

// RedactPatch returns a decision's patch in a form that is safe to log: the
// patch repeats the labels and environment it stamps. A patch with nothing
// to redact (a list's label filter, most creates' stamps) is returned
// itself, not copied; one with secrets gets a redacted copy, and the
// patch, which the proxy still has to apply, is left as it was.
func RedactPatch(patch map[string]any, extra []string) map[string]any {
	if patch == nil || !needsRedaction(patch, extra) {
		return patch
	}
	out, _ := redactValue(patch, "", extra).(map[string]any)
	return out
}

// NeedsRedaction reports whether RedactInput would change anything, without
// copying: most requests carry no secrets, and their input can then be
// logged as the bytes already encoded for the policy.
func NeedsRedaction(in map[string]any, extra []string) bool {
	if req, ok := in["request"].(map[string]any); ok {
		if ep, _ := req["endpoint"].(string); SecretBody(ep) && req["body"] != nil {
			return true
		}
	}
	return needsRedaction(in, extra)
}

// SecretBody reports whether an endpoint's body holds a credential or a
// secret, whole or in a field.
func SecretBody(endpoint string) bool {
	return endpointsWithSecretBodies[endpoint] || secretBodyFields[endpoint] != nil
}

// ValueNeedsRedaction is NeedsRedaction for one part of an input (a body,
// a facts document, a query), for callers that hold the parts rather than
// the whole document. Route parameters (map[string]string) and query
// strings (map[string][]string) are judged as their generic copies would be.
func ValueNeedsRedaction(v any, extra []string) bool { return needsRedaction(v, extra) }

func needsRedaction(v any, extra []string) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if (strings.EqualFold(k, "Env") || wholeSecretKey(k)) && val != nil {
				return true
			}
			if s, ok := val.(string); ok && s != "" && secretKey(k) {
				return true
			}
			if needsRedaction(val, extra) {
				return true
			}
		}
	case []any:
		for i, e := range t {
			if i > 0 && flagTakesSecret(t[i-1]) {
				if s, ok := e.(string); ok && s != Redacted {
					return true
				}
			}
			if needsRedaction(e, extra) {
				return true
			}
		}
	case string:
		return containsExtra(t, extra) || holdsSecret(t)
	// The typed maps a caller may pass instead of their generic copies (route
	// parameters, query strings) are judged as those copies would be.
	case map[string]string:
		for k, val := range t {
			if strings.EqualFold(k, "Env") || wholeSecretKey(k) || val != "" && secretKey(k) || containsExtra(val, extra) || holdsSecret(val) {
				return true
			}
		}
	case map[string][]string:
		for k, vals := range t {
			if (strings.EqualFold(k, "Env") || wholeSecretKey(k)) && vals != nil {
				return true
			}
			for _, val := range vals {
				if containsExtra(val, extra) || holdsSecret(val) {
					return true
				}
			}
		}
	}
	return false
}

func containsExtra(s string, extra []string) bool {
	for _, secret := range extra {
		if secret != "" && strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

// A value may carry a secret as a NAME=VALUE assignment among others:
// mount options ("addr=10.0.0.1,username=u,password=p" for a CIFS volume),
// a command's argument ("--db-password=p"). Each comma-separated part whose
// name looks secret keeps its name and loses its value.

func secretAssignments(s string, out *strings.Builder) (found bool) {
	if out == nil && strings.IndexByte(s, '=') < 0 {
		return false
	}
	first := true
	for part := range strings.SplitSeq(s, ",") {
		name, value, ok := strings.Cut(part, "=")
		secret := ok && value != "" && value != Redacted && secretKey(name)
		found = found || secret
		if out == nil {
			if found {
				return true
			}
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		if secret {
			out.WriteString(name)
			out.WriteByte('=')
			out.WriteString(Redacted)
		} else {
			out.WriteString(part)
		}
	}
	return found
}

// A command line may also carry a secret as a flag and the word after it:
// the elements "--password", "p" of a Cmd, or "tool --api-token p" in a
// shell line. A word that starts with "-", holds no "=" and whose name
// looks secret loses the word after it. Like the assignments above, this
// errs on the side of the log: "--bypass x" loses its x.

func secretFlag(word string) bool {
	if len(word) < 2 || word[0] != '-' || strings.IndexByte(word, '=') >= 0 || !secretKey(word) {
		return false
	}
	for i := range len(word) {
		if asciiSpace(word[i]) {
			return false // a list element with spaces is no single flag
		}
	}
	return true
}

// flagTakesSecret reports whether an element of a list is such a flag, so
// that the element after it is a secret.
func flagTakesSecret(v any) bool {
	s, ok := v.(string)
	return ok && secretFlag(s)
}

// secretFlagWords walks the words of s (split at ASCII white space, as a
// shell splits them; a quoted word after a flag runs to its closing quote)
// for a secret flag followed by a word.
func secretFlagWords(s string, out *strings.Builder) (found bool) {
	if out == nil && strings.IndexByte(s, '-') < 0 {
		return false
	}
	afterFlag := false
	for i := 0; i < len(s); {
		if asciiSpace(s[i]) {
			if out != nil {
				out.WriteByte(s[i])
			}
			i++
			continue
		}
		end := i
		if afterFlag && (s[i] == '\'' || s[i] == '"') {
			// A quoted secret may hold spaces: it runs to its closing quote.
			if closing := strings.IndexByte(s[i+1:], s[i]); closing >= 0 {
				end = i + 1 + closing + 1
			}
		}
		for end < len(s) && !asciiSpace(s[end]) {
			end++
		}
		word := s[i:end]
		secret := afterFlag && word != Redacted
		found = found || secret
		if out != nil {
			if secret {
				out.WriteString(Redacted)
			} else {
				out.WriteString(word)
			}
		}
		afterFlag = secretFlag(word)
		i = end
	}
	return found
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// A URL may carry a password in its user information
// (https://user:token@host/...), as a clone or a download in a command
// line does: what lies between the colon and the @ is replaced.

// urlPasswords reads the URLs in s. A URL's authority ends at '/', '?',
// '#' or white space; its user information at the last '@' in it.
func urlPasswords(s string, out *strings.Builder) (found bool) {
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			break
		}
		start := i + len("://")
		end := start
		for end < len(s) && !asciiSpace(s[end]) && s[end] != '/' && s[end] != '?' && s[end] != '#' {
			end++
		}
		authority := s[start:end]
		at := strings.LastIndexByte(authority, '@')
		colon := -1
		if at > 0 {
			colon = strings.IndexByte(authority[:at], ':')
		}
		if colon < 0 || authority[colon+1:at] == "" || authority[colon+1:at] == Redacted {
			if out != nil {
				out.WriteString(s[:end])
			}
			s = s[end:]
			continue
		}
		found = true
		if out == nil {
			return true
		}
		out.WriteString(s[:start+colon+1])
		out.WriteString(Redacted)
		out.WriteString(s[start+at : end])
		s = s[end:]
	}
	if out != nil {
		out.WriteString(s)
	}
	return found
}

// An HTTP header may carry a credential in a command line: curl's
// "Authorization: Bearer ..." as an element of a Cmd, or quoted in a shell
// line. A header whose name looks secret, starting a string or just after
// a quote, loses its value: to the string's end, or to the closing quote.

// secretHeaders reads the headers in s. One can start only at s's start
// or just after a quote.
func secretHeaders(s string, out *strings.Builder) (found bool) {
	if out == nil && !strings.Contains(s, ": ") {
		return false
	}
	written := 0 // s[:written] is in out
	for i := 0; i < len(s); i++ {
		var quote byte
		if i > 0 {
			if quote = s[i-1]; quote != '"' && quote != '\'' {
				continue
			}
		}
		name := i
		for name < len(s) && headerNameByte(s[name]) {
			name++
		}
		if name == i || !strings.HasPrefix(s[name:], ": ") || !secretKey(s[i:name]) {
			continue
		}
		start := name + len(": ")
		end := len(s)
		if quote != 0 {
			if closing := strings.IndexByte(s[start:], quote); closing >= 0 {
				end = start + closing
			}
		}
		if value := s[start:end]; value != "" && value != Redacted {
			found = true
			if out == nil {
				return true
			}
			out.WriteString(s[written:start])
			out.WriteString(Redacted)
			written = end
		}
		i = end - 1 // the value is not searched for headers
	}
	if out != nil {
		out.WriteString(s[written:])
	}
	return found
}

func headerNameByte(c byte) bool {
	return c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
