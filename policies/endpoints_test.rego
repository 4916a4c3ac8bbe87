package xcsproxy.rules.endpoints_test

import data.xcsproxy
import data.xcsproxy.rules.endpoints

req(endpoint, method, path) := {"request": {
	"endpoint": endpoint, "method": method, "path": path,
	"body": null, "query": {}, "params": {}, "api_version": "",
}}

test_container_service_create_passes_the_endpoint_rule if {
	count(endpoints.deny) == 0 with input as req("container.create", "POST", "/containers/create")
}

test_swarm_service_update_passes_the_endpoint_rule if {
	count(endpoints.deny) == 0 with input as req("service.update", "POST", "/services/abc/update")
}

test_docker_cli_attach_is_allowed if {
	xcsproxy.decision.allow with input as req("container.attach", "POST", "/containers/abc/attach")
}

test_exec_create_is_denied_by_name if {
	d := xcsproxy.decision with input as req("exec.create", "POST", "/containers/abc/exec")
	not d.allow
	some r in d.reasons
	contains(r, "exec.create")
	contains(r, "endpoints.allow_extra")
}

test_unknown_path_is_denied if {
	d := xcsproxy.decision with input as req("unknown", "GET", "/no/such/thing")
	not d.allow
	some r in d.reasons
	contains(r, "/no/such/thing")
}

test_allow_extra_permits_exec if {
	xcsproxy.decision.allow with input as req("exec.create", "POST", "/containers/abc/exec")
		with data.config.endpoints.allow_extra as ["exec.create"]
}

test_start_with_host_config_body_is_denied if {
	r := req("container.start", "POST", "/containers/abc/start")
	d := xcsproxy.decision with input as object.union(r, {"request": object.union(r.request, {"body": {"Privileged": true}})})
	not d.allow
}

test_start_without_body_is_allowed if {
	xcsproxy.decision.allow with input as req("container.start", "POST", "/containers/abc/start")
}

test_decision_is_well_shaped if {
	d := xcsproxy.decision with input as req("system.ping", "GET", "/_ping")
	is_boolean(d.allow)
	is_array(d.reasons)
	is_object(d.patch)
}

with_query(r, q) := object.union(r, {"request": {"query": q}})

test_a_service_update_that_rolls_back_is_denied if {
	update := req("service.update", "POST", "/services/s/update")
	some msg in endpoints.deny with input as with_query(update, {"version": ["3"], "rollback": ["previous"]})
	contains(msg, "rollback is not allowed")
	count(endpoints.deny) == 0 with input as with_query(update, {"version": ["3"], "registryAuthFrom": ["spec"]})
}

test_a_start_from_a_checkpoint_is_denied if {
	start := req("container.start", "POST", "/containers/c/start")
	every param in ["checkpoint", "checkpoint-dir"] {
		some msg in endpoints.deny with input as with_query(start, {param: ["x"]})
		contains(msg, param)
	}
	count(endpoints.deny) == 0 with input as with_query(start, {"detachKeys": ["ctrl-p"]})
}

test_checkpoints_in_a_directory_the_client_names_are_denied if {
	count(endpoints.deny) == 1 with input as {"request": {"endpoint": "container.checkpoint_create", "body": {"CheckpointID": "c", "CheckpointDir": "/etc/cron.d"}}} with data.config as {"endpoints": {"allow_extra": ["container.checkpoint_create"]}}
	every e in ["container.checkpoint_list", "container.checkpoint_remove"] {
		count(endpoints.deny) == 1 with input as {"request": {"endpoint": e, "query": {"dir": ["/etc"]}}} with data.config as {"endpoints": {"allow_extra": [e]}}
	}
}

test_checkpoints_in_the_daemons_own_directory_are_judged_by_endpoint_alone if {
	count(endpoints.deny) == 0 with input as {"request": {"endpoint": "container.checkpoint_create", "body": {"CheckpointID": "c"}}} with data.config as {"endpoints": {"allow_extra": ["container.checkpoint_create"]}}
}
