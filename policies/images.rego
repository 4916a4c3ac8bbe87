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
}

# matches(p, ref): p matches ref itself, or p names ref's repository.
matches(p, ref) if glob.match(p, null, ref)

matches(p, ref) if glob.match(concat("", [p, ":*"]), null, ref)

matches(p, ref) if glob.match(concat("", [p, "@*"]), null, ref)

# The endpoints this module judges (decision.rego runs it only for these).
applies_to := judged

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

deny contains msg if {
	input.request.endpoint in lib.creates
	not input.image
	msg := sprintf("%s names no image", [input.request.endpoint])
}

deny contains msg if {
	data.config.images.require_command
	input.request.endpoint in lib.creates
	input.image != null
	count(input.image.commands) == 0
	msg := sprintf("image %s carries no XNAT Command (org.nrg.commands label): images.require_command is on", [describe])
}
