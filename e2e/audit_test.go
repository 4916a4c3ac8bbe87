package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// auditRecord is the part of a record these tests read.
type auditRecord struct {
	Type       string `json:"type"`
	DecisionID string `json:"decision_id"`
	Endpoint   string `json:"endpoint"`
	Result     *struct {
		Allow  bool `json:"allow"`
		Status int  `json:"status"`
	} `json:"result"`
	Outcome *struct {
		Status   int    `json:"status"`
		ObjectID string `json:"object_id"`
		Error    string `json:"error"`
	} `json:"outcome"`
}

func readAudit(t *testing.T, path string) []auditRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r auditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue // torn lines; verify judges them
		}
		out = append(out, r)
	}
	return out
}

// stop ends the proxy gracefully, so every outcome record is written.
func (p *proxyProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("xcsproxy did not stop")
	}
}

func xcsproxy(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	return string(out), err
}

func TestEveryRequestGetsOneDecisionAndEveryForwardedOneAnOutcome(t *testing.T) {
	p := startProxy(t)
	kinds := []attack{
		{name: "allowed ping", method: "GET", path: "/_ping", status: 200},
		{name: "allowed list", method: "GET", path: "/containers/json", status: 200},
		{name: "denied exec", method: "POST", path: "/containers/x/exec", body: `{"Cmd":["id"]}`, status: 403},
		{name: "refused old version", method: "GET", path: "/v1.20/_ping", status: 403},
		{name: "malformed body", method: "POST", path: "/containers/create", body: `{"Image":`, status: 400},
		{name: "non-canonical path", method: "GET", path: "/containers/../_ping", status: 400},
	}
	const clients, each = 64, 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := map[int]int{}
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			hc := p.HTTP()
			for i := 0; i < each; i++ {
				k := kinds[(c+i)%len(kinds)]
				var body io.Reader
				if k.body != "" {
					body = strings.NewReader(k.body)
				}
				req, _ := http.NewRequest(k.method, "http://docker"+k.path, body)
				req.URL.Opaque = k.path // send the path exactly as written
				if k.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := hc.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != k.status {
					errs <- fmt.Errorf("%s: status %d, want %d", k.name, resp.StatusCode, k.status)
					return
				}
				mu.Lock()
				sent[k.status]++
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	p.stop(t)

	recs := readAudit(t, p.AuditLog)
	decisions, outcomes := map[string]auditRecord{}, map[string]int{}
	for _, r := range recs {
		switch r.Type {
		case "decision":
			if _, dup := decisions[r.DecisionID]; dup {
				t.Fatalf("decision id %s recorded twice", r.DecisionID)
			}
			decisions[r.DecisionID] = r
		case "outcome":
			outcomes[r.DecisionID]++
		}
	}
	// The start-up readiness pings are in the log too.
	var startupPings int
	allowed := 0
	for id, d := range decisions {
		if d.Result.Allow {
			allowed++
			if outcomes[id] != 1 {
				t.Errorf("allowed decision %s (%s) has %d outcomes, want 1", id, d.Endpoint, outcomes[id])
			}
		} else if outcomes[id] != 0 {
			t.Errorf("refused decision %s has an outcome: it was forwarded", id)
		}
	}
	startupPings = len(decisions) - clients*each
	if startupPings < 1 || startupPings > 400 {
		t.Fatalf("%d decisions for %d requests (plus start-up pings)", len(decisions), clients*each)
	}
	if allowed != sent[200]+startupPings {
		t.Fatalf("%d allowed decisions, want %d forwarded requests + %d start-up pings", allowed, sent[200], startupPings)
	}
	if len(outcomes) != allowed {
		t.Fatalf("%d outcomes for %d forwarded requests", len(outcomes), allowed)
	}
	if out, err := xcsproxy(t, "audit", "verify", p.AuditLog); err != nil || !strings.Contains(out, "ok: ") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}

	// Reviewing the log: show --denied counts the refusals, summary the rest.
	out, err := xcsproxy(t, "audit", "show", "--denied", "--since", "1h", "--json", p.AuditLog)
	if err != nil {
		t.Fatalf("audit show: %v\n%s", err, out)
	}
	if got := strings.Count(out, "\n"); got != sent[403]+sent[400] {
		t.Fatalf("audit show --denied listed %d, want %d", got, sent[403]+sent[400])
	}
	out, err = xcsproxy(t, "audit", "show", "--json", "--endpoint", "exec.create", p.AuditLog)
	if err != nil || strings.Count(out, "\n") != clients*each/len(kinds) {
		t.Fatalf("audit show --endpoint exec.create: %v\n%s", err, out)
	}
	page := filepath.Join(t.TempDir(), "summary.html")
	out, err = xcsproxy(t, "audit", "summary", "--html", page, p.AuditLog)
	if err != nil {
		t.Fatalf("audit summary: %v\n%s", err, out)
	}
	want := fmt.Sprintf("decisions: %d (allowed %d, denied %d), outcomes: %d", len(decisions), allowed, len(decisions)-allowed, allowed)
	if !strings.Contains(out, want) {
		t.Fatalf("summary does not say %q:\n%s", want, out)
	}
	checkSelfContainedHTML(t, page)
}

