# Helpers shared by the rule modules.
package xcsproxy.lib

default config := {}

config := data.config

setting(path, default_value) := object.get(config, path, default_value)

# within(path, root): path is root or lies below it.
within(_, "/")

within(path, root) if path == root

within(path, root) if {
	root != "/"
	startswith(path, concat("", [trim_suffix(root, "/"), "/"]))
}

# The endpoints that create a container or a service.
creates := {"container.create", "service.create", "service.update"}

client_name := sprintf("uid=%d", [input.client.uid]) if input.client.transport == "unix"

client_name := sprintf("cert=%s", [input.client.cert.subject_cn]) if input.client.transport == "tls"

default client_name := "unknown"

# obj(x) is x when it is an object, else {} (docker-java sends nulls).
obj(x) := x if is_object(x)

else := {}

# str(x) is x when it is a string, else "".
str(x) := x if is_string(x)

else := ""

# list(x) is x when it is an array, else [].
list(x) := x if is_array(x)

else := []

# The create body's HostConfig, or {} when the request has none.
host_config := obj(object.get(obj(input.request.body), "HostConfig", {})) if {
	input.request.endpoint == "container.create"
}

# The service spec's ContainerSpec.
container_spec := input.request.body.TaskTemplate.ContainerSpec if {
	input.request.endpoint in {"service.create", "service.update"}
}

non_empty(x) if {
	x != null
	count(x) > 0
}

# cap_name normalizes a capability name: upper case, no CAP_ prefix.
cap_name(c) := trim_prefix(upper(c), "CAP_")
