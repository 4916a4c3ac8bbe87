# Provenance: images made on this host (commits, imports, loads, builds) and
# the names given to images. The Container Service makes none and names none;
# these rules judge the endpoints a site may allow for that
# (endpoints.allow_extra).
#
# A name is what images.allow trusts and what other software on the host
# runs by. An image made here holds what no registry vouches for: a job's
# files, an uploaded archive, the steps of a Dockerfile. Under a name
# images.allow matches, every job from that name would run it as a vetted
# tool; under any other name, so might whatever else on the host runs by it
# (another application's database image, say). So a made image gets no name
# here, and a retag gives only names images.allow matches to images it
# allows.
package xcsproxy.rules.provenance

import data.xcsproxy.rules.images

# The endpoints this module judges (decision.rego runs it only for these).
applies_to := {"image.tag", "image.commit", "image.import", "image.load", "image.build"}

made := {"image.commit", "image.import", "image.build"}

deny contains msg if {
	input.request.endpoint in applies_to
	some n in input.new_images
	n.ref == ""
	msg := sprintf("%s: %q is not a name the daemon would give an image as written (a repository, and a tag but no digest)", [input.request.endpoint, n.requested])
}

deny contains msg if {
	input.request.endpoint in made
	some n in input.new_images
	n.ref != ""
	msg := sprintf("%s naming the image %s is not allowed: an image made here holds what no registry vouches for, and under a name a job or other software on the host would run it; make it without a name", [input.request.endpoint, n.ref])
}

deny contains msg if {
	input.request.endpoint == "image.tag"
	some n in input.new_images
	n.ref != ""
	not images.allowed_ref(n.ref)
	msg := sprintf("image.tag to %s is not allowed: only names images.allow matches may be given here, any other may be what other software on the host runs", [n.ref])
}

# The names of a load are inside the archive, which the daemon reads after
# the decision: none of them could be judged.
deny contains "image.load is not allowed: the image names are inside the archive, where xcsproxy cannot judge them before the daemon applies them; load images on the host as its administrator" if {
	input.request.endpoint == "image.load"
}

# A build's Dockerfile is inside the archive too. Its FROM lines (and a
# syntax directive's frontend) have the daemon run images images.allow never
# judged: pulled from any registry at any address, behind the firewall too,
# or another application's image on this host, whose files the steps' output
# then streams back to the client.
deny contains "image.build is not allowed: the images its Dockerfile runs (FROM, a syntax frontend) are named inside the archive, where xcsproxy cannot judge them before the daemon pulls and runs them; build images elsewhere and pull them from a registry images.allow names" if {
	input.request.endpoint == "image.build"
}

# An import from a URL, and a build from a remote context, have the daemon
# fetch any address, behind the firewall too (a git remote runs git on the
# host).
deny contains msg if {
	input.request.endpoint == "image.import"
	some src in object.get(input.request.query, "fromSrc", [])
	src != "-"
	msg := sprintf("image.import from %s is not allowed: the daemon would fetch any address, behind the firewall too; send the archive in the body (fromSrc=-)", [src])
}

deny contains msg if {
	input.request.endpoint == "image.build"
	some remote in object.get(input.request.query, "remote", [])
	remote != ""
	msg := sprintf("image.build from remote %s is not allowed: the daemon would fetch any address, behind the firewall too, or run git on the host; send the context in the body", [remote])
}

# A build's steps run in containers the daemon makes itself, which no create
# rule judges and no default hardens: they keep Docker's default
# capabilities, NET_RAW among them, with which a step on the jobs' bridge
# could forge ARP and DNS answers to the jobs there and read the XNAT tokens
# they send (the reason every job drops NET_RAW). So a build has no network.
deny contains "image.build is allowed only with networkmode=none: its steps keep Docker's default capabilities (NET_RAW among them), with which on a network they could forge ARP and DNS answers to the jobs there" if {
	input.request.endpoint == "image.build"
	object.get(input.request.query, "networkmode", []) != ["none"]
}

deny contains msg if {
	input.request.endpoint == "image.build"
	some parent in object.get(input.request.query, "cgroupparent", [])
	parent != ""
	msg := sprintf("image.build with cgroupparent %s is not allowed: its steps would run outside the limits set for containers", [parent])
}
