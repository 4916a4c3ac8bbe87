package main

import (
	"slices"
	"strings"
	"testing"
)

func TestDaemonNotesNameWhatTheDaemonsConfigurationMeansForThePolicy(t *testing.T) {
	plain := daemonInfo{DefaultRuntime: "runc", SecurityOptions: []string{"name=apparmor", "name=seccomp,profile=default"}}
	nvidia := plain
	nvidia.DefaultRuntime = "nvidia"
	remapped := plain
	remapped.SecurityOptions = append([]string{"name=userns"}, plain.SecurityOptions...)
	swarm := plain
	swarm.Swarm.LocalNodeState, swarm.Swarm.Nodes = "active", 3
	single := plain
	single.Swarm.LocalNodeState, single.Swarm.Nodes = "active", 1
	cases := []struct {
		name string
		info daemonInfo
		api  string
		want []string // one substring per note, in order
	}{
		{"a current daemon with runc and no swarm has nothing to say", plain, "1.48", nil},
		{"nvidia as the default runtime hands out GPUs by environment", nvidia, "1.48", []string{"NVIDIA_VISIBLE_DEVICES"}},
		{"a swarm of several nodes binds other machines' paths", swarm, "1.48", []string{"the swarm has 3 nodes"}},
		{"a swarm of one node is this machine", single, "1.48", nil},
		{"remapped user namespaces make the setuid rule stricter than needed", remapped, "1.48", []string{"mounts.require_nosuid_nodev is stricter"}},
		{"an older API mounts read-only binds non-recursively", plain, "1.41", []string{"non-recursively"}},
		{"an API version that could not be read says nothing", plain, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := daemonNotes(c.info, c.api)
			if len(got) != len(c.want) {
				t.Fatalf("daemonNotes = %q, want %d notes", got, len(c.want))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("note %d = %q, want it to say %q", i, got[i], w)
				}
			}
		})
	}
}

func TestArchiveEndpointsAreFlaggedOnDaemonsBeforeTheirFix(t *testing.T) {
	cases := []struct {
		name    string
		engine  string
		allowed []string
		want    []string
	}{
		{"a Debian 20.10 daemon with docker cp allowed is flagged", "20.10.24+dfsg1", []string{"container.archive_put", "system.ping"}, []string{"container.archive_put"}},
		{"the release with the fix is not", "29.5.1", []string{"container.archive_get"}, nil},
		{"versions compare as numbers, not text", "29.10.0", []string{"container.archive_get"}, nil},
		{"the release before the fix is", "29.5.0", []string{"container.archive_stat"}, []string{"container.archive_stat"}},
		{"a policy without the endpoints passes on any daemon", "28.5.2", []string{"container.create", "system.ping"}, nil},
		{"a version doctor cannot read counts as before the fix", "master-dev", []string{"container.archive_put"}, []string{"container.archive_put"}},
		{"without the daemon's answer nothing is checked", "", []string{"container.archive_put"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := archiveFlaws(c.engine, c.allowed); !slices.Equal(got, c.want) {
				t.Fatalf("archiveFlaws(%q, %v) = %v, want %v", c.engine, c.allowed, got, c.want)
			}
		})
	}
}

func TestListeningPortsAreReadFromTheKernelsTables(t *testing.T) {
	const table = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 2214 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2300 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1538 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   106        0 2400 1 0000000000000000 20 4 30 10 -1
   3: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1800 1 0000000000000000 100 0 0 10 0
`
	got := parseListening(table)
	if want := []int{5432, 8080, 22}; !slices.Equal(got, want) {
		t.Fatalf("listening ports %v, want %v (an established connection is not one)", got, want)
	}
}
