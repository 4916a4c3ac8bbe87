package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// Docker's default capabilities include NET_RAW: a job could forge ARP and
// DNS answers to the other jobs on its bridge, and read the XNAT tokens they
// send. xcsproxy drops it from every container it creates.
func TestAJobCannotOpenARawSocket(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	// The control, straight on the daemon: with Docker's defaults a job
	// opens a raw socket.
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"raw"}, Labels: map[string]string{testLabel: "netraw"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	runJob(t, c.ID)
	if out := containerOutput(t, ctx, c.ID); !strings.Contains(out, "raw socket open") {
		t.Fatalf("control: straight on the daemon the job said %q; want a raw socket open", out)
	}

	p := startProxy(t)
	id := createThroughProxy(t, p, `{"Image":"`+testImage+`","Cmd":["raw"],"Labels":{"`+testLabel+`":"netraw"},"HostConfig":{"CapDrop":["CHOWN"]}}`)
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), id, containerRemoveForce()) })
	info, err := docker.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if drop := info.HostConfig.CapDrop; !slices.Contains(drop, "NET_RAW") || !slices.Contains(drop, "CHOWN") {
		t.Fatalf("the container drops %v; want NET_RAW added to the client's CHOWN", drop)
	}
	if err := docker.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := containerOutput(t, ctx, id); !strings.Contains(out, "operation not permitted") {
		t.Fatalf("through xcsproxy the job said %q; want its raw socket refused", out)
	}
}

// A service's tasks start without passing xcsproxy, so the defaults are in
// the spec it forwards: no raw sockets, and the pids limit containers get.
func TestAServicesTasksDropNetRawAndGetThePidsLimit(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	joinSwarm(t)
	ref := pushTestImage(t, ctx, "netraw") + ":netraw"
	spec := func(name string) swarm.ServiceSpec {
		return swarm.ServiceSpec{
			Annotations: swarm.Annotations{Name: name, Labels: map[string]string{testLabel: "netraw"}},
			TaskTemplate: swarm.TaskSpec{
				ContainerSpec: &swarm.ContainerSpec{Image: ref, Command: []string{"raw"}},
				RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone},
			},
			Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: ptr(uint64(1))}},
		}
	}
	// The control, straight on the daemon.
	direct, err := docker.ServiceCreate(ctx, spec(fmt.Sprintf("xcs-netraw-direct-%d", time.Now().UnixNano())), swarm.ServiceCreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ServiceRemove(ctxFor(t, time.Minute), direct.ID) })
	out, pids := taskOutput(t, ctx, direct.ID)
	if !strings.Contains(out, "raw socket open") || pids > 0 {
		t.Fatalf("control: straight on the daemon the task said %q, with pids limit %d; want a raw socket open and no limit", out, pids)
	}

	p := startProxy(t)
	body, err := json.Marshal(spec(fmt.Sprintf("xcs-netraw-%d", time.Now().UnixNano())))
	if err != nil {
		t.Fatal(err)
	}
	answer := (&csClient{t: t, hc: p.HTTP()}).expect(http.StatusCreated, "POST", "/services/create", string(body))
	var created struct{ ID string }
	if json.Unmarshal(answer, &created) != nil || created.ID == "" {
		t.Fatalf("services/create through xcsproxy answered %s", answer)
	}
	t.Cleanup(func() { docker.ServiceRemove(ctxFor(t, time.Minute), created.ID) })
	out, pids = taskOutput(t, ctx, created.ID)
	if !strings.Contains(out, "operation not permitted") || pids != 4096 {
		t.Fatalf("through xcsproxy the task said %q, with pids limit %d; want its raw socket refused and the limit 4096 (defaults.pids_limit)", out, pids)
	}
}

func ptr[T any](v T) *T { return &v }

// taskOutput waits for the service's one task to finish and returns what
// its container wrote, and the container's pids limit.
func taskOutput(t *testing.T, ctx context.Context, serviceID string) (string, int64) {
	t.Helper()
	var containerID string
	waitFor(t, 60*time.Second, "the service's task to finish", func() bool {
		tasks, err := docker.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", serviceID))})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			done := task.Status.State == swarm.TaskStateComplete || task.Status.State == swarm.TaskStateFailed
			if done && task.Status.ContainerStatus != nil && task.Status.ContainerStatus.ContainerID != "" {
				containerID = task.Status.ContainerStatus.ContainerID
				return true
			}
		}
		return false
	})
	info, err := docker.ContainerInspect(ctx, containerID)
	if err != nil {
		t.Fatal(err)
	}
	var pids int64
	if info.HostConfig.PidsLimit != nil {
		pids = *info.HostConfig.PidsLimit
	}
	return containerOutput(t, ctx, containerID), pids
}

// A build's steps run in containers the daemon makes itself, with Docker's
// default capabilities: on a network, a Dockerfile's RUN could forge packets
// to the jobs there. A build on a network is refused for that, and any
// build for the images its Dockerfile runs
// (TestABuildIsRefusedForTheImagesItsDockerfileRuns).
func TestABuildsStepsGetNoNetworkToForgePacketsOn(t *testing.T) {
	build := func(hc *http.Client, query string) (int, string) {
		t.Helper()
		buildContext := tarOf(t, map[string]string{"Dockerfile": "FROM " + testImage + "\nRUN raw\n"})
		status, out := send(t, hc, attack{method: "POST", path: "/build?rm=1&forcerm=1" + query, contentType: "application/x-tar", body: buildContext})
		removeBuiltImage(t, out)
		return status, out
	}
	// The control, straight on the daemon: the step opens a raw socket on
	// the default bridge.
	daemon := &proxyProc{Sock: "/var/run/docker.sock"}
	if status, out := build(daemon.HTTP(), ""); status != http.StatusOK || !strings.Contains(out, "raw socket open") {
		t.Fatalf("control: straight on the daemon the build answered %d %q; want its step's raw socket open", status, out)
	}

	p := startProxy(t, "--policies", policyDir(t, testConfig("image.build")))
	runAttacks(t, p, []attack{
		{name: "a build on the default bridge", method: "POST", path: "/build", contentType: "application/x-tar",
			body: tarOf(t, map[string]string{"Dockerfile": "FROM " + testImage + "\nRUN raw\n"}), reason: "allowed only with networkmode=none"},
	})
	if status, out := build(p.HTTP(), "&networkmode=none"); status != http.StatusForbidden || !strings.Contains(out, "image.build is not allowed") {
		t.Errorf("a build without a network through xcsproxy: %d %q; want 403, builds being refused", status, out)
	}
}
