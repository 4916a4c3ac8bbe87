package xcsproxy.rules.ownership_test

import data.xcsproxy.rules.ownership

target(managed) := {"kind": "container", "id": "c1", "name": "job", "exists": true, "managed": managed}

on_target(endpoint, managed) := {
	"request": {"endpoint": endpoint, "body": null},
	"target": target(managed),
	"client": {"transport": "unix", "uid": 1000},
	"proxy": {"managed_label": "org.xcsproxy.managed"},
}

test_acting_on_a_managed_container_is_allowed if {
	every e in {"container.start", "container.kill", "container.remove", "container.logs", "container.inspect", "container.wait", "container.attach"} {
		count(ownership.deny) == 0 with input as on_target(e, true)
	}
}

test_acting_on_an_unmanaged_container_is_denied if {
	every e in {"container.start", "container.kill", "container.remove", "container.logs", "container.inspect", "container.wait", "container.attach", "container.update", "container.rename"} {
		count(ownership.deny) == 1 with input as on_target(e, false)
	}
}

test_the_refusal_names_the_object_as_the_client_did_not_by_its_name if {
	inp := object.union(on_target("container.kill", false), {"request": {"params": {"id": "0123ab"}}})
	ownership.deny == {"container 0123ab was not created through xcsproxy: container.kill is only allowed on what xcsproxy created"} with input as inp
}

test_a_missing_target_is_left_to_the_daemon if {
	inp := object.union(on_target("container.inspect", false), {"target": {"exists": false}})
	count(ownership.deny) == 0 with input as inp
}

test_create_is_stamped_managed_and_with_the_client if {
	inp := {
		"request": {"endpoint": "container.create", "body": {"Image": "x", "Labels": {"XNAT_USER": "admin", "org.xcsproxy.managed": "false"}}},
		"client": {"transport": "unix", "uid": 1000},
		"proxy": {"managed_label": "org.xcsproxy.managed"},
	}
	p := ownership.patch with input as inp
	p.body.Labels == {"XNAT_USER": "admin", "org.xcsproxy.managed": "true", "org.xcsproxy.client": "uid=1000"}
	count(ownership.deny) == 0 with input as inp
}

test_create_with_null_labels_is_stamped if {
	inp := {"request": {"endpoint": "container.create", "body": {"Image": "x", "Labels": null}}, "client": {"transport": "tls", "cert": {"subject_cn": "xnat"}}}
	p := ownership.patch with input as inp
	p.body.Labels["org.xcsproxy.client"] == "cert=xnat"
}

test_service_create_stamps_the_service_and_its_containers if {
	inp := {"request": {"endpoint": "service.create", "body": {"Name": "s", "TaskTemplate": {"ContainerSpec": {"Image": "x"}}}}, "client": {"transport": "unix", "uid": 0}}
	p := ownership.patch with input as inp
	p.body.Labels["org.xcsproxy.managed"] == "true"
	p.body.TaskTemplate.ContainerSpec.Labels["org.xcsproxy.managed"] == "true"
}

test_config_labels_are_stamped_too if {
	inp := {"request": {"endpoint": "container.create", "body": {"Image": "x"}}, "client": {"transport": "unix", "uid": 0}}
	p := ownership.patch with input as inp with data.config.labels as {"site": "xnat-prod"}
	p.body.Labels.site == "xnat-prod"
}

test_lists_events_and_prunes_are_filtered_to_managed_objects if {
	every e in {"container.list", "system.events", "service.list", "task.list", "network.list", "volume.list", "secret.list", "config.list", "container.prune", "network.prune", "volume.prune"} {
		p := ownership.patch with input as {"request": {"endpoint": e}}
		p.filters.label == ["org.xcsproxy.managed=true"]
	}
}

test_acting_on_a_network_or_volume_xcsproxy_did_not_create_is_denied if {
	every kind_endpoint in [["network", "network.remove"], ["network", "network.connect"], ["volume", "volume.remove"], ["volume", "volume.inspect"], ["secret", "secret.update"], ["config", "config.remove"]] {
		inp := object.union(on_target(kind_endpoint[1], false), {"target": {"kind": kind_endpoint[0]}})
		count(ownership.deny) == 1 with input as inp
	}
}

