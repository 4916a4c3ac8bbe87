package e2e

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// hostListener stands for a service behind the firewall: an HTTP server on
// the host's loopback, which the daemon (on the host network) can reach.
// It counts the requests it gets.
func hostListener(t *testing.T) (addr string, calls *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	calls = new(atomic.Int64)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.NotFound(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), calls
}

// TestALoginCheckReachesNoHostImagesDoNotComeFrom sends POST /auth naming a
// host on the daemon's loopback. The daemon calls whatever /auth names
// (registry /v2/, then any token server it names), so an open /auth lets a
// client scan and call services behind the firewall from the daemon's
// position. xcsproxy sends a login check only to a registry images.allow
// names.
func TestALoginCheckReachesNoHostImagesDoNotComeFrom(t *testing.T) {
	addr, calls := hostListener(t)
	login := func(server string) string {
		return fmt.Sprintf(`{"username":"xnat","password":"not-a-secret","serveraddress":%q}`, server)
	}

	// The control: the daemon itself does call such a host.
	daemon := &proxyProc{Sock: "/var/run/docker.sock"}
	status, msg := send(t, daemon.HTTP(), attack{method: "POST", path: "/auth", body: login(addr)})
	if calls.Load() == 0 {
		t.Fatalf("the daemon did not call %s on a direct login check (%d %s); the attack below proves nothing", addr, status, msg)
	}

	p := startProxy(t)
	for _, a := range []attack{
		{name: "a login check to a loopback service", body: login(addr), reason: "no images.allow pattern names that registry"},
		{name: "the same over plain http", body: login("http://" + addr + "/v2/"), reason: "no images.allow pattern names that registry"},
		{name: "an allowed registry's name as the user part", body: login("https://docker.io@" + addr), reason: "carries a user name or password"},
	} {
		t.Run(a.name, func(t *testing.T) {
			before := calls.Load()
			a.method, a.path = "POST", "/auth"
			status, msg := send(t, p.HTTP(), a)
			if status != http.StatusForbidden || !strings.Contains(msg, a.reason) {
				t.Errorf("got %d %q, want 403 with %q", status, msg, a.reason)
			}
			if n := calls.Load() - before; n != 0 {
				t.Errorf("the daemon called the host %d times", n)
			}
		})
	}

	// A registry images may come from keeps its login check, as the
	// Container Service uses it.
	status, msg = send(t, p.HTTP(), attack{method: "POST", path: "/auth", body: login(registryAddr())})
	if status == http.StatusForbidden {
		t.Fatalf("the login check to the allowed registry %s was refused: %s", registryAddr(), msg)
	}
}
