package xcsproxy.rules.mounts_test

import data.xcsproxy.rules.mounts

cfg := {"mounts": {"allow": [{"path": "/data/xnat/archive", "read_only": true}, {"path": "/data/xnat/build", "read_only": false}]}}

mount(over) := object.union(
	{
		"origin": "Binds", "type": "bind", "source": "/data/xnat/build/1", "target": "/output",
		"read_only": false, "propagation": "", "host_path": "/data/xnat/build/1", "resolved": "/data/xnat/build/1",
		"is_socket": false, "covers_protected": "", "volume_name": "", "volume_driver": "", "error": "",
		"nosuid": true, "nodev": true,
	},
	over,
)

deny_count(m) := n if {
	n := count(mounts.deny) with input as {"mounts": [m]} with data.config as cfg
}

test_a_build_directory_bind_is_allowed if deny_count(mount({})) == 0

test_a_read_only_archive_bind_is_allowed if {
	deny_count(mount({"host_path": "/data/xnat/archive/p/s", "resolved": "/data/xnat/archive/p/s", "read_only": true})) == 0
}

test_a_writable_archive_bind_is_denied if {
	deny_count(mount({"host_path": "/data/xnat/archive/p/s", "resolved": "/data/xnat/archive/p/s"})) == 1
}

test_binding_the_root_is_denied if deny_count(mount({"host_path": "/", "resolved": "/", "covers_protected": "/run/docker.sock"})) > 0

test_a_sibling_with_a_shared_prefix_is_not_under_the_root if {
	deny_count(mount({"host_path": "/data/xnat/build-evil", "resolved": "/data/xnat/build-evil"})) == 1
}

test_a_symlink_resolving_outside_the_root_is_denied if {
	deny_count(mount({"host_path": "/data/xnat/build/link", "resolved": "/etc"})) == 1
}

test_the_docker_socket_is_denied_even_inside_an_allowed_root if {
	some msg in mounts.deny with input as {"mounts": [mount({"host_path": "/data/xnat/build/sock", "resolved": "/run/docker.sock", "is_socket": true, "covers_protected": "/run/docker.sock"})]}
		with data.config as {"mounts": {"allow": [{"path": "/", "read_only": false}]}}
	contains(msg, "/run/docker.sock")
}

test_any_socket_is_denied if {
	deny_count(mount({"host_path": "/data/xnat/build/x.sock", "resolved": "/data/xnat/build/x.sock", "is_socket": true})) == 1
}

test_shared_propagation_is_denied if deny_count(mount({"propagation": "rshared"})) == 1

test_private_propagation_is_allowed if deny_count(mount({"propagation": "rprivate"})) == 0

test_a_plain_named_volume_is_allowed if {
	deny_count(mount({"type": "volume", "host_path": "", "resolved": "", "volume_name": "scratch", "volume_driver": "local"})) == 0
}

test_a_volume_plugin_is_denied if {
	deny_count(mount({"type": "volume", "host_path": "", "resolved": "", "volume_name": "v", "volume_driver": "sshfs"})) == 1
}

test_a_local_volume_binding_the_root_is_denied if {
	deny_count(mount({"origin": "Mounts", "type": "volume", "host_path": "/", "resolved": "/", "volume_driver": "local", "volume_options": {"type": "none", "o": "bind", "device": "/"}})) > 0
}

test_a_local_volume_with_nfs_options_is_denied if {
	deny_count(mount({"type": "volume", "host_path": "", "resolved": "", "volume_driver": "local", "volume_options": {"type": "nfs", "o": "addr=10.0.0.1", "device": ":/export"}})) == 1
}

test_an_unparsable_bind_is_denied if deny_count(mount({"error": "bind \"a\" is not src:dst[:options]", "host_path": ""})) == 1

test_tmpfs_is_allowed if deny_count(mount({"type": "tmpfs", "host_path": "", "resolved": ""})) == 0

test_npipe_is_denied if deny_count(mount({"type": "npipe", "host_path": "", "resolved": ""})) == 1

# Nested roots: the deepest root a path lies in decides.
nested(allow, m) := n if {
	n := count(mounts.deny) with input as {"mounts": [m]} with data.config as {"mounts": {"allow": allow}}
}

writable_outer_readonly_inner := [{"path": "/data/xnat", "read_only": false}, {"path": "/data/xnat/archive", "read_only": true}]

test_a_read_only_root_inside_a_writable_one_still_refuses_writable_binds if {
	nested(writable_outer_readonly_inner, mount({"host_path": "/data/xnat/archive/p", "resolved": "/data/xnat/archive/p"})) == 1
	nested(writable_outer_readonly_inner, mount({"host_path": "/data/xnat/archive/p", "resolved": "/data/xnat/archive/p", "read_only": true})) == 0
	nested(writable_outer_readonly_inner, mount({"host_path": "/data/xnat/build/1", "resolved": "/data/xnat/build/1"})) == 0
}

