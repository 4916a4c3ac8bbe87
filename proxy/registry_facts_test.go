package proxy

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/registry"
)

func TestRegistryFactsNameTheHostTheDaemonWouldCall(t *testing.T) {
	cases := []struct {
		name, address, host string
		refused             bool
	}{
		{"no address is Docker Hub", "", "docker.io", false},
		{"Docker Hub's index URL is docker.io", "https://index.docker.io/v1/", "docker.io", false},
		{"Docker Hub's registry host is docker.io", "registry-1.docker.io", "docker.io", false},
		{"a bare host is that host", "registry.example.org", "registry.example.org", false},
		{"a host keeps its port", "registry.example.org:5000", "registry.example.org:5000", false},
		{"a path after the host does not matter", "http://registry.example.org/v2/anything", "registry.example.org", false},
		{"a host is matched in lower case", "Registry.Example.ORG", "registry.example.org", false},
		{"an IPv6 address keeps its brackets", "[::1]:5000", "[::1]:5000", false},
		{"an address with a user name is refused", "https://docker.io@127.0.0.1:2375", "", true},
		{"an address with a password is refused", "user:secret@registry.example.org", "", true},
		{"an address without a host is refused", "https:///v2/", "", true},
		{"a percent-escaped host is refused", "https://127%2e0.0.1/", "", true},
		{"an upper-case scheme is a host to the daemon, and none to xcsproxy", "HTTPS://registry.example.org", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			facts := registryFacts(&registry.AuthConfig{ServerAddress: c.address})
			if got := facts["host"]; got != c.host {
				t.Errorf("host = %q, want %q", got, c.host)
			}
			if refused := facts["error"] != ""; refused != c.refused {
				t.Errorf("error = %q, want refused %v", facts["error"], c.refused)
			}
			for k, v := range facts {
				if s, _ := v.(string); strings.Contains(s, "secret") {
					t.Errorf("the address's password reached the facts: %s = %q", k, s)
				}
			}
		})
	}
}

func TestSearchRegistryFactsNameTheRegistryTheDaemonWouldSearch(t *testing.T) {
	cases := []struct {
		name, term, host string
		refused          bool
	}{
		{"a bare word is searched on Docker Hub", "dcm2niix", "docker.io", false},
		{"a user's repository is searched on Docker Hub", "xnat/dcm2niix", "docker.io", false},
		{"a first part with a dot is a registry", "registry.example.org/neuro/x", "registry.example.org", false},
		{"a first part with a port is a registry", "10.0.0.1:5000/x", "10.0.0.1:5000", false},
		{"localhost is a registry", "localhost/x", "localhost", false},
		{"a registry is matched in lower case", "Registry.Example.ORG/x", "registry.example.org", false},
		{"Docker Hub's index is docker.io", "index.docker.io/x", "docker.io", false},
		{"a first part that is no host is refused", "a..b:x/y", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			facts := searchRegistryFacts(c.term)
			if got := facts["host"]; got != c.host {
				t.Errorf("host = %q, want %q", got, c.host)
			}
			if refused := facts["error"] != ""; refused != c.refused {
				t.Errorf("error = %q, want refused %v", facts["error"], c.refused)
			}
		})
	}
}
