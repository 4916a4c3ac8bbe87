package proxy

import (
	"path/filepath"
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

// MountOptions are the options that matter of the mounts a host path
// reaches: the policy's nosymfollow, nosuid and nodev facts, and what doctor
// reports for each mount root.
type MountOptions struct {
	// NoSymFollow: the mount holding the path follows no symlinks. Only
	// that mount matters: the daemon follows the path down to the source,
	// never below it.
	NoSymFollow bool
	// NoSuid and NoDev: the mount holding the path, and every mount below
	// it, ignores set-user-ID bits and file capabilities, and device nodes.
	// A container that runs as root and has the path bound writable can
	// leave a set-user-ID root program there, or a device node for the
	// host's disk; on the host, whoever can reach the path can run the one
	// or open the other, unless the mount ignores them. A bind is
	// recursive, so the container writes into the mounts below too.
	NoSuid, NoDev bool
}

// MountOptionsOf reads the options of the mount that holds path, or the
// deepest part of it that exists (the daemon creates a missing bind
// source), and of the mounts below it. Anything that cannot be read counts
// as missing.
func MountOptionsOf(path string) MountOptions {
	flags, ok := holdingMountFlags(path)
	if !ok {
		return MountOptions{}
	}
	o := MountOptions{NoSymFollow: flags&stNoSymFollow != 0, NoSuid: flags&stNoSuid != 0, NoDev: flags&stNoDev != 0}
	if !o.NoSuid && !o.NoDev {
		return o
	}
	below, err := hostMounts.below(path)
	if err != nil {
		o.NoSuid, o.NoDev = false, false
		return o
	}
	for _, p := range below {
		var st syscall.Statfs_t
		if err := syscall.Statfs(p, &st); err != nil {
			o.NoSuid, o.NoDev = false, false
			return o
		}
		o.NoSuid = o.NoSuid && st.Flags&stNoSuid != 0
		o.NoDev = o.NoDev && st.Flags&stNoDev != 0
	}
	return o
}

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
