package proxy

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/docker/docker/api/types/registry"
)

// registryHost matches what a registry address may name once parsed: a host
// name or IPv4 address, or a bracketed IPv6 address, with an optional port.
// Anything else (a percent-escape, an empty host) has no registry an
// images.allow pattern could name.
var registryHost = regexp.MustCompile(`^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?)(:[0-9]+)?$`)

// dockerHubHosts are the names under which the daemon logs in to Docker
// Hub; images.allow names Hub images docker.io/..., so all of them are
// docker.io to the policy.
var dockerHubHosts = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// registryFacts says which registry a login check (POST /auth) would make
// the daemon contact. The daemon itself sends a request there, to /v2/ and
// then to whatever token realm that server names, with the credentials
// given: any host the daemon can reach, which makes /auth a way to scan
// and call services behind the firewall.
//
// The host is found as the daemon finds it (an address without a scheme
// gets https://, and the URL's host is the registry), so the policy judges
// the host the daemon will call. An address with a user name or password in
// it is refused outright: a URL parser may read such an address differently
// from a person, and the credentials belong in username and password. Only
// the host is kept in the facts; the address could hold a password.
func registryFacts(ac *registry.AuthConfig) map[string]any {
	if ac == nil || ac.ServerAddress == "" {
		return hostFacts("docker.io", "")
	}
	address := ac.ServerAddress
	if !strings.HasPrefix(address, "https://") && !strings.HasPrefix(address, "http://") {
		address = "https://" + address
	}
	u, err := url.Parse(address)
	switch {
	case err != nil:
		return hostFacts("", "the server address is not a URL the daemon can read")
	case u.User != nil:
		return hostFacts("", "the server address carries a user name or password; give them as username and password instead")
	}
	return registryHostFacts(u.Host, "the server address names no registry host")
}

// registryHostFacts names the registry at host as the policy matches it:
// in lower case, and docker.io for any of Docker Hub's names; or, for a
// host no images.allow pattern could name, the problem.
func registryHostFacts(host, problem string) map[string]any {
	if !registryHost.MatchString(host) {
		return hostFacts("", problem)
	}
	host = strings.ToLower(host)
	if dockerHubHosts[host] {
		host = "docker.io"
	}
	return hostFacts(host, "")
}

// hostFacts is the registry facts' shape: the host, or the problem.
func hostFacts(host, problem string) map[string]any {
	return map[string]any{"host": host, "error": problem}
}

// searchRegistryFacts says which registry an image search (GET
// /images/search) would make the daemon contact: the part of the term before
// its first slash when that looks like a host (it has a dot or a colon, or
// is localhost), as the daemon reads it, and Docker Hub otherwise.
func searchRegistryFacts(term string) map[string]any {
	host, _, found := strings.Cut(term, "/")
	if !found || (!strings.ContainsAny(host, ".:") && host != "localhost") {
		host = "docker.io"
	}
	return registryHostFacts(host, "the search term names no registry host")
}
