package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/xcsproxy/xcsproxy/policy"
)

// publishablePorts names the TCP ports something on this host listens on
// that a job may publish (ports.min_host_port and up): while the service
// there is down, a restart say, a job that takes the port first gets the
// connections meant for it (docs/threat-model.md). It reads the network
// namespace doctor runs in: the host's, where xcsproxy runs on the host.
func (c *checkup) publishablePorts(ctx context.Context, set *policy.Set) {
	v, found, err := set.Value(ctx, "data.xcsproxy.lib.min_host_port")
	if err != nil || !found {
		return
	}
	min, ok := portNumber(v)
	if !ok {
		return
	}
	var open []int
	for _, p := range listeningPorts("/proc/net/tcp", "/proc/net/tcp6") {
		if p >= min {
			open = append(open, p)
		}
	}
	if len(open) == 0 {
		c.ok("no TCP port at or above ports.min_host_port (%d) is listened on in doctor's network namespace", min)
		return
	}
	c.note("TCP ports %s are listened on in doctor's network namespace (the host's, unless doctor runs in a container), at or above ports.min_host_port (%d): a job may publish any of them while it is free (the service there restarting, say) and take the connections meant for it; raise ports.min_host_port above the ports this host's own services use",
		joinPorts(open), min)
}

// portNumber reads a number from a policy value (OPA's results give
// json.Number).
func portNumber(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n.String())
	return i, err == nil
}

// listeningPorts is the sorted, distinct local ports of the sockets in
// LISTEN state (0A) in the given /proc/net/tcp-style tables.
func listeningPorts(tables ...string) []int {
	var ports []int
	for _, t := range tables {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		ports = append(ports, parseListening(string(b))...)
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

func parseListening(table string) []int {
	var ports []int
	for _, line := range strings.Split(table, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "0A" {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil {
			ports = append(ports, int(p))
		}
	}
	return ports
}

func joinPorts(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}
