package xcsproxy.config_test

import data.xcsproxy.config

test_the_shipped_config_has_no_errors if count(config.errors) == 0

test_an_empty_config_has_no_errors if count(config.errors) == 0 with data.config as {}

# Each bad setting is refused with a message that names it.
bad_settings := {
	"gpus.allow": {"gpus": {"allow": "no"}},
	"images.require_command": {"images": {"require_command": "yes"}},
	"images.allow": {"images": {"allow": "docker.io/xnat/*"}},
	"resources.max_memory_bytes": {"resources": {"max_memory_bytes": "8g"}},
	"resources.max_pids": {"resources": {"max_pids": -1}},
	"ports.min_host_port": {"ports": {"min_host_port": 70000}},
	"defaults.pids_limit": {"defaults": {"pids_limit": 1.5}},
	"mounts.alow": {"mounts": {"alow": []}},
	"mounts.allow": {"mounts": {"allow": ["/data/xnat/archive"]}},
	"mounts.require_nosymfollow": {"mounts": {"require_nosymfollow": "on"}},
	"labels.team": {"labels": {"team": 7}},
	"capabilities": {"capabilities": ["SYS_PTRACE"]},
}

test_each_bad_setting_is_refused_by_name if {
	every key, cfg in bad_settings {
		some msg in config.errors with data.config as cfg
		startswith(msg, key)
	}
}

test_a_mount_root_must_be_an_absolute_path_with_a_boolean_read_only if {
	every root in [{"path": ""}, {"path": "data/xnat"}, {"path": "/data", "read_only": "no"}, {"path": "/data", "ro": true}, {"read_only": true}] {
		count(config.errors) == 1 with data.config as {"mounts": {"allow": [root]}}
	}
	count(config.errors) == 0 with data.config as {"mounts": {"allow": [{"path": "/data"}, {"path": "/data/x/", "read_only": true}]}}
}

test_sections_a_custom_module_adds_are_left_alone if {
	count(config.errors) == 0 with data.config as {"site": {"anything": ["goes"]}}
}

test_an_endpoint_that_hands_the_host_over_is_refused_in_allow_extra if {
	every e in ["swarm.init", "swarm.join", "swarm.update", "plugin.pull", "plugin.set", "node.update", "grpc.start"] {
		some msg in config.errors with data.config as {"endpoints": {"allow_extra": ["exec.create", e]}}
		startswith(msg, sprintf("endpoints.allow_extra must not name %s: ", [e]))
	}
}

test_other_endpoints_may_be_listed_in_allow_extra if {
	count(config.errors) == 0 with data.config as {"endpoints": {"allow_extra": ["exec.create", "exec.start", "plugin.list", "node.list"]}}
}
