package audit

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func writeLog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	w, err := Open(path, Options{Sync: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		rec := &Record{Type: TypeDecision, DecisionID: NewDecisionID(), Timestamp: time.Now(), Endpoint: "system.ping",
			Result: &Result{Allow: i%3 != 0, Reasons: []string{"r"}}}
		if err := w.Append(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func lines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(b, []byte("\n"))
}

func rewrite(t *testing.T, path string, ls [][]byte) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Join(ls, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

func verify(t *testing.T, path string) *Report {
	t.Helper()
	r, err := Verify([]string{path}, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAnUntouchedLogVerifies(t *testing.T) {
	path := writeLog(t, 10)
	r := verify(t, path)
	if !r.OK() || r.Records != 10 || r.FirstSeq != 1 || r.LastSeq != 10 || len(r.Torn) != 0 {
		t.Fatalf("report %+v (broken %v)", r, r.Broken)
	}
}

func TestTamperingIsFoundAndNamed(t *testing.T) {
	cases := []struct {
		name   string
		tamper func([][]byte) [][]byte
		line   int
		kind   string
	}{
		{"changing one byte", func(ls [][]byte) [][]byte {
			ls[4] = bytes.Replace(ls[4], []byte("system.ping"), []byte("system.pinG"), 1)
			return ls
		}, 5, "modified"},
		{"deleting a line", func(ls [][]byte) [][]byte { return append(ls[:4:4], ls[5:]...) }, 5, "removed"},
		{"swapping two lines", func(ls [][]byte) [][]byte { ls[4], ls[5] = ls[5], ls[4]; return ls }, 5, "reordered"},
		{"inserting a copy of a line", func(ls [][]byte) [][]byte {
			out := append([][]byte{}, ls[:6]...)
			out = append(out, ls[2])
			return append(out, ls[6:]...)
		}, 7, "inserted"},
		{"inserting a foreign line", func(ls [][]byte) [][]byte {
			out := append([][]byte{}, ls[:3]...)
			out = append(out, []byte(`{"seq":4,"type":"decision","decision_id":"x","result":{"allow":true}}`+"\n"))
			return append(out, ls[3:]...)
		}, 4, "inserted"},
		{"deleting the first line", func(ls [][]byte) [][]byte { return ls[1:] }, 0, ""},
		{"truncating a line in the middle", func(ls [][]byte) [][]byte {
			ls[3] = append(ls[3][:40:40], '\n')
			return ls
		}, 4, "modified"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeLog(t, 10)
			rewrite(t, path, c.tamper(lines(t, path)))
			r := verify(t, path)
			if c.kind == "" {
				// Dropping the head of a file is indistinguishable from a
				// rotated start; the recorded head anchor catches rewrites.
				if !r.OK() || r.FirstSeq != 2 {
					t.Fatalf("report %+v", r)
				}
				return
			}
			if r.OK() {
				t.Fatalf("verify passed a log after %s", c.name)
			}
			if r.Broken.Line != c.line || r.Broken.Kind != c.kind {
				t.Fatalf("finding %v; want line %d, %s", r.Broken, c.line, c.kind)
			}
		})
	}
}

func TestATornTailIsReportedAsACrashNotTampering(t *testing.T) {
	path := writeLog(t, 5)
	ls := lines(t, path)
	ls = append(ls, []byte(`{"seq":6,"prev_hash":"abc","type":"decision","timest`))
	rewrite(t, path, ls)
	r := verify(t, path)
	if !r.OK() || len(r.Torn) != 1 || r.Torn[0].Kind != "torn-tail" || r.Torn[0].Line != 6 {
		t.Fatalf("report %+v torn %v broken %v", r, r.Torn, r.Broken)
	}
	// The writer resumes after the torn line, and the chain still holds.
	w, err := Open(path, Options{Sync: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(&Record{Type: TypeDecision, Endpoint: "system.ping", Timestamp: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r = verify(t, path)
	if !r.OK() || r.Records != 6 || len(r.Torn) != 1 || r.Torn[0].Kind != "torn-line" {
		t.Fatalf("after resuming: %+v torn %v broken %v", r, r.Torn, r.Broken)
	}
}

func TestRotationContinuesTheChainAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	var heads []string
	w, err := Open(path, Options{Sync: SyncNone, MaxSize: 2000, Keep: 10, OnHead: func(_ string, _ uint64, h string) { heads = append(heads, h) }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		if err := w.Append(&Record{Type: TypeDecision, Endpoint: "container.list", Timestamp: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	files, _ := filepath.Glob(path + ".*")
	if len(files) < 2 {
		t.Fatalf("no rotation happened: %v", files)
	}
	// Oldest first: FILE.N ... FILE.1, FILE.
	var chain []string
	for i := len(files); i >= 1; i-- {
		chain = append(chain, path+"."+strconv.Itoa(i))
	}
	chain = append(chain, path)
	r, err := Verify(chain, heads[len(heads)-1])
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Records != 40 || r.FirstSeq != 1 || r.LastSeq != 40 {
		t.Fatalf("report %+v broken %v", r, r.Broken)
	}
	// One file alone still verifies from where it joins the chain.
	r, _ = Verify([]string{path + ".1"}, "")
	if !r.OK() || r.StartPrev == "" {
		t.Fatalf("newest file alone: %+v", r)
	}
	// A head that no record has means the tail was cut or rewritten.
	r, _ = Verify(chain, strings.Repeat("0", 64))
	if r.OK() || r.Broken.Kind != "head" {
		t.Fatalf("a wrong head passed: %+v", r)
	}
}

func TestAWriterReopensARemovedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	w, err := Open(path, Options{Sync: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Append(&Record{Type: TypeDecision, Timestamp: time.Now()})
	os.Remove(path)
	w.mu.Lock()
	w.lastCheck = time.Time{} // skip the once-a-second wait
	w.mu.Unlock()
	if err := w.Append(&Record{Type: TypeDecision, Timestamp: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the removed log was not recreated: %v", err)
	}
}

func TestRedactionKeepsNamesAndDropsSecrets(t *testing.T) {
	in := map[string]any{
		"request": map[string]any{
			"endpoint": "container.create",
			"body": map[string]any{
				"Env":          []any{"XNAT_PASS=tok-123", "XNAT_HOST=http://x"},
				"Labels":       map[string]any{"xnat.token": "tok-123", "XNAT_USER": "admin"},
				"HostConfig":   map[string]any{"Binds": []any{"/data:/data:ro"}},
				"TaskTemplate": map[string]any{"ContainerSpec": map[string]any{"Env": []any{"SECRET=s3"}}},
			},
		},
	}
	out := RedactInput(in, []string{"sensitive-input-value"})
	body := out["request"].(map[string]any)["body"].(map[string]any)
	env := body["Env"].([]any)
	if env[0] != "XNAT_PASS=<redacted>" || env[1] != "XNAT_HOST=<redacted>" {
		t.Fatalf("env: %v", env)
	}
	if body["Labels"].(map[string]any)["xnat.token"] != Redacted || body["Labels"].(map[string]any)["XNAT_USER"] != "admin" {
		t.Fatalf("labels: %v", body["Labels"])
	}
	if body["TaskTemplate"].(map[string]any)["ContainerSpec"].(map[string]any)["Env"].([]any)[0] != "SECRET=<redacted>" {
		t.Fatal("service env not redacted")
	}
	if in["request"].(map[string]any)["body"].(map[string]any)["Env"].([]any)[0] != "XNAT_PASS=tok-123" {
		t.Fatal("redaction changed the original input")
	}
	auth := RedactInput(map[string]any{"request": map[string]any{"endpoint": "system.auth", "body": map[string]any{"username": "u", "password": "p"}}}, nil)
	if auth["request"].(map[string]any)["body"] != Redacted {
		t.Fatalf("auth body: %v", auth)
	}
	extra := RedactInput(map[string]any{"request": map[string]any{"body": map[string]any{"Cmd": []any{"run", "--key=sensitive-input-value"}}}}, []string{"sensitive-input-value"})
	if strings.Contains(fmt.Sprint(extra), "sensitive-input-value") {
		t.Fatalf("sensitive value kept: %v", extra)
	}
}

func TestAPatchIsLoggedWithoutItsSecrets(t *testing.T) {
	cases := []struct {
		name      string
		patch     map[string]any
		want      string // the patch as logged
		sameOnLog bool   // logged as it is, not copied
	}{
		{"a list's label filter is logged as it is",
			map[string]any{"filters": map[string]any{"label": []any{"org.xcsproxy.managed=true"}}},
			`map[filters:map[label:[org.xcsproxy.managed=true]]]`, true},
		{"stamped labels with a secret-looking name lose their value",
			map[string]any{"body": map[string]any{"Labels": map[string]any{"xnat.token": "tok-123", "XNAT_USER": "admin"}}},
			`map[body:map[Labels:map[XNAT_USER:admin xnat.token:<redacted>]]]`, false},
		{"stamped environment keeps only names",
			map[string]any{"body": map[string]any{"Env": []any{"XNAT_PASS=tok-123"}}},
			`map[body:map[Env:[XNAT_PASS=<redacted>]]]`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := fmt.Sprint(c.patch)
			got := RedactPatch(c.patch, nil)
			if fmt.Sprint(got) != c.want {
				t.Fatalf("logged %v, want %s", got, c.want)
			}
			if fmt.Sprint(c.patch) != before {
				t.Fatalf("the patch to apply changed: %v, was %s", c.patch, before)
			}
			if same := fmt.Sprintf("%p", got) == fmt.Sprintf("%p", c.patch); same != c.sameOnLog {
				t.Fatalf("logged the patch itself: %v, want %v", same, c.sameOnLog)
			}
		})
	}
}

func TestRedactionDropsSecretContentBuildArgumentsAndImageChanges(t *testing.T) {
	cases := []struct {
		name, endpoint string
		part           string // "body" or "query"
		value          map[string]any
		secret, kept   string
	}{
		{"a swarm secret's content", "secret.create", "body",
			map[string]any{"Name": "db-pass", "Data": "czNjcjN0", "Labels": map[string]any{}}, "czNjcjN0", "db-pass"},
		{"a swarm secret's content on update", "secret.update", "body",
			map[string]any{"Name": "db-pass", "Data": "czNjcjN0"}, "czNjcjN0", "db-pass"},
		{"a build's build-time variables", "image.build", "query",
			map[string]any{"buildargs": []any{`{"TOKEN":"tok-123"}`}, "t": []any{"x"}}, "tok-123", "x"},
		{"a commit's Dockerfile instructions", "image.commit", "query",
			map[string]any{"changes": []any{"ENV TOKEN=tok-123"}, "container": []any{"job"}}, "tok-123", "job"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := map[string]any{"request": map[string]any{"endpoint": c.endpoint, c.part: c.value}}
			if !NeedsRedaction(in, nil) {
				t.Fatal("NeedsRedaction says there is nothing to redact")
			}
			logged := fmt.Sprint(RedactInput(in, nil))
			if strings.Contains(logged, c.secret) {
				t.Errorf("the secret reached the record: %s", logged)
			}
			if !strings.Contains(logged, c.kept) {
				t.Errorf("redaction took %q with it: %s", c.kept, logged)
			}
		})
	}
	if q := map[string][]string{"buildargs": {`{"TOKEN":"tok-123"}`}}; !ValueNeedsRedaction(q, nil) {
		t.Error("a query with buildargs, as the proxy holds it, does not need redaction")
	}
}

func TestRedactionDropsCommandLineSecrets(t *testing.T) {
	cases := []struct {
		name        string
		cmd, logged []any
	}{
		{"a password as the element after its flag", []any{"tool", "--password", "p4ss", "--threads", "4"}, []any{"tool", "--password", Redacted, "--threads", "4"}},
		{"a token in a shell line", []any{"/bin/sh", "-c", "tool --api-token p4ss --threads 4"}, []any{"/bin/sh", "-c", "tool --api-token " + Redacted + " --threads 4"}},
		{"a quoted secret with spaces in a shell line", []any{"/bin/sh", "-c", "tool  --secret 'p4ss word'\t-v"}, []any{"/bin/sh", "-c", "tool  --secret " + Redacted + "\t-v"}},
		{"a flag with no secret-looking name", []any{"tool", "--threads", "4", "-c", "x"}, []any{"tool", "--threads", "4", "-c", "x"}},
		{"a secret flag with nothing after it", []any{"tool", "--password"}, []any{"tool", "--password"}},
		{"a value already redacted", []any{"tool", "--password", Redacted}, []any{"tool", "--password", Redacted}},
		{"a URL's password in a shell line", []any{"/bin/sh", "-c", "git clone https://xnat:p4ss@git.example/x.git /work"}, []any{"/bin/sh", "-c", "git clone https://xnat:" + Redacted + "@git.example/x.git /work"}},
		{"a URL's password holding an @", []any{"curl", "-o", "/in", "https://xnat:p@ss@data.example"}, []any{"curl", "-o", "/in", "https://xnat:" + Redacted + "@data.example"}},
		{"a URL with a user and no password", []any{"curl", "https://xnat@data.example/a:b@c"}, []any{"curl", "https://xnat@data.example/a:b@c"}},
		{"an Authorization header as an element", []any{"curl", "-H", "Authorization: Bearer p4ss", "https://x"}, []any{"curl", "-H", "Authorization: " + Redacted, "https://x"}},
		{"a token header quoted in a shell line", []any{"/bin/sh", "-c", `curl -H "X-Auth-Token: p4ss" -H 'Accept: */*' https://x`}, []any{"/bin/sh", "-c", `curl -H "X-Auth-Token: ` + Redacted + `" -H 'Accept: */*' https://x`}},
		{"a bind with a secret-looking directory", []any{"/data/auth:/input:ro", "note: auth: x"}, []any{"/data/auth:/input:ro", "note: auth: x"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := map[string]any{"request": map[string]any{"body": map[string]any{"Cmd": c.cmd}}}
			changes := fmt.Sprint(c.cmd) != fmt.Sprint(c.logged)
			if NeedsRedaction(in, nil) != changes {
				t.Errorf("NeedsRedaction(%q) = %v", c.cmd, !changes)
			}
			got := RedactInput(in, nil)["request"].(map[string]any)["body"].(map[string]any)["Cmd"]
			if fmt.Sprint(got) != fmt.Sprint(c.logged) {
				t.Errorf("logged %q, want %q", got, c.logged)
			}
		})
	}
}

func TestRedactionDropsTheValueOfASecretAssignmentInAnyString(t *testing.T) {
	cases := []struct {
		name, value, logged string
	}{
		{"a CIFS volume's mount options", "addr=10.0.0.1,username=xnat,password=p4ss,vers=3.0", "addr=10.0.0.1,username=xnat,password=<redacted>,vers=3.0"},
		{"a command's argument", "--db-password=p4ss", "--db-password=<redacted>"},
		{"an assignment of a name that is not secret", "--threads=4", "--threads=4"},
		{"a string without an assignment", "/data/xnat/archive:/input:ro", "/data/xnat/archive:/input:ro"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := map[string]any{"request": map[string]any{"body": map[string]any{"Cmd": []any{c.value}}}}
			if NeedsRedaction(in, nil) != (c.value != c.logged) {
				t.Errorf("NeedsRedaction(%q) = %v", c.value, !(c.value != c.logged))
			}
			got := RedactInput(in, nil)["request"].(map[string]any)["body"].(map[string]any)["Cmd"].([]any)[0]
			if got != c.logged {
				t.Errorf("logged %q, want %q", got, c.logged)
			}
		})
	}
}

func TestRedactStringsCopiesOnlyWhenAStringChanges(t *testing.T) {
	plain := []string{"image x is not allowed", "mounts a socket"}
	if got := RedactStrings(plain); &got[0] != &plain[0] {
		t.Error("a list with nothing to redact was copied")
	}
	quoting := []string{"ok", "import from https://u:tok-77@h/x.tar"}
	got := RedactStrings(quoting)
	if got[1] != "import from https://u:"+Redacted+"@h/x.tar" || got[0] != "ok" {
		t.Errorf("redacted to %q", got)
	}
	if quoting[1] != "import from https://u:tok-77@h/x.tar" {
		t.Error("the caller's list was changed in place")
	}
}

// Every string of a decision's input is read for secrets on the request
// path; one that holds none must cost no allocation.
func TestReadingAStringThatHoldsNoSecretAllocatesNothing(t *testing.T) {
	for _, s := range []string{
		"addr=10.0.0.1,uid=1000,vers=3.0",
		"/bin/sh -c dcm2niix -z y -o /output /input",
		"--threads 4",
		"https://xnat.example/data/projects/P1",
	} {
		if n := testing.AllocsPerRun(100, func() { holdsSecret(s) }); n != 0 {
			t.Errorf("%q: %v allocations", s, n)
		}
	}
}
