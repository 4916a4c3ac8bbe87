package xcsproxy.rules.networks_test

import data.xcsproxy.rules.networks

create(body) := {"request": {"endpoint": "network.create", "body": body}}

test_a_plain_bridge_or_overlay_network_is_allowed if {
	every body in [{"Name": "n"}, {"Name": "n", "Driver": "bridge", "Internal": true, "Options": {}}, {"Name": "n", "Driver": "overlay", "Attachable": true, "IPAM": {"Driver": "default", "Config": null, "Options": null}}, {"Name": "n", "IPAM": {"Config": [{"Subnet": "", "IPRange": "", "Gateway": "", "AuxiliaryAddresses": null}]}}] {
		count(networks.deny) == 0 with input as create(body)
	}
}

test_a_network_on_the_hosts_own_network_is_denied if {
	every driver in ["macvlan", "ipvlan", "host", "some/plugin"] {
		count(networks.deny) == 1 with input as create({"Name": "n", "Driver": driver})
	}
}

test_driver_options_are_denied_by_name if {
	networks.deny == {"network option com.docker.network.bridge.name is not allowed: driver options choose the host's interfaces and bridges a network uses"} with input as create({"Name": "n", "Options": {"com.docker.network.bridge.name": "docker0"}})
}

test_an_ipam_plugin_an_ingress_network_and_configuration_networks_are_denied if {
	every body in [{"IPAM": {"Driver": "plugin"}}, {"Driver": "overlay", "Ingress": true}, {"ConfigOnly": true}, {"ConfigFrom": {"Network": "lan"}}] {
		count(networks.deny) == 1 with input as create(body)
	}
}

test_a_chosen_subnet_is_denied_on_any_driver if {
	networks.deny == {"IPAM.Config Subnet 192.0.2.48/29 is not allowed: the host would route the addresses in it to this network, ahead of its own routes (its LAN neighbours, the cloud's metadata service); leave the subnet to the daemon"} with input as create({"Name": "n", "IPAM": {"Config": [{"Subnet": "192.0.2.48/29"}]}})
	every config in [{"IPRange": "169.254.169.0/24"}, {"Gateway": "10.0.0.1"}, {"AuxiliaryAddresses": {"db": "10.0.0.5"}}] {
		count(networks.deny) == 1 with input as create({"Name": "n", "Driver": "overlay", "IPAM": {"Config": [config]}})
	}
}
