package e2e

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"
)

// daemonState is what an attack must not change: every container (and its
// exec instances), service, volume, network (and the containers on it),
// image and tag the daemon holds.
type daemonState struct {
	containers, services, volumes, networks, images []string
}

func snapshot(t *testing.T) daemonState {
	t.Helper()
	ctx := context.Background()
	var s daemonState
	cs, err := docker.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		st, err := docker.ContainerInspect(ctx, c.ID)
		if err != nil {
			continue // removed meanwhile by AutoRemove
		}
		s.containers = append(s.containers, c.ID+" execs="+strings.Join(st.ExecIDs, ","))
	}
	if info, err := docker.Info(ctx); err == nil && info.Swarm.LocalNodeState == swarm.LocalNodeStateActive {
		svcs, err := docker.ServiceList(ctx, swarm.ServiceListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range svcs {
			s.services = append(s.services, svc.ID)
		}
	}
	vols, err := docker.VolumeList(ctx, volume.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vols.Volumes {
		s.volumes = append(s.volumes, v.Name)
	}
	nets, err := docker.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		if n.Ingress || n.Name == "docker_gwbridge" {
			// Swarm's own plumbing, made and joined in the background
			// after a swarm init.
			continue
		}
		attached, err := docker.NetworkInspect(ctx, n.ID, network.InspectOptions{})
		if err != nil {
			continue // removed meanwhile
		}
		ids := make([]string, 0, len(attached.Containers))
		for id := range attached.Containers {
			if len(id) == 64 { // a container; swarm's load balancer endpoints are named otherwise
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		s.networks = append(s.networks, n.ID+" "+n.Name+" containers="+strings.Join(ids, ","))
	}
	imgs, err := docker.ImageList(ctx, image.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		tags := append([]string{}, img.RepoTags...)
		sort.Strings(tags)
		s.images = append(s.images, img.ID+" "+strings.Join(tags, ","))
	}
	for _, l := range [][]string{s.containers, s.services, s.volumes, s.networks, s.images} {
		sort.Strings(l)
	}
	return s
}

// assertUnchanged fails the test when the daemon's state moved.
func assertUnchanged(t *testing.T, before, after daemonState) {
	t.Helper()
	for _, d := range []struct {
		what    string
		was, is []string
	}{
		{"containers", before.containers, after.containers},
		{"services", before.services, after.services},
		{"volumes", before.volumes, after.volumes},
		{"networks", before.networks, after.networks},
		{"images", before.images, after.images},
	} {
		if strings.Join(d.was, "\n") != strings.Join(d.is, "\n") {
			t.Errorf("the daemon's %s changed:\nbefore: %v\nafter:  %v", d.what, d.was, d.is)
		}
	}
}
