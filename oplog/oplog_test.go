package oplog

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// The credentials in these lines are the kinds the audit log's redaction
// knows: a URL's password, a token after its flag, a secret NAME=VALUE.
const (
	urlSecret    = "tok-url-4711"
	flagSecret   = "tok-flag-4712"
	assignSecret = "tok-assign-4713"
)

func TestNoLineCarriesASecretWhateverPathItTakes(t *testing.T) {
	tests := []struct {
		name string
		log  func(l hclog.Logger)
		kept string // what of the line must still be there
	}{
		{"a URL's password in the message is redacted", func(l hclog.Logger) {
			l.Info("pulling https://xnat:" + urlSecret + "@registry.example/x:1")
		}, "https://xnat:<redacted>@registry.example/x:1"},
		{"a token after its flag in a string value is redacted", func(l hclog.Logger) {
			l.Warn("job failed", "command", "run --api-token "+flagSecret+" --verbose")
		}, "run --api-token <redacted> --verbose"},
		{"a secret NAME=VALUE in an error value is redacted", func(l hclog.Logger) {
			l.Error("fact lookup failed", "error", errors.New("inspecting XNAT_PASS="+assignSecret+": not found"))
		}, "inspecting XNAT_PASS=<redacted>"},
		{"a list of strings is redacted element by element", func(l hclog.Logger) {
			l.Info("serving", "listen", []string{"unix:///run/x.sock", "https://u:" + urlSecret + "@h/"})
		}, "unix:///run/x.sock"},
		{"arguments given to With are redacted", func(l hclog.Logger) {
			l.With("source", "https://u:"+urlSecret+"@h/x.tar").Info("import")
		}, "https://u:<redacted>@h/x.tar"},
		{"a Named logger redacts too", func(l hclog.Logger) {
			l.Named("policy").Error("reload failed", "error", errors.New("--password "+flagSecret))
		}, "--password <redacted>"},
		{"the standard logger's lines, such as a handler's panic, are redacted", func(l hclog.Logger) {
			l.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}).Printf("[ERROR] http1: panic serving @: TOKEN=%s", assignSecret)
		}, "TOKEN=<redacted>"},
		{"values with nothing secret pass unchanged", func(l hclog.Logger) {
			l.Info("audit chain head", "seq", 42, "timeout", 5*time.Second, "ok", true, "file", "/var/log/xcsproxy/audit.log")
		}, `"ok":true,"seq":42,"timeout":5000000000}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			l := New(&hclog.LoggerOptions{Output: &out, JSONFormat: true, Level: hclog.Trace})
			tt.log(l)
			// JSON escapes the angle brackets of <redacted>.
			line := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(out.String())
			if line == "" {
				t.Fatal("nothing was logged")
			}
			for _, secret := range []string{urlSecret, flagSecret, assignSecret} {
				if strings.Contains(line, secret) {
					t.Errorf("the line carries %s: %s", secret, line)
				}
			}
			if !strings.Contains(line, tt.kept) {
				t.Errorf("the line lost %q: %s", tt.kept, line)
			}
		})
	}
}

func TestArgumentsWithoutSecretsAreNotCopied(t *testing.T) {
	args := []any{"endpoint", "container.create", "status", 403}
	if got := redactArgs(args); &got[0] != &args[0] {
		t.Fatal("arguments with nothing to redact were copied")
	}
	withSecret := []any{"uri", "https://u:" + urlSecret + "@h/"}
	got := redactArgs(withSecret)
	if &got[0] == &withSecret[0] || withSecret[1] != "https://u:"+urlSecret+"@h/" {
		t.Fatal("redaction changed the caller's arguments in place")
	}
}

func TestWrappingTwiceWrapsOnce(t *testing.T) {
	l := New(&hclog.LoggerOptions{Output: &bytes.Buffer{}})
	if _, ok := Redacting(l).(redacting).Logger.(redacting); ok {
		t.Fatal("a redacting logger was wrapped again")
	}
}
