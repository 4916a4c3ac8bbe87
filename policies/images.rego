# Images: pulls, creates, services, removals and tags only for images whose
# normalized reference matches images.allow. The facts come from the daemon:
# a request by id, short id or digest is judged by the names the resolved
# image really has, so an allowed name cannot be reached any other way.
package xcsproxy.rules.images

import data.xcsproxy.lib

default patterns := []

patterns := data.config.images.allow

judged := {
	"container.create", "service.create", "service.update",
	"image.pull", "image.remove", "image.tag", "image.push",
	"distribution.inspect", "image.get", "image.get_all",
}

# matches(p, ref): p matches ref itself, or p names ref's repository.
matches(p, ref) if glob.match(p, null, ref)

matches(p, ref) if glob.match(concat("", [p, ":*"]), null, ref)

matches(p, ref) if glob.match(concat("", [p, "@*"]), null, ref)

# The endpoints this module judges (decision.rego runs it only for these).
applies_to := judged | {"system.auth", "image.search"}

allowed_ref(ref) if {
	some p in patterns
	matches(p, ref)
}

image_allowed if {
	input.image.ref != ""
	allowed_ref(input.image.ref)
}

image_allowed if {
	input.image.ref == ""
	some ref in input.image.refs
	allowed_ref(ref)
}

describe := input.image.ref if input.image.ref != ""

else := sprintf("%s (resolved by id to %s, known as %v)", [input.image.requested, input.image.id, input.image.refs]) if input.image.present

else := input.image.requested

deny contains msg if {
	input.request.endpoint in judged
	input.image != null
	not image_allowed
	msg := sprintf("image %s is not allowed: add a pattern that matches it to images.allow in config.yaml", [describe])
}

# A removal by id takes every name the image has with it (the daemon
# insists on force when there are several): one allowed name must not carry
# the others, which belong to whoever gave them.
deny contains msg if {
	input.request.endpoint == "image.remove"
	input.image.ref == ""
	some ref in input.image.refs
	not allowed_ref(ref)
	msg := sprintf("image.remove by id would also remove %s, which images.allow does not name: remove the image by its allowed name instead", [ref])
}

deny contains msg if {
	input.request.endpoint in lib.creates
	not input.image
	msg := sprintf("%s names no image", [input.request.endpoint])
}

# A save of a repository without a tag exports every tag of it, judged as
# :latest: unless images.allow matches the whole repository, the other tags
# would leave with it.
deny contains msg if {
	input.request.endpoint in {"image.get", "image.get_all"}
	input.image.ref != ""
	name_only(input.image.requested)
	not allowed_ref(input.image.repository)
	msg := sprintf("saving %s would export every tag of %s, and images.allow does not match them all: name the tag", [input.image.requested, input.image.repository])
}

# name_only(requested): a reference with neither tag nor digest.
name_only(requested) if {
	parts := split(requested, "/")
	last := parts[count(parts) - 1]
	not contains(last, ":")
	not contains(last, "@")
}

# A save (docker save) is judged as one image; several at once would need
# each judged, so they are saved one at a time.
deny contains msg if {
	input.request.endpoint == "image.get_all"
	count(object.get(input.request.query, "names", [])) != 1
	msg := "image.get_all must name exactly one image (names=...): save images one at a time, so each is judged"
}

# A container takes its image's labels. An image that sets xcsproxy's own
# mark would make every container run from it, by anyone, look like one
# xcsproxy created; xcsproxy does not trust that label on such a container,
# so a job from it could not be managed either.
deny contains msg if {
	input.request.endpoint in lib.creates
	input.image.labels[input.proxy.managed_label] == "true"
	msg := sprintf("image %s sets %s=true, the label that marks what xcsproxy created: its containers could not be told from xcsproxy's", [describe, input.proxy.managed_label])
}

deny contains msg if {
	data.config.images.require_command
	input.request.endpoint in lib.creates
	input.image != null
	count(input.image.commands) == 0
	msg := sprintf("image %s carries no XNAT Command (org.nrg.commands label): images.require_command is on", [describe])
}

# A login check (POST /auth) has the daemon call the registry it names, and
# then any token server that registry names, with the credentials given. It
# may go only to a registry images may come from: the first part of some
# images.allow pattern (docker.io for docker.io/xnat/*) must match its host.
# Elsewhere the check is a way to reach and scan hosts behind the firewall.
registry_part(p) := split(p, "/")[0]

registry_allowed if {
	some p in patterns
	glob.match(registry_part(p), null, input.registry.host)
}

# An image search (where a site allows it) has the daemon call the registry
# its term names in the same way.
contacts_registry := {"system.auth": "login check", "image.search": "image search"}

deny contains msg if {
	input.request.endpoint in {"system.auth", "image.search"}
	what := contacts_registry[input.request.endpoint]
	input.registry.error != ""
	msg := sprintf("%s refused: %s", [what, input.registry.error])
}

deny contains msg if {
	input.request.endpoint in {"system.auth", "image.search"}
	what := contacts_registry[input.request.endpoint]
	not input.registry.error
	msg := sprintf("%s refused: xcsproxy did not work out which registry it would contact", [what])
}

deny contains msg if {
	input.request.endpoint in {"system.auth", "image.search"}
	what := contacts_registry[input.request.endpoint]
	input.registry.error == ""
	not registry_allowed
	msg := sprintf("%s to registry %s refused: no images.allow pattern names that registry, so no image could be pulled from it; add one to config.yaml", [what, input.registry.host])
}
