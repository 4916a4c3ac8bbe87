# Endpoints: only what XNAT's Container Service calls (docker and swarm
# backends) and what the docker CLI needs for run, ps, logs, wait, events and
# inspect. Everything else, exec first among them, is refused by name.
package xcsproxy.rules.endpoints

# The Container Service, docker backend.
container_service := {
	"system.ping", "system.auth",
	"image.list", "image.inspect", "image.pull", "image.remove",
	"container.create", "container.start", "container.logs",
	"container.kill", "container.remove", "container.inspect",
	"system.events",
}

# The Container Service, swarm backend.
swarm_backend := {
	"swarm.inspect", "service.create", "service.inspect", "service.update",
	"service.list", "service.logs", "service.remove", "task.list", "task.inspect",
}

# The docker CLI's run, ps, logs, wait, events and inspect.
docker_cli := {
	"system.version", "system.info", "container.list", "container.attach",
	"container.wait",
}

# xcsproxy's own Command API; what a launch creates is judged again, as a
# container.create from the same client.
xcsproxy_api := {"command.list", "command.inspect", "command.launch"}

endpoint := input.request.endpoint

# Membership tests on the constant sets, not a union built per request.
allowed if endpoint in container_service

allowed if endpoint in swarm_backend

allowed if endpoint in docker_cli

allowed if endpoint in xcsproxy_api

allowed if endpoint in data.config.endpoints.allow_extra

deny contains msg if {
	endpoint == "unknown"
	msg := sprintf("%s %s is not a Docker Engine API endpoint xcsproxy knows", [input.request.method, input.request.path])
}

deny contains msg if {
	endpoint != "unknown"
	not allowed
	msg := sprintf("endpoint %s (%s %s) is not allowed: the Container Service does not use it; add it to endpoints.allow_extra in config.yaml to permit it", [endpoint, input.request.method, input.request.path])
}

# Old API versions let start carry a HostConfig, which would change a
# container after the create was judged.
deny contains "container.start must not carry a body (a HostConfig on start bypasses the create rules)" if {
	endpoint == "container.start"
	input.request.body != null
}

# Query parameters with which the daemon does something other than what
# was judged. With rollback it puts back the service's previous spec and
# ignores the body; the Container Service never asks for it.
deny contains "service.update with rollback is not allowed: the daemon would put back the previous spec and ignore the one judged here" if {
	endpoint == "service.update"
	input.request.query.rollback
}

# A start from a checkpoint (an experimental daemon feature) restores the
# container's processes from files in a directory the client names.
deny contains msg if {
	endpoint == "container.start"
	some param in ["checkpoint", "checkpoint-dir"]
	input.request.query[param]
	msg := sprintf("container.start with %s is not allowed: it would restore the container from checkpoint files nothing here judges", [param])
}

# Checkpoints are files the daemon writes and reads as root; a directory
# the client names for them could be anywhere on the host.
deny contains "container.checkpoint_create with a CheckpointDir is not allowed: the daemon would write the checkpoint as root wherever it names" if {
	input.request.endpoint == "container.checkpoint_create"
	input.request.body.CheckpointDir != ""
}

deny contains msg if {
	input.request.endpoint in {"container.checkpoint_list", "container.checkpoint_remove"}
	some dir in object.get(input.request.query, "dir", [])
	dir != ""
	msg := sprintf("%s with dir %s is not allowed: the daemon would read or remove checkpoint files wherever it names", [input.request.endpoint, dir])
}
