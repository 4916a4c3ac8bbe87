# Networks: what a network a client makes may be (network.create, refused
# unless a site allows it). The Container Service makes none. A job joins a
# network xcsproxy made through network.connect, where a site allows that,
# without networks.allow: so such a network must be one that keeps a job
# where the daemon's own networks keep it, behind the host's NAT.
package xcsproxy.rules.networks

import data.xcsproxy.lib

# The endpoints this module judges (decision.rego runs it only for these).
applies_to := {"network.create"}

body := object.get(input.request, "body", {})

deny contains msg if {
	driver := body.Driver
	not driver in {"", "bridge", "overlay"}
	msg := sprintf("network driver %s is not allowed: only bridge and overlay networks keep a job behind the host (macvlan and ipvlan put it on the host's own network, plugins do anything)", [driver])
}

# Driver options choose what the network is: com.docker.network.bridge.name
# makes it an existing bridge of the host's (docker0, or one on the
# host's LAN).
deny contains msg if {
	some name, _ in body.Options
	msg := sprintf("network option %s is not allowed: driver options choose the host's interfaces and bridges a network uses", [name])
}

deny contains msg if {
	driver := body.IPAM.Driver
	not driver in {"", "default"}
	msg := sprintf("IPAM driver %s is not allowed: address plugins run with the daemon's rights", [driver])
}

# A subnet the client chooses is routed to the network's bridge on the
# host, ahead of the host's own routes for the addresses in it: a subnet
# inside the host's LAN takes the host's traffic to its neighbours there (a
# database server), 169.254.169.0/24 its traffic to the cloud's metadata
# service, and a job on the network is given those addresses. The daemon's
# own pools leave out the routes the host has.
deny contains msg if {
	some config in lib.list(object.get(lib.obj(body.IPAM), "Config", []))
	some field in ["Subnet", "IPRange", "Gateway"]
	value := object.get(lib.obj(config), field, "")
	value != ""
	msg := sprintf("IPAM.Config %s %s is not allowed: the host would route the addresses in it to this network, ahead of its own routes (its LAN neighbours, the cloud's metadata service); leave the subnet to the daemon", [field, value])
}

deny contains msg if {
	some config in lib.list(object.get(lib.obj(body.IPAM), "Config", []))
	some name, _ in object.get(lib.obj(config), "AuxiliaryAddresses", {})
	msg := sprintf("IPAM.Config AuxiliaryAddresses %s is not allowed: it names addresses of the network's subnet, which the daemon chooses", [name])
}

deny contains "an ingress network is not allowed: it would carry every published port of the swarm" if {
	body.Ingress == true
}

deny contains "a network from another network's configuration (ConfigFrom, ConfigOnly) is not allowed: configuration networks carry the host interfaces macvlan and ipvlan use" if {
	body.ConfigOnly == true
}

deny contains "a network from another network's configuration (ConfigFrom, ConfigOnly) is not allowed: configuration networks carry the host interfaces macvlan and ipvlan use" if {
	body.ConfigFrom.Network != ""
}
