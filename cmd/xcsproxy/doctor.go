package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/versions"
	"github.com/spf13/cobra"

	"github.com/xcsproxy/xcsproxy/audit"
	"github.com/xcsproxy/xcsproxy/commands"
	"github.com/xcsproxy/xcsproxy/policy"
	"github.com/xcsproxy/xcsproxy/proxy"
)

// checkup collects what doctor finds: each problem with the change that
// fixes it.
type checkup struct {
	problems int
	engine   string // the daemon's Docker version, once it answered
}

func (c *checkup) ok(format string, args ...any) { fmt.Printf("ok    "+format+"\n", args...) }

func (c *checkup) note(format string, args ...any) { fmt.Printf("note  "+format+"\n", args...) }

func (c *checkup) bad(problem, fix string) {
	c.problems++
	fmt.Printf("FAIL  %s\n      fix: %s\n", problem, fix)
}

func doctorCmd() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "doctor [serve flags]",
		Short: "Check a serve configuration: daemon, sockets, policy, commands, audit log; exit 1 on any problem",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			c := &checkup{}
			c.upstream(cmd.Context(), o)
			c.listeners(o)
			c.policy(cmd.Context(), o)
			c.commands(o)
			c.audit(o)
			if c.problems > 0 {
				return &exitError{1, fmt.Errorf("%d problem(s) found", c.problems)}
			}
			fmt.Println("all well")
			return nil
		},
	}
	addServeFlags(cmd.Flags(), o)
	return cmd
}

