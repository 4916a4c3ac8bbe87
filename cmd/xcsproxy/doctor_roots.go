package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/xcsproxy/xcsproxy/policy"
	"github.com/xcsproxy/xcsproxy/proxy"
)

// mountRoots says, for each root in mounts.allow, what the filesystem mount
// that holds it lets a writer under it do to others. The answers are the
// ones the policy's facts give (statfs), so doctor and the rules never
// disagree.
//
// A writable root needs nosuid and nodev (mounts.require_nosuid_nodev, on
// by default): a job running as root owns what it writes there, so it can
// leave a set-user-ID root program or a device node for whoever on the host
// can reach its output. Without them every writable bind under the root is
// refused, so doctor counts that as a problem while the rule is on.
//
// nosymfollow is a note: xcsproxy resolves a bind's path when it decides,
// and again at start; the daemon follows the path once more when it mounts
// it, a moment later. A writer under the root that xcsproxy does not manage
// (XNAT itself, or whoever has taken it over) can swap a directory for a
// symlink to / in that moment. On a nosymfollow mount (Linux 5.10+) no
// symlink under it is followed, and the daemon's mount fails instead.
func (c *checkup) mountRoots(ctx context.Context, set *policy.Set) {
	requireNoSuid := requiresNoSuidNoDev(ctx, set)
	for _, root := range rootStates(ctx, set) {
		if root.err != nil {
			c.note("mount root %s does not exist where xcsproxy runs (%v): it judges binds by the paths it sees, so run it where the host's paths are", root.path, root.err)
			continue
		}
		real := root.real
		switch {
		case root.readOnly:
		case root.NoSuid && root.NoDev:
			c.ok("writable mount root %s, and every mount below it, is nosuid,nodev: a set-user-ID program or device node a job leaves there is inert on the host", root.path)
		case requireNoSuid:
			c.bad(fmt.Sprintf("writable mount root %s is on a mount, or has a mount below it, without %s: mounts.require_nosuid_nodev refuses every writable bind under it, since a job running as root could leave a set-user-ID root program or a device node there for whoever on the host can reach it", root.path, root.missing()),
				fmt.Sprintf("mount --bind %s %s && mount -o remount,bind,%s %s, and in /etc/fstab: %s %s none bind,%s 0 0 (or set the options on the filesystem's own mount)", real, real, root.options(), real, real, real, root.options()))
		default:
			c.note("writable mount root %s is on a mount, or has a mount below it, without %s, and mounts.require_nosuid_nodev is off: a job running as root can leave a set-user-ID root program or a device node there for whoever on the host can reach it", root.path, root.missing())
		}
		if root.NoSymFollow {
			c.ok("mount root %s is on a nosymfollow mount: a symlink put under it is never followed when the daemon mounts a bind (mounts.require_nosymfollow: true keeps it so)", root.path)
		} else {
			c.note("mount root %s is on a mount that follows symlinks: a writer under it that xcsproxy does not manage (XNAT does write there) could swap a directory for a symlink between xcsproxy's check and the daemon's mount. Unless something under it relies on symlinks, mount it nosymfollow: mount --bind %s %s && mount -o remount,bind,%s %s", root.path, real, real, root.options("nosymfollow"), real)
		}
		if dir, why, ok := writableAbove(real); ok {
			c.note("%s, above mount root %s, %s: whoever can rename an entry there can put a symlink in the root's path, where no nosymfollow mount helps; make it root's alone (chown root: %s; chmod go-w %s)", dir, root.path, why, dir, dir)
		}
	}
}

// unhardenedRoots lists the writable roots whose binds the policy would
// refuse for want of nosuid and nodev, each with the options it lacks: serve
// says so when it starts, rather than at the first job.
func unhardenedRoots(ctx context.Context, set *policy.Set) map[string]string {
	if !requiresNoSuidNoDev(ctx, set) {
		return nil
	}
	out := map[string]string{}
	for _, root := range rootStates(ctx, set) {
		if root.err == nil && !root.readOnly && !(root.NoSuid && root.NoDev) {
			out[root.path] = root.missing()
		}
	}
	return out
}

// A rootState is what the mount holding a mounts.allow root lets writers
// there do, as the policy's facts say it.
type rootState struct {
	mountRoot
	proxy.MountOptions
	real string
	err  error // the root cannot be resolved
}

func rootStates(ctx context.Context, set *policy.Set) []rootState {
	var out []rootState
	for _, root := range packRoots(ctx, set) {
		st := rootState{mountRoot: root}
		if st.real, st.err = filepath.EvalSymlinks(root.path); st.err == nil {
			st.MountOptions = proxy.MountOptionsOf(st.real)
		}
		out = append(out, st)
	}
	return out
}

// options are the mount options a remount of the root should set: a
// remount replaces them all, so it keeps those the mount has, with nosuid
// and nodev for a writable root.
func (r rootState) options(add ...string) string {
	var keep []string
	if r.NoSuid || !r.readOnly {
		keep = append(keep, "nosuid")
	}
	if r.NoDev || !r.readOnly {
		keep = append(keep, "nodev")
	}
	if r.NoSymFollow {
		keep = append(keep, "nosymfollow")
	}
	return strings.Join(append(keep, add...), ",")
}

// missing names the options a writable root lacks.
func (r rootState) missing() string {
	var missing []string
	if !r.NoSuid {
		missing = append(missing, "nosuid")
	}
	if !r.NoDev {
		missing = append(missing, "nodev")
	}
	return strings.Join(missing, " and ")
}

// writableAbove finds the nearest directory above path that someone other
// than root may rename entries in: one root does not own, or one group or
// others may write without the sticky bit (in a sticky directory only an
// entry's owner may rename it, and the entry below is checked in turn).
func writableAbove(path string) (dir, why string, found bool) {
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		var st syscall.Stat_t
		if err := syscall.Stat(d, &st); err == nil {
			mode := os.FileMode(st.Mode & 0o7777)
			switch {
			case st.Uid != 0:
				return d, fmt.Sprintf("is owned by uid %d", st.Uid), true
			case st.Mode&0o022 != 0 && st.Mode&syscall.S_ISVTX == 0:
				return d, fmt.Sprintf("has mode %04o (group or others may write)", uint32(mode)), true
			}
		}
		if d == "/" {
			return "", "", false
		}
	}
}

// A mountRoot is one of the roots binds may lie under.
type mountRoot struct {
	path     string
	readOnly bool
}

// packRoots asks the loaded pack for the roots its mount rules judge by
// (the default pack's are config.yaml's mounts.allow).
func packRoots(ctx context.Context, set *policy.Set) []mountRoot {
	v, _, err := set.Value(ctx, "data.xcsproxy.rules.mounts.roots")
	if err != nil {
		return nil
	}
	allow, _ := v.([]any)
	return parseRoots(allow)
}

// parseRoots reads [{path, read_only}] entries; one without a path is
// skipped.
func parseRoots(allow []any) []mountRoot {
	var out []mountRoot
	for _, r := range allow {
		entry, _ := r.(map[string]any)
		if p, ok := entry["path"].(string); ok && p != "" {
			ro, _ := entry["read_only"].(bool)
			out = append(out, mountRoot{path: p, readOnly: ro})
		}
	}
	return out
}

// requiresNoSuidNoDev asks the loaded pack, not the default one, whether it
// refuses writable binds on mounts without nosuid and nodev; a pack without
// the rule does not.
func requiresNoSuidNoDev(ctx context.Context, set *policy.Set) bool {
	v, found, err := set.Value(ctx, "data.xcsproxy.rules.mounts.require_nosuid_nodev")
	return err == nil && found && v == true
}
