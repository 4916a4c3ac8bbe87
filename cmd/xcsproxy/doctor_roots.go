package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/xcsproxy/xcsproxy/policy"
	"github.com/xcsproxy/xcsproxy/proxy"
)

// mountRoots says, for each root in mounts.allow, whether the filesystem
// mount that holds it follows symlinks. xcsproxy resolves a bind's path when
// it decides, and again at start; the daemon follows the path once more when
// it mounts it, a moment later. A writer under the root that xcsproxy does
// not manage (XNAT itself, or whoever has taken it over) can swap a
// directory for a symlink to / in that moment. On a mount with the
// nosymfollow option (Linux 5.10+) no symlink under it is followed, and the
// daemon's mount fails instead. The answer is the one the policy's
// nosymfollow fact gives (statfs), so doctor and mounts.require_nosymfollow
// never disagree.
func (c *checkup) mountRoots(set *policy.Set) {
	for _, root := range configRoots(set.Data) {
		real, err := filepath.EvalSymlinks(root)
		if err != nil {
			c.note("mount root %s does not exist where xcsproxy runs (%v): it judges binds by the paths it sees, so run it where the host's paths are", root, err)
			continue
		}
		if proxy.OnNoSymFollowMount(real) {
			c.ok("mount root %s is on a nosymfollow mount: a symlink put under it is never followed when the daemon mounts a bind (mounts.require_nosymfollow: true keeps it so)", root)
		} else {
			c.note("mount root %s is on a mount that follows symlinks: a writer under it that xcsproxy does not manage (XNAT does write there) could swap a directory for a symlink between xcsproxy's check and the daemon's mount. Unless something under it relies on symlinks, mount it nosymfollow: mount --bind %s %s && mount -o remount,bind,nosymfollow %s", root, real, real, real)
		}
		if dir, why, ok := writableAbove(real); ok {
			c.note("%s, above mount root %s, %s: whoever can rename an entry there can put a symlink in the root's path, where no nosymfollow mount helps; make it root's alone (chown root: %s; chmod go-w %s)", dir, root, why, dir, dir)
		}
	}
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

// configRoots lists the paths of config.yaml's mounts.allow.
func configRoots(data map[string]any) []string {
	config, _ := data["config"].(map[string]any)
	mounts, _ := config["mounts"].(map[string]any)
	allow, _ := mounts["allow"].([]any)
	var out []string
	for _, r := range allow {
		entry, _ := r.(map[string]any)
		if p, ok := entry["path"].(string); ok && p != "" {
			out = append(out, p)
		}
	}
	return out
}
