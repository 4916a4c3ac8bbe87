package proxy

import (
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/checkpoint"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"
)

func jsonBody[T any]() func() any { return func() any { return new(T) } }

// DockerAPI is the whole Docker Engine API (1.24 to 1.51) as routes, plus
// xcsproxy's own endpoints under /xcsproxy/v1. Order
// matters only where an exact path and a parameterised one could both match;
// the exact one is listed first, as in the daemon's router.
var DockerAPI = []Route{
	// system
	{Name: "system.ping", Method: "GET", Pattern: "/_ping"},
	{Name: "system.ping", Method: "HEAD", Pattern: "/_ping"},
	{Name: "system.version", Method: "GET", Pattern: "/version"},
	{Name: "system.info", Method: "GET", Pattern: "/info"},
	{Name: "system.events", Method: "GET", Pattern: "/events", Stream: true},
	{Name: "system.df", Method: "GET", Pattern: "/system/df"},
	{Name: "system.auth", Method: "POST", Pattern: "/auth", Body: BodyJSON, NewBody: jsonBody[registry.AuthConfig]()},

	// containers
	{Name: "container.list", Method: "GET", Pattern: "/containers/json"},
	{Name: "container.create", Method: "POST", Pattern: "/containers/create", Body: BodyJSON, NewBody: jsonBody[container.CreateRequest](), Misread: topLevelHostConfig},
	{Name: "container.prune", Method: "POST", Pattern: "/containers/prune"},
	{Name: "container.inspect", Method: "GET", Pattern: "/containers/{id}/json"},
	{Name: "container.top", Method: "GET", Pattern: "/containers/{id}/top"},
	{Name: "container.logs", Method: "GET", Pattern: "/containers/{id}/logs", Stream: true},
	{Name: "container.changes", Method: "GET", Pattern: "/containers/{id}/changes"},
	{Name: "container.export", Method: "GET", Pattern: "/containers/{id}/export", Stream: true},
	{Name: "container.stats", Method: "GET", Pattern: "/containers/{id}/stats", Stream: true},
	{Name: "container.resize", Method: "POST", Pattern: "/containers/{id}/resize"},
	// Old API versions accept a HostConfig here; it is decoded so the policy
	// can see (and refuse) it.
	{Name: "container.start", Method: "POST", Pattern: "/containers/{id}/start", Body: BodyJSON, NewBody: jsonBody[container.HostConfig]()},
	{Name: "container.stop", Method: "POST", Pattern: "/containers/{id}/stop"},
	{Name: "container.restart", Method: "POST", Pattern: "/containers/{id}/restart"},
	{Name: "container.kill", Method: "POST", Pattern: "/containers/{id}/kill"},
	{Name: "container.update", Method: "POST", Pattern: "/containers/{id}/update", Body: BodyJSON, NewBody: jsonBody[container.UpdateConfig]()},
	{Name: "container.rename", Method: "POST", Pattern: "/containers/{id}/rename"},
	{Name: "container.pause", Method: "POST", Pattern: "/containers/{id}/pause"},
	{Name: "container.unpause", Method: "POST", Pattern: "/containers/{id}/unpause"},
	{Name: "container.attach", Method: "POST", Pattern: "/containers/{id}/attach", Stream: true, Hijack: true},
	{Name: "container.attach_ws", Method: "GET", Pattern: "/containers/{id}/attach/ws", Stream: true, Hijack: true},
	{Name: "container.wait", Method: "POST", Pattern: "/containers/{id}/wait", Stream: true},
	{Name: "container.remove", Method: "DELETE", Pattern: "/containers/{id}"},
	{Name: "container.archive_stat", Method: "HEAD", Pattern: "/containers/{id}/archive"},
	{Name: "container.archive_get", Method: "GET", Pattern: "/containers/{id}/archive", Stream: true},
	{Name: "container.archive_put", Method: "PUT", Pattern: "/containers/{id}/archive", Body: BodyRaw, Stream: true},
	{Name: "container.checkpoint_list", Method: "GET", Pattern: "/containers/{id}/checkpoints"},
	{Name: "container.checkpoint_create", Method: "POST", Pattern: "/containers/{id}/checkpoints", Body: BodyJSON, NewBody: jsonBody[checkpoint.CreateOptions]()},
	{Name: "container.checkpoint_remove", Method: "DELETE", Pattern: "/containers/{id}/checkpoints/{checkpoint}"},

	// exec
	{Name: "exec.create", Method: "POST", Pattern: "/containers/{id}/exec", Body: BodyJSON, NewBody: jsonBody[container.ExecOptions]()},
	{Name: "exec.start", Method: "POST", Pattern: "/exec/{id}/start", Body: BodyJSON, NewBody: jsonBody[container.ExecStartOptions](), Stream: true, Hijack: true},
	{Name: "exec.resize", Method: "POST", Pattern: "/exec/{id}/resize"},
	{Name: "exec.inspect", Method: "GET", Pattern: "/exec/{id}/json"},

	// images
	{Name: "image.list", Method: "GET", Pattern: "/images/json"},
	{Name: "image.search", Method: "GET", Pattern: "/images/search"},
	{Name: "image.get_all", Method: "GET", Pattern: "/images/get", Stream: true},
	{Name: "image.pull", Method: "POST", Pattern: "/images/create", Body: BodyRaw, Stream: true},
	{Name: "image.load", Method: "POST", Pattern: "/images/load", Body: BodyRaw, Stream: true},
	{Name: "image.prune", Method: "POST", Pattern: "/images/prune"},
	{Name: "image.inspect", Method: "GET", Pattern: "/images/{name*}/json"},
	{Name: "image.history", Method: "GET", Pattern: "/images/{name*}/history"},
	{Name: "image.get", Method: "GET", Pattern: "/images/{name*}/get", Stream: true},
	{Name: "image.push", Method: "POST", Pattern: "/images/{name*}/push", Stream: true},
	{Name: "image.tag", Method: "POST", Pattern: "/images/{name*}/tag"},
	{Name: "image.remove", Method: "DELETE", Pattern: "/images/{name*}"},
	{Name: "image.commit", Method: "POST", Pattern: "/commit", Body: BodyJSON, NewBody: jsonBody[container.Config]()},
	{Name: "image.build", Method: "POST", Pattern: "/build", Body: BodyRaw, Stream: true},
	{Name: "build.prune", Method: "POST", Pattern: "/build/prune"},
	{Name: "build.cancel", Method: "POST", Pattern: "/build/cancel"},
	{Name: "distribution.inspect", Method: "GET", Pattern: "/distribution/{name*}/json"},

	// networks
	{Name: "network.list", Method: "GET", Pattern: "/networks"},
	{Name: "network.create", Method: "POST", Pattern: "/networks/create", Body: BodyJSON, NewBody: jsonBody[network.CreateRequest]()},
	{Name: "network.prune", Method: "POST", Pattern: "/networks/prune"},
	{Name: "network.inspect", Method: "GET", Pattern: "/networks/{id}"},
	{Name: "network.remove", Method: "DELETE", Pattern: "/networks/{id}"},
	{Name: "network.connect", Method: "POST", Pattern: "/networks/{id}/connect", Body: BodyJSON, NewBody: jsonBody[network.ConnectOptions]()},
	{Name: "network.disconnect", Method: "POST", Pattern: "/networks/{id}/disconnect", Body: BodyJSON, NewBody: jsonBody[network.DisconnectOptions]()},

	// volumes
	{Name: "volume.list", Method: "GET", Pattern: "/volumes"},
	{Name: "volume.create", Method: "POST", Pattern: "/volumes/create", Body: BodyJSON, NewBody: jsonBody[volume.CreateOptions]()},
	{Name: "volume.prune", Method: "POST", Pattern: "/volumes/prune"},
	{Name: "volume.inspect", Method: "GET", Pattern: "/volumes/{name}"},
	{Name: "volume.update", Method: "PUT", Pattern: "/volumes/{name}", Body: BodyJSON, NewBody: jsonBody[volume.UpdateOptions]()},
	{Name: "volume.remove", Method: "DELETE", Pattern: "/volumes/{name}"},

	// swarm
	{Name: "swarm.inspect", Method: "GET", Pattern: "/swarm", Answer: hideJoinTokens},
	{Name: "swarm.init", Method: "POST", Pattern: "/swarm/init", Body: BodyJSON, NewBody: jsonBody[swarm.InitRequest]()},
	{Name: "swarm.join", Method: "POST", Pattern: "/swarm/join", Body: BodyJSON, NewBody: jsonBody[swarm.JoinRequest]()},
	{Name: "swarm.leave", Method: "POST", Pattern: "/swarm/leave"},
	{Name: "swarm.update", Method: "POST", Pattern: "/swarm/update", Body: BodyJSON, NewBody: jsonBody[swarm.Spec]()},
	{Name: "swarm.unlockkey", Method: "GET", Pattern: "/swarm/unlockkey"},
	{Name: "swarm.unlock", Method: "POST", Pattern: "/swarm/unlock", Body: BodyJSON, NewBody: jsonBody[swarm.UnlockRequest]()},

	// nodes
	{Name: "node.list", Method: "GET", Pattern: "/nodes"},
	{Name: "node.inspect", Method: "GET", Pattern: "/nodes/{id}"},
	{Name: "node.remove", Method: "DELETE", Pattern: "/nodes/{id}"},
	{Name: "node.update", Method: "POST", Pattern: "/nodes/{id}/update", Body: BodyJSON, NewBody: jsonBody[swarm.NodeSpec]()},

	// services
	{Name: "service.list", Method: "GET", Pattern: "/services"},
	{Name: "service.create", Method: "POST", Pattern: "/services/create", Body: BodyJSON, NewBody: jsonBody[swarm.ServiceSpec](), OneAtATime: true},
	{Name: "service.inspect", Method: "GET", Pattern: "/services/{id}"},
	{Name: "service.remove", Method: "DELETE", Pattern: "/services/{id}"},
	{Name: "service.update", Method: "POST", Pattern: "/services/{id}/update", Body: BodyJSON, NewBody: jsonBody[swarm.ServiceSpec](), OneAtATime: true},
	{Name: "service.logs", Method: "GET", Pattern: "/services/{id}/logs", Stream: true},

	// tasks
	{Name: "task.list", Method: "GET", Pattern: "/tasks"},
	{Name: "task.inspect", Method: "GET", Pattern: "/tasks/{id}"},
	{Name: "task.logs", Method: "GET", Pattern: "/tasks/{id}/logs", Stream: true},

	// secrets
	{Name: "secret.list", Method: "GET", Pattern: "/secrets"},
	{Name: "secret.create", Method: "POST", Pattern: "/secrets/create", Body: BodyJSON, NewBody: jsonBody[swarm.SecretSpec]()},
	{Name: "secret.inspect", Method: "GET", Pattern: "/secrets/{id}"},
	{Name: "secret.remove", Method: "DELETE", Pattern: "/secrets/{id}"},
	{Name: "secret.update", Method: "POST", Pattern: "/secrets/{id}/update", Body: BodyJSON, NewBody: jsonBody[swarm.SecretSpec]()},

	// configs
	{Name: "config.list", Method: "GET", Pattern: "/configs"},
	{Name: "config.create", Method: "POST", Pattern: "/configs/create", Body: BodyJSON, NewBody: jsonBody[swarm.ConfigSpec]()},
	{Name: "config.inspect", Method: "GET", Pattern: "/configs/{id}"},
	{Name: "config.remove", Method: "DELETE", Pattern: "/configs/{id}"},
	{Name: "config.update", Method: "POST", Pattern: "/configs/{id}/update", Body: BodyJSON, NewBody: jsonBody[swarm.ConfigSpec]()},

	// plugins
	{Name: "plugin.list", Method: "GET", Pattern: "/plugins"},
	{Name: "plugin.privileges", Method: "GET", Pattern: "/plugins/privileges"},
	{Name: "plugin.pull", Method: "POST", Pattern: "/plugins/pull", Body: BodyJSON, NewBody: jsonBody[types.PluginPrivileges](), Stream: true},
	{Name: "plugin.create", Method: "POST", Pattern: "/plugins/create", Body: BodyRaw},
	{Name: "plugin.inspect", Method: "GET", Pattern: "/plugins/{name*}/json"},
	{Name: "plugin.remove", Method: "DELETE", Pattern: "/plugins/{name*}"},
	{Name: "plugin.enable", Method: "POST", Pattern: "/plugins/{name*}/enable"},
	{Name: "plugin.disable", Method: "POST", Pattern: "/plugins/{name*}/disable"},
	{Name: "plugin.upgrade", Method: "POST", Pattern: "/plugins/{name*}/upgrade", Body: BodyJSON, NewBody: jsonBody[types.PluginPrivileges](), Stream: true},
	{Name: "plugin.push", Method: "POST", Pattern: "/plugins/{name*}/push", Stream: true},
	{Name: "plugin.set", Method: "POST", Pattern: "/plugins/{name*}/set", Body: BodyJSON, NewBody: jsonBody[[]string]()},

	// xcsproxy's own API: XNAT Commands, answered here, never forwarded.
	{Name: "command.list", Method: "GET", Pattern: "/xcsproxy/v1/commands", Local: true},
	{Name: "command.inspect", Method: "GET", Pattern: "/xcsproxy/v1/commands/{name}", Local: true},
	{Name: "command.launch", Method: "POST", Pattern: "/xcsproxy/v1/commands/{name}/launch", Body: BodyJSON, NewBody: jsonBody[map[string]any](), Local: true},

	// sessions (BuildKit) switch protocols
	{Name: "session.start", Method: "POST", Pattern: "/session", Stream: true, Hijack: true},
	{Name: "grpc.start", Method: "POST", Pattern: "/grpc", Stream: true, Hijack: true},
}
