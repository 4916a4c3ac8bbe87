package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
)

// Where nvidia's runtime is the daemon's default, a container gets the GPUs
// its environment names, and CUDA images name all of them. Unless
// gpus.allow, xcsproxy gives every container NVIDIA_VISIBLE_DEVICES=void
// in place of the image's value (the runtime then gives none; this daemon
// has no nvidia runtime, so what is proven here is the environment the
// runtime would read), and refuses a request that names GPUs itself.
func TestAContainerGetsNoGPUsFromItsEnvironmentUnlessGPUsAreAllowed(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	cuda := fmt.Sprintf("xcsproxy-e2e/cuda-like:%d", time.Now().UnixNano())
	if err := importImage(ctx, cuda, nil, "ENV NVIDIA_VISIBLE_DEVICES=all"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ImageRemove(ctxFor(t, time.Minute), cuda, imageRemoveForce()) })

	// The control, straight on the daemon: the container's environment,
	// which the runtime reads, names every GPU.
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: cuda, Cmd: []string{"echo"}, Labels: map[string]string{testLabel: "gpu"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer docker.ContainerRemove(ctx, c.ID, containerRemoveForce())
	if got := envOf(t, c.ID); !slices.Contains(got, "NVIDIA_VISIBLE_DEVICES=all") {
		t.Fatalf("control: the container's environment %v does not name every GPU", got)
	}

	p := startProxy(t, "--policies", policyDir(t, testConfig()))
	job := createThroughProxy(t, p, fmt.Sprintf(`{"Image":%q,"Cmd":["echo"],"Env":["A=b"]}`, cuda))
	got := envOf(t, job)
	if !slices.Contains(got, "NVIDIA_VISIBLE_DEVICES=void") || slices.Contains(got, "NVIDIA_VISIBLE_DEVICES=all") || !slices.Contains(got, "A=b") {
		t.Errorf("the environment of a job through xcsproxy is %v; want A=b and NVIDIA_VISIBLE_DEVICES=void only", got)
	}
	runAttacks(t, p, []attack{
		{name: "a job that names every GPU itself", method: "POST", path: "/containers/create",
			body: fmt.Sprintf(`{"Image":%q,"Cmd":["echo"],"Env":["NVIDIA_VISIBLE_DEVICES=all"]}`, testImage), reason: "set gpus.allow"},
	})

	// With gpus.allow, the image's value stands.
	q := startProxy(t, "--policies", policyDir(t, strings.Replace(testConfig(), "gpus: {allow: false}", "gpus: {allow: true}", 1)))
	allowed := createThroughProxy(t, q, fmt.Sprintf(`{"Image":%q,"Cmd":["echo"]}`, cuda))
	if got := envOf(t, allowed); !slices.Contains(got, "NVIDIA_VISIBLE_DEVICES=all") {
		t.Errorf("with gpus.allow the job's environment is %v; want the image's NVIDIA_VISIBLE_DEVICES=all", got)
	}
}

// envOf is the environment the daemon gives a container's process.
func envOf(t *testing.T, id string) []string {
	t.Helper()
	c, err := docker.ContainerInspect(ctxFor(t, time.Minute), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Config.Env
}

// A service's tasks start without passing xcsproxy, so the variable is in the
// spec it forwards, and a spec that names GPUs itself is refused.
func TestAServicesTasksGetNoGPUsFromTheirEnvironmentUnlessGPUsAreAllowed(t *testing.T) {
	joinSwarm(t)
	ctx := ctxFor(t, 2*time.Minute)
	p := startProxy(t, "--policies", policyDir(t, testConfig()))
	spec := func(name, env string) string {
		return fmt.Sprintf(`{"Name":%q,"Labels":{%q:"gpu"},"TaskTemplate":{"ContainerSpec":{"Image":%q,"Args":["echo"],"Env":[%s]}},"Mode":{"Replicated":{"Replicas":0}}}`,
			name, testLabel, testImage, env)
	}
	stamp := time.Now().UnixNano()
	runAttacks(t, p, []attack{
		{name: "a service whose tasks name every GPU", method: "POST", path: "/services/create",
			body: spec(fmt.Sprintf("xcs-gpu-all-%d", stamp), `"NVIDIA_VISIBLE_DEVICES=all"`), reason: "set gpus.allow"},
	})
	answer := (&csClient{t: t, hc: p.HTTP()}).expect(http.StatusCreated, "POST", "/services/create", spec(fmt.Sprintf("xcs-gpu-%d", stamp), `"A=b"`))
	var created struct{ ID string }
	if json.Unmarshal(answer, &created) != nil || created.ID == "" {
		t.Fatalf("services/create through xcsproxy answered %s", answer)
	}
	t.Cleanup(func() { docker.ServiceRemove(ctxFor(t, time.Minute), created.ID) })
	svc, _, err := docker.ServiceInspectWithRaw(ctx, created.ID, swarm.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if env := svc.Spec.TaskTemplate.ContainerSpec.Env; !slices.Equal(env, []string{"A=b", "NVIDIA_VISIBLE_DEVICES=void"}) {
		t.Errorf("the service's tasks get the environment %v; want A=b and NVIDIA_VISIBLE_DEVICES=void", env)
	}
}