test_a_volume_is_named_in_the_refusal_as_the_client_named_it if {
	inp := object.union(on_target("volume.remove", false), {"request": {"params": {"name": "pgdata"}}, "target": {"kind": "volume"}})
	ownership.deny == {"volume pgdata was not created through xcsproxy: volume.remove is only allowed on what xcsproxy created"} with input as inp
}

test_networks_volumes_secrets_and_configs_are_stamped_when_created_or_updated if {
	every e in {"network.create", "volume.create", "secret.create", "config.create", "secret.update", "config.update"} {
		inp := {"request": {"endpoint": e, "body": {"Name": "n", "Labels": {"team": "x"}}}, "client": {"transport": "unix", "uid": 1000}, "proxy": {"managed_label": "org.xcsproxy.managed"}}
		p := ownership.patch with input as inp
		p.body.Labels == {"team": "x", "org.xcsproxy.managed": "true", "org.xcsproxy.client": "uid=1000"}
		count(ownership.deny) == 0 with input as inp
	}
}

connect(endpoint, managed) := {
	"request": {"endpoint": endpoint, "body": {"Container": "db"}},
	"target": {"kind": "network", "id": "n1", "exists": true, "managed": true},
	"containers": {"db": {"kind": "container", "id": "c1", "exists": true, "managed": managed}},
	"client": {"transport": "unix", "uid": 1000},
}

test_connecting_a_container_xcsproxy_created_to_its_network_is_allowed if {
	every e in {"network.connect", "network.disconnect"} {
		count(ownership.deny) == 0 with input as connect(e, true)
	}
}

test_connecting_another_applications_container_is_denied if {
	every e in {"network.connect", "network.disconnect"} {
		ownership.deny == {sprintf("%s of container db is not allowed: it is only allowed for containers xcsproxy created", [e])} with input as connect(e, false)
	}
}

test_connecting_a_container_that_does_not_exist_is_denied if {
	inp := object.union(connect("network.connect", true), {"containers": {"db": {"exists": false, "managed": false}}})
	count(ownership.deny) == 1 with input as inp
}

commit(query, managed) := {
	"request": {"endpoint": "image.commit", "query": query, "body": {}},
	"containers": {"job": {"kind": "container", "id": "c1", "exists": true, "managed": managed}},
	"client": {"transport": "unix", "uid": 1000},
}

test_committing_a_container_xcsproxy_created_is_allowed if {
	count(ownership.deny) == 0 with input as commit({"container": ["job"]}, true)
}

test_committing_another_applications_container_is_denied if {
	ownership.deny == {"image.commit of container job is not allowed: it is only allowed for containers xcsproxy created"} with input as commit({"container": ["job"]}, false)
}

test_a_commit_that_names_no_container_is_denied if {
	count(ownership.deny) == 1 with input as commit({}, true)
}

prune(filters) := {"request": {"endpoint": "image.prune", "query": {"filters": filters}}}

test_the_default_image_prune_is_allowed if {
	every filters in [[], ["{}"], ["{\"dangling\":[\"true\"]}"], ["{\"dangling\":{\"1\":true}}"], ["{\"label\":[\"a=b\"]}"]] {
		count(ownership.deny) == 0 with input as prune(filters)
	}
}

test_an_image_prune_of_every_unused_image_is_denied_in_either_filter_form if {
	every filters in [["{\"dangling\":[\"false\"]}"], ["{\"dangling\":{\"false\":true}}"], ["{\"dangling\":[\"0\"]}"], ["{}", "{\"dangling\":[\"false\"]}"]] {
		count(ownership.deny) == 1 with input as prune(filters)
	}
}

test_an_image_prune_with_filters_that_are_not_json_is_denied if {
	ownership.deny == {"image.prune: its filters parameter is not JSON"} with input as prune(["{dangling"])
}
