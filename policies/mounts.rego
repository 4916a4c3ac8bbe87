# Mounts: every host path a container or service would reach, from Binds,
# Mounts (bind, and local-driver volumes that bind a device or directory)
# and swarm ContainerSpec.Mounts, judged after the proxy has cleaned it and
# resolved its symlinks on the host. The Docker socket is refused under any
# alias, even inside an allowed root.
package xcsproxy.rules.mounts

import data.xcsproxy.lib

# The endpoints this module judges (decision.rego runs it only for these). A
# start (or restart) is judged again on the container's own mounts: the
# daemon mounts them then, through whatever symlinks their paths hold then.
applies_to := {"container.create", "container.start", "container.restart", "service.create", "service.update"}

remount if input.request.endpoint in {"container.start", "container.restart"}

default roots := []

roots := data.config.mounts.allow

describe(m) := sprintf("%s %s", [m.origin, m.spec]) if m.spec

else := sprintf("%s %s:%s", [m.origin, m.source, m.target])

deny contains msg if {
	some m in input.mounts
	m.error != ""
	msg := sprintf("%s: %s", [describe(m), m.error])
}

deny contains msg if {
	some m in input.mounts
	m.covers_protected != ""
	msg := sprintf("%s reaches %s (the Docker or xcsproxy socket, or the daemon's state): refused under any path or alias", [describe(m), m.covers_protected])
}

deny contains msg if {
	some m in input.mounts
	m.host_path != ""
	m.is_socket
	msg := sprintf("%s mounts a socket (%s)", [describe(m), m.resolved])
}

# under_root(m) is the allowed root that decides a mount: the deepest its host
# path lies in. With /data/xnat writable and /data/xnat/archive read-only, a
# bind of /data/xnat/archive/p is under the read-only root.
under_root(m) := deepest(matching) if {
	matching := [r | some r in roots; lib.within(m.resolved, r.path)]
	count(matching) > 0
}

# deepest(rs) is the root in rs with the longest path; of two entries for one
# path, the read-only one. Roots rarely nest, so one match is the usual case.
deepest(rs) := rs[0] if count(rs) == 1

else := [rs[i] | some key in sort([[0 - count(trim_suffix(r.path, "/")), writable(r), i] | some i, r in rs]); i := key[2]][0]

# writable(r) is 0 for a read-only root and 1 otherwise, so read-only sorts first.
writable(r) := 0 if r.read_only == true

else := 1

deny contains msg if {
	some m in input.mounts
	m.host_path != ""
	not under_root(m)
	msg := sprintf("%s: host path %s (resolved %s) is not under an allowed root: add it to mounts.allow in config.yaml", [describe(m), m.host_path, m.resolved])
}

deny contains msg if {
	some m in input.mounts
	m.host_path != ""
	root := under_root(m)
	root.read_only == true
	not m.read_only
	msg := sprintf("%s must be read-only: %s is a read-only root in mounts.allow", [describe(m), root.path])
}

# A named volume that already exists holds some other container's data (a
# database's, XNAT's own); the Container Service never names one. A volume
# the request creates is its own.
deny contains msg if {
	some m in input.mounts
	m.volume_exists == true
	not remount
	not m.volume_name in volumes_allowed
	msg := sprintf("%s uses the existing volume %s, which holds another container's data: add it to mounts.volumes in config.yaml if jobs may use it", [describe(m), m.volume_name])
}

# The daemon follows the symlinks in a host path when it mounts it, at each
# start. A directory below another container's writable bind is that
# container's to change: between xcsproxy's look and the mount it can swap a
# directory on the path for a symlink to /. So no host path may lie inside
# another managed container's or service's writable bind, or another of its
# own (a restart mounts again), nor a writable bind hold another's host path
# (the same directory, shared, is fine: nobody can replace the directory
# they have mounted).
deny contains msg if {
	some m in input.mounts
	object.get(m, "inside_writable_of", "") != ""
	msg := sprintf("%s lies inside %s: whoever writes there can swap a directory on the path for a symlink to anywhere, which the daemon follows when it mounts this (at every start and restart)", [describe(m), m.inside_writable_of])
}

deny contains msg if {
	some m in input.mounts
	object.get(m, "holds_binds_of", "") != ""
	msg := sprintf("%s is writable above %s: it could swap a directory on that path for a symlink to anywhere, and the daemon follows it when it mounts that", [describe(m), m.holds_binds_of])
}

deny contains msg if {
	data.config.mounts.require_nosymfollow == true
	some m in input.mounts
	m.host_path != ""
	object.get(m, "nosymfollow", false) != true
	msg := sprintf("%s: %s is on a mount that follows symlinks, and mounts.require_nosymfollow is on: mount it nosymfollow (xcsproxy doctor gives the commands)", [describe(m), m.resolved])
}

# A job that runs as root (most images do) owns what it writes in a
# writable bind, so it can leave a set-user-ID root program there, a program
# with file capabilities, or a device node for the host's disk. On the host,
# whoever can reach the directory (XNAT, which reads the outputs, or whoever
# has taken it over) runs the one or opens the other and is root. A mount
# with nosuid and nodev ignores all three. On unless config.yaml turns it
# off; a read-only bind leaves nothing behind.
default require_nosuid_nodev := true

require_nosuid_nodev := data.config.mounts.require_nosuid_nodev

missing_hardening(m) := [opt | some opt in ["nosuid", "nodev"]; object.get(m, opt, false) != true]

deny contains msg if {
	require_nosuid_nodev == true
	some m in input.mounts
	m.host_path != ""
	m.read_only != true
	missing := missing_hardening(m)
	count(missing) > 0
	msg := sprintf("%s is writable on a mount without %s: a job running as root could leave a set-user-ID root program or a device node in %s for anyone on the host who can reach it to run or open; mount the root nosuid,nodev (xcsproxy doctor gives the commands), or set mounts.require_nosuid_nodev: false in config.yaml to accept that", [describe(m), concat(" and ", missing), m.resolved])
}

default volumes_allowed := []

volumes_allowed := data.config.mounts.volumes

# SELinux's z and Z relabel the host directory, and everything below it, for
# the container; Z makes it private to this one, so XNAT and every other
# container lose it. The Container Service never asks for either.
deny contains msg if {
	some m in input.mounts
	object.get(m, "relabel", "") != ""
	msg := sprintf("%s: the %s option would relabel the host directory for SELinux, and everything below it", [describe(m), m.relabel])
}

deny contains msg if {
	some m in input.mounts
	m.propagation in {"shared", "rshared"}
	msg := sprintf("%s: %s propagation would let the container mount onto the host", [describe(m), m.propagation])
}

deny contains msg if {
	some m in input.mounts
	m.type == "volume"
	not m.volume_driver in {"", "local"}
	msg := sprintf("%s uses volume driver %s: volume plugins are not allowed", [describe(m), m.volume_driver])
}

deny contains msg if {
	some m in input.mounts
	m.type == "volume"
	object.get(m, "host_path", "") == ""
	opts := object.get(m, "volume_options", {})
	opts != null
	count(opts) > 0
	msg := sprintf("%s: local volumes with driver options (%v) are not allowed", [describe(m), m.volume_options])
}

deny contains msg if {
	some m in input.mounts
	not m.type in {"bind", "volume", "tmpfs"}
	msg := sprintf("%s: mount type %s is not allowed", [describe(m), m.type])
}
