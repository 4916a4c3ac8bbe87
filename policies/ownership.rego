# Ownership: xcsproxy stamps what it creates, and lets clients act only on
# what it created. Lists and event streams are narrowed by a label filter
# the daemon applies, so nothing is buffered to filter it here.
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
	msg := sprintf("%s %s was not created through xcsproxy: %s is only allowed on containers and services xcsproxy created", [input.target.kind, object.get(object.get(input.request, "params", {}), "id", ""), input.request.endpoint])
}

default extra_labels := {}

extra_labels := data.config.labels

stamp := object.union(
	extra_labels,
	{managed_label: "true", "org.xcsproxy.client": lib.client_name},
)

filtered := {"container.list", "system.events", "service.list", "task.list"}

# The endpoints whose requests are stamped or filtered here; requests on an
# existing target are judged whatever their endpoint.
applies_to := lib.creates | filtered

patch := {"filters": {"label": [sprintf("%s=true", [managed_label])]}} if {
	input.request.endpoint in filtered
}

body := lib.obj(input.request.body)

labels_of(x) := lib.obj(object.get(lib.obj(x), "Labels", {}))

patch := {"body": {"Labels": object.union(labels_of(body), stamp)}} if {
	input.request.endpoint == "container.create"
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
	input.request.endpoint in lib.creates
	not patch.body.Labels[managed_label]
	msg := sprintf("%s could not be stamped with %s", [input.request.endpoint, managed_label])
}
