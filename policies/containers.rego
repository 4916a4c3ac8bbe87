# Containers: what a create (or update) may ask of the host. CS never sets
# any of these; each one is a known path from a container to root on the
# host (CIS Docker Benchmark section 5).
package xcsproxy.rules.containers

import data.xcsproxy.lib

# The endpoints this module judges (decision.rego runs it only for these).
applies_to := {"container.create", "container.update"}

hc := lib.host_config

deny contains "privileged containers are not allowed (CIS 5.4); there is no setting to allow them" if {
	hc.Privileged == true
}

deny contains msg if {
	some c in lib.list(hc.CapAdd)
	not lib.cap_name(c) in {lib.cap_name(a) | some a in lib.setting(["capabilities", "add_allow"], [])}
	msg := sprintf("CapAdd %s is not allowed (CIS 5.3): add it to capabilities.add_allow in config.yaml", [c])
}

deny contains msg if {
	some c in lib.list(hc.CapAdd)
	lib.cap_name(c) == "ALL"
	msg := "CapAdd ALL is never allowed"
}

# Namespace modes: host is refused; container:<name> only into a managed
# container.
namespace_modes := {"NetworkMode": "network", "PidMode": "pid", "IpcMode": "ipc", "UTSMode": "uts", "UsernsMode": "user", "CgroupnsMode": "cgroup"}

deny contains msg if {
	some field, what in namespace_modes
	hc[field] == "host"
	msg := sprintf("%s host is not allowed: sharing the host's %s namespace (CIS 5.9-5.21)", [field, what])
}

deny contains msg if {
	some field, what in namespace_modes
	is_string(hc[field])
	startswith(hc[field], "container:")
	name := substring(hc[field], count("container:"), -1)
	not input.containers[name].managed
	msg := sprintf("%s %s is not allowed: joining the %s namespace of a container xcsproxy did not create", [field, hc[field], what])
}

deny contains msg if {
	some v in lib.list(hc.VolumesFrom)
	name := split(v, ":")[0]
	not input.containers[name].managed
	msg := sprintf("VolumesFrom %s is not allowed: it is not a container xcsproxy created", [name])
}

deny contains msg if {
	some l in lib.list(hc.Links)
	name := trim_prefix(split(l, ":")[0], "/")
	not input.containers[name].managed
	msg := sprintf("Links %s is not allowed: it is not a container xcsproxy created", [name])
}

# Devices and GPUs.
gpus_allowed := lib.setting(["gpus", "allow"], false)

deny contains "Devices are not allowed (CIS 5.17): a host device gives the container the host's hardware" if {
	lib.non_empty(hc.Devices)
}

deny contains "DeviceCgroupRules are not allowed (CIS 5.17)" if {
	lib.non_empty(hc.DeviceCgroupRules)
}

deny contains "DeviceRequests (GPUs) are not allowed: set gpus.allow in config.yaml" if {
	lib.non_empty(hc.DeviceRequests)
	not gpus_allowed
}

deny contains msg if {
	gpus_allowed
	some r in lib.list(hc.DeviceRequests)
	not gpu_request(r)
	msg := sprintf("DeviceRequest %v is not a GPU request (driver nvidia or default, capability gpu)", [r])
}

gpu_request(r) if {
	object.get(r, "Driver", "") in {"", "nvidia"}
	some caps in lib.list(r.Capabilities)
	"gpu" in caps
}

# Security options: only no-new-privileges may be set; everything else
# (seccomp, apparmor, label, systempaths) can only weaken confinement.
deny contains msg if {
	some opt in lib.list(hc.SecurityOpt)
	not opt in {"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"}
	msg := sprintf("SecurityOpt %s is not allowed (CIS 5.1, 5.2, 5.21): only no-new-privileges may be set", [opt])
}

deny contains "MaskedPaths may not be overridden: it would unmask /proc and /sys paths" if {
	hc.MaskedPaths != null
}

deny contains "ReadonlyPaths may not be overridden: it would make /proc and /sys paths writable" if {
	hc.ReadonlyPaths != null
}

deny contains "Sysctls are not allowed" if lib.non_empty(hc.Sysctls)

deny contains "OomKillDisable is not allowed: the host's own processes would be killed first" if hc.OomKillDisable == true

deny contains msg if {
	hc.OomScoreAdj < 0
	msg := sprintf("OomScoreAdj %d is not allowed: a negative score shields the container from the OOM killer at the host's expense", [hc.OomScoreAdj])
}

deny contains "CgroupParent is not allowed: the container would escape its resource limits" if {
	lib.str(hc.CgroupParent) != ""
}

deny contains msg if {
	rt := lib.str(hc.Runtime)
	rt != ""
	not rt in lib.setting(["runtimes", "allow"], [])
	msg := sprintf("runtime %s is not allowed: add it to runtimes.allow in config.yaml", [rt])
}

deny contains msg if {
	d := lib.str(hc.VolumeDriver)
	d != ""
	msg := sprintf("VolumeDriver %s is not allowed: volume plugins can mount anything", [d])
}

deny contains msg if {
	t := lib.str(lib.obj(hc.LogConfig).Type)
	t != ""
	not t in lib.setting(["logging", "allow"], [])
	msg := sprintf("log driver %s is not allowed: add it to logging.allow in config.yaml", [t])
}

# Published ports.
min_port := lib.setting(["ports", "min_host_port"], 1024)

deny contains msg if {
	some container_port, bindings in lib.obj(hc.PortBindings)
	some b in lib.list(bindings)
	hp := lib.str(lib.obj(b).HostPort)
	hp != ""
	first := to_number(split(hp, "-")[0])
	first != 0
	first < min_port
	msg := sprintf("host port %s for %s is below ports.min_host_port (%d)", [hp, container_port, min_port])
}

# Resource ceilings apply to create and update bodies alike.
resources := hc if input.request.endpoint == "container.create"

resources := lib.obj(input.request.body) if input.request.endpoint == "container.update"

ceiling(key) := c if {
	c := lib.setting(["resources", key], 0)
	c > 0
}

deny contains msg if {
	max := ceiling("max_memory_bytes")
	object.get(resources, "Memory", 0) > max
	msg := sprintf("Memory %d is above resources.max_memory_bytes (%d)", [resources.Memory, max])
}

deny contains msg if {
	max := ceiling("max_nano_cpus")
	object.get(resources, "NanoCpus", 0) > max
	msg := sprintf("NanoCpus %d is above resources.max_nano_cpus (%d)", [resources.NanoCpus, max])
}

deny contains msg if {
	max := ceiling("max_pids")
	pids := object.get(resources, "PidsLimit", null)
	pids != null
	pids > max
	msg := sprintf("PidsLimit %d is above resources.max_pids (%d)", [pids, max])
}

deny contains msg if {
	input.request.endpoint == "container.update"
	some field in {"Devices", "DeviceCgroupRules", "DeviceRequests"}
	lib.non_empty(resources[field])
	msg := sprintf("container update may not set %s", [field])
}
