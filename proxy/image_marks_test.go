package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeImageDaemon answers image inspects (pure logic: what the daemon
// answers is proven in e2e) and counts them. "marked" images set
// ManagedLabel; "gone" ones do not exist.
func fakeImageDaemon(t *testing.T) (*Facts, *atomic.Int32) {
	t.Helper()
	var asked atomic.Int32
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			return
		}
		asked.Add(1)
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path[strings.Index(r.URL.Path, "/images/"):], "/images/"), "/json")
		if strings.HasPrefix(id, "gone") {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"message": "No such image: " + id})
			return
		}
		labels := map[string]string{"purpose": "test"}
		if strings.HasPrefix(id, "marked") {
			labels[ManagedLabel] = "true"
		}
		json.NewEncoder(w).Encode(map[string]any{"Id": id, "Config": map[string]any{"Labels": labels}})
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	up, err := NewUpstream("unix://"+sock, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFacts(up, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, &asked
}

func TestAnImagesOwnMarkIsAskedOncePerId(t *testing.T) {
	f, asked := fakeImageDaemon(t)
	ctx := context.Background()
	for _, c := range []struct {
		id   string
		want bool
	}{
		{"marked-1", true},
		{"plain-1", false},
		{"gone-1", true}, // an image the daemon no longer has cannot vouch
	} {
		for round := 0; round < 3; round++ {
			got, err := f.imageSetsManaged(ctx, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("imageSetsManaged(%s) = %v, want %v", c.id, got, c.want)
			}
		}
	}
	// A missing image is not remembered: it may be pulled again, and then
	// its own labels answer.
	if n := asked.Load(); n != 2+3 {
		t.Errorf("the daemon was asked %d times; want once for each image it has and every time for the missing one (5)", n)
	}
}

func TestTheRememberedImageMarksAreBoundedAndStartOver(t *testing.T) {
	f, asked := fakeImageDaemon(t)
	ctx := context.Background()
	for i := 0; i <= maxImageMarks; i++ {
		if _, err := f.imageSetsManaged(ctx, fmt.Sprintf("plain-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.imageMarks.marked); n > maxImageMarks {
		t.Errorf("%d image marks remembered; the bound is %d", n, maxImageMarks)
	}
	before := asked.Load()
	if _, err := f.imageSetsManaged(ctx, "plain-0"); err != nil {
		t.Fatal(err)
	}
	if asked.Load() != before+1 {
		t.Errorf("the first image was still remembered after %d others", maxImageMarks)
	}
}
