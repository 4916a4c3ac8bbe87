# Config: what config.yaml must look like. xcsproxy refuses to load a policy
# directory whose data.xcsproxy.config.errors is not empty (and on a reload
# keeps the policy it has), because a setting of the wrong type is read in a
# way nobody meant: `gpus: {allow: no}` is the string "no" to YAML 1.2, which
# a rule reads as true, and a ceiling written "8g" is a string no number is
# above. Sections a custom module adds are left alone; a key these sections
# do not know is a typo (mounts.alow) and refused too.
package xcsproxy.config

import data.xcsproxy.lib

# The sections of the default pack and the type of each key in them.
schema := {
	"endpoints": {"allow_extra": "list of strings"},
	"images": {"allow": "list of strings", "require_command": "boolean"},
	"mounts": {"allow": "list of roots", "volumes": "list of strings", "require_nosymfollow": "boolean", "require_nosuid_nodev": "boolean"},
	"networks": {"allow": "list of strings"},
	"runtimes": {"allow": "list of strings"},
	"capabilities": {"add_allow": "list of strings"},
	"gpus": {"allow": "boolean"},
	"ports": {"min_host_port": "port"},
	"logging": {"allow": "list of strings"},
	"resources": {"max_memory_bytes": "count", "max_nano_cpus": "count", "max_pids": "count"},
	"defaults": {"no_new_privileges": "boolean", "pids_limit": "count", "drop_capabilities": "list of strings"},
}

config := lib.config

errors contains msg if {
	not is_object(config)
	msg := "config.yaml must be a mapping of sections"
}

errors contains msg if {
	some section, keys in schema
	value := config[section]
	not is_object(value)
	msg := sprintf("%s must be a mapping of %v, not %s", [section, sort(object.keys(keys)), json.marshal(value)])
}

errors contains msg if {
	some section, keys in schema
	some key, _ in config[section]
	not keys[key]
	msg := sprintf("%s.%s is not a setting xcsproxy knows (one of %v): a typo?", [section, key, sort(object.keys(keys))])
}

errors contains msg if {
	some section, keys in schema
	some key, kind in keys
	value := config[section][key]
	not valid(kind, value)
	msg := sprintf("%s.%s must be %s, not %s", [section, key, wanted[kind], json.marshal(value)])
}

# What each type of setting must be, as the error says it.
wanted := {
	"boolean": "true or false",
	"list of strings": "a list of strings",
	"count": "a whole number, 0 or more",
	"port": "a port number (0 to 65535)",
	"list of roots": "a list of {path, read_only} with absolute paths",
}

errors contains msg if {
	not is_object(config.labels)
	config.labels != null
	msg := sprintf("labels must be a mapping of label names to strings, not %s", [json.marshal(config.labels)])
}

errors contains msg if {
	some name, value in config.labels
	not is_string(value)
	msg := sprintf("labels.%s must be a string, not %s", [name, json.marshal(value)])
}

# Endpoints that hand the host over whatever a rule says: a site that
# lists one in endpoints.allow_extra would open what the pack exists to
# close. The host's administrator uses them on the daemon's own socket.
root_endpoints := {
	"swarm.init": "its spec can give the new swarm a root CA whose key the client holds, and with it a manager's certificate of its own making",
	"swarm.join": "another swarm's managers would run any task on this host, binds of / included",
	"swarm.unlockkey": "it is the key to the swarm's encrypted state, secrets included",
	"swarm.update": "it can give the swarm a root CA whose key the client holds, and with it a manager's certificate of its own making",
	"plugin.pull": "a plugin runs with the privileges it asks for (host mounts, devices, capabilities), which no rule here limits",
	"plugin.create": "a plugin runs with the privileges it asks for (host mounts, devices, capabilities), which no rule here limits",
	"plugin.upgrade": "a plugin runs with the privileges it asks for (host mounts, devices, capabilities), which no rule here limits",
	"plugin.enable": "a plugin runs with the privileges it asks for (host mounts, devices, capabilities), which no rule here limits",
	"plugin.set": "a plugin's settings choose its host mounts and devices",
	"node.update": "it makes any node a manager of the swarm, or takes every task off this one",
	"grpc.start": "it tunnels BuildKit's own API, whose builds run any image from any registry, and whose steps dockerd lets run on the host's own network",
}

errors contains msg if {
	some e in object.get(config, ["endpoints", "allow_extra"], [])
	why := root_endpoints[e]
	msg := sprintf("endpoints.allow_extra must not name %s: %s; use the daemon's own socket, as the host's administrator, for it", [e, why])
}

# Each images.allow pattern is matched once here, so a malformed one (an
# unclosed "[") stops the load, with glob's own error under strict builtin
# errors, rather than failing every decision that judges an image.
errors contains msg if {
	some p in object.get(config, ["images", "allow"], [])
	is_string(p)
	not is_boolean(glob.match(p, null, ""))
	msg := sprintf("images.allow pattern %s is not a valid glob", [json.marshal(p)])
}

valid("boolean", value) if is_boolean(value)

valid("list of strings", value) if {
	is_array(value)
	every x in value {
		is_string(x)
	}
}

valid("count", value) if count_value(value)

valid("port", value) if {
	count_value(value)
	value <= 65535
}

count_value(value) if {
	is_number(value)
	value >= 0
	value == floor(value)
}

valid("list of roots", value) if {
	is_array(value)
	every root in value {
		valid_root(root)
	}
}

# A root is an absolute path, with read_only true or false when given.
valid_root(root) if {
	is_object(root)
	is_string(root.path)
	startswith(root.path, "/")
	every key, _ in root {
		key in {"path", "read_only"}
	}
	is_boolean(object.get(root, "read_only", false))
}
