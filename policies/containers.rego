# Containers: what a create (or update) may ask of the host. CS never sets
# any of these; each one is a known path from a container to root on the
# host (CIS Docker Benchmark section 5).
#
# Each rule starts from the field it is about, read straight from the input
# (the import below is an alias, not a copy): OPA's rule index then skips the
# rules whose field a request leaves unset before evaluating them, which is
# most of them for a Container Service create.
package xcsproxy.rules.containers

import data.xcsproxy.lib
import input.request.body.HostConfig as hc

# The endpoints this module judges (decision.rego runs it only for these).
applies_to := {"container.create", "container.update", "exec.create", "network.connect"}

create := input.request.endpoint == "container.create"

deny contains "privileged containers are not allowed (CIS 5.4); there is no setting to allow them" if {
	hc.Privileged == true
	create
}

# exec is refused unless a site allows it (endpoints.allow_extra), and even
# then a privileged exec (docker exec --privileged) would run with every
# capability, beyond the container's own (NET_RAW, SYS_PTRACE, NET_ADMIN
# among them), as Docker documents it.
deny contains "a privileged exec is not allowed: it would run with every capability, beyond the container's own; there is no setting to allow it" if {
	input.request.body.Privileged == true
	input.request.endpoint == "exec.create"
}

deny contains msg if {
	some c in hc.CapAdd
	create
	not lib.cap_name(c) in lib.cap_add_allowed
	msg := sprintf("CapAdd %s is not allowed (CIS 5.3): add it to capabilities.add_allow in config.yaml", [c])
}

deny contains "CapAdd ALL is never allowed" if {
	some c in hc.CapAdd
	create
	lib.cap_name(c) == "ALL"
}

# Namespace modes: host is refused; container:<name> only into a managed
# container.
namespace_modes := {"NetworkMode": "network", "PidMode": "pid", "IpcMode": "ipc", "UTSMode": "uts", "UsernsMode": "user", "CgroupnsMode": "cgroup"}

deny contains msg if {
	hc[field] == "host"
	create
	what := namespace_modes[field]
	msg := sprintf("%s host is not allowed: sharing the host's %s namespace (CIS 5.9-5.21)", [field, what])
}

deny contains msg if {
	some field, what in namespace_modes
	mode := hc[field]
	is_string(mode)
	startswith(mode, "container:")
	create
	name := substring(mode, count("container:"), -1)
	not input.containers[name].managed
	msg := sprintf("%s %s is not allowed: joining the %s namespace of a container xcsproxy did not create", [field, mode, what])
}

# Networks: the daemon's own, or one networks.allow lists; host and
# container:<name> have their rules above.
daemon_networks := {"", "default", "bridge", "none"}

deny contains msg if {
	mode := hc.NetworkMode
	is_string(mode)
	create
	not mode in daemon_networks
	not mode in lib.networks_allowed
	mode != "host"
	not startswith(mode, "container:")
	msg := sprintf("NetworkMode %s is not allowed: a user-defined network belongs to whoever made it; add it to networks.allow in config.yaml", [mode])
}

deny contains msg if {
	some name, _ in input.request.body.NetworkingConfig.EndpointsConfig
	create
	not name in daemon_networks
	not name in lib.networks_allowed
	msg := sprintf("NetworkingConfig.EndpointsConfig %s is not allowed: a user-defined network belongs to whoever made it; add it to networks.allow in config.yaml", [name])
}

# A chosen MAC address can be another job's: the daemon lets two containers
# on one bridge share an address, and the bridge then sends that address's
# frames to whichever of them sent last, so the other job's network comes
# and goes. The Container Service never sets one.
deny contains "MacAddress is not allowed: a job could take another container's address on the bridge, and with it that container's frames" if {
	input.request.body.MacAddress != ""
	create
}

deny contains msg if {
	some name, endpoint in endpoint_settings
	object.get(endpoint, "MacAddress", "") != ""
	msg := sprintf("%s %s MacAddress is not allowed: a job could take another container's address on the bridge, and with it that container's frames", [endpoint_field, name])
}

# The endpoint settings a request asks for, by network: a create's
# NetworkingConfig.EndpointsConfig, or, where a site allows
# network.connect, a connection's EndpointConfig for the network in its
# path. The same rules hold for both.
endpoint_settings[name] := lib.obj(endpoint) if {
	some name, endpoint in input.request.body.NetworkingConfig.EndpointsConfig
	create
}

endpoint_settings[input.request.params.id] := lib.obj(input.request.body.EndpointConfig) if {
	input.request.endpoint == "network.connect"
}

