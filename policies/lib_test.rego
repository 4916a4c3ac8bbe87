package xcsproxy.lib_test

import data.xcsproxy.lib

test_within_holds_for_the_root_itself_and_paths_below_it if {
	lib.within("/data/xnat/build", "/data/xnat/build")
	lib.within("/data/xnat/build/abc", "/data/xnat/build")
	lib.within("/data/xnat/build/abc", "/data/xnat/build/")
	lib.within("/anything/at/all", "/")
	lib.within("/", "/")
}

test_within_does_not_hold_for_a_sibling_that_shares_a_prefix if {
	not lib.within("/data/xnat/buildx", "/data/xnat/build")
	not lib.within("/data/xnat", "/data/xnat/build")
	not lib.within("/data/xnat/build", "/data/xnat/build/abc")
}

test_settings_fall_back_to_their_defaults_without_a_config if {
	lib.min_host_port == 1024 with data.config as {}
	not lib.gpus_allowed with data.config as {}
	count(lib.cap_add_allowed) == 0 with data.config as {}
}

test_settings_come_from_the_config if {
	lib.min_host_port == 80 with data.config.ports.min_host_port as 80
	lib.gpus_allowed with data.config.gpus.allow as true
	lib.cap_add_allowed == {"SYS_PTRACE", "NET_ADMIN"} with data.config.capabilities.add_allow as ["cap_sys_ptrace", "NET_ADMIN"]
}

test_within_holds_for_a_root_written_with_a_trailing_slash if {
	lib.within("/data/xnat/build", "/data/xnat/build/")
}
