package main

import (
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
