package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
)

func TestARecreatedNameDoesNotInheritTheOldAnswer(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, time.Minute)
	name := fmt.Sprintf("xcs-reused-%d", time.Now().UnixNano())
	if _, errOut, err := p.cli(ctx, "", "create", "--name", name, "--label", testLabel+"=reuse", testImage, "sleep", "30"); err != nil {
		t.Fatalf("docker create: %v\n%s", err, errOut)
	}
	if _, errOut, err := p.cli(ctx, "", "inspect", name); err != nil {
		t.Fatalf("inspecting the managed container: %v\n%s", err, errOut)
	}
	if _, errOut, err := p.cli(ctx, "", "rm", name); err != nil {
		t.Fatalf("docker rm: %v\n%s", err, errOut)
	}
	// The same name, now an unmanaged container made on the daemon directly.
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"sleep", "30"}, Labels: map[string]string{testLabel: "reuse"}}, nil, nil, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	defer docker.ContainerRemove(ctx, c.ID, containerRemoveForce())
	status, msg := send(t, p.HTTP(), attack{method: "GET", path: "/containers/" + name + "/json"})
	if status != http.StatusForbidden || !strings.Contains(msg, "not created through xcsproxy") {
		t.Fatalf("inspect of the recreated unmanaged %s: %d %q, want 403", name, status, msg)
	}
}

func TestEventsThroughXcsproxyShowOnlyManagedContainers(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, time.Minute)
	cmd := exec.CommandContext(ctx, "docker", "events", "--filter", "type=container", "--filter", "event=create", "--format", "{{.Actor.Attributes.name}}")
	cmd.Env = append(cmd.Environ(), "DOCKER_HOST=unix://"+p.Sock)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(300 * time.Millisecond)
	stamp := time.Now().UnixNano()
	unmanaged := fmt.Sprintf("xcs-ev-unmanaged-%d", stamp)
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"echo"}, Labels: map[string]string{testLabel: "events"}}, nil, nil, nil, unmanaged)
	if err != nil {
		t.Fatal(err)
	}
	defer docker.ContainerRemove(ctx, c.ID, containerRemoveForce())
	managed := fmt.Sprintf("xcs-ev-managed-%d", stamp)
	if _, errOut, err := p.cli(ctx, "", "create", "--name", managed, "--label", testLabel+"=events", testImage, "echo"); err != nil {
		t.Fatalf("docker create: %v\n%s", err, errOut)
	}
	defer docker.ContainerRemove(ctx, managed, containerRemoveForce())
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == unmanaged {
			t.Fatalf("docker events through xcsproxy showed the unmanaged container %s", unmanaged)
		}
		if sc.Text() == managed {
			return // the managed create arrived after the unmanaged one was skipped
		}
	}
	t.Fatal("the managed container's create event never arrived")
}

func TestEditingConfigYAMLTakesEffectWithoutARestart(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	const other = "xcsproxy-other/tool:latest"
	if err := importImage(ctx, other, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ImageRemove(ctxFor(t, time.Minute), other, imageRemoveForce()) })
	dir := policyDir(t, testConfig())
	p := startProxy(t, "--policies", dir)
	body := fmt.Sprintf(`{"Image":%q,"Cmd":["echo","x"],"Labels":{%q:"config-edit"}}`, other, testLabel)
	if status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/create", body: body}); status != http.StatusForbidden {
		t.Fatalf("create of %s before the edit: %d %q, want 403", other, status, msg)
	}
	edited := strings.Replace(testConfig(), "allow: [docker.io/xcsproxy-e2e/*", "allow: [docker.io/xcsproxy-other/*, docker.io/xcsproxy-e2e/*", 1)
	writeFile(t, filepath.Join(dir, "config.yaml"), edited)
	waitFor(t, 2*time.Second, "the new image pattern to take effect", func() bool {
		status, _ := send(t, p.HTTP(), attack{method: "POST", path: "/containers/create", body: body})
		return status == http.StatusCreated
	})
}

