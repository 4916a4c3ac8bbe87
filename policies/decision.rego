# The decision every request gets. Each rule module (package
# xcsproxy.rules.NAME) contributes deny reasons and may contribute a patch;
# a request is allowed only when no module objects. Modules are listed here
# by name, each behind the endpoints it judges, so a request runs only the
# rules that can concern it. A new module needs a line below.
#
# The endpoint sets are written out here, not read from each module's
# applies_to: OPA's rule index can only pick a rule by a set written in the
# rule itself, and then skips the others without evaluating them.
# decision_test.rego holds each set to its module's applies_to.
package xcsproxy

import data.xcsproxy.rules

reasons contains r if some r in rules.endpoints.deny

reasons contains r if {
	input.request.endpoint in {
		"container.create", "service.create", "service.update", "image.pull", "image.remove", "image.tag", "image.push", "system.auth",
		"distribution.inspect", "image.get", "image.get_all", "image.search",
	}
	some r in rules.images.deny
}

reasons contains r if {
	input.request.endpoint in {"container.create", "container.update", "exec.create", "network.connect"}
	some r in rules.containers.deny
}

reasons contains r if {
	input.request.endpoint in {"container.create", "container.start", "container.restart", "service.create", "service.update"}
	some r in rules.mounts.deny
}

reasons contains r if {
	input.request.endpoint in {"service.create", "service.update"}
	some r in rules.services.deny
}

reasons contains r if {
	input.request.endpoint == "network.create"
	some r in rules.networks.deny
}

reasons contains r if {
	input.request.endpoint in {"image.tag", "image.commit", "image.import", "image.load", "image.build"}
	some r in rules.provenance.deny
}

# Ownership judges every request on an existing object, whatever its
# endpoint, and stamps or filters the endpoints in its applies_to.
reasons contains r if {
	input.target
	some r in rules.ownership.deny
}

reasons contains r if {
	input.request.endpoint in {
		"container.create", "service.create", "service.update", "network.create", "volume.create",
		"secret.create", "config.create", "secret.update", "config.update",
		"container.list", "system.events", "service.list", "task.list", "network.list", "volume.list",
		"secret.list", "config.list", "container.prune", "network.prune", "volume.prune",
		"network.connect", "network.disconnect", "image.commit", "image.prune",
	}
	some r in rules.ownership.deny
}

default ownership_patch := {}

ownership_patch := rules.ownership.patch if {
	input.request.endpoint in {
		"container.create", "service.create", "service.update", "network.create", "volume.create",
		"secret.create", "config.create", "secret.update", "config.update",
		"container.list", "system.events", "service.list", "task.list", "network.list", "volume.list",
		"secret.list", "config.list", "container.prune", "network.prune", "volume.prune",
		"network.connect", "network.disconnect", "image.commit", "image.prune",
	}
}

default defaults_patch := {}

defaults_patch := rules.defaults.patch if input.request.endpoint in {"container.create", "service.create", "service.update"}

decision := {
	"allow": count(reasons) == 0,
	"reasons": sort(reasons),
	"patch": object.union(ownership_patch, defaults_patch),
}
