package commands

import "strings"

// ShellSplit splits a command line into argv the way the Container
// Service's ShellSplitter does: whitespace separates tokens, single and
// double quotes group (adjacent quoted parts join), a backslash escapes the
// next character except inside single quotes, and empty tokens are dropped.
func ShellSplit(s string) []string {
	var out []string
	var tok strings.Builder
	var quote rune // 0, '\'' or '"'
	escaping := false
	flush := func() {
		if tok.Len() > 0 {
			out = append(out, tok.String())
			tok.Reset()
		}
	}
	for _, r := range s {
		switch {
		case escaping:
			tok.WriteRune(r)
			escaping = false
		case r == '\\' && quote != '\'':
			escaping = true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				tok.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote = r
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v':
			flush()
		default:
			tok.WriteRune(r)
		}
	}
	flush()
	return out
}
