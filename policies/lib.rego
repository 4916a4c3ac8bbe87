# Helpers shared by the rule modules.
package xcsproxy.lib

# config.yaml as data.config, or {} when there is none.
default config := {}

config := data.config

# Settings that more than one module reads, each with its default. They are
# rules rather than functions: a rule is worked out once per decision, a
# function again at every call.
default min_host_port := 1024

min_host_port := data.config.ports.min_host_port

default gpus_allowed := false

gpus_allowed := data.config.gpus.allow

# GPUs through the environment: where nvidia's runtime is the daemon's
# default (or the one a request names), NVIDIA_VISIBLE_DEVICES in a
# container's environment gives it the GPUs it names, and CUDA images set it
# to all themselves. void, none and empty give none.
gpu_env_gives_gpus(e) if {
	is_string(e)
	startswith(e, "NVIDIA_VISIBLE_DEVICES=")
	not substring(e, 23, -1) in {"", "void", "none"}
}

# names_gpu_env(env): some entry of env may set NVIDIA_VISIBLE_DEVICES. One
# builtin call over the whole list, so a create whose environment does not
# (nearly every one) costs no rule per variable.
names_gpu_env(env) if {
	is_array(env)
	strings.any_prefix_match(env, "NVIDIA_VISIBLE_DEVICES")
}

# without_gpu_env(env) is env without any NVIDIA_VISIBLE_DEVICES entry.
without_gpu_env(env) := [e | some e in list(env); not gpu_env(e)]

gpu_env(e) if {
	is_string(e)
	split(e, "=")[0] == "NVIDIA_VISIBLE_DEVICES"
}

# Log drivers containers and services may use: others write to host paths
# or send to the network.
default log_drivers_allowed := []

log_drivers_allowed := data.config.logging.allow

# Networks a container or service may join besides the daemon's own: a
# user-defined network is how another application keeps its services apart.
default networks_allowed := []

networks_allowed := data.config.networks.allow

# The capabilities CapAdd and CapabilityAdd may name, normalized.
cap_add_allowed := {cap_name(a) | some a in data.config.capabilities.add_allow}

# within(path, root): path is root or lies below it; a trailing slash on
# root changes nothing. The root "/" has the prefix "/", which every absolute
# path starts with.
within(path, root) if path == trim_suffix(root, "/")

within(path, root) if startswith(path, concat("", [trim_suffix(root, "/"), "/"]))

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
host_config := input.request.body.HostConfig if {
	input.request.endpoint == "container.create"
	is_object(input.request.body.HostConfig)
}

host_config := {} if {
	input.request.endpoint == "container.create"
	not is_object(input.request.body.HostConfig)
}

# The service spec's TaskTemplate, and its ContainerSpec.
task_template := obj(input.request.body.TaskTemplate) if {
	input.request.endpoint in {"service.create", "service.update"}
}

container_spec := input.request.body.TaskTemplate.ContainerSpec if {
	input.request.endpoint in {"service.create", "service.update"}
}

non_empty(x) if {
	x != null
	count(x) > 0
}

# cap_name normalizes a capability name: upper case, no CAP_ prefix.
cap_name(c) := trim_prefix(upper(c), "CAP_")
