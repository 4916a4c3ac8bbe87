package xcsproxy.rules.containers_test

import data.xcsproxy.rules.containers

create(hc) := {"request": {"endpoint": "container.create", "body": {"Image": "x", "HostConfig": hc}}, "containers": {}}

denied(hc) if count(containers.deny) > 0 with input as create(hc)

allowed(hc) if count(containers.deny) == 0 with input as create(hc)

# What the Container Service sends is fine.
test_a_container_service_host_config_is_allowed if {
	allowed({
		"Binds": ["/data/xnat/archive/p/s:/input:ro"], "Memory": 0, "MemoryReservation": 0, "NanoCpus": 0,
		"AutoRemove": false, "Runtime": null, "IpcMode": null, "ShmSize": null, "NetworkMode": null, "Ulimits": null,
		"Privileged": false, "CapAdd": null, "SecurityOpt": null, "MaskedPaths": null, "ReadonlyPaths": null,
	})
}

test_privileged_is_denied if denied({"Privileged": true})

test_a_privileged_exec_is_denied if {
	count(containers.deny) == 1 with input as {"request": {"endpoint": "exec.create", "body": {"Cmd": ["id"], "Privileged": true}}}
}

test_an_unprivileged_exec_is_left_to_the_endpoint_rules if {
	count(containers.deny) == 0 with input as {"request": {"endpoint": "exec.create", "body": {"Cmd": ["id"], "Privileged": false}}}
}

test_cap_add_sys_admin_is_denied if denied({"CapAdd": ["SYS_ADMIN"]})

test_cap_add_with_cap_prefix_is_denied if denied({"CapAdd": ["cap_sys_admin"]})

test_cap_add_in_add_allow_is_allowed if {
	count(containers.deny) == 0 with input as create({"CapAdd": ["CAP_SYS_PTRACE"]})
		with data.config.capabilities.add_allow as ["SYS_PTRACE"]
}

test_cap_add_all_is_denied_even_when_listed if {
	count(containers.deny) > 0 with input as create({"CapAdd": ["ALL"]})
		with data.config.capabilities.add_allow as ["ALL"]
}

test_host_namespaces_are_denied if {
	denied({"NetworkMode": "host"})
	denied({"PidMode": "host"})
	denied({"IpcMode": "host"})
	denied({"UTSMode": "host"})
	denied({"UsernsMode": "host"})
	denied({"CgroupnsMode": "host"})
}

test_default_namespace_modes_are_allowed if {
	allowed({"NetworkMode": "bridge", "IpcMode": "private", "PidMode": "", "CgroupnsMode": "private"})
}

test_joining_an_unmanaged_container_namespace_is_denied if {
	count(containers.deny) > 0 with input as object.union(create({"NetworkMode": "container:other"}), {"containers": {"other": {"exists": true, "managed": false}}})
}

test_joining_a_managed_container_namespace_is_allowed if {
	count(containers.deny) == 0 with input as object.union(create({"PidMode": "container:mine"}), {"containers": {"mine": {"exists": true, "managed": true}}})
}

test_volumes_from_an_unmanaged_container_is_denied if {
	count(containers.deny) > 0 with input as object.union(create({"VolumesFrom": ["other:ro"]}), {"containers": {"other": {"exists": true, "managed": false}}})
}

test_volumes_from_a_managed_container_is_denied_too if {
	some msg in containers.deny with input as object.union(create({"VolumesFrom": ["mine:ro"]}), {"containers": {"mine": {"exists": true, "managed": true}}})
	contains(msg, "VolumesFrom mine is not allowed")
}

test_links_to_an_unmanaged_container_are_denied if {
	count(containers.deny) > 0 with input as object.union(create({"Links": ["/other:db"]}), {"containers": {"other": {"exists": true, "managed": false}}})
}

test_devices_are_denied if denied({"Devices": [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]})

test_device_cgroup_rules_are_denied if denied({"DeviceCgroupRules": ["b 8:* rmw"]})

test_gpu_requests_need_gpus_allow if {
	gpu := {"DeviceRequests": [{"Driver": "nvidia", "Count": -1, "Capabilities": [["gpu"]]}]}
	denied(gpu)
	count(containers.deny) == 0 with input as create(gpu) with data.config.gpus.allow as true
}

test_a_non_gpu_device_request_is_denied_even_with_gpus_allow if {
	count(containers.deny) > 0 with input as create({"DeviceRequests": [{"Driver": "evil", "Capabilities": [["disk"]]}]})
		with data.config.gpus.allow as true
}

test_unconfined_security_options_are_denied if {
	denied({"SecurityOpt": ["seccomp=unconfined"]})
	denied({"SecurityOpt": ["seccomp:unconfined"]})
	denied({"SecurityOpt": ["apparmor=unconfined"]})
	denied({"SecurityOpt": ["label=disable"]})
	denied({"SecurityOpt": ["systempaths=unconfined"]})
}

test_no_new_privileges_is_allowed if allowed({"SecurityOpt": ["no-new-privileges"]})

test_empty_masked_paths_are_denied if denied({"MaskedPaths": []})