// checkSelfContainedHTML parses the page strictly and looks for anything it
// would fetch.
func checkSelfContainedHTML(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	dec.Strict = true
	dec.AutoClose = nil
	svgs := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("summary HTML is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local == "svg" {
				svgs++
			}
			for _, a := range se.Attr {
				if a.Name.Local == "src" || a.Name.Local == "href" {
					t.Fatalf("summary HTML loads %s=%q", a.Name.Local, a.Value)
				}
			}
			if se.Name.Local == "script" || se.Name.Local == "link" {
				t.Fatalf("summary HTML has a <%s>", se.Name.Local)
			}
		}
	}
	if svgs < 3 || strings.Contains(string(b), "url(") {
		t.Fatalf("summary HTML has %d inline charts (want >= 3), or a CSS url()", svgs)
	}
}

func randomToken(t *testing.T) string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func TestSecretsReachNoLog(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	repo := pushTestImage(t, ctx, "secrets")
	p := startProxy(t)
	token, password, argument, option, flagged, inURL, bearer := randomToken(t), randomToken(t), randomToken(t), randomToken(t), randomToken(t), randomToken(t), randomToken(t)
	auth := base64.URLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"username":"xnat","password":%q}`, password)))
	hc := p.HTTP()

	req, _ := http.NewRequest("POST", "http://docker/images/create?fromImage="+repo+"&tag=secrets", nil)
	req.Header.Set("X-Registry-Auth", auth)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	body := fmt.Sprintf(`{"Image":%q,"Cmd":["echo","--db-password=%s","--api-token",%q,"https://xnat:%s@data.example/session.zip","-H","Authorization: Bearer %s"],"Env":["XNAT_PASS=%s","XNAT_USER=admin"],"Labels":{%q:"secrets","xnat.token":%q}}`, testImage, argument, flagged, inURL, bearer, token, testLabel, token)
	status, msg := send(t, hc, attack{method: "POST", path: "/containers/create", body: body})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, msg)
	}
	// A refused create is recorded too: a CIFS volume's password in its mount options.
	cifs := fmt.Sprintf(`{"Image":%q,"HostConfig":{"Mounts":[{"Type":"volume","Target":"/data","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"cifs","device":"//10.0.0.1/share","o":"addr=10.0.0.1,username=xnat,password=%s"}}}}]}}`, testImage, option)
	if status, msg := send(t, hc, attack{method: "POST", path: "/containers/create", body: cifs}); status != http.StatusForbidden {
		t.Fatalf("a create with a CIFS volume: %d %s", status, msg)
	}
	status, _ = send(t, hc, attack{method: "POST", path: "/auth", body: fmt.Sprintf(`{"username":"xnat","password":%q,"serveraddress":%q}`, password, registryAddr())})
	t.Logf("auth answered %d", status)
	// Requests refused before the policy and denied by it are logged with
	// their URI or with reasons that quote it; a URL's password in the
	// query must not go along, and the daemon must not have acted on them.
	inQuery := randomToken(t)
	before := snapshot(t)
	for _, a := range []attack{
		{name: "a non-canonical path", method: "POST", path: "/v1.41//images/create?fromSrc=https://xnat:" + inQuery + "@data.example/i.tar", status: http.StatusBadRequest},
		{name: "an import from a URL", method: "POST", path: "/images/create?fromSrc=https://xnat:" + inQuery + "@data.example/i.tar", status: http.StatusForbidden},
		{name: "a build from a remote", method: "POST", path: "/build?remote=https://xnat:" + inQuery + "@git.example/x.git", status: http.StatusForbidden},
	} {
		if status, msg := send(t, hc, a); status != a.status {
			t.Fatalf("%s: %d %s, want %d", a.name, status, msg, a.status)
		}
	}
	assertUnchanged(t, before, snapshot(t))
	p.stop(t)

	logs, err := os.ReadFile(p.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"audit log": string(logs), "operational log": p.Logs.String()} {
		for name, secret := range map[string]string{"XNAT_PASS token": token, "registry password": password, "X-Registry-Auth header": auth,
			"password argument": argument, "CIFS password": option, "token after its flag": flagged, "password in a URL": inURL, "bearer token in a header": bearer,
			"password in a refused request's URL": inQuery} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s contains the %s", what, name)
			}
		}
	}
	if !strings.Contains(string(logs), "XNAT_PASS=<redacted>") {
		t.Fatal("the audit log does not show the redacted XNAT_PASS variable at all")
	}
}

func TestAFullAuditDiskRefusesRequestsAndRecoversByItself(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mounting a small tmpfs for the audit log (needs root): %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	log := filepath.Join(dir, "audit.log")
	p := startProxy(t, "--audit-log", log)

	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			break // ENOSPC: the disk is full
		}
	}
	f.Close()

	body := fmt.Sprintf(`{"Image":%q,"Cmd":["echo","x"],"Labels":{%q:"disk-full"}}`, testImage, testLabel)
	before := snapshot(t)
	for i := 0; i < 3; i++ {
		status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/create", body: body})
		if status != http.StatusServiceUnavailable || !strings.Contains(msg, "audit log") {
			t.Fatalf("create with a full audit disk: %d %q, want 503 naming the audit log", status, msg)
		}
	}
	assertUnchanged(t, before, snapshot(t))

	os.Remove(filler)
	status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/create", body: body})
	if status != http.StatusCreated {
		t.Fatalf("create after space was freed: %d %q, want 201", status, msg)
	}
	p.stop(t)
	out, err := xcsproxy(t, "audit", "verify", log)
	if err != nil || !strings.Contains(out, "ok: ") {
		t.Fatalf("audit verify after the full disk: %v\n%s", err, out)
	}
}

