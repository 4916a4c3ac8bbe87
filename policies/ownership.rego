# Ownership: xcsproxy stamps what it creates, and lets clients act only on
# what it created: containers, services and their tasks, and the networks,
# volumes, secrets and configs a site lets clients make
# (endpoints.allow_extra). Lists, event streams and prunes are narrowed by a
# label filter the daemon applies, so nothing is buffered to filter it here.
package xcsproxy.rules.ownership

import data.xcsproxy.lib

default managed_label := "org.xcsproxy.managed"

managed_label := input.proxy.managed_label

# The refusal names the object as the client did, not by the daemon's name
# for it: a client probing id prefixes would otherwise learn the names of
# the host's other containers (the audit record keeps them).
deny contains msg if {
	input.target.exists
	not input.target.managed
	msg := sprintf("%s %s was not created through xcsproxy: %s is only allowed on what xcsproxy created", [input.target.kind, client_reference, input.request.endpoint])
}

default client_reference := ""

client_reference := input.request.params.id

client_reference := input.request.params.name if not input.request.params.id

# Connecting a container to a network, or taking it off one, changes that
# container: another application's database joined to a job's network is in
# the job's reach. A commit copies a container's files into an image that a
# job could then read. The container must be xcsproxy's, as the network must.
names_container := {"network.connect", "network.disconnect", "image.commit"}

# named_container is the container such a request names outside its path.
named_container := lib.str(lib.obj(input.request.body).Container) if input.request.endpoint in {"network.connect", "network.disconnect"}

named_container := object.get(input.request.query, "container", [""])[0] if input.request.endpoint == "image.commit"

deny contains msg if {
	input.request.endpoint in names_container
	not input.containers[named_container].managed
	msg := sprintf("%s of container %s is not allowed: it is only allowed for containers xcsproxy created", [input.request.endpoint, named_container])
}

# An image prune with dangling=false removes every image no container uses,
# whoever pulled it: another application's, stopped for the night. Images
# carry no stamp of xcsproxy's to narrow it by, so only the default prune
# (images without a name that no container uses) is allowed.
deny contains msg if {
	input.request.endpoint == "image.prune"
	some f in object.get(input.request.query, "filters", [])
	not json.is_valid(f)
	msg := "image.prune: its filters parameter is not JSON"
}

deny contains msg if {
	input.request.endpoint == "image.prune"
	some v in prune_dangling
	not v in {"true", "1"}
	msg := sprintf("image.prune with dangling=%s is not allowed: it would remove every image no container uses, other applications' too; prune only images without a name", [v])
}

# prune_dangling are the values of the dangling filter, in either form the
# daemon reads: {"dangling": ["false"]} or {"dangling": {"false": true}}.
prune_dangling contains v if {
	some dangling in prune_dangling_filters
	some v in lib.list(dangling)
}

prune_dangling contains v if {
	some dangling in prune_dangling_filters
	some v, _ in lib.obj(dangling)
}

prune_dangling_filters contains lib.obj(json.unmarshal(f)).dangling if {
	some f in input.request.query.filters
	json.is_valid(f)
}

default extra_labels := {}

extra_labels := data.config.labels

stamp := object.union(
	extra_labels,
	{managed_label: "true", "org.xcsproxy.client": lib.client_name},
)

# Prunes remove what nothing uses, whoever made it: filtered, they remove
# only what xcsproxy made.
filtered := {
	"container.list", "system.events", "service.list", "task.list",
	"network.list", "volume.list", "container.prune", "network.prune", "volume.prune",
	"secret.list", "config.list",
}

# Creates stamped here beyond containers and services (refused unless a site
# allows them). An update of a secret or config replaces its labels, so it is
# stamped again.
stamped_others := {"network.create", "volume.create", "secret.create", "config.create", "secret.update", "config.update"}

stamped := lib.creates | stamped_others

# The endpoints whose requests are stamped, filtered or checked here;
# requests on an existing target are judged whatever their endpoint.
applies_to := ((stamped | filtered) | names_container) | {"image.prune"}

patch := {"filters": {"label": [sprintf("%s=true", [managed_label])]}} if {
	input.request.endpoint in filtered
}

body := lib.obj(input.request.body)

labels_of(x) := lib.obj(object.get(lib.obj(x), "Labels", {}))

patch := {"body": {"Labels": object.union(labels_of(body), stamp)}} if {
	input.request.endpoint == "container.create"
}

patch := {"body": {"Labels": object.union(labels_of(body), stamp)}} if {
	input.request.endpoint in stamped_others
}

patch := {"body": {
	"Labels": object.union(labels_of(body), stamp),
	"TaskTemplate": {"ContainerSpec": {"Labels": object.union(labels_of(object.get(lib.obj(object.get(body, "TaskTemplate", {})), "ContainerSpec", {})), stamp)}},
}} if {
	input.request.endpoint in {"service.create", "service.update"}
}

# Whatever is created must carry the stamp; without it nobody could manage
# it later, so a create that cannot be stamped is refused.
deny contains msg if {
	input.request.endpoint in stamped
	not patch.body.Labels[managed_label]
	msg := sprintf("%s could not be stamped with %s", [input.request.endpoint, managed_label])
}