test_empty_readonly_paths_are_denied if denied({"ReadonlyPaths": []})

test_sysctls_are_denied if denied({"Sysctls": {"kernel.core_pattern": "|/x"}})

test_cgroup_parent_is_denied if denied({"CgroupParent": "/"})

test_an_annotation_the_runtime_turns_into_a_systemd_unit_setting_is_denied if {
	some msg in containers.deny with input as create({"Annotations": {"org.systemd.property.DeviceAllow": "'/dev/sda rwm'"}})
	contains(msg, "org.systemd.property.DeviceAllow")
}

test_every_annotation_is_denied if denied({"Annotations": {"example.org/note": "x"}})

test_no_or_empty_annotations_are_allowed if {
	allowed({"Annotations": null})
	allowed({"Annotations": {}})
}

test_runtime_must_be_listed if {
	denied({"Runtime": "nvidia"})
	allowed({"Runtime": "runc"}) with data.config.runtimes.allow as ["runc"]
}

test_volume_driver_is_denied if denied({"VolumeDriver": "local-persist"})

test_log_driver_must_be_listed if {
	denied({"LogConfig": {"Type": "syslog", "Config": {}}})
	count(containers.deny) == 0 with input as create({"LogConfig": {"Type": "json-file"}}) with data.config.logging.allow as ["json-file"]
}

test_low_host_ports_are_denied if {
	denied({"PortBindings": {"22/tcp": [{"HostIp": "", "HostPort": "22"}]}})
}

test_high_and_random_host_ports_are_allowed if {
	allowed({"PortBindings": {"8080/tcp": [{"HostIp": "", "HostPort": "8080"}], "9000/tcp": [{"HostPort": ""}]}})
}

test_resources_above_ceilings_are_denied if {
	count(containers.deny) > 0 with input as create({"Memory": 8589934592})
		with data.config.resources.max_memory_bytes as 4294967296
	count(containers.deny) > 0 with input as create({"NanoCpus": 4000000000})
		with data.config.resources.max_nano_cpus as 2000000000
	count(containers.deny) > 0 with input as create({"PidsLimit": 100000})
		with data.config.resources.max_pids as 4096
}

test_resources_within_ceilings_are_allowed if {
	count(containers.deny) == 0 with input as create({"Memory": 1073741824, "NanoCpus": 1000000000})
		with data.config.resources as {"max_memory_bytes": 4294967296, "max_nano_cpus": 2000000000}
}

test_update_may_not_add_devices if {
	count(containers.deny) > 0 with input as {"request": {"endpoint": "container.update", "body": {"Devices": [{"PathOnHost": "/dev/sda"}]}}}
}

test_oom_protection_is_denied if {
	denied({"OomKillDisable": true})
	denied({"OomScoreAdj": -1000})
	allowed({"OomScoreAdj": 500, "OomKillDisable": false})
}

test_the_daemons_own_networks_are_allowed if {
	allowed({"NetworkMode": "bridge"})
	allowed({"NetworkMode": "default"})
	allowed({"NetworkMode": "none"})
	allowed({"NetworkMode": ""})
}

test_a_user_defined_network_is_denied_unless_listed if {
	denied({"NetworkMode": "xnat-db"})
	count(containers.deny) == 0 with input as create({"NetworkMode": "xnat-jobs"}) with data.config.networks.allow as ["xnat-jobs"]
}

test_the_host_network_is_refused_once if {
	count(containers.deny) == 1 with input as create({"NetworkMode": "host"})
}

endpoints(names) := {"request": {"endpoint": "container.create", "body": {"Image": "x", "HostConfig": {}, "NetworkingConfig": {"EndpointsConfig": {n: {} | some n in names}}}}, "containers": {}}

test_endpoints_config_joins_only_allowed_networks if {
	count(containers.deny) == 0 with input as endpoints(["bridge"])
	count(containers.deny) == 1 with input as endpoints(["xnat-db"])
	count(containers.deny) == 1 with input as endpoints(["host"])
	count(containers.deny) == 0 with input as endpoints(["xnat-jobs"]) with data.config.networks.allow as ["xnat-jobs"]
}

test_a_restart_policy_is_denied_on_create_and_update if {
	every name in ["always", "unless-stopped", "on-failure"] {
		some msg in containers.deny with input as create({"RestartPolicy": {"Name": name, "MaximumRetryCount": 0}})
		contains(msg, sprintf("RestartPolicy %s is not allowed", [name]))
	}
	some msg in containers.deny with input as {"request": {"endpoint": "container.update", "body": {"RestartPolicy": {"Name": "always"}}}}
	contains(msg, "RestartPolicy always")
}