endpoint_field := "EndpointConfig on network" if input.request.endpoint == "network.connect"

else := "NetworkingConfig.EndpointsConfig"

# On a network of its own making a name is an address: the network's DNS
# answers an alias with every container that holds it, so a job holding
# another service's alias ("db") would get a share of the connections meant
# for it. A chosen IP address can likewise be one a stopped service comes
# back to. The Container Service sets neither.
deny contains msg if {
	some name, endpoint in endpoint_settings
	some alias in lib.list(object.get(endpoint, "Aliases", []))
	msg := sprintf("%s %s alias %s is not allowed: the network's DNS would answer that name with this job too, beside whatever else holds it", [endpoint_field, name, alias])
}

deny contains msg if {
	some name, endpoint in endpoint_settings
	ipam := lib.obj(object.get(endpoint, "IPAMConfig", {}))
	some field in ["IPv4Address", "IPv6Address"]
	object.get(ipam, field, "") != ""
	msg := sprintf("%s %s IPAMConfig.%s is not allowed: a chosen address can be the one another container on that network uses or comes back to", [endpoint_field, name, field])
}

# The daemon hands out no link-local address: it gives whatever is asked,
# and lets two containers on one network hold the same one.
deny contains msg if {
	some name, endpoint in endpoint_settings
	some ip in lib.list(object.get(lib.obj(object.get(endpoint, "IPAMConfig", {})), "LinkLocalIPs", []))
	msg := sprintf("%s %s IPAMConfig.LinkLocalIPs %s is not allowed: the daemon would give it even where another container on that network holds it", [endpoint_field, name, ip])
}

# An endpoint's driver options go to the network driver as the job's own
# interface settings, and from Docker 27 com.docker.network.endpoint.sysctls
# among them sets that interface's sysctls, which HostConfig.Sysctls may
# not. The Container Service sets none.
deny contains msg if {
	some name, endpoint in endpoint_settings
	lib.non_empty(object.get(endpoint, "DriverOpts", null))
	msg := sprintf("%s %s DriverOpts are not allowed: they set the job's network interface up (from Docker 27, its sysctls) where no rule judges them", [endpoint_field, name])
}

# VolumesFrom mounts another container's binds again, at this container's
# start, through whatever symlinks their paths hold then; the mount rules
# judge only this container's own binds, at its create and its start. The
# Container Service never uses it, so it is refused from any container.
deny contains msg if {
	some v in hc.VolumesFrom
	create
	msg := sprintf("VolumesFrom %s is not allowed: the other container's binds would be mounted again at this one's start without being judged (a path swapped for a symlink to / since would reach the host's root); bind the paths themselves", [split(v, ":")[0]])
}

deny contains msg if {
	some l in hc.Links
	create
	name := trim_prefix(split(l, ":")[0], "/")
	not input.containers[name].managed
	msg := sprintf("Links %s is not allowed: it is not a container xcsproxy created", [name])
}

# Devices and GPUs.
deny contains "Devices are not allowed (CIS 5.17): a host device gives the container the host's hardware" if {
	lib.non_empty(hc.Devices)
	create
}

deny contains "DeviceCgroupRules are not allowed (CIS 5.17)" if {
	lib.non_empty(hc.DeviceCgroupRules)
	create
}

deny contains "DeviceRequests (GPUs) are not allowed: set gpus.allow in config.yaml" if {
	lib.non_empty(hc.DeviceRequests)
	create
	not lib.gpus_allowed
}

deny contains msg if {
	some r in hc.DeviceRequests
	create
	lib.gpus_allowed
	not gpu_request(r)
	msg := sprintf("DeviceRequest %v is not a GPU request (driver nvidia or default, capability gpu)", [r])
}

# The value is not quoted: environment values never reach a log.
deny contains "NVIDIA_VISIBLE_DEVICES in the environment gives GPUs where nvidia's runtime runs the container: set gpus.allow in config.yaml" if {
	lib.names_gpu_env(input.request.body.Env)
	create
	not lib.gpus_allowed
	some e in input.request.body.Env
	lib.gpu_env_gives_gpus(e)
}

gpu_request(r) if {
	object.get(r, "Driver", "") in {"", "nvidia"}
	some caps in lib.list(r.Capabilities)
	"gpu" in caps
}

# Security options: only no-new-privileges may be set; everything else
# (seccomp, apparmor, label, systempaths) can only weaken confinement.
deny contains msg if {
	some opt in hc.SecurityOpt
	create
	not opt in {"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"}
	msg := sprintf("SecurityOpt %s is not allowed (CIS 5.1, 5.2, 5.21): only no-new-privileges may be set", [opt])
}

