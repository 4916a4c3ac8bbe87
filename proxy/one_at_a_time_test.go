package proxy

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/xcsproxy/xcsproxy/policy"
)

// overlapDaemon answers every request after hold, and remembers the most
// requests it ever had in hand at once.
type overlapDaemon struct {
	hold      time.Duration
	now, most atomic.Int32
}

func (d *overlapDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := d.now.Add(1)
	for {
		most := d.most.Load()
		if n <= most || d.most.CompareAndSwap(most, n) {
			break
		}
	}
	time.Sleep(d.hold)
	d.now.Add(-1)
	w.WriteHeader(http.StatusCreated)
	w.Write([]byte(`{"ID":"x"}`))
}

// allowAll decides every request allowed, with no facts: only the proxy's
// own handling is under test.
func allowAll(t *testing.T) *policy.Engine {
	t.Helper()
	set, err := policy.Load(context.Background(), fstest.MapFS{"allow.rego": {Data: []byte(
		"package xcsproxy\n\ndecision := {\"allow\": true, \"reasons\": [], \"patch\": {}}\n")}})
	if err != nil {
		t.Fatal(err)
	}
	return policy.NewEngine(set)
}

func TestServiceSpecsAreDecidedAndForwardedOneAtATime(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "d.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	daemon := &overlapDaemon{hold: 30 * time.Millisecond}
	srv := &http.Server{Handler: daemon}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	up, err := NewUpstream("unix://"+sock, nil, 16)
	if err != nil {
		t.Fatal(err)
	}
	p := New(Config{Upstream: up, Engine: allowAll(t), Log: hclog.NewNullLogger(), MaxBody: 1 << 20,
		MaxHeaderFields: 100, RequestTimeout: time.Minute, BodyReadTimeout: time.Minute})
	t.Cleanup(p.Close)

	send := func(path, body string) int {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		return w.Code
	}
	burst := func(path, body string) int32 {
		daemon.most.Store(0)
		var wg sync.WaitGroup
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code := send(path, body); code != http.StatusCreated {
					t.Errorf("%s answered %d", path, code)
				}
			}()
		}
		wg.Wait()
		return daemon.most.Load()
	}
	if most := burst("/services/create", `{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"x"}}}`); most != 1 {
		t.Errorf("the daemon had %d service creates in hand at once, want 1", most)
	}
	if most := burst("/services/abc/update?version=1", `{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"x"}}}`); most != 1 {
		t.Errorf("the daemon had %d service updates in hand at once, want 1", most)
	}
	// The control: other creates are not held back, so the daemon does see
	// requests overlap when nothing serializes them.
	if most := burst("/containers/create", `{"Image":"x"}`); most < 2 {
		t.Errorf("container creates never overlapped (%d at most); the test cannot tell serialized from not", most)
	}
}