// Networks and volumes are refused unless a site allows their endpoints. A
// site that does (endpoints.allow_extra) gets them under the rule that
// holds for containers: clients reach only what xcsproxy created, and a
// container joins or leaves a network only if it is xcsproxy's too.
func TestAllowedNetworkAndVolumeEndpointsReachOnlyWhatXcsproxyCreated(t *testing.T) {
	p := startProxy(t, "--policies", policyDir(t, testConfig(
		"network.list", "network.create", "network.inspect", "network.remove", "network.connect", "network.disconnect", "network.prune",
		"volume.list", "volume.create", "volume.inspect", "volume.remove", "volume.prune")))
	ctx := ctxFor(t, 2*time.Minute)
	theirNet, theirVol, theirs := otherAppsNetwork(t), otherAppsVolume(t), unmanagedContainer(t)
	stamp := time.Now().UnixNano()
	ourNet, ourVol := fmt.Sprintf("xcs-ours-net-%d", stamp), fmt.Sprintf("xcs-ours-data-%d", stamp)
	for _, args := range [][]string{{"network", "create", ourNet}, {"volume", "create", ourVol}} {
		if _, errOut, err := p.cli(ctx, "", args...); err != nil {
			t.Fatalf("docker %v through xcsproxy: %v\n%s", args, err, errOut)
		}
	}
	t.Cleanup(func() {
		// Whatever a failed attack connected to it goes first, or the
		// network outlives the test.
		if n, err := docker.NetworkInspect(ctxFor(t, time.Minute), ourNet, network.InspectOptions{}); err == nil {
			for id := range n.Containers {
				docker.NetworkDisconnect(ctxFor(t, time.Minute), ourNet, id, true)
			}
		}
		docker.NetworkRemove(ctxFor(t, time.Minute), ourNet)
		docker.VolumeRemove(ctxFor(t, time.Minute), ourVol, true)
	})
	netInfo, err := docker.NetworkInspect(ctx, ourNet, network.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	volInfo, err := docker.VolumeInspect(ctx, ourVol)
	if err != nil {
		t.Fatal(err)
	}
	if netInfo.Labels["org.xcsproxy.managed"] != "true" || volInfo.Labels["org.xcsproxy.managed"] != "true" {
		t.Fatalf("what xcsproxy created is not stamped: network labels %v, volume labels %v", netInfo.Labels, volInfo.Labels)
	}
	job := createThroughProxy(t, p, createBody(`{}`))

	// The control, straight on the daemon: a network may be made of a
	// bridge the host already has, one on the host's LAN say, for jobs to
	// join. A scratch bridge here: made of docker0 and removed, such a
	// network took the default bridge away from every container after it
	// on this daemon, until dockerd restarted.
	hostBridge := fmt.Sprintf("xcsbr%d", stamp%100000)
	if out, err := exec.Command("ip", "link", "add", hostBridge, "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("control: making a host bridge (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", hostBridge).Run() })
	bridged, err := docker.NetworkCreate(ctx, fmt.Sprintf("xcs-bridged-control-%d", stamp), network.CreateOptions{Options: map[string]string{"com.docker.network.bridge.name": hostBridge}})
	if err != nil {
		t.Fatalf("control: %v", err)
	}
	docker.NetworkRemove(ctx, bridged.ID)
	// The control, straight on the daemon: a network on a subnet of the
	// client's choosing takes the host's own route to the addresses in it.
	// TEST-NET-2 here, where no host lives; a subnet inside the host's LAN,
	// or 169.254.169.0/24, takes the host's traffic to a neighbour there, or
	// to the cloud's metadata service, the same way.
	const routed, inside = "198.51.100.0/24", "198.51.100.7"
	if dev := routeDevice(t, inside); strings.HasPrefix(dev, "br-") {
		t.Fatalf("control: the host already routes %s to a Docker network (%s)", inside, dev)
	}
	chosen, err := docker.NetworkCreate(ctx, fmt.Sprintf("xcs-routed-control-%d", stamp), network.CreateOptions{IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: routed}}}})
	if err != nil {
		t.Fatalf("control: %v", err)
	}
	dev := routeDevice(t, inside)
	docker.NetworkRemove(ctx, chosen.ID)
	// The control, straight on the daemon: a configuration network is made,
	// and a network from it (with macvlan, the host interface comes so).
	configOnly := fmt.Sprintf("xcs-config-control-%d", stamp)
	if _, err := docker.NetworkCreate(ctx, configOnly, network.CreateOptions{ConfigOnly: true}); err != nil {
		t.Fatalf("control: a configuration network: %v", err)
	}
	t.Cleanup(func() { docker.NetworkRemove(context.Background(), configOnly) })
	fromConfig, err := docker.NetworkCreate(ctx, fmt.Sprintf("xcs-from-control-%d", stamp), network.CreateOptions{ConfigFrom: &network.ConfigReference{Network: configOnly}})
	if err != nil {
		t.Fatalf("control: a network from a configuration network: %v", err)
	}
	docker.NetworkRemove(ctx, fromConfig.ID)
	if dev != "br-"+chosen.ID[:12] {
		t.Fatalf("control: with a network on %s the host routes %s through %s, not the network's bridge", routed, inside, dev)
	}

	theirNetID, err := docker.NetworkInspect(ctx, theirNet, network.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	notOurs := "was not created through xcsproxy"
	runAttacks(t, p, []attack{
		{name: "removing another application's network", method: "DELETE", path: "/networks/" + theirNet, reason: notOurs},
		{name: "removing it by a prefix of its id", method: "DELETE", path: "/networks/" + theirNetID.ID[:12], reason: notOurs},
		{name: "inspecting another application's volume", method: "GET", path: "/volumes/" + theirVol, reason: notOurs},
		{name: "removing another application's volume", method: "DELETE", path: "/volumes/" + theirVol, reason: notOurs},
		{name: "connecting xcsproxy's job to another application's network", method: "POST", path: "/networks/" + theirNet + "/connect",
			body: fmt.Sprintf(`{"Container":%q}`, job), reason: notOurs},
		{name: "connecting another application's container to xcsproxy's network", method: "POST", path: "/networks/" + ourNet + "/connect",
			body: fmt.Sprintf(`{"Container":%q}`, theirs), reason: "only allowed for containers xcsproxy created"},
		{name: "connecting xcsproxy's job to its network under another job's alias", method: "POST", path: "/networks/" + ourNet + "/connect",
			body: fmt.Sprintf(`{"Container":%q,"EndpointConfig":{"Aliases":["db"]}}`, job), reason: "alias db is not allowed"},
		{name: "connecting xcsproxy's job to its network with driver options for its interface", method: "POST", path: "/networks/" + ourNet + "/connect",
			body: fmt.Sprintf(`{"Container":%q,"EndpointConfig":{"DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.forwarding=1"}}}`, job), reason: "DriverOpts are not allowed"},
		{name: "making a network on the host's own network, for a job to join", method: "POST", path: "/networks/create",
			body: fmt.Sprintf(`{"Name":"xcs-lan-%d","Driver":"macvlan","Options":{"parent":"eth0"}}`, stamp), reason: "network driver macvlan is not allowed"},
		{name: "making a network of a bridge the host has", method: "POST", path: "/networks/create",
			body: fmt.Sprintf(`{"Name":"xcs-docker0-%d","Options":{"com.docker.network.bridge.name":"docker0"}}`, stamp), reason: "network option com.docker.network.bridge.name is not allowed"},
		{name: "making a network on a subnet that takes the host's route to the addresses in it", method: "POST", path: "/networks/create",
			body: fmt.Sprintf(`{"Name":"xcs-routed-%d","IPAM":{"Config":[{"Subnet":%q}]}}`, stamp, routed), reason: "IPAM.Config Subnet " + routed + " is not allowed"},
		{name: "making a configuration network, which carries the host interface macvlan uses", method: "POST", path: "/networks/create",
			body: fmt.Sprintf(`{"Name":"xcs-config-%d","ConfigOnly":true}`, stamp), reason: "configuration networks carry the host interfaces"},
		{name: "making a network from another network's configuration", method: "POST", path: "/networks/create",
			body: fmt.Sprintf(`{"Name":"xcs-from-%d","ConfigFrom":{"Network":%q}}`, stamp, configOnly), reason: "configuration networks carry the host interfaces"},
		{name: "making a network whose addresses an IPAM plugin hands out", method: "POST", path: "/networks/create",
			body: fmt.Sprintf(`{"Name":"xcs-ipam-%d","IPAM":{"Driver":"some-plugin"}}`, stamp), reason: "IPAM driver some-plugin is not allowed"},
	})
	for _, name := range []string{"xcs-config-", "xcs-from-", "xcs-ipam-"} {
		if _, err := docker.NetworkInspect(ctx, fmt.Sprint(name, stamp), network.InspectOptions{}); err == nil {
			t.Errorf("the refused network %s%d exists", name, stamp)
		}
	}
	if dev := routeDevice(t, inside); strings.HasPrefix(dev, "br-") {
		t.Errorf("after the refused network the host routes %s through %s", inside, dev)
	}
	if c, err := docker.ContainerInspect(ctx, job); err != nil || c.NetworkSettings.Networks[ourNet] != nil {
		t.Errorf("after the refused connections the job is on xcsproxy's network (inspect error %v)", err)
	}
	if status, msg := send(t, p.HTTP(), attack{method: "DELETE", path: "/volumes/xcs-never-made"}); status != http.StatusNotFound || msg != "xcsproxy: No such volume: xcs-never-made" {
		t.Errorf("removing a volume that does not exist: %d %q; want 404 naming it", status, msg)
	}

	// Its own job joins and leaves its own network.
	for _, verb := range []string{"connect", "disconnect"} {
		if _, errOut, err := p.cli(ctx, "", "network", verb, ourNet, job); err != nil {
			t.Fatalf("docker network %s through xcsproxy: %v\n%s", verb, err, errOut)
		}
		c, err := docker.ContainerInspect(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if _, on := c.NetworkSettings.Networks[ourNet]; on != (verb == "connect") {
			t.Errorf("after docker network %s the job is on the network: %v", verb, on)
		}
	}

	// Lists show only what xcsproxy created.
	for _, args := range [][]string{{"network", "ls", "--format", "{{.Name}}"}, {"volume", "ls", "--format", "{{.Name}}"}} {
		out, errOut, err := p.cli(ctx, "", args...)
		if err != nil {
			t.Fatalf("docker %v through xcsproxy: %v\n%s", args, err, errOut)
		}
		if strings.Contains(out, theirNet) || strings.Contains(out, theirVol) || !(strings.Contains(out, ourNet) || strings.Contains(out, ourVol)) {
			t.Errorf("docker %v through xcsproxy lists:\n%s\nwant ours and not the other application's", args, out)
		}
	}

	// The control, straight on the daemon: a prune removes unused networks
	// and volumes whoever made them (here narrowed by a label to a pair
	// made for it, so the test does not prune the host).
	control := fmt.Sprintf("%d", stamp)
	controlNet, controlVol := "xcs-prune-control-net-"+control, "xcs-prune-control-data-"+control
	if _, err := docker.NetworkCreate(ctx, controlNet, network.CreateOptions{Labels: map[string]string{"xcs-prune-control": control}}); err != nil {
		t.Fatal(err)
	}
	if _, err := docker.VolumeCreate(ctx, volume.CreateOptions{Name: controlVol, Labels: map[string]string{"xcs-prune-control": control}}); err != nil {
		t.Fatal(err)
	}
	controlFilter := filters.NewArgs(filters.Arg("label", "xcs-prune-control="+control))
	if _, err := docker.NetworksPrune(ctx, controlFilter); err != nil {
		t.Fatal(err)
	}
	if _, err := docker.VolumesPrune(ctx, controlFilter); err != nil {
		t.Fatal(err)
	}
	_, netErr := docker.NetworkInspect(ctx, controlNet, network.InspectOptions{})
	_, volErr := docker.VolumeInspect(ctx, controlVol)
	if netErr == nil || volErr == nil {
		t.Fatalf("control: a prune on the daemon left the unused network (%v) or volume (%v)", netErr, volErr)
	}
	// Through xcsproxy, a prune removes only what xcsproxy made.
	for _, args := range [][]string{{"network", "prune", "--force"}, {"volume", "prune", "--force"}} {
		if _, errOut, err := p.cli(ctx, "", args...); err != nil {
			t.Fatalf("docker %v through xcsproxy: %v\n%s", args, err, errOut)
		}
	}
	if _, err := docker.NetworkInspect(ctx, theirNet, network.InspectOptions{}); err != nil {
		t.Errorf("another application's unused network is gone after a prune through xcsproxy: %v", err)
	}
	if _, err := docker.VolumeInspect(ctx, theirVol); err != nil {
		t.Errorf("another application's unused volume is gone after a prune through xcsproxy: %v", err)
	}
	if _, err := docker.NetworkInspect(ctx, ourNet, network.InspectOptions{}); err == nil {
		t.Errorf("xcsproxy's own unused network survived a prune through xcsproxy")
	}
	if _, err := docker.VolumeInspect(ctx, ourVol); err == nil {
		t.Errorf("xcsproxy's own unused volume survived a prune through xcsproxy")
	}
}

// The same holds for swarm secrets and configs: another stack's are out of
// reach, even to a client that would relabel them as xcsproxy's.
func TestAllowedSecretAndConfigEndpointsReachOnlyWhatXcsproxyCreated(t *testing.T) {
	joinSwarm(t)
	p := startProxy(t, "--policies", policyDir(t, testConfig(
		"secret.list", "secret.create", "secret.inspect", "secret.update", "secret.remove",
		"config.list", "config.create", "config.inspect", "config.remove")))
	ctx := ctxFor(t, 2*time.Minute)
	theirSecretID, theirSecret, theirConfigID, theirConfig := otherStacksSecretAndConfig(t)
	ours := fmt.Sprintf("xcs-ours-secret-%d", time.Now().UnixNano())
	if _, errOut, err := p.cli(ctx, "s3cr3t", "secret", "create", ours, "-"); err != nil {
		t.Fatalf("docker secret create through xcsproxy: %v\n%s", err, errOut)
	}
	t.Cleanup(func() { docker.SecretRemove(ctxFor(t, time.Minute), ours) })
	if log := readFileString(t, p.AuditLog); !strings.Contains(log, `"endpoint":"secret.create"`) ||
		strings.Contains(log, base64.StdEncoding.EncodeToString([]byte("s3cr3t"))) || strings.Contains(log, "s3cr3t") {
		t.Errorf("the audit log has no secret.create decision, or has the secret's content")
	}
	mine, _, err := docker.SecretInspectWithRaw(ctx, ours)
	if err != nil {
		t.Fatal(err)
	}
	if mine.Spec.Labels["org.xcsproxy.managed"] != "true" {
		t.Fatalf("the secret xcsproxy created is not stamped: %v", mine.Spec.Labels)
	}
	theirs, _, err := docker.SecretInspectWithRaw(ctx, theirSecretID)
	if err != nil {
		t.Fatal(err)
	}
	notOurs := "was not created through xcsproxy"
	for _, a := range []attack{
		{name: "inspecting another stack's secret", method: "GET", path: "/secrets/" + theirSecret},
		{name: "relabelling it as xcsproxy's", method: "POST", path: fmt.Sprintf("/secrets/%s/update?version=%d", theirSecretID, theirs.Version.Index),
			body: fmt.Sprintf(`{"Name":%q,"Labels":{"org.xcsproxy.managed":"true"}}`, theirSecret)},
		{name: "removing it by a prefix of its id", method: "DELETE", path: "/secrets/" + theirSecretID[:10]},
		{name: "removing another stack's config", method: "DELETE", path: "/configs/" + theirConfig},
	} {
		if status, msg := send(t, p.HTTP(), a); status != http.StatusForbidden || !strings.Contains(msg, notOurs) {
			t.Errorf("%s: %d %q; want 403 saying it %s", a.name, status, msg, notOurs)
		}
	}
	after, _, err := docker.SecretInspectWithRaw(ctx, theirSecretID)
	if err != nil {
		t.Fatalf("another stack's secret is gone: %v", err)
	}
	if after.Version.Index != theirs.Version.Index || len(after.Spec.Labels) != 0 {
		t.Errorf("another stack's secret changed: version %d to %d, labels %v", theirs.Version.Index, after.Version.Index, after.Spec.Labels)
	}
	if _, _, err := docker.ConfigInspectWithRaw(ctx, theirConfigID); err != nil {
		t.Errorf("another stack's config is gone: %v", err)
	}

	out, errOut, err := p.cli(ctx, "", "secret", "ls", "--format", "{{.Name}}")
	if err != nil {
		t.Fatalf("docker secret ls through xcsproxy: %v\n%s", err, errOut)
	}
	if strings.Contains(out, theirSecret) || !strings.Contains(out, ours) {
		t.Errorf("docker secret ls through xcsproxy lists:\n%s\nwant ours and not the other stack's", out)
	}
	if _, errOut, err := p.cli(ctx, "", "secret", "rm", ours); err != nil {
		t.Errorf("docker secret rm of its own secret through xcsproxy: %v\n%s", err, errOut)
	}
}

// A container takes its image's labels. One run straight on the daemon
// (by an admin, say) from an image that sets xcsproxy's mark would
// otherwise count as xcsproxy's.
func TestAnImageCannotMakeItsContainersXcsproxys(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	const marked = "xcsproxy-e2e/marked:latest" // under the allowed pattern
	if err := importImage(ctx, marked, map[string]string{"org.xcsproxy.managed": "true"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ImageRemove(ctxFor(t, time.Minute), marked, imageRemoveForce()) })
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: marked, Cmd: []string{"sleep", "300"}, Labels: map[string]string{testLabel: "marked"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), c.ID, containerRemoveForce()) })
	if err := docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	// The control: the container run straight on the daemon carries the mark.
	got, err := docker.ContainerInspect(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.Labels["org.xcsproxy.managed"] != "true" {
		t.Fatalf("control: the container did not take its image's label: %v", got.Config.Labels)
	}

	p := startProxy(t)
	notOurs := "was not created through xcsproxy"
	runAttacks(t, p, []attack{
		{name: "inspecting the container run from the marked image", method: "GET", path: "/containers/" + c.ID + "/json", reason: notOurs},
		{name: "killing it", method: "POST", path: "/containers/" + c.ID + "/kill", reason: notOurs},
		{name: "removing it", method: "DELETE", path: "/containers/" + c.ID + "?force=1", reason: notOurs},
		{name: "creating a job from the marked image", method: "POST", path: "/containers/create",
			body: fmt.Sprintf(`{"Image":%q,"Cmd":["sleep","30"]}`, marked), reason: "sets org.xcsproxy.managed=true"},
	})
	if after, err := docker.ContainerInspect(ctx, c.ID); err != nil || !after.State.Running {
		t.Errorf("the container run from the marked image is not running any more (inspect error %v)", err)
	}
}

