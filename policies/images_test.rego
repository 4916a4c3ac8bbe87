package xcsproxy.rules.images_test

import data.xcsproxy.rules.images

image(ref, refs, present) := {
	"requested": ref, "ref": ref, "refs": refs, "present": present,
	"id": "sha256:1", "commands": [], "by_id": false,
}

create(img) := {
	"request": {"endpoint": "container.create", "body": {"Image": img.requested}},
	"image": img,
}

cfg := {"images": {"allow": ["docker.io/xnat/*", "registry.example.org/neuro/dcm2niix", "docker.io/library/tool@sha256:abc"]}}

test_an_allowed_repository_pattern_is_allowed if {
	count(images.deny) == 0 with input as create(image("docker.io/xnat/dcm2niix:latest", [], true)) with data.config as cfg
}

test_a_pattern_without_tag_allows_every_tag if {
	count(images.deny) == 0 with input as create(image("registry.example.org/neuro/dcm2niix:1.0", [], true)) with data.config as cfg
}

test_a_pattern_does_not_allow_a_longer_repository_name if {
	count(images.deny) == 1 with input as create(image("registry.example.org/neuro/dcm2niix-evil:1.0", [], true)) with data.config as cfg
}

test_an_unlisted_image_is_denied_with_the_setting_named if {
	some msg in images.deny with input as create(image("docker.io/library/alpine:latest", [], true)) with data.config as cfg
	contains(msg, "docker.io/library/alpine:latest")
	contains(msg, "images.allow")
}

test_a_digest_pattern_allows_that_digest if {
	count(images.deny) == 0 with input as create(image("docker.io/library/tool@sha256:abc", [], true)) with data.config as cfg
}

test_an_id_is_judged_by_the_names_of_the_resolved_image if {
	by_id := object.union(image("", ["docker.io/library/alpine:latest"], true), {"requested": "4e80a1d0", "by_id": true})
	count(images.deny) == 1 with input as create(by_id) with data.config as cfg
	allowed := object.union(by_id, {"refs": ["docker.io/xnat/tool:1"]})
	count(images.deny) == 0 with input as create(allowed) with data.config as cfg
}

test_a_pull_of_an_unlisted_image_is_denied if {
	inp := {"request": {"endpoint": "image.pull"}, "image": image("docker.io/library/alpine:latest", [], false)}
	count(images.deny) == 1 with input as inp with data.config as cfg
}

test_a_tag_of_an_unlisted_image_is_denied if {
	inp := {"request": {"endpoint": "image.tag"}, "image": image("docker.io/library/evil:latest", [], true)}
	count(images.deny) == 1 with input as inp with data.config as cfg
}

test_inspecting_any_image_is_not_judged_here if {
	inp := {"request": {"endpoint": "image.inspect"}, "image": image("docker.io/library/alpine:latest", [], true)}
	count(images.deny) == 0 with input as inp with data.config as cfg
}

test_require_command_denies_an_image_without_commands if {
	c := object.union(cfg, {"images": object.union(cfg.images, {"require_command": true})})
	count(images.deny) == 1 with input as create(image("docker.io/xnat/tool:1", [], true)) with data.config as c
	with_cmd := object.union(image("docker.io/xnat/tool:1", [], true), {"commands": ["debug"]})
	count(images.deny) == 0 with input as create(with_cmd) with data.config as c
}

test_a_create_naming_no_image_is_denied if {
	some msg in images.deny with input as {"request": {"endpoint": "container.create", "body": {}}} with data.config as cfg
	contains(msg, "names no image")
}

login(registry) := {"request": {"endpoint": "system.auth", "body": "<redacted>"}, "registry": registry}

test_a_login_check_to_a_registry_images_come_from_is_allowed if {
	count(images.deny) == 0 with input as login({"host": "docker.io", "error": ""}) with data.config as cfg
	count(images.deny) == 0 with input as login({"host": "registry.example.org", "error": ""}) with data.config as cfg
}

test_a_login_check_to_any_other_host_is_refused_with_the_host_and_setting_named if {
	some msg in images.deny with input as login({"host": "127.0.0.1:2375", "error": ""}) with data.config as cfg
	contains(msg, "127.0.0.1:2375")
	contains(msg, "images.allow")
}

test_a_login_check_needs_a_registry_part_that_matches_the_whole_host if {
	count(images.deny) == 1 with input as login({"host": "registry.example.org.evil.test", "error": ""}) with data.config as cfg
	count(images.deny) == 1 with input as login({"host": "docker.io:444", "error": ""}) with data.config as cfg
}

test_a_login_check_follows_wildcards_in_a_patterns_registry if {
	wild := {"images": {"allow": ["*.example.org/neuro/*", "*"]}}
	count(images.deny) == 0 with input as login({"host": "reg.example.org", "error": ""}) with data.config as {"images": {"allow": ["*.example.org/neuro/*"]}}
	count(images.deny) == 0 with input as login({"host": "anything.test:5000", "error": ""}) with data.config as wild
}

test_a_login_check_whose_address_names_no_registry_is_refused_with_the_reason if {
	some msg in images.deny with input as login({"host": "", "error": "the server address names no registry host"}) with data.config as cfg
	contains(msg, "names no registry host")
}

