package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestShortSoakOfTheContainerServiceWorkload runs 32 clients doing what CS
// does (create, start, logs, kill, remove; events polling; inspects) for a
// few seconds. Any error is a failure; bench/ has the long version.
func TestShortSoakOfTheContainerServiceWorkload(t *testing.T) {
	p := startProxy(t)
	const clients = 32
	duration := 8 * time.Second
	var ops, failures atomic.Int64
	var firstErr sync.Once
	var errMsg string
	fail := func(format string, args ...any) {
		failures.Add(1)
		firstErr.Do(func() { errMsg = fmt.Sprintf(format, args...) })
	}
	do := func(hc *http.Client, method, path, body string, want int) []byte {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, "http://docker.socket"+path, rd)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			fail("%s %s: %v", method, path, err)
			return nil
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ops.Add(1)
		if resp.StatusCode != want {
			fail("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			hc := p.HTTP()
			for time.Now().Before(deadline) {
				switch c % 4 {
				case 0, 1: // the job cycle
					b := do(hc, "POST", "/containers/create", csCreateBody(testImage, []string{"sleep", "30"}, map[string]string{testLabel: "soak"}), 201)
					var cr struct{ Id string }
					if json.Unmarshal(b, &cr) != nil || cr.Id == "" {
						continue
					}
					do(hc, "POST", "/containers/"+cr.Id+"/start", "", 204)
					do(hc, "GET", "/containers/"+cr.Id+"/logs?stdout=true", "", 200)
					do(hc, "GET", "/containers/"+cr.Id+"/json", "", 200)
					do(hc, "POST", "/containers/"+cr.Id+"/kill", "", 204)
					do(hc, "DELETE", "/containers/"+cr.Id+"?force=true", "", 204)
				case 2: // events polling, as CS does every 10 s
					now := time.Now().Unix()
					do(hc, "GET", fmt.Sprintf("/events?since=%d&until=%d&filters=%s", now-5, now, url.QueryEscape(`{"type":["container"]}`)), "", 200)
				case 3: // lists and inspects
					do(hc, "GET", "/containers/json?all=1", "", 200)
					do(hc, "GET", "/images/json", "", 200)
					do(hc, "GET", "/_ping", "", 200)
				}
			}
		}(c)
	}
	wg.Wait()
	t.Logf("%d requests from %d clients in %s, %d failures", ops.Load(), clients, duration, failures.Load())
	if failures.Load() > 0 {
		t.Fatalf("%d unexpected errors; the first: %s", failures.Load(), errMsg)
	}
	p.stop(t)
	if out, err := xcsproxy(t, "audit", "verify", p.AuditLog); err != nil {
		t.Fatalf("audit verify after the soak: %v\n%s", err, out)
	}
}