// A site that allows container.prune gets it narrowed like the lists: it
// removes the stopped containers xcsproxy made, and no others.
func TestAContainerPruneThroughXcsproxyRemovesOnlyItsOwnContainers(t *testing.T) {
	p := startProxy(t, "--policies", policyDir(t, testConfig("container.prune")))
	ctx := ctxFor(t, 2*time.Minute)
	stopped := func(labels map[string]string) string {
		t.Helper()
		c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"sleep", "30"}, Labels: labels}, nil, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), c.ID, containerRemoveForce()) })
		return c.ID
	}
	// The control, straight on the daemon: a prune removes a stopped
	// container whoever made it (narrowed by a label to one made for it).
	control := fmt.Sprintf("%d", time.Now().UnixNano())
	controlID := stopped(map[string]string{testLabel: "prune", "xcs-prune-control": control})
	if _, err := docker.ContainersPrune(ctx, filters.NewArgs(filters.Arg("label", "xcs-prune-control="+control))); err != nil {
		t.Fatal(err)
	}
	if _, err := docker.ContainerInspect(ctx, controlID); err == nil {
		t.Fatal("control: a prune on the daemon left the stopped container")
	}

	theirs := stopped(map[string]string{testLabel: "prune"})
	ours := createThroughProxy(t, p, createBody(`{}`))
	if _, errOut, err := p.cli(ctx, "", "container", "prune", "--force"); err != nil {
		t.Fatalf("docker container prune through xcsproxy: %v\n%s", err, errOut)
	}
	if _, err := docker.ContainerInspect(ctx, theirs); err != nil {
		t.Errorf("another application's stopped container is gone after a prune through xcsproxy: %v", err)
	}
	if _, err := docker.ContainerInspect(ctx, ours); err == nil {
		t.Errorf("xcsproxy's own stopped container survived a prune through xcsproxy")
	}
}