test_a_login_check_without_registry_facts_is_refused if {
	count(images.deny) == 1 with input as {"request": {"endpoint": "system.auth"}} with data.config as cfg
}

test_a_login_check_is_refused_when_no_image_is_allowed if {
	count(images.deny) == 1 with input as login({"host": "docker.io", "error": ""}) with data.config as {}
}

test_a_removal_by_id_of_an_image_with_an_unlisted_name_is_denied if {
	by_id := object.union(image("", ["docker.io/xnat/tool:1", "docker.io/library/other:1"], true), {"requested": "4e80a1d0", "by_id": true})
	some msg in images.deny with input as {"request": {"endpoint": "image.remove"}, "image": by_id} with data.config as cfg
	contains(msg, "docker.io/library/other:1")
}

test_a_removal_by_id_of_an_image_whose_names_are_all_listed_is_allowed if {
	by_id := object.union(image("", ["docker.io/xnat/tool:1", "docker.io/xnat/tool:2"], true), {"requested": "4e80a1d0", "by_id": true})
	count(images.deny) == 0 with input as {"request": {"endpoint": "image.remove"}, "image": by_id} with data.config as cfg
}

test_a_removal_by_an_allowed_name_is_allowed_whatever_other_names_the_image_has if {
	img := image("docker.io/xnat/tool:1", ["docker.io/xnat/tool:1", "docker.io/library/other:1"], true)
	count(images.deny) == 0 with input as {"request": {"endpoint": "image.remove"}, "image": img} with data.config as cfg
}

marked(value) := object.union(create(object.union(image("docker.io/xnat/dcm2niix:latest", [], true), {"labels": {"org.xcsproxy.managed": value}})), {"proxy": {"managed_label": "org.xcsproxy.managed"}})

test_an_image_that_marks_its_containers_as_xcsproxys_is_denied if {
	images.deny == {"image docker.io/xnat/dcm2niix:latest sets org.xcsproxy.managed=true, the label that marks what xcsproxy created: its containers could not be told from xcsproxy's"} with input as marked("true") with data.config as cfg
}

test_an_image_with_other_labels_is_allowed if {
	count(images.deny) == 0 with input as marked("false") with data.config as cfg
}

search(registry) := {"request": {"endpoint": "image.search", "query": {"term": ["x"]}}, "registry": registry}

test_an_image_search_on_a_registry_images_come_from_is_allowed if {
	count(images.deny) == 0 with input as search({"host": "registry.example.org", "error": ""}) with data.config as cfg
}

test_an_image_search_on_another_host_is_denied_naming_it if {
	images.deny == {"image search to registry 10.0.0.1:5000 refused: no images.allow pattern names that registry, so no image could be pulled from it; add one to config.yaml"} with input as search({"host": "10.0.0.1:5000", "error": ""}) with data.config as cfg
}

test_an_image_search_whose_registry_is_unknown_is_denied if {
	count(images.deny) == 1 with input as {"request": {"endpoint": "image.search"}} with data.config as cfg
}

on_image(endpoint, img) := {"request": {"endpoint": endpoint, "query": {"names": [img.requested]}}, "image": img}

test_asking_a_registry_about_an_image_or_saving_one_needs_an_allowed_image if {
	every e in ["distribution.inspect", "image.get", "image.get_all"] {
		count(images.deny) == 0 with input as on_image(e, image("docker.io/xnat/dcm2niix:latest", [], false)) with data.config as cfg
		count(images.deny) == 1 with input as on_image(e, image("10.0.0.1:5000/x:latest", [], false)) with data.config as cfg
	}
}

test_a_save_of_several_images_at_once_is_denied if {
	inp := object.union(on_image("image.get_all", image("docker.io/xnat/dcm2niix:latest", [], true)), {"request": {"query": {"names": ["docker.io/xnat/a", "docker.io/xnat/b"]}}})
	images.deny == {"image.get_all must name exactly one image (names=...): save images one at a time, so each is judged"} with input as inp with data.config as cfg
}

save(requested, ref, repository) := {
	"request": {"endpoint": "image.get_all", "query": {"names": [requested]}},
	"image": {"requested": requested, "ref": ref, "repository": repository, "refs": [ref], "present": true, "by_id": false},
}

test_a_save_of_a_whole_repository_needs_the_whole_repository_allowed if {
	count(images.deny) == 0 with input as save("xnat/dcm2niix", "docker.io/xnat/dcm2niix:latest", "docker.io/xnat/dcm2niix") with data.config as cfg
	tag_only := {"images": {"allow": ["docker.io/library/tool:1.0"]}}
	images.deny == {"saving tool would export every tag of docker.io/library/tool, and images.allow does not match them all: name the tag"} with input as save("tool", "docker.io/library/tool:latest", "docker.io/library/tool") with data.config as {"images": {"allow": ["docker.io/library/tool:latest"]}}
	count(images.deny) == 0 with input as save("tool:1.0", "docker.io/library/tool:1.0", "docker.io/library/tool") with data.config as tag_only
	count(images.deny) == 0 with input as save("localhost:5000/tool:1.0", "localhost:5000/tool:1.0", "localhost:5000/tool") with data.config as {"images": {"allow": ["localhost:5000/tool:1.0"]}}
}
