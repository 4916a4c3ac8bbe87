package xcsproxy_test

import data.xcsproxy
import data.xcsproxy.rules

# Every endpoint name the pack knows, and two it does not allow.
universe := ((((((rules.endpoints.container_service | rules.endpoints.swarm_backend) | rules.endpoints.docker_cli) | rules.endpoints.xcsproxy_api) | {"container.update", "image.tag", "image.push", "exec.create", "unknown"}) | ((((rules.images.applies_to | rules.containers.applies_to) | rules.mounts.applies_to) | rules.services.applies_to) | rules.ownership.applies_to)) | rules.provenance.applies_to) | rules.networks.applies_to

on(e) := {"request": {"endpoint": e, "method": "POST", "path": "/x"}, "client": {"transport": "unix", "uid": 1}, "proxy": {"managed_label": "org.xcsproxy.managed"}}

test_images_rules_judge_exactly_the_endpoints_in_its_applies_to if {
	{e | some e in universe; "mock" in xcsproxy.decision.reasons with input as on(e) with rules.images.deny as {"mock"}} == rules.images.applies_to
}

test_containers_rules_judge_exactly_the_endpoints_in_its_applies_to if {
	{e | some e in universe; "mock" in xcsproxy.decision.reasons with input as on(e) with rules.containers.deny as {"mock"}} == rules.containers.applies_to
}

test_mounts_rules_judge_exactly_the_endpoints_in_its_applies_to if {
	{e | some e in universe; "mock" in xcsproxy.decision.reasons with input as on(e) with rules.mounts.deny as {"mock"}} == rules.mounts.applies_to
}

test_services_rules_judge_exactly_the_endpoints_in_its_applies_to if {
	{e | some e in universe; "mock" in xcsproxy.decision.reasons with input as on(e) with rules.services.deny as {"mock"}} == rules.services.applies_to
}

test_provenance_rules_judge_exactly_the_endpoints_in_its_applies_to if {
	{e | some e in universe; "mock" in xcsproxy.decision.reasons with input as on(e) with rules.provenance.deny as {"mock"}} == rules.provenance.applies_to
}

test_networks_rules_judge_exactly_the_endpoints_in_its_applies_to if {
	{e | some e in universe; "mock" in xcsproxy.decision.reasons with input as on(e) with rules.networks.deny as {"mock"}} == rules.networks.applies_to
}

test_ownership_rules_judge_exactly_the_endpoints_in_its_applies_to if {
	{e | some e in universe; "mock" in xcsproxy.decision.reasons with input as on(e) with rules.ownership.deny as {"mock"}} == rules.ownership.applies_to
}

test_ownership_rules_judge_every_endpoint_acting_on_an_existing_object if {
	every e in universe {
		"mock" in xcsproxy.decision.reasons with input as object.union(on(e), {"target": {"exists": true}}) with rules.ownership.deny as {"mock"}
	}
}

test_ownership_patches_exactly_the_endpoints_in_its_applies_to if {
	{e | some e in universe; xcsproxy.decision.patch.mock with input as on(e) with rules.ownership.patch as {"mock": true}} == rules.ownership.applies_to
}

test_defaults_patch_exactly_the_endpoints_in_its_applies_to if {
	{e | some e in universe; xcsproxy.decision.patch.mock with input as on(e) with rules.defaults.patch as {"mock": true}} == rules.defaults.applies_to
}

test_a_service_create_is_stamped_and_drops_net_raw_in_one_container_spec if {
	svc := object.union(on("service.create"), {"request": {"body": {"TaskTemplate": {"ContainerSpec": {"Image": "x", "Labels": {"a": "b"}}}}}})
	spec := xcsproxy.decision.patch.body.TaskTemplate.ContainerSpec with input as svc
	spec.Labels.a == "b"
	spec.Labels["org.xcsproxy.managed"] == "true"
	spec.CapabilityDrop == ["NET_RAW"]
}