test_no_restart_policy_is_allowed if {
	count(containers.deny) == 0 with input as create({"RestartPolicy": {"Name": "", "MaximumRetryCount": 0}})
	count(containers.deny) == 0 with input as create({"RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}})
	count(containers.deny) == 0 with input as create({"RestartPolicy": null})
}

test_a_chosen_mac_address_is_denied if {
	count(containers.deny) == 1 with input as {"request": {"endpoint": "container.create", "body": {"Image": "x", "MacAddress": "02:42:ac:11:00:02"}}}
	count(containers.deny) == 1 with input as {"request": {"endpoint": "container.create", "body": {"Image": "x", "NetworkingConfig": {"EndpointsConfig": {"bridge": {"MacAddress": "02:42:ac:11:00:02"}}}}}}
}

test_an_endpoint_without_a_mac_address_is_allowed if {
	count(containers.deny) == 0 with input as {"request": {"endpoint": "container.create", "body": {"Image": "x", "NetworkingConfig": {"EndpointsConfig": {"bridge": {"MacAddress": ""}}}}}}
}

endpoint(settings) := {"request": {"endpoint": "container.create", "body": {"Image": "x", "NetworkingConfig": {"EndpointsConfig": {"jobs": settings}}}}}

test_a_network_alias_is_denied if {
	count(containers.deny) == 1 with input as endpoint({"Aliases": ["db"]}) with data.config.networks.allow as ["jobs"]
}

test_a_chosen_ip_address_is_denied if {
	count(containers.deny) == 1 with input as endpoint({"IPAMConfig": {"IPv4Address": "172.30.0.9"}}) with data.config.networks.allow as ["jobs"]
}

test_a_chosen_link_local_address_is_denied if {
	containers.deny == {"NetworkingConfig.EndpointsConfig jobs IPAMConfig.LinkLocalIPs 169.254.9.9 is not allowed: the daemon would give it even where another container on that network holds it"} with input as endpoint({"IPAMConfig": {"LinkLocalIPs": ["169.254.9.9"]}}) with data.config.networks.allow as ["jobs"]
}

test_endpoint_driver_options_are_denied if {
	some msg in containers.deny with input as endpoint({"DriverOpts": {"com.docker.network.endpoint.sysctls": "net.ipv4.conf.IFNAME.forwarding=1"}}) with data.config.networks.allow as ["jobs"]
	contains(msg, "jobs DriverOpts are not allowed")
	count(containers.deny) == 1 with input as {"request": {"endpoint": "container.create", "body": {"Image": "x", "NetworkingConfig": {"EndpointsConfig": {"bridge": {"DriverOpts": {"a": ""}}}}}}}
}

test_an_allowed_network_joined_plainly_is_allowed if {
	count(containers.deny) == 0 with input as endpoint({"Aliases": null, "IPAMConfig": null, "MacAddress": ""}) with data.config.networks.allow as ["jobs"]
	count(containers.deny) == 0 with input as endpoint({"IPAMConfig": {"LinkLocalIPs": []}, "DriverOpts": {}}) with data.config.networks.allow as ["jobs"]
	count(containers.deny) == 0 with input as endpoint({"IPAMConfig": {}, "DriverOpts": null}) with data.config.networks.allow as ["jobs"]
}

connection(settings) := {"request": {"endpoint": "network.connect", "params": {"id": "jobs"}, "body": {"Container": "job", "EndpointConfig": settings}}}

test_a_connection_is_held_to_a_creates_endpoint_rules if {
	containers.deny == {"EndpointConfig on network jobs alias db is not allowed: the network's DNS would answer that name with this job too, beside whatever else holds it"} with input as connection({"Aliases": ["db"]})
	count(containers.deny) == 1 with input as connection({"IPAMConfig": {"IPv6Address": "fd00::9"}})
	count(containers.deny) == 1 with input as connection({"MacAddress": "02:42:ac:11:00:02"})
	count(containers.deny) == 1 with input as connection({"IPAMConfig": {"LinkLocalIPs": ["169.254.9.9"]}})
	count(containers.deny) == 1 with input as connection({"DriverOpts": {"com.docker.network.endpoint.sysctls": "net.ipv4.conf.IFNAME.proxy_arp=1"}})
}

test_a_plain_connection_is_allowed if {
	count(containers.deny) == 0 with input as connection(null)
	count(containers.deny) == 0 with input as connection({"Aliases": null, "IPAMConfig": null, "MacAddress": ""})
}

with_env(env) := {"request": {"endpoint": "container.create", "body": {"Image": "x", "Env": env}}, "containers": {}}

test_a_gpu_environment_variable_needs_gpus_allow if {
	count(containers.deny) == 1 with input as with_env(["A=b", "NVIDIA_VISIBLE_DEVICES=all"])
	count(containers.deny) == 0 with input as with_env(["NVIDIA_VISIBLE_DEVICES=all"]) with data.config.gpus.allow as true
}

test_a_gpu_environment_variable_that_gives_no_gpus_is_allowed if {
	every v in ["NVIDIA_VISIBLE_DEVICES=void", "NVIDIA_VISIBLE_DEVICES=none", "NVIDIA_VISIBLE_DEVICES=", "NVIDIA_VISIBLE_DEVICES_X=all"] {
		count(containers.deny) == 0 with input as with_env([v])
	}
}

test_the_refusal_does_not_quote_the_environment if {
	some msg in containers.deny with input as with_env(["NVIDIA_VISIBLE_DEVICES=GPU-secret-uuid"])
	not contains(msg, "GPU-secret-uuid")
}