func TestKillDashNineUnderLoadLeavesAVerifiableLog(t *testing.T) {
	p := startProxy(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < 16; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := p.HTTP()
			big := strings.Repeat("x", 64<<10) // large records make a torn write likely
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", "http://docker/containers/x/exec", strings.NewReader(`{"Cmd":["`+big+`"]}`))
				req.Header.Set("Content-Type", "application/json")
				if resp, err := hc.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				} else {
					return
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	p.cmd.Process.Kill()
	<-p.done
	close(stop)
	wg.Wait()
	out, err := xcsproxy(t, "audit", "verify", p.AuditLog)
	if err != nil || !strings.Contains(out, "ok: ") {
		t.Fatalf("audit verify after kill -9: %v\n%s", err, out)
	}
	if strings.Contains(out, "note:") && !strings.Contains(out, "torn-tail") {
		t.Fatalf("an interrupted write is reported as something other than a torn tail:\n%s", out)
	}
	t.Logf("verify after kill -9: %s", strings.TrimSpace(out))
}

func TestAuditShowFollowPrintsNewDecisionsAsTheyHappen(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, time.Minute)
	cmd := exec.CommandContext(ctx, binary, "audit", "show", "--follow", p.AuditLog)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(300 * time.Millisecond) // let it reach the end of the file
	send(t, p.HTTP(), attack{method: "POST", path: "/containers/followed/exec", body: `{"Cmd":["id"]}`})
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "exec.create") && strings.Contains(sc.Text(), "DENY") {
				found <- true
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatal("audit show --follow ended without showing the denied exec")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("audit show --follow did not show the denied exec within 10s")
	}
}

// anchoredHead matches the operational log's line for an audit chain head.
var anchoredHead = regexp.MustCompile(`audit chain head \(keep it to check the log with audit verify --head\): file=\S+ seq=(\d+) hash=([0-9a-f]{64})`)

func anchorsIn(logs string) [][]string { return anchoredHead.FindAllStringSubmatch(logs, -1) }

func TestTheAuditChainsHeadIsLoggedWhileRecordsComeAndTheLogVerifiesAgainstIt(t *testing.T) {
	p := startProxy(t, "--audit-anchor-every", "200ms")
	hc := p.HTTP()
	for i := 0; i < 5; i++ {
		resp, err := hc.Get("http://docker/_ping")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// The last outcome is written and fsynced within milliseconds; the next
	// anchor names it, while xcsproxy runs (not at its shutdown).
	var seq, hash string
	deadline := time.Now().Add(10 * time.Second)
	for {
		records := len(readAudit(t, p.AuditLog))
		if found := anchorsIn(p.Logs.String()); len(found) > 0 {
			last := found[len(found)-1]
			if last[1] == strconv.Itoa(records) {
				seq, hash = last[1], last[2]
				break
			}
		}
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("no anchored head at the log's last record (%d records) while xcsproxy ran:\n%s", records, p.Logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Nothing new comes, so nothing new is anchored.
	before := len(anchorsIn(p.Logs.String()))
	time.Sleep(700 * time.Millisecond)
	if after := len(anchorsIn(p.Logs.String())); after != before {
		t.Errorf("%d more anchors while no request came; a head is logged only when it moved", after-before)
	}
	if out, err := xcsproxy(t, "audit", "verify", "--head", hash, p.AuditLog); err != nil {
		t.Fatalf("audit verify --head %s (seq %s): %v\n%s", hash, seq, err, out)
	}
	// The same log without its last record still chains on its own; the
	// anchored head is what shows a record gone.
	b, err := os.ReadFile(p.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	cut := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(cut, []byte(strings.Join(lines[:len(lines)-1], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := xcsproxy(t, "audit", "verify", cut); err != nil {
		t.Fatalf("the log without its last record should chain on its own: %v\n%s", err, out)
	}
	if out, err := xcsproxy(t, "audit", "verify", "--head", hash, cut); err == nil {
		t.Fatalf("audit verify --head passed a log missing the anchored record:\n%s", out)
	}
}