deny contains "MaskedPaths may not be overridden: it would unmask /proc and /sys paths" if {
	hc.MaskedPaths != null
	create
}

deny contains "ReadonlyPaths may not be overridden: it would make /proc and /sys paths writable" if {
	hc.ReadonlyPaths != null
	create
}

deny contains "Sysctls are not allowed" if {
	lib.non_empty(hc.Sysctls)
	create
}

deny contains "OomKillDisable is not allowed: the host's own processes would be killed first" if {
	hc.OomKillDisable == true
	create
}

deny contains msg if {
	hc.OomScoreAdj < 0
	create
	msg := sprintf("OomScoreAdj %d is not allowed: a negative score shields the container from the OOM killer at the host's expense", [hc.OomScoreAdj])
}

deny contains "CgroupParent is not allowed: the container would escape its resource limits" if {
	is_string(hc.CgroupParent)
	hc.CgroupParent != ""
	create
}

# Annotations (API 1.43+) go into the OCI spec, and runtimes act on some:
# runc, under the systemd cgroup driver (the default on cgroup v2 hosts),
# makes each org.systemd.property.NAME a setting of the container's systemd
# unit, past the limits set here; CDI-aware runtimes inject the host devices
# cdi.k8s.io/... names. The Container Service never sets one.
deny contains msg if {
	some key, _ in hc.Annotations
	create
	msg := sprintf("Annotations %s is not allowed: annotations reach the OCI runtime, which can turn them into the container's systemd unit settings or host devices", [key])
}

deny contains msg if {
	rt := hc.Runtime
	is_string(rt)
	rt != ""
	create
	not rt in runtimes_allowed
	msg := sprintf("runtime %s is not allowed: add it to runtimes.allow in config.yaml", [rt])
}

default runtimes_allowed := []

runtimes_allowed := data.config.runtimes.allow

deny contains msg if {
	d := hc.VolumeDriver
	is_string(d)
	d != ""
	create
	msg := sprintf("VolumeDriver %s is not allowed: volume plugins can mount anything", [d])
}

deny contains msg if {
	t := hc.LogConfig.Type
	is_string(t)
	t != ""
	create
	not t in lib.log_drivers_allowed
	msg := sprintf("log driver %s is not allowed: add it to logging.allow in config.yaml", [t])
}

# Published ports.
deny contains msg if {
	some container_port, bindings in hc.PortBindings
	create
	some b in lib.list(bindings)
	hp := lib.str(lib.obj(b).HostPort)
	hp != ""
	first := to_number(split(hp, "-")[0])
	first != 0
	first < lib.min_host_port
	msg := sprintf("host port %s for %s is below ports.min_host_port (%d)", [hp, container_port, lib.min_host_port])
}

# Resource ceilings apply to create and update bodies alike: a create's
# HostConfig carries them, and an update's body is nothing else.
resources := lib.host_config if create

resources := lib.obj(input.request.body) if input.request.endpoint == "container.update"

deny contains msg if {
	max := data.config.resources.max_memory_bytes
	max > 0
	object.get(resources, "Memory", 0) > max
	msg := sprintf("Memory %d is above resources.max_memory_bytes (%d)", [resources.Memory, max])
}

deny contains msg if {
	max := data.config.resources.max_nano_cpus
	max > 0
	object.get(resources, "NanoCpus", 0) > max
	msg := sprintf("NanoCpus %d is above resources.max_nano_cpus (%d)", [resources.NanoCpus, max])
}

deny contains msg if {
	max := data.config.resources.max_pids
	max > 0
	pids := object.get(resources, "PidsLimit", null)
	pids != null
	pids > max
	msg := sprintf("PidsLimit %d is above resources.max_pids (%d)", [pids, max])
}

# The daemon restarts a container with a restart policy without asking
# xcsproxy (when it exits, and when the daemon itself restarts), and mounts
# its binds again then, through whatever symlinks their paths hold: the
# start check never runs. The Container Service sets none.
deny contains msg if {
	name := resources.RestartPolicy.Name
	not name in {"", "no"}
	msg := sprintf("RestartPolicy %s is not allowed: the daemon would restart the container without asking xcsproxy, and mount its binds again unjudged", [name])
}

deny contains msg if {
	input.request.endpoint == "container.update"
	some field in {"Devices", "DeviceCgroupRules", "DeviceRequests"}
	lib.non_empty(resources[field])
	msg := sprintf("container update may not set %s", [field])
}
