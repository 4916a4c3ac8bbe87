package proxy

import (
	"net"
	"net/http"
	"strconv"
	"sync"
)

// ConnLimit caps how many connections one client (a unix uid, or any TCP
// peer address) may hold open, so one runaway or hostile client cannot
// exhaust the proxy's file descriptors for everyone else.
type ConnLimit struct {
	Max int

	mu    sync.Mutex
	open  map[string]int
	owner map[net.Conn]string
}

// ConnState is an http.Server ConnState hook enforcing the limit.
func (l *ConnLimit) ConnState(c net.Conn, state http.ConnState) {
	if l == nil || l.Max <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open == nil {
		l.open, l.owner = map[string]int{}, map[net.Conn]string{}
	}
	switch state {
	case http.StateNew:
		key := connOwner(c)
		if l.open[key] >= l.Max {
			c.Close() // StateClosed follows for tracked conns only
			return
		}
		l.open[key]++
		l.owner[c] = key
	case http.StateClosed, http.StateHijacked:
		if key, ok := l.owner[c]; ok {
			delete(l.owner, c)
			if l.open[key]--; l.open[key] <= 0 {
				delete(l.open, key)
			}
		}
	}
}

func connOwner(c net.Conn) string {
	if uc, ok := c.(*net.UnixConn); ok {
		if cred, err := peerCred(uc); err == nil {
			return "uid:" + strconv.Itoa(int(cred.Uid))
		}
		return "unix"
	}
	if host, _, err := net.SplitHostPort(c.RemoteAddr().String()); err == nil {
		return "ip:" + host
	}
	return c.RemoteAddr().String()
}
