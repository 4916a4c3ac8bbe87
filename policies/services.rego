# Swarm services: the same limits as containers, for the spec swarm turns
# into containers.
package xcsproxy.rules.services

import data.xcsproxy.lib

# The endpoints this module judges (decision.rego runs it only for these).
applies_to := {"service.create", "service.update"}

spec := lib.container_spec

task := lib.task_template

privileges := lib.obj(spec.Privileges)

# Swarm secrets and configs belong to whoever created them, and a task that
# names one can read it. The Container Service passes its secrets as
# environment variables and uses neither.
deny contains msg if {
	some s in spec.Secrets
	msg := sprintf("service secret %s is not allowed: its tasks could read a swarm secret xcsproxy did not create", [object.get(s, "SecretName", object.get(s, "SecretID", ""))])
}

deny contains msg if {
	some c in spec.Configs
	msg := sprintf("service config %s is not allowed: its tasks could read a swarm config xcsproxy did not create", [object.get(c, "ConfigName", object.get(c, "ConfigID", ""))])
}

deny contains "service ContainerSpec.Privileges.Seccomp unconfined or custom is not allowed" if {
	mode := object.get(lib.obj(privileges.Seccomp), "Mode", "")
	not mode in {"", "default"}
}

deny contains "service ContainerSpec.Privileges.AppArmor disabled is not allowed" if {
	object.get(lib.obj(privileges.AppArmor), "Mode", "") == "disabled"
}

deny contains "service ContainerSpec.Privileges.SELinuxContext.Disable is not allowed" if {
	object.get(lib.obj(privileges.SELinuxContext), "Disable", false) == true
}

# A label of one's choosing is what SecurityOpt label:... is to a container,
# which containers.rego refuses: the type spc_t runs the tasks unconfined,
# and another container's level reaches that container's files.
deny contains msg if {
	some field in ["User", "Role", "Type", "Level"]
	value := object.get(lib.obj(privileges.SELinuxContext), field, "")
	value != ""
	msg := sprintf("service ContainerSpec.Privileges.SELinuxContext.%s %v is not allowed: a chosen SELinux label can lift the tasks' confinement", [field, value])
}

deny contains msg if {
	some c in lib.list(spec.CapabilityAdd)
	not lib.cap_name(c) in lib.cap_add_allowed
	msg := sprintf("service CapabilityAdd %s is not allowed: add it to capabilities.add_allow in config.yaml", [c])
}

deny contains "service Sysctls are not allowed" if lib.non_empty(spec.Sysctls)

deny contains msg if {
	rt := object.get(task, "Runtime", "")
	not rt in {"", "container"}
	msg := sprintf("service runtime %s is not allowed (plugins and attachments manage the host)", [rt])
}

deny contains "service PluginSpec is not allowed" if task.PluginSpec != null

# The networks a service's tasks join: TaskTemplate.Networks, and the
# deprecated top-level Networks, which daemons still pass on to swarm.
networks := array.concat(
	lib.list(object.get(task, "Networks", [])),
	lib.list(object.get(lib.obj(input.request.body), "Networks", [])),
)

deny contains msg if {
	some n in networks
	lower(object.get(lib.obj(n), "Target", "")) in {"host", "ingress"}
	msg := sprintf("service network %s is not allowed: it shares the host's network or the swarm's routing mesh", [n.Target])
}

deny contains msg if {
	some n in networks
	target := object.get(lib.obj(n), "Target", "")
	not lower(target) in {"host", "ingress"}
	not target in lib.networks_allowed
	msg := sprintf("service network %s is not allowed: a user-defined network belongs to whoever made it; add it to networks.allow in config.yaml", [target])
}

# As for containers (containers.rego): an alias on a network is a name its
# DNS answers with every holder, so a service holding another's alias
# would get a share of that one's connections.
deny contains msg if {
	some n in networks
	some alias in lib.list(object.get(lib.obj(n), "Aliases", []))
	msg := sprintf("service network %s alias %s is not allowed: the network's DNS would answer that name with this service's tasks too, beside whatever else holds it", [object.get(lib.obj(n), "Target", ""), alias])
}

# As for containers: swarm hands a network's DriverOpts to each task's
# interface (from Docker 27, its sysctls among them).
deny contains msg if {
	some n in networks
	lib.non_empty(object.get(lib.obj(n), "DriverOpts", null))
	msg := sprintf("service network %s DriverOpts are not allowed: they set the tasks' network interfaces up (from Docker 27, their sysctls) where no rule judges them", [object.get(lib.obj(n), "Target", "")])
}

deny contains msg if {
	name := object.get(lib.obj(task.LogDriver), "Name", "")
	is_string(name)
	name != ""
	not name in lib.log_drivers_allowed
	msg := sprintf("service log driver %s is not allowed: add it to logging.allow in config.yaml", [name])
}

deny contains msg if {
	spec.OomScoreAdj < 0
	msg := sprintf("service OomScoreAdj %d is not allowed: a negative score shields the tasks from the OOM killer at the host's expense", [spec.OomScoreAdj])
}

deny contains "service NVIDIA_VISIBLE_DEVICES in the environment gives GPUs where nvidia's runtime runs the tasks: set gpus.allow in config.yaml" if {
	lib.names_gpu_env(spec.Env)
	not lib.gpus_allowed
	some e in spec.Env
	lib.gpu_env_gives_gpus(e)
}

deny contains "service generic resources (GPUs) are not allowed: set gpus.allow in config.yaml" if {
	lib.non_empty(lib.obj(task.Resources.Reservations).GenericResources)
	not lib.gpus_allowed
}

deny contains msg if {
	some p in lib.list(lib.obj(input.request.body.EndpointSpec).Ports)
	pub := object.get(p, "PublishedPort", 0)
	pub != 0
	pub < lib.min_host_port
	msg := sprintf("service published port %d is below ports.min_host_port (%d)", [pub, lib.min_host_port])
}

deny contains msg if {
	max := data.config.resources.max_memory_bytes
	max > 0
	mem := object.get(lib.obj(lib.obj(task.Resources).Limits), "MemoryBytes", 0)
	mem > max
	msg := sprintf("service memory limit %d is above resources.max_memory_bytes (%d)", [mem, max])
}

deny contains msg if {
	max := data.config.resources.max_nano_cpus
	max > 0
	cpus := object.get(lib.obj(lib.obj(task.Resources).Limits), "NanoCPUs", 0)
	cpus > max
	msg := sprintf("service CPU limit %d is above resources.max_nano_cpus (%d)", [cpus, max])
}

deny contains msg if {
	max := data.config.resources.max_pids
	max > 0
	pids := object.get(lib.obj(lib.obj(task.Resources).Limits), "Pids", 0)
	pids > max
	msg := sprintf("service pids limit %d is above resources.max_pids (%d)", [pids, max])
}
