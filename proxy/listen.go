package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// ListenSpec describes one client-facing listener.
type ListenSpec struct {
	Addr string // unix:///path or tcp://host:port
	// SocketMode and SocketGroup set a unix socket's permissions: whoever can
	// connect can ask for anything the policy allows.
	SocketMode  os.FileMode
	SocketGroup string
	// TLS is required for tcp:// (mutual TLS with verified client certs).
	TLS *tls.Config
	// AllowPlainLoopback lets a tcp:// listener on a loopback address run
	// without TLS (for local experiments only).
	AllowPlainLoopback bool
}

// Listen opens the listener a spec describes, or says why it refuses to.
func Listen(spec ListenSpec) (net.Listener, error) {
	u, err := url.Parse(spec.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", spec.Addr, err)
	}
	switch u.Scheme {
	case "unix":
		return listenUnix(u.Path, spec)
	case "tcp":
		return listenTCP(u.Host, spec)
	default:
		return nil, fmt.Errorf("listen address %q: scheme must be unix:// or tcp://", spec.Addr)
	}
}

func listenUnix(path string, spec ListenSpec) (net.Listener, error) {
	if path == "" {
		return nil, fmt.Errorf("listen address %q: unix address needs a socket path", spec.Addr)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating socket directory: %w", err)
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	mode := spec.SocketMode
	if mode == 0 {
		mode = 0o660
	}
	if err := os.Chmod(path, mode); err != nil {
		l.Close()
		return nil, fmt.Errorf("setting mode of %s: %w", path, err)
	}
	if spec.SocketGroup != "" {
		gid, err := lookupGroup(spec.SocketGroup)
		if err != nil {
			l.Close()
			return nil, err
		}
		if err := os.Chown(path, -1, gid); err != nil {
			l.Close()
			return nil, fmt.Errorf("setting group of %s: %w", path, err)
		}
	}
	return l, nil
}

// removeStaleSocket deletes a socket file left by a previous run, but never
// a live socket (another xcsproxy, or dockerd itself) or a non-socket file.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket; refusing to replace it", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("%s is in use by another process", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing stale socket %s: %w", path, err)
	}
	return nil
}

func lookupGroup(name string) (int, error) {
	if gid, err := strconv.Atoi(name); err == nil {
		return gid, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("socket group %q: %w", name, err)
	}
	return strconv.Atoi(g.Gid)
}

func listenTCP(hostport string, spec ListenSpec) (net.Listener, error) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", spec.Addr, err)
	}
	if spec.TLS == nil {
		if !IsLoopback(host) {
			return nil, fmt.Errorf("refusing plain TCP listener %s: anyone who reaches this port could run any container as root on this host; use a unix socket, or mutual TLS with --tls-cert, --tls-key and --tls-client-ca", spec.Addr)
		}
		if !spec.AllowPlainLoopback {
			return nil, fmt.Errorf("refusing plain TCP listener %s: every local user and process could drive Docker through it; use a unix socket or mutual TLS, or pass --insecure-allow-plain-loopback for a local experiment", spec.Addr)
		}
		l, err := net.Listen("tcp", hostport)
		if err != nil {
			return nil, fmt.Errorf("listening on %s: %w", hostport, err)
		}
		return l, nil
	}
	l, err := net.Listen("tcp", hostport)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", hostport, err)
	}
	return tls.NewListener(l, spec.TLS), nil
}

// IsLoopback reports whether host names this machine only (localhost or a
// loopback address).
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