test_a_writable_root_inside_a_read_only_one_allows_writable_binds if {
	allow := [{"path": "/data/xnat/build/", "read_only": false}, {"path": "/data/xnat", "read_only": true}]
	nested(allow, mount({"host_path": "/data/xnat/build/1", "resolved": "/data/xnat/build/1"})) == 0
	nested(allow, mount({"host_path": "/data/xnat/archive/p", "resolved": "/data/xnat/archive/p"})) == 1
}

test_a_root_listed_twice_is_read_only_if_either_entry_says_so if {
	allow := [{"path": "/data/xnat/archive", "read_only": false}, {"path": "/data/xnat/archive/", "read_only": true}]
	nested(allow, mount({"host_path": "/data/xnat/archive/p", "resolved": "/data/xnat/archive/p"})) == 1
}

test_an_existing_named_volume_is_denied if {
	some msg in mounts.deny with input as {"mounts": [mount({"type": "volume", "host_path": "", "resolved": "", "volume_name": "pgdata", "volume_driver": "local", "volume_exists": true})]}
		with data.config as cfg
	contains(msg, "existing volume pgdata")
}

test_an_existing_named_volume_listed_in_mounts_volumes_is_allowed if {
	count(mounts.deny) == 0 with input as {"mounts": [mount({"type": "volume", "host_path": "", "resolved": "", "volume_name": "scratch", "volume_driver": "local", "volume_exists": true})]}
		with data.config as object.union(cfg, {"mounts": {"volumes": ["scratch"]}})
}

test_a_bind_that_relabels_its_host_directory_is_denied if {
	deny_count(mount({"relabel": "Z"})) == 1
	deny_count(mount({"relabel": "z"})) == 1
	deny_count(mount({"relabel": ""})) == 0
}

test_a_host_path_inside_another_containers_writable_bind_is_denied if {
	some msg in mounts.deny with input as {"mounts": [mount({
		"host_path": "/data/xnat/build/a/y", "resolved": "/data/xnat/build/a/y",
		"inside_writable_of": "container a's writable bind of /data/xnat/build/a",
	})]}
		with data.config as cfg
	contains(msg, "inside container a's writable bind of /data/xnat/build/a")
}

test_a_writable_bind_above_another_containers_host_path_is_denied if {
	some msg in mounts.deny with input as {"mounts": [mount({"holds_binds_of": "container b's bind of /data/xnat/build/1/y"})]}
		with data.config as cfg
	contains(msg, "writable above container b's bind of /data/xnat/build/1/y")
}

test_a_start_is_judged_on_the_containers_mounts_but_not_for_its_own_volumes if {
	start := {"request": {"endpoint": "container.start"}}
	own_volume := mount({"type": "volume", "host_path": "", "resolved": "", "volume_name": "v", "volume_driver": "local", "volume_exists": true})
	count(mounts.deny) == 0 with input as object.union(start, {"mounts": [own_volume]}) with data.config as cfg
	now_a_symlink_to_root := mount({"host_path": "/data/xnat/build/1/y", "resolved": "/"})
	count(mounts.deny) == 1 with input as object.union(start, {"mounts": [now_a_symlink_to_root]}) with data.config as cfg
}

test_a_host_path_on_a_mount_that_follows_symlinks_is_denied_when_nosymfollow_is_required if {
	require := object.union(cfg, {"mounts": {"require_nosymfollow": true}})
	some msg in mounts.deny with input as {"mounts": [mount({"nosymfollow": false})]} with data.config as require
	contains(msg, "mounts.require_nosymfollow")
	count(mounts.deny) == 0 with input as {"mounts": [mount({"nosymfollow": true})]} with data.config as require
	count(mounts.deny) == 0 with input as {"mounts": [mount({"nosymfollow": false})]} with data.config as cfg
}

test_a_writable_bind_on_a_mount_that_honours_setuid_bits_or_devices_is_denied if {
	some msg in mounts.deny with input as {"mounts": [mount({"nosuid": false})]} with data.config as cfg
	contains(msg, "without nosuid")
	some msg2 in mounts.deny with input as {"mounts": [mount({"nodev": false})]} with data.config as cfg
	contains(msg2, "without nodev")
	some both in mounts.deny with input as {"mounts": [mount({"nosuid": false, "nodev": false})]} with data.config as cfg
	contains(both, "without nosuid and nodev")
	contains(both, "mounts.require_nosuid_nodev: false")
}

test_a_mount_whose_options_are_unknown_counts_as_honouring_them if {
	m := object.remove(mount({}), ["nosuid", "nodev"])
	deny_count(m) == 1
}

test_a_read_only_bind_needs_neither_nosuid_nor_nodev if {
	deny_count(mount({"host_path": "/data/xnat/archive/p", "resolved": "/data/xnat/archive/p", "read_only": true, "nosuid": false, "nodev": false})) == 0
}

test_a_site_may_accept_writable_binds_on_mounts_that_honour_setuid_bits if {
	accept := object.union(cfg, {"mounts": {"require_nosuid_nodev": false}})
	count(mounts.deny) == 0 with input as {"mounts": [mount({"nosuid": false, "nodev": false})]} with data.config as accept
}
