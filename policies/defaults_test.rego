package xcsproxy.rules.defaults_test

import data.xcsproxy.rules.defaults

create(hc) := {"request": {"endpoint": "container.create", "body": {"Image": "x", "HostConfig": hc}}}

test_no_new_privileges_is_added_to_the_client_options if {
	p := defaults.patch with input as create({"SecurityOpt": ["no-new-privileges:true"]})
		with data.config.defaults.no_new_privileges as true
	p.body.HostConfig.SecurityOpt == ["no-new-privileges", "no-new-privileges:true"]
}

test_no_new_privileges_is_left_out_when_disabled if {
	p := defaults.patch with input as create({"SecurityOpt": null}) with data.config.defaults.no_new_privileges as false
	p.body.HostConfig.SecurityOpt == []
}

test_an_unlimited_pids_limit_gets_the_default if {
	p := defaults.patch with input as create({"PidsLimit": null}) with data.config.defaults.pids_limit as 4096
	p.body.HostConfig.PidsLimit == 4096
	q := defaults.patch with input as create({"PidsLimit": -1}) with data.config.defaults.pids_limit as 4096
	q.body.HostConfig.PidsLimit == 4096
}

test_a_client_pids_limit_is_kept if {
	p := defaults.patch with input as create({"PidsLimit": 100}) with data.config.defaults.pids_limit as 4096
	not p.body.HostConfig.PidsLimit
}

test_net_raw_is_dropped_on_top_of_what_the_client_drops if {
	p := defaults.patch with input as create({"CapDrop": ["CHOWN"]})
	p.body.HostConfig.CapDrop == ["CHOWN", "NET_RAW"]
	q := defaults.patch with input as create({"CapDrop": null})
	q.body.HostConfig.CapDrop == ["NET_RAW"]
}

test_the_dropped_capabilities_are_a_setting_and_are_normalized if {
	p := defaults.patch with input as create({}) with data.config.defaults.drop_capabilities as ["cap_mknod", "NET_RAW"]
	p.body.HostConfig.CapDrop == ["MKNOD", "NET_RAW"]
	q := defaults.patch with input as create({}) with data.config.defaults.drop_capabilities as []
	q.body.HostConfig.CapDrop == []
}

test_a_services_tasks_drop_net_raw_on_top_of_what_the_spec_drops if {
	svc := {"request": {"endpoint": "service.create", "body": {"TaskTemplate": {"ContainerSpec": {"Image": "x", "CapabilityDrop": ["CHOWN"]}}}}}
	p := defaults.patch with input as svc
	p.body.TaskTemplate.ContainerSpec.CapabilityDrop == ["CHOWN", "NET_RAW"]
	bare := {"request": {"endpoint": "service.update", "body": {"TaskTemplate": {"ContainerSpec": {"Image": "x"}}}}}
	q := defaults.patch with input as bare
	q.body.TaskTemplate.ContainerSpec.CapabilityDrop == ["NET_RAW"]
}

service_with(resources) := {"request": {"endpoint": "service.create", "body": {"TaskTemplate": {"ContainerSpec": {"Image": "x"}, "Resources": resources}}}}

test_a_services_tasks_get_the_default_pids_limit_when_the_spec_sets_none if {
	p := defaults.patch with input as service_with({"Limits": null}) with data.config.defaults.pids_limit as 4096
	p.body.TaskTemplate.Resources.Limits.Pids == 4096
	q := defaults.patch with input as service_with({"Limits": {"Pids": 100}}) with data.config.defaults.pids_limit as 4096
	not q.body.TaskTemplate.Resources
	r := defaults.patch with input as service_with(null) with data.config.defaults.pids_limit as 0
	not r.body.TaskTemplate.Resources
	bare := {"request": {"endpoint": "service.create", "body": {"TaskTemplate": {"ContainerSpec": {"Image": "x"}}}}}
	b := defaults.patch with input as bare with data.config.defaults.pids_limit as 4096
	b.body.TaskTemplate.Resources.Limits.Pids == 4096
}

with_env(env) := {"request": {"endpoint": "container.create", "body": {"Image": "x", "Env": env}}}

test_every_container_gets_no_gpus_from_the_environment_unless_gpus_are_allowed if {
	p := defaults.patch with input as with_env(["A=b", "NVIDIA_VISIBLE_DEVICES=none", "C=d"])
	p.body.Env == ["A=b", "C=d", "NVIDIA_VISIBLE_DEVICES=void"]
	q := defaults.patch with input as with_env(null)
	q.body.Env == ["NVIDIA_VISIBLE_DEVICES=void"]
	r := defaults.patch with input as with_env(["A=b"]) with data.config.gpus.allow as true
	not r.body.Env
}

test_every_service_task_gets_no_gpus_from_the_environment_unless_gpus_are_allowed if {
	svc := {"request": {"endpoint": "service.create", "body": {"TaskTemplate": {"ContainerSpec": {"Image": "x", "Env": ["A=b"]}}}}}
	p := defaults.patch with input as svc
	p.body.TaskTemplate.ContainerSpec.Env == ["A=b", "NVIDIA_VISIBLE_DEVICES=void"]
	q := defaults.patch with input as svc with data.config.gpus.allow as true
	not q.body.TaskTemplate.ContainerSpec.Env
}
