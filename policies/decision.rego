# The decision every request gets. Each rule module (package
# xcsproxy.rules.NAME) contributes deny reasons and may contribute a patch;
# a request is allowed only when no module objects. Modules are listed here
# by name, each behind its applies_to set of endpoints, so a request runs
# only the rules that can concern it. A new module needs a line below.
package xcsproxy

import data.xcsproxy.rules

endpoint := input.request.endpoint

reasons contains r if some r in rules.endpoints.deny

reasons contains r if {
	endpoint in rules.images.applies_to
	some r in rules.images.deny
}

reasons contains r if {
	endpoint in rules.containers.applies_to
	some r in rules.containers.deny
}

reasons contains r if {
	endpoint in rules.mounts.applies_to
	some r in rules.mounts.deny
}

reasons contains r if {
	endpoint in rules.services.applies_to
	some r in rules.services.deny
}

reasons contains r if {
	input.target
	some r in rules.ownership.deny
}

reasons contains r if {
	endpoint in rules.ownership.applies_to
	some r in rules.ownership.deny
}

default ownership_patch := {}

ownership_patch := rules.ownership.patch if endpoint in rules.ownership.applies_to

default defaults_patch := {}

defaults_patch := rules.defaults.patch if endpoint in rules.defaults.applies_to

decision := {
	"allow": count(reasons) == 0,
	"reasons": sort(reasons),
	"patch": object.union(ownership_patch, defaults_patch),
}
