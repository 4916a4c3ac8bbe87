package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
)

// The reference targets (--reference) put xcsproxy's ratios in context on
// the machine at hand. A relay that parses nothing is what any proxy's
// extra hop costs there, the ceiling of every ratio; xcsproxy with its
// audit log off is what the log costs.
const (
	relayTarget   = "relay (floor)"
	noAuditTarget = "xcsproxy, no audit"
)

// relayEnv, set to a socket path, makes this program a relay on it instead
// of the bench: a separate process, as a proxy is, so that it does not
// share the load generator's scheduler.
const relayEnv = "XCSPROXY_BENCH_RELAY"

// serveRelayIfAsked never returns when this process was started as the
// relay.
func serveRelayIfAsked() {
	sock := os.Getenv(relayEnv)
	if sock == "" {
		return
	}
	if err := relay(sock, "/var/run/docker.sock"); err != nil {
		fmt.Fprintln(os.Stderr, "bench relay:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// relay copies the bytes of each connection on sock to a connection of
// its own to upstream and back: no parsing, no decision, no record.
func relay(sock, upstream string) error {
	os.Remove(sock)
	l, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go relayConn(c.(*net.UnixConn), upstream)
	}
}

func relayConn(client *net.UnixConn, upstream string) {
	defer client.Close()
	u, err := net.Dial("unix", upstream)
	if err != nil {
		return
	}
	daemon := u.(*net.UnixConn)
	defer daemon.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(daemon, client)
		daemon.CloseWrite()
		close(done)
	}()
	io.Copy(client, daemon)
	client.CloseWrite()
	<-done
}

// startReferences starts the reference targets' processes and returns
// their targets.
func (e *environment) startReferences() ([]target, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the bench's own binary for the relay: %w", err)
	}
	relaySock := filepath.Join(e.dir, "relay.sock")
	r := exec.Command(self)
	r.Env = append(os.Environ(), relayEnv+"="+relaySock)
	r.Stderr = os.Stderr
	if err := r.Start(); err != nil {
		return nil, fmt.Errorf("starting the relay: %w", err)
	}
	e.references = append(e.references, r)
	if err := awaitPing(relaySock); err != nil {
		return nil, fmt.Errorf("the relay did not come up: %w", err)
	}
	noAuditSock := filepath.Join(e.dir, "no-audit.sock")
	x, err := e.startXcsproxy(noAuditSock, "--audit-log", "none")
	if err != nil {
		return nil, err
	}
	e.references = append(e.references, x)
	return []target{{name: relayTarget, sock: relaySock, pid: r.Process.Pid}, {name: noAuditTarget, sock: noAuditSock, pid: x.Process.Pid}}, nil
}
