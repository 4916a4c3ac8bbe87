package xcsproxy.rules.networks_test

import data.xcsproxy.rules.networks

create(body) := {"request": {"endpoint": "network.create", "body": body}}

test_a_plain_bridge_or_overlay_network_is_allowed if {
	every body in [{"Name": "n"}, {"Name": "n", "Driver": "bridge", "Internal": true, "Options": {}}, {"Name": "n", "Driver": "overlay", "Attachable": true, "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.9.0.0/24"}]}}] {
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
