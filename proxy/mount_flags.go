package proxy

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// What the host's mounts let a path's writers do to others. statfs gives a
// mount's options as flags; these are the ones the policy's facts and doctor
// read, so the two never disagree.
const (
	stNoSuid      = 0x2    // set-user-ID bits and file capabilities ignored
	stNoDev       = 0x4    // device nodes cannot be opened
	stNoSymFollow = 0x2000 // symlinks not followed (Linux 5.10+)
)

// holdingMountFlags is the statfs flags of the mount that holds path, or the
// deepest part of it that exists (the daemon creates a missing bind source).
func holdingMountFlags(path string) (flags int64, ok bool) {
	for p := path; ; p = filepath.Dir(p) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(p, &st); err == nil {
			return st.Flags, true
		}
		if p == "/" || p == "." {
			return 0, false
		}
	}
}

// OnNoSymFollowMount reports whether path, or the deepest part of it that
// exists, lies on a mount that follows no symlinks: the policy's
// nosymfollow fact, and what doctor reports for each mount root. Only the
// holding mount matters: the daemon follows the path down to the source,
// never below it.
func OnNoSymFollowMount(path string) bool {
	flags, ok := holdingMountFlags(path)
	return ok && flags&stNoSymFollow != 0
}

// NoSuidNoDev reports whether the mount holding path, and every mount below
// it, has the nosuid and the nodev option: the policy's nosuid and nodev
// facts, and what doctor reports for each mount root. A container that runs
// as root and has path bound writable can leave a set-user-ID root program
// there, or a device node for the host's disk; on the host, whoever can reach
// the path can run the one or open the other, unless the mount ignores them.
// A bind is recursive, so the container writes into the mounts below too.
// Anything that cannot be read counts as missing.
func NoSuidNoDev(path string) (nosuid, nodev bool) {
	flags, ok := holdingMountFlags(path)
	if !ok {
		return false, false
	}
	nosuid, nodev = flags&stNoSuid != 0, flags&stNoDev != 0
	below, err := mountPointsBelow("/proc/self/mountinfo", path)
	if err != nil {
		return false, false
	}
	for _, p := range below {
		var st syscall.Statfs_t
		if err := syscall.Statfs(p, &st); err != nil {
			return false, false
		}
		nosuid = nosuid && st.Flags&stNoSuid != 0
		nodev = nodev && st.Flags&stNoDev != 0
	}
	return nosuid, nodev
}

// mountPointsBelow lists the mount points strictly below path in a
// mountinfo file ("ID PARENT MAJ:MIN ROOT POINT OPTIONS ...", the point
// with spaces and the like octal-escaped by the kernel).
func mountPointsBelow(mountinfo, path string) ([]string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		if p := unescapeOctal(fields[4]); p != path && within(p, path) {
			out = append(out, p)
		}
	}
	return out, sc.Err()
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