func (c *checkup) upstream(ctx context.Context, o *serveOptions) {
	var tlsErr error
	var up *proxy.Upstream
	if o.upstreamCA != "" || o.upstreamCert != "" || o.upstreamKey != "" {
		cfg, err := proxy.ClientTLS(o.upstreamCA, o.upstreamCert, o.upstreamKey)
		if err != nil {
			tlsErr = err
		} else {
			up, tlsErr = proxy.NewUpstream(o.upstream, cfg, 1)
		}
	} else {
		up, tlsErr = proxy.NewUpstream(o.upstream, nil, 1)
	}
	if tlsErr != nil {
		c.bad(fmt.Sprintf("upstream %s: %v", o.upstream, tlsErr), "set --upstream to unix:///var/run/docker.sock, or give --upstream-tls-ca/-cert/-key for tcp://")
		return
	}
	hc := &http.Client{Transport: up.Transport, Timeout: 5 * time.Second}
	var info daemonInfo
	var version struct{ APIVersion string }
	for path, into := range map[string]any{"/version": &version, "/info": &info} {
		resp, err := hc.Get("http://docker" + path)
		if err != nil {
			c.bad(fmt.Sprintf("the Docker daemon at %s does not answer: %v", o.upstream, err), "start dockerd (systemctl start docker) or correct --upstream")
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_ = json.Unmarshal(b, into)
	}
	c.engine = info.ServerVersion
	c.ok("daemon %s answers: Docker %s, API %s, swarm %s", o.upstream, info.ServerVersion, version.APIVersion, orDash(info.Swarm.LocalNodeState))
	for _, n := range daemonNotes(info, version.APIVersion) {
		c.note("%s", n)
	}
}

// daemonInfo is the part of GET /info that doctor reads.
type daemonInfo struct {
	ServerVersion   string
	DefaultRuntime  string
	SecurityOptions []string
	Swarm           struct {
		LocalNodeState string
		Nodes          int
	}
}

// daemonNotes names what in the daemon's configuration bears on what
// xcsproxy can promise (docs/threat-model.md): it cannot change any of it.
func daemonNotes(info daemonInfo, apiVersion string) []string {
	var notes []string
	if strings.Contains(info.DefaultRuntime, "nvidia") {
		notes = append(notes, fmt.Sprintf("the daemon's default runtime is %s: a container whose environment (the request's or the image's) sets NVIDIA_VISIBLE_DEVICES gets GPUs whatever gpus.allow says; make runc the default and name nvidia where GPUs are allowed", info.DefaultRuntime))
	}
	if info.Swarm.LocalNodeState == "active" && info.Swarm.Nodes > 1 {
		notes = append(notes, fmt.Sprintf("the swarm has %d nodes: a service's tasks bind the paths of whichever node runs them, and xcsproxy judges them as this machine sees them; mount the roots at the same paths, with the same options, on every node", info.Swarm.Nodes))
	}
	for _, opt := range info.SecurityOptions {
		if strings.Contains(opt, "name=userns") {
			notes = append(notes, "the daemon remaps user namespaces: a job's root is not the host's, and mounts.require_nosuid_nodev is stricter than this host needs (turning it off is safe here)")
		}
	}
	if apiVersion != "" && versions.LessThan(apiVersion, "1.44") {
		notes = append(notes, fmt.Sprintf("API %s: this daemon mounts read-only binds non-recursively, so a mount below a read-only bind's source stays writable in the container; keep other mounts out of read-only roots", apiVersion))
	}
	return notes
}

func (c *checkup) listeners(o *serveOptions) {
	for _, addr := range o.listen {
		u, err := url.Parse(addr)
		if err != nil {
			c.bad(fmt.Sprintf("listen address %q: %v", addr, err), "use unix:///run/xcsproxy/docker.sock")
			continue
		}
		switch u.Scheme {
		case "tcp":
			if o.tlsCert == "" || o.tlsKey == "" || o.tlsClientCA == "" {
				host, _, _ := net.SplitHostPort(u.Host)
				if !proxy.IsLoopback(host) || !o.allowPlainLoopback {
					c.bad(fmt.Sprintf("listener %s is plain TCP: anyone who reaches it can run containers as root on this host", addr),
						"listen on unix:///run/xcsproxy/docker.sock, or give --tls-cert, --tls-key and --tls-client-ca for mutual TLS")
					continue
				}
				c.note("listener %s is plain TCP on loopback (--insecure-allow-plain-loopback): every local user can use it", addr)
				continue
			}
			c.ok("listener %s uses mutual TLS", addr)
		case "unix":
			fi, err := os.Stat(u.Path)
			if err != nil {
				c.note("listener %s: the socket does not exist yet (serve creates it)", addr)
				continue
			}
			mode := fi.Mode().Perm()
			if mode&0o006 != 0 {
				c.bad(fmt.Sprintf("listener %s is open to every local user (mode %o)", addr, mode), "serve with --socket-mode 0660 --socket-group <the XNAT group>")
				continue
			}
			c.ok("listener %s: mode %o", addr, mode)
		default:
			c.bad(fmt.Sprintf("listen address %q is neither unix:// nor tcp://", addr), "use unix:///run/xcsproxy/docker.sock")
		}
	}
}

func (c *checkup) policy(ctx context.Context, o *serveOptions) {
	where := o.policies
	if where == "" {
		where = "the embedded pack"
	}
	set, err := loadPolicy(ctx, o.policies)
	if err != nil {
		c.bad(fmt.Sprintf("policy %s does not load: %v", where, err), "fix the file it names; check with xcsproxy policy check "+orDash(o.policies))
		return
	}
	results, err := set.RunTests(ctx)
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
		}
	}
	if err != nil || failed > 0 {
		c.bad(fmt.Sprintf("policy %s: %d of %d tests fail %v", where, failed, len(results), err), "run xcsproxy policy test "+orDash(o.policies)+" and fix what it names")
	} else {
		c.ok("policy %s (revision %s) compiles and its %d tests pass", where, set.Revision, len(results))
	}
	allowed := allowedEndpoints(ctx, set)
	c.note("endpoints the policy allows for a plain request: %s", strings.Join(allowed, ", "))
	if flawed := archiveFlaws(c.engine, allowed); len(flawed) > 0 {
		c.bad(fmt.Sprintf("the policy allows %s, and the daemon is Docker %s: before %s a job's container can use these endpoints' published flaws to reach the host (CVE-2026-41567, CVE-2026-41568, CVE-2026-42306)", strings.Join(flawed, ", "), c.engine, archiveFixedIn),
			"take them out of endpoints.allow_extra, or upgrade Docker Engine to "+archiveFixedIn+" or later")
	}
	c.mountRoots(ctx, set)
	c.publishablePorts(ctx, set)
}

