# Defaults: hardening stamped on every container xcsproxy creates, on top of
# what the client asked for (config.yaml `defaults`).
package xcsproxy.rules.defaults

import data.xcsproxy.lib

# The endpoints this module patches (decision.rego runs it only for these).
applies_to := {"container.create"}

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

patch := {"body": {"HostConfig": object.union({"SecurityOpt": security_opt}, pids)}} if {
	input.request.endpoint == "container.create"
}
