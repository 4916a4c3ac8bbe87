package xcsproxy.rules.provenance_test

import data.xcsproxy.rules.provenance

cfg := {"images": {"allow": ["docker.io/xnat/*"]}}

request(endpoint, query, names) := {
	"request": {"endpoint": endpoint, "query": query},
	"new_images": names,
}

name(requested, ref) := {"requested": requested, "ref": ref}

test_a_retag_to_a_name_images_allow_matches_is_allowed if {
	count(provenance.deny) == 0 with input as request("image.tag", {"repo": ["xnat/tool"], "tag": ["2"]}, [name("xnat/tool:2", "docker.io/xnat/tool:2")]) with data.config as cfg
}

test_a_retag_to_another_applications_image_name_is_denied if {
	provenance.deny == {"image.tag to docker.io/library/postgres:13 is not allowed: only names images.allow matches may be given here, any other may be what other software on the host runs"} with input as request("image.tag", {"repo": ["postgres"], "tag": ["13"]}, [name("postgres:13", "docker.io/library/postgres:13")]) with data.config as cfg
}

test_a_retag_without_a_name_the_daemon_would_take_is_denied if {
	some msg in provenance.deny with input as request("image.tag", {}, [name("", "")]) with data.config as cfg
	contains(msg, "is not a name the daemon would give an image")
}

test_an_image_made_without_a_name_is_allowed if {
	every e in provenance.made - {"image.build"} {
		count(provenance.deny) == 0 with input as request(e, {"fromSrc": ["-"], "networkmode": ["none"]}, []) with data.config as cfg
	}
}

test_an_image_made_under_a_name_images_allow_matches_is_denied if {
	every e in provenance.made {
		provenance.deny - {build_refused} == {sprintf("%s naming the image docker.io/xnat/tool:latest is not allowed: an image made here holds what no registry vouches for, and under a name a job or other software on the host would run it; make it without a name", [e])} with input as request(e, {"fromSrc": ["-"], "networkmode": ["none"]}, [name("xnat/tool", "docker.io/xnat/tool:latest")]) with data.config as cfg
	}
}

test_an_image_made_under_any_other_name_is_denied_too if {
	every e in provenance.made {
		count(provenance.deny - {build_refused}) == 1 with input as request(e, {"fromSrc": ["-"], "networkmode": ["none"]}, [name("postgres:13", "docker.io/library/postgres:13")]) with data.config as cfg
	}
}

test_every_name_of_a_build_is_judged if {
	count(provenance.deny - {build_refused}) == 2 with input as request("image.build", {"networkmode": ["none"]}, [name("a", "docker.io/library/a:latest"), name("b@sha256:x", "")]) with data.config as cfg
}

test_a_load_is_denied if {
	some msg in provenance.deny with input as request("image.load", {}, null)
	startswith(msg, "image.load is not allowed")
}

test_an_import_from_a_url_is_denied if {
	provenance.deny == {"image.import from http://10.0.0.1/x.tar is not allowed: the daemon would fetch any address, behind the firewall too; send the archive in the body (fromSrc=-)"} with input as request("image.import", {"fromSrc": ["http://10.0.0.1/x.tar"]}, []) with data.config as cfg
}

test_a_build_from_a_remote_context_is_denied if {
	count(provenance.deny - {build_refused}) == 1 with input as request("image.build", {"remote": ["git://10.0.0.1/x"], "networkmode": ["none"]}, []) with data.config as cfg
}

build_refused := "image.build is not allowed: the images its Dockerfile runs (FROM, a syntax frontend) are named inside the archive, where xcsproxy cannot judge them before the daemon pulls and runs them; build images elsewhere and pull them from a registry images.allow names"

test_a_build_is_refused_even_without_a_network_or_a_name if {
	provenance.deny == {build_refused} with input as request("image.build", {"networkmode": ["none"]}, []) with data.config as cfg
}

test_a_build_on_any_network_is_denied if {
	every query in [{}, {"networkmode": [""]}, {"networkmode": ["default"]}, {"networkmode": ["bridge"]}, {"networkmode": ["host"]}, {"networkmode": ["container:db"]}, {"networkmode": ["none", "host"]}] {
		count(provenance.deny - {build_refused}) == 1 with input as request("image.build", query, []) with data.config as cfg
	}
}

test_a_build_under_another_cgroup_parent_is_denied if {
	count(provenance.deny - {build_refused}) == 1 with input as request("image.build", {"cgroupparent": ["/"], "networkmode": ["none"]}, []) with data.config as cfg
}
