package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/xcsproxy/xcsproxy/policy"
)

type connKey struct{}

// connIdentity is what the listener knows about a connection's peer before
// any request is read.
type connIdentity struct {
	transport string
	listener  string
	uid, gid  int
	pid       int

	// The client as the policy and the audit log see it, worked out on the
	// connection's first request and shared by the rest: it cannot change
	// on a connection (Go's TLS server refuses renegotiation).
	once      sync.Once
	client    policy.Client
	clientDoc map[string]any
}

// ConnContext returns an http.Server ConnContext hook that records the peer
// of each accepted connection. On unix sockets it asks the kernel
// (SO_PEERCRED), which a client cannot forge.
func ConnContext(listener string) func(ctx context.Context, c net.Conn) context.Context {
	return func(ctx context.Context, c net.Conn) context.Context {
		id := &connIdentity{transport: "tls", listener: listener, uid: -1, gid: -1, pid: -1}
		if uc, ok := c.(*net.UnixConn); ok {
			id.transport = "unix"
			if cred, err := peerCred(uc); err == nil {
				id.uid, id.gid, id.pid = int(cred.Uid), int(cred.Gid), int(cred.Pid)
			}
		}
		return context.WithValue(ctx, connKey{}, id)
	}
}

func peerCred(c *net.UnixConn) (*unix.Ucred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var credErr error
	err = raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil {
		return nil, err
	}
	return cred, credErr
}

// clientOf is the policy's view of who sent r, and that view as the
// document the audit log records. Both are shared: read, never change them.
func clientOf(r *http.Request) (policy.Client, map[string]any) {
	id, ok := r.Context().Value(connKey{}).(*connIdentity)
	if !ok {
		c := identify(r)
		return c, c.Map()
	}
	id.once.Do(func() {
		id.client = identify(r)
		id.clientDoc = id.client.Map()
	})
	return id.client, id.clientDoc
}

// identify builds the client from the connection's credentials and, on
// TLS, the verified leaf certificate.
func identify(r *http.Request) policy.Client {
	c := policy.Client{UID: -1, GID: -1, PID: -1}
	if id, ok := r.Context().Value(connKey{}).(*connIdentity); ok {
		c.Transport, c.Listener = id.transport, id.listener
		c.UID, c.GID, c.PID = id.uid, id.gid, id.pid
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		leaf := r.TLS.VerifiedChains[0][0]
		sum := sha256.Sum256(leaf.Raw)
		cert := &policy.Cert{SubjectCN: leaf.Subject.CommonName, SHA256: hex.EncodeToString(sum[:])}
		cert.SANs = append(cert.SANs, leaf.DNSNames...)
		for _, ip := range leaf.IPAddresses {
			cert.SANs = append(cert.SANs, ip.String())
		}
		for _, u := range leaf.URIs {
			cert.SANs = append(cert.SANs, u.String())
		}
		cert.SANs = append(cert.SANs, leaf.EmailAddresses...)
		c.Cert = cert
	}
	return c
}
