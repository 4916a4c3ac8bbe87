package xcsproxy.rules.services_test

import data.xcsproxy.rules.services

svc(spec_over, task_over, body_over) := {"request": {"endpoint": "service.create", "body": object.union(
	{"Name": "s", "TaskTemplate": object.union({"ContainerSpec": object.union({"Image": "x"}, spec_over)}, task_over)},
	body_over,
)}}

n(spec_over, task_over, body_over) := c if {
	c := count(services.deny) with input as svc(spec_over, task_over, body_over)
}

test_a_container_service_spec_is_allowed if {
	n({"Command": ["/bin/sh"], "Args": ["-c", "x"], "Mounts": null, "Labels": null}, {"RestartPolicy": {"Condition": "none"}}, {"Mode": {"Replicated": {"Replicas": 0}}}) == 0
}

test_unconfined_seccomp_is_denied if n({"Privileges": {"Seccomp": {"Mode": "unconfined"}}}, {}, {}) == 1

test_disabled_apparmor_is_denied if n({"Privileges": {"AppArmor": {"Mode": "disabled"}}}, {}, {}) == 1

test_disabled_selinux_is_denied if n({"Privileges": {"SELinuxContext": {"Disable": true}}}, {}, {}) == 1

test_a_chosen_selinux_label_is_denied_field_by_field if {
	n({"Privileges": {"SELinuxContext": {"Type": "spc_t"}}}, {}, {}) == 1
	n({"Privileges": {"SELinuxContext": {"Level": "s0:c1,c2"}}}, {}, {}) == 1
	n({"Privileges": {"SELinuxContext": {"User": "system_u", "Role": "system_r"}}}, {}, {}) == 2
}

test_an_empty_selinux_context_is_allowed if n({"Privileges": {"SELinuxContext": {"Disable": false, "User": "", "Role": "", "Type": "", "Level": ""}}}, {}, {}) == 0

test_capability_add_is_denied if n({"CapabilityAdd": ["CAP_SYS_ADMIN"]}, {}, {}) == 1

test_sysctls_are_denied if n({"Sysctls": {"net.ipv4.ip_forward": "1"}}, {}, {}) == 1

test_plugin_runtime_is_denied if n({}, {"Runtime": "plugin"}, {}) == 1

test_low_published_port_is_denied if n({}, {}, {"EndpointSpec": {"Ports": [{"PublishedPort": 80, "TargetPort": 80}]}}) == 1

test_high_published_port_is_allowed if n({}, {}, {"EndpointSpec": {"Ports": [{"PublishedPort": 8080, "TargetPort": 80}]}}) == 0

test_generic_resources_need_gpus_allow if {
	n({}, {"Resources": {"Reservations": {"GenericResources": [{"DiscreteResourceSpec": {"Kind": "gpu", "Value": 1}}]}}}, {}) == 1
}

test_memory_limit_above_ceiling_is_denied if {
	count(services.deny) == 1 with input as svc({}, {"Resources": {"Limits": {"MemoryBytes": 9000000000}}}, {})
		with data.config.resources.max_memory_bytes as 4000000000
}

test_the_host_network_is_denied_for_services if n({}, {"Networks": [{"Target": "host"}]}, {}) == 1

test_an_overlay_network_in_networks_allow_is_allowed_for_services if {
	count(services.deny) == 0 with input as svc({}, {"Networks": [{"Target": "xnat-jobs"}]}, {})
		with data.config.networks.allow as ["xnat-jobs"]
}

test_an_unlisted_overlay_network_is_denied_for_services if n({}, {"Networks": [{"Target": "xnat-db"}]}, {}) == 1

test_a_swarm_secret_is_denied if {
	n({"Secrets": [{"SecretID": "abc", "SecretName": "db-password", "File": {"Name": "db"}}]}, {}, {}) == 1
}

test_a_swarm_config_is_denied if {
	n({"Configs": [{"ConfigID": "def", "ConfigName": "app.conf", "File": {"Name": "app.conf"}}]}, {}, {}) == 1
}

test_no_secrets_or_configs_is_allowed if n({"Secrets": null, "Configs": []}, {}, {}) == 0

test_the_deprecated_top_level_networks_are_judged_too if {
	n({}, {}, {"Networks": [{"Target": "host"}]}) == 1
	n({}, {}, {"Networks": [{"Target": "xnat-db"}]}) == 1
}

test_a_log_driver_not_listed_is_denied_for_services if {
	count(services.deny) == 1 with input as svc({}, {"LogDriver": {"Name": "syslog", "Options": {"syslog-address": "udp://192.0.2.1:514"}}}, {})
		with data.config.logging.allow as ["json-file", "local"]
	count(services.deny) == 0 with input as svc({}, {"LogDriver": {"Name": "json-file"}}, {})
		with data.config.logging.allow as ["json-file", "local"]
}

test_a_negative_oom_score_is_denied_for_services if {
	n({"OomScoreAdj": -1000}, {}, {}) == 1
	n({"OomScoreAdj": 100}, {}, {}) == 0
}

test_a_pids_limit_above_ceiling_is_denied_for_services if {
	count(services.deny) == 1 with input as svc({}, {"Resources": {"Limits": {"Pids": 100000}}}, {})
		with data.config.resources.max_pids as 4096
}

test_a_service_network_alias_is_denied if {
	inp := {"request": {"endpoint": "service.create", "body": {"TaskTemplate": {"ContainerSpec": {"Image": "x"}, "Networks": [{"Target": "jobs", "Aliases": ["db"]}]}}}}
	some msg in services.deny with input as inp with data.config.networks.allow as ["jobs"]
	contains(msg, "alias db")
}

test_a_service_networks_driver_options_are_denied if {
	inp := {"request": {"endpoint": "service.create", "body": {"TaskTemplate": {"ContainerSpec": {"Image": "x"}, "Networks": [{"Target": "jobs", "DriverOpts": {"com.docker.network.endpoint.sysctls": "net.ipv4.conf.IFNAME.forwarding=1"}}]}}}}
	services.deny == {"service network jobs DriverOpts are not allowed: they set the tasks' network interfaces up (from Docker 27, their sysctls) where no rule judges them"} with input as inp with data.config.networks.allow as ["jobs"]
}

test_a_service_joining_an_allowed_network_plainly_is_allowed if {
	inp := {"request": {"endpoint": "service.create", "body": {"TaskTemplate": {"ContainerSpec": {"Image": "x"}, "Networks": [{"Target": "jobs", "Aliases": null}]}}}}
	count(services.deny) == 0 with input as inp with data.config.networks.allow as ["jobs"]
	plain := {"request": {"endpoint": "service.create", "body": {"TaskTemplate": {"ContainerSpec": {"Image": "x"}, "Networks": [{"Target": "jobs", "DriverOpts": null}]}}}}
	count(services.deny) == 0 with input as plain with data.config.networks.allow as ["jobs"]
}

test_a_service_gpu_environment_variable_needs_gpus_allow if {
	n({"Env": ["NVIDIA_VISIBLE_DEVICES=0,1"]}, {}, {}) == 1
	n({"Env": ["NVIDIA_VISIBLE_DEVICES=void"]}, {}, {}) == 0
	count(services.deny) == 0 with input as svc({"Env": ["NVIDIA_VISIBLE_DEVICES=0,1"]}, {}, {}) with data.config.gpus.allow as true
}
