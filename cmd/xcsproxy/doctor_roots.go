package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/xcsproxy/xcsproxy/policy"
)

// mountRoots says, for each root in mounts.allow, whether the filesystem
// mount that holds it follows symlinks. xcsproxy resolves a bind's path when
// it decides, and again at start; the daemon follows the path once more when
// it mounts it, a moment later. A writer under the root that xcsproxy does
// not manage (XNAT itself, or whoever has taken it over) can swap a
// directory for a symlink to / in that moment. On a mount with the
// nosymfollow option (Linux 5.10+) no symlink under it is followed, and the
// daemon's mount fails instead.
func (c *checkup) mountRoots(set *policy.Set) {
	roots := configRoots(set.Data)
	if len(roots) == 0 {
		return
	}
	mounts, err := readMountinfo("/proc/self/mountinfo")
	if err != nil {
		c.note("mount roots not checked for nosymfollow: %v", err)
		return
	}
	for _, root := range roots {
		real, err := filepath.EvalSymlinks(root)
		if err != nil {
			c.note("mount root %s does not exist where xcsproxy runs (%v): it judges binds by the paths it sees, so run it where the host's paths are", root, err)
			continue
		}
		m, ok := holdingMount(mounts, real)
		switch {
		case !ok:
			c.note("mount root %s: no mount found for %s in /proc/self/mountinfo", root, real)
		case m.noSymFollow:
			c.ok("mount root %s is on %s, mounted nosymfollow: a symlink put under it is never followed when the daemon mounts a bind (mounts.require_nosymfollow: true keeps it so)", root, m.point)
		default:
			c.note("mount root %s is on %s, which follows symlinks: a writer under it that xcsproxy does not manage (XNAT does write there) could swap a directory for a symlink between xcsproxy's check and the daemon's mount. Unless something under it relies on symlinks, mount it nosymfollow: mount --bind %s %s && mount -o remount,bind,nosymfollow %s", root, m.point, real, real, real)
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

// A mountEntry is one line of /proc/self/mountinfo: where it is mounted and
// whether its per-mount options include nosymfollow.
type mountEntry struct {
	point       string
	noSymFollow bool
}

func readMountinfo(path string) ([]mountEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if m, ok := parseMountinfoLine(sc.Text()); ok {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// parseMountinfoLine reads "ID PARENT MAJ:MIN ROOT POINT OPTIONS ...": the
// fifth field is the mount point (spaces and the like octal-escaped), the
// sixth the per-mount options.
func parseMountinfoLine(line string) (mountEntry, bool) {
	f := strings.Fields(line)
	if len(f) < 6 {
		return mountEntry{}, false
	}
	m := mountEntry{point: unescapeOctal(f[4])}
	for _, opt := range strings.Split(f[5], ",") {
		if opt == "nosymfollow" {
			m.noSymFollow = true
		}
	}
	return m, true
}

// unescapeOctal undoes the kernel's \ooo escapes in a mountinfo path.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// holdingMount is the mount a path lies on: the deepest mount point above
// it, and of mounts stacked on one point the last, which is on top.
func holdingMount(mounts []mountEntry, path string) (mountEntry, bool) {
	best, found := mountEntry{}, false
	for _, m := range mounts {
		if !withinPath(path, m.point) {
			continue
		}
		if !found || len(m.point) >= len(best.point) {
			best, found = m, true
		}
	}
	return best, found
}

func withinPath(path, root string) bool {
	if root == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == root || strings.HasPrefix(path, root+"/")
}
