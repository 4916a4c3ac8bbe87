// Package oplog owns xcsproxy's operational logger: hclog, with every
// message and value read by the audit log's redaction first. A line that
// quotes what a client sent (an error naming an image reference with a
// password in it, a refused URI, a panic's value) then keeps the
// credential out, whichever line it is and whoever adds it later. The
// audit record is not written through it and redacts its own strings.
package oplog

import (
	"fmt"
	"io"
	"log"
	"slices"

	"github.com/hashicorp/go-hclog"

	"github.com/xcsproxy/xcsproxy/audit"
)

// New is hclog.New, redacting.
func New(opts *hclog.LoggerOptions) hclog.Logger { return Redacting(hclog.New(opts)) }

// Redacting wraps l so that nothing it logs, through it or through the
// loggers and writers it makes, carries a secret audit.RedactString finds.
func Redacting(l hclog.Logger) hclog.Logger {
	if r, ok := l.(redacting); ok {
		return r
	}
	return redacting{l}
}

// redacting passes every line through audit.RedactString on its way to
// the logger it wraps; what it does not override (levels, names, implied
// arguments) is that logger's.
type redacting struct{ hclog.Logger }

func (l redacting) Log(level hclog.Level, msg string, args ...any) {
	l.Logger.Log(level, audit.RedactString(msg), redactArgs(args)...)
}

func (l redacting) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }
func (l redacting) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }
func (l redacting) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l redacting) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l redacting) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }

func (l redacting) With(args ...any) hclog.Logger {
	return redacting{l.Logger.With(redactArgs(args)...)}
}

func (l redacting) Named(name string) hclog.Logger      { return redacting{l.Logger.Named(name)} }
func (l redacting) ResetNamed(name string) hclog.Logger { return redacting{l.Logger.ResetNamed(name)} }

// StandardLogger is for code that logs through the standard library (the
// HTTP server's errors, a handler's panic with its value).
func (l redacting) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(l.StandardWriter(opts), "", 0)
}

func (l redacting) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	return redactingWriter{l.Logger.StandardWriter(opts)}
}

// redactingWriter redacts each write, one standard-library line, before
// hclog's adapter reads its level from it.
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, audit.RedactString(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// redactArgs returns args with every text in them redacted: strings,
// errors and Stringers (as their redacted text, where it changed), and
// lists of strings. Numbers, booleans and durations pass as they are. args
// itself is returned when nothing changed, so a line without secrets
// costs no copy.
func redactArgs(args []any) []any {
	var out []any
	for i, a := range args {
		r, changed := redactValue(a)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = r
	}
	if out == nil {
		return args
	}
	return out
}

// redactValue is v redacted, and whether that changed it. An error or a
// Stringer whose text changes is logged as its redacted text.
func redactValue(v any) (any, bool) {
	var text string
	switch x := v.(type) {
	case string:
		text = x
	case error:
		text = x.Error()
	case fmt.Stringer:
		text = x.String()
	case []string:
		r := audit.RedactStrings(x)
		return r, !slices.Equal(r, x)
	default:
		return v, false
	}
	r := audit.RedactString(text)
	return r, r != text
}