// The archive endpoints (docker cp) have published flaws in Docker Engine
// before 29.5.1 with which a container's own processes reach the host:
// races in their mount set-up, and a decompressor taken from the
// container's files (docs/threat-model.md).
const archiveFixedIn = "29.5.1"

var archiveEndpoints = []string{"container.archive_get", "container.archive_put", "container.archive_stat"}

// archiveFlaws is the archive endpoints among allowed when engine is a
// Docker version before archiveFixedIn; none when the daemon did not say.
func archiveFlaws(engine string, allowed []string) []string {
	if engine == "" || !engineBefore(engine, archiveFixedIn) {
		return nil
	}
	var out []string
	for _, e := range allowed {
		if slices.Contains(archiveEndpoints, e) {
			out = append(out, e)
		}
	}
	return out
}

// engineBefore compares Docker versions as Docker's API versions compare,
// past a distribution's suffix ("20.10.24+dfsg1"). A part it cannot read
// counts as 0, so an unreadable version counts as before: the check errs
// towards saying so.
func engineBefore(version, fixed string) bool {
	version, _, _ = strings.Cut(version, "+")
	version, _, _ = strings.Cut(version, "-")
	return versions.LessThan(version, fixed)
}

// allowedEndpoints asks the policy about each route with a bare request.
func allowedEndpoints(ctx context.Context, set *policy.Set) []string {
	e := policy.NewEngine(set)
	seen := map[string]bool{}
	var out []string
	for _, rt := range proxy.DockerAPI {
		if seen[rt.Name] {
			continue
		}
		seen[rt.Name] = true
		in := &policy.Input{
			Request: policy.Request{Method: rt.Method, Path: rt.Pattern, Endpoint: rt.Name, Params: map[string]string{}, Query: map[string][]string{}},
			Client:  policy.Client{Transport: "unix"},
			Proxy:   policy.Proxy{ManagedLabel: proxy.ManagedLabel},
		}
		if e.Decide(ctx, in.Map()).Allow {
			out = append(out, rt.Name)
		}
	}
	sort.Strings(out)
	return out
}

func (c *checkup) commands(o *serveOptions) {
	if o.commandsDir == "" {
		return
	}
	store := commands.NewStore()
	if err := store.LoadDir(o.commandsDir); err != nil {
		c.bad(fmt.Sprintf("commands directory %s: %v", o.commandsDir, err), "point --commands at a readable directory of Command JSON files")
		return
	}
	for _, p := range store.Problems() {
		c.bad("commands: "+p, "xcsproxy command validate "+filepath.Join(o.commandsDir, "*.json"))
	}
	c.ok("commands directory %s: %d valid commands", o.commandsDir, len(store.List()))
}

func (c *checkup) audit(o *serveOptions) {
	if o.auditLog == "none" {
		c.note("the audit log is off (--audit-log none)")
		return
	}
	dir := filepath.Dir(o.auditLog)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		c.bad(fmt.Sprintf("audit directory %s cannot be created: %v", dir, err), "create it, writable by the xcsproxy user, or set --audit-log")
		return
	}
	probe, err := os.CreateTemp(dir, ".xcsproxy-doctor-")
	if err != nil {
		c.bad(fmt.Sprintf("audit directory %s is not writable: %v", dir, err), "make it writable by the xcsproxy user, or set --audit-log")
		return
	}
	probe.Close()
	os.Remove(probe.Name())
	if _, err := os.Stat(o.auditLog); err != nil {
		c.ok("audit log %s: writable, not created yet", o.auditLog)
		return
	}
	r, err := audit.Verify([]string{o.auditLog}, "")
	switch {
	case err != nil:
		c.bad(fmt.Sprintf("audit log %s cannot be read: %v", o.auditLog, err), "check its permissions")
	case !r.OK():
		c.bad(fmt.Sprintf("audit log %s: chain broken at %s", o.auditLog, r.Broken), "keep the file as evidence, move it aside, and investigate who changed it")
	default:
		c.ok("audit log %s: chain intact, %d records", o.auditLog, r.Records)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
