package e2e

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tlsDaemon serves the real daemon over mutual TLS on loopback, as a
// daemon started with --tlsverify does, and counts the connections it took.
func tlsDaemon(t *testing.T, pki *testPKI) (addr string, conns *atomic.Int64) {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(pki.certFile, pki.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert}, ClientCAs: pki.pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	conns = &atomic.Int64{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				up, err := net.Dial("unix", "/var/run/docker.sock")
				if err != nil {
					return
				}
				defer up.Close()
				go func() { io.Copy(up, c); up.(*net.UnixConn).CloseWrite() }()
				io.Copy(c, up)
			}()
		}
	}()
	return l.Addr().String(), conns
}

func TestATLSDaemonIsServedAndGuardedLikeALocalOne(t *testing.T) {
	pki := newPKI(t)
	addr, conns := tlsDaemon(t, pki)
	p := startProxy(t, "--upstream", "tcp://"+addr,
		"--upstream-tls-ca", pki.caFile, "--upstream-tls-cert", pki.clientCertFile, "--upstream-tls-key", pki.clientKeyFile)

	t.Run("docker run prints its output", func(t *testing.T) {
		out, errOut, err := p.cli(ctxFor(t, time.Minute), "", "run", "--rm", "--label", testLabel+"=tls", testImage, "echo", "over tls")
		if err != nil {
			t.Fatalf("docker run: %v\n%s", err, errOut)
		}
		if strings.TrimSpace(out) != "over tls" {
			t.Fatalf("docker run printed %q", out)
		}
		if conns.Load() == 0 {
			t.Fatal("the TLS daemon saw no connection: the run went elsewhere")
		}
	})
	t.Run("a privileged create is refused and nothing is made", func(t *testing.T) {
		before := snapshot(t)
		status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/create",
			body: fmt.Sprintf(`{"Image":%q,"HostConfig":{"Privileged":true}}`, testImage)})
		if status != 403 || !strings.Contains(msg, "privileged") {
			t.Fatalf("privileged create over TLS: %d %q", status, msg)
		}
		assertUnchanged(t, before, snapshot(t))
	})
}
