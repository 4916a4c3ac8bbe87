# Defaults: hardening stamped on every container and service xcsproxy
# creates, on top of what the client asked for (config.yaml `defaults`).
package xcsproxy.rules.defaults

import data.xcsproxy.lib

# The endpoints this module patches (decision.rego runs it only for these).
applies_to := {"container.create", "service.create", "service.update"}

hc := lib.host_config

nnp := {"no-new-privileges"} if data.config.defaults.no_new_privileges

else := set()

security_opt := sort({o | some o in lib.list(hc.SecurityOpt)} | nnp)

default pids_default := 0

pids_default := data.config.defaults.pids_limit

unlimited_pids if object.get(hc, "PidsLimit", null) == null

unlimited_pids if object.get(hc, "PidsLimit", null) <= 0

pids := {"PidsLimit": pids_default} if {
	pids_default > 0
	unlimited_pids
}

else := {}

# Capabilities taken from every container on top of what it drops itself.
# NET_RAW, in Docker's default set, lets a job forge packets on the bridge it
# shares with other jobs: ARP and DNS answers that put it between them and
# XNAT, whose login tokens they carry. ping works without it (Docker sets
# net.ipv4.ping_group_range). A CapAdd that capabilities.add_allow permits
# still wins: the daemon adds after it drops.
default drop_default := ["NET_RAW"]

drop_default := data.config.defaults.drop_capabilities

cap_drop := sort({c | some c in lib.list(hc.CapDrop)} | {lib.cap_name(c) | some c in drop_default})

# Unless gpus.allow, every container and service task gets
# NVIDIA_VISIBLE_DEVICES=void, in place of any value its request or image
# gives: nvidia's runtime then gives it no GPUs, even where it is the
# daemon's default and the image asks for them (CUDA images set the variable
# to all). Other runtimes ignore it.
gpus_off := ["NVIDIA_VISIBLE_DEVICES=void"]

container_env := env_without_gpus(input.request.body.Env) if not lib.gpus_allowed

else := {}

env_without_gpus(env) := {"Env": array.concat(lib.without_gpu_env(env), gpus_off)} if lib.names_gpu_env(env)

else := {"Env": array.concat(lib.list(env), gpus_off)}

patch := {"body": object.union({"HostConfig": object.union({"SecurityOpt": security_opt, "CapDrop": cap_drop}, pids)}, container_env)} if {
	input.request.endpoint == "container.create"
}

# A service's tasks drop the same capabilities, and get the same pids limit
# when the spec sets none (TaskTemplate.Resources.Limits.Pids, API 1.41).
# Swarm's no-new-privileges needs a newer API than daemons xcsproxy serves
# may have, and one that does not know it drops it unseen.
service_cap_drop := sort({c | some c in lib.list(lib.obj(lib.container_spec).CapabilityDrop)} | {lib.cap_name(c) | some c in drop_default})

default service_pids := 0

service_pids := object.get(lib.obj(lib.obj(lib.task_template.Resources).Limits), "Pids", 0)

service_limits := {"Resources": {"Limits": {"Pids": pids_default}}} if {
	pids_default > 0
	service_pids <= 0
}

else := {}

service_env := env_without_gpus(lib.obj(lib.container_spec).Env) if not lib.gpus_allowed

else := {}

patch := {"body": {"TaskTemplate": object.union({"ContainerSpec": object.union({"CapabilityDrop": service_cap_drop}, service_env)}, service_limits)}} if {
	input.request.endpoint in {"service.create", "service.update"}
}
