package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// The daemon resolves a container reference as a full id, then as a name,
// then as a unique id prefix. A job may name its container after the first
// characters of another container's id: the name wins while the job's
// container exists, and the prefix takes over the moment it is removed. A
// request judged on the job's container and forwarded after that moment
// would act on the other one.

// unmanagedVictim makes a container straight on the daemon, without
// xcsproxy's label, and returns its id and a name that is a prefix of it.
func unmanagedVictim(t *testing.T, ctx context.Context, label string) (id, prefixName string) {
	t.Helper()
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"sleep", "30"}, Labels: map[string]string{testLabel: label}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ContainerRemove(context.Background(), c.ID, containerRemoveForce()) })
	return c.ID, c.ID[:12]
}

// anyContainer returns what harm says of the first container on the
// daemon it finds harmed, or "".
func anyContainer(t *testing.T, ctx context.Context, harm func(container.InspectResponse) string) string {
	t.Helper()
	all, err := docker.ContainerList(ctx, containerListAll())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		got, err := docker.ContainerInspect(ctx, c.ID)
		if err != nil {
			continue // removed meanwhile
		}
		if what := harm(got); what != "" {
			return what
		}
	}
	return ""
}

// decoyThroughProxy creates the job's container named after the victim's id
// prefix, through xcsproxy.
func decoyThroughProxy(t *testing.T, p *proxyProc, name, label string) string {
	t.Helper()
	return createNamedThroughProxy(t, p, name, fmt.Sprintf(`{"Image":%q,"Cmd":["sleep","30"],"Labels":{%q:%q}}`, testImage, testLabel, label))
}

// race sends the removal of the job's container and then, after each of a
// range of delays, the second request on the same name, and reports what
// the second was answered.
func raceAfterRemove(t *testing.T, p *proxyProc, name string, second attack, delay time.Duration) int {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		send(t, p.HTTP(), attack{method: "DELETE", path: "/containers/" + name + "?force=1"})
	}()
	time.Sleep(delay)
	status, _ := send(t, p.HTTP(), second)
	wg.Wait()
	return status
}

func TestARequestActsOnTheContainerItWasJudgedOn(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, 3*time.Minute)
	cases := []struct {
		name   string
		second func(ref string) attack
		// harmed says whether the victim was touched, and how.
		harmed func(t *testing.T, id string) string
	}{
		{
			name:   "a start sent while the job's container is removed never starts the other container",
			second: func(ref string) attack { return attack{method: "POST", path: "/containers/" + ref + "/start"} },
			harmed: func(t *testing.T, id string) string {
				c, err := docker.ContainerInspect(ctx, id)
				if err != nil {
					return fmt.Sprintf("it is gone (%v)", err)
				}
				if !strings.HasPrefix(c.State.StartedAt, "0001-") {
					return "it was started at " + c.State.StartedAt
				}
				return ""
			},
		},
		{
			name:   "a second removal sent while the first runs never removes the other container",
			second: func(ref string) attack { return attack{method: "DELETE", path: "/containers/" + ref + "?force=1"} },
			harmed: func(t *testing.T, id string) string {
				if _, err := docker.ContainerInspect(ctx, id); client.IsErrNotFound(err) {
					return "it was removed"
				}
				return ""
			},
		},
		{
			name: "a create that joins the job's container's namespaces never joins the other container's",
			second: func(ref string) attack {
				return attack{method: "POST", path: "/containers/create", body: fmt.Sprintf(
					`{"Image":%q,"Cmd":["sleep","30"],"Labels":{%q:"pinning"},"HostConfig":{"NetworkMode":"container:%s","PidMode":"container:%s","IpcMode":"container:%s"}}`,
					testImage, testLabel, ref, ref, ref)}
			},
			harmed: func(t *testing.T, id string) string {
				return anyContainer(t, ctx, func(got container.InspectResponse) string {
					for _, mode := range []string{string(got.HostConfig.NetworkMode), string(got.HostConfig.PidMode), string(got.HostConfig.IpcMode)} {
						if mode == "container:"+id {
							return fmt.Sprintf("container %s was created in its namespaces (%s)", got.ID[:12], mode)
						}
					}
					return ""
				})
			},
		},
		{
			name: "a legacy link to the job's container never links the other container",
			second: func(ref string) attack {
				return attack{method: "POST", path: "/containers/create", body: fmt.Sprintf(
					`{"Image":%q,"Cmd":["sleep","30"],"Labels":{%q:"pinning"},"HostConfig":{"Links":["%s:db"]}}`, testImage, testLabel, ref)}
			},
			harmed: func(t *testing.T, id string) string {
				v, err := docker.ContainerInspect(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return anyContainer(t, ctx, func(got container.InspectResponse) string {
					for _, l := range got.HostConfig.Links {
						if strings.HasPrefix(l, v.Name+":") {
							return fmt.Sprintf("container %s was linked to it (%s), and gets its environment", got.ID[:12], l)
						}
					}
					return ""
				})
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			victim, prefix := unmanagedVictim(t, ctx, "pinning")
			for round := 0; round < 40; round++ {
				decoy := decoyThroughProxy(t, p, prefix, "pinning")
				delay := time.Duration(round) * time.Millisecond
				status := raceAfterRemove(t, p, prefix, c.second(prefix), delay)
				if harm := c.harmed(t, victim); harm != "" {
					t.Fatalf("round %d (second request %v after the removal, answered %d): the unmanaged container %s was acted on: %s", round, delay, status, victim[:12], harm)
				}
				// By id: the name now reaches the victim.
				docker.ContainerRemove(ctx, decoy, containerRemoveForce())
			}
		})
	}
}

// A request on an object that did not exist when it was judged is answered
// here: forwarded, its name could reach an object someone made meanwhile.
func TestARequestOnAMissingContainerIsAnsweredNotFound(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, time.Minute)
	name := fmt.Sprintf("xcs-missing-%d", time.Now().UnixNano())
	status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + name + "/kill"})
	if status != http.StatusNotFound || !strings.Contains(msg, "No such container: "+name) {
		t.Fatalf("kill of the missing %s: %d %q, want 404 No such container", name, status, msg)
	}
	// The docker CLI reads it as Docker's own not-found.
	_, errOut, err := p.cli(ctx, "", "container", "inspect", name)
	if err == nil || !strings.Contains(errOut, "No such container") {
		t.Fatalf("docker container inspect of the missing %s: %v %q, want No such container", name, err, errOut)
	}
}

// Swarm resolves a service reference as the daemon does a container's: id,
// name, then id prefix.
func TestAServiceRequestActsOnTheServiceItWasJudgedOn(t *testing.T) {
	joinSwarm(t)
	p := startProxy(t)
	ctx := ctxFor(t, 3*time.Minute)
	var spec swarm.ServiceSpec
	if err := json.Unmarshal([]byte(csServiceSpec("xcs-pin-victim", testImage, 0)), &spec); err != nil {
		t.Fatal(err)
	}
	victim, err := docker.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{})
	if err != nil {
		t.Fatalf("creating the unmanaged service on the daemon: %v", err)
	}
	t.Cleanup(func() { docker.ServiceRemove(context.Background(), victim.ID) })
	prefix := victim.ID[:12]
	for round := 0; round < 40; round++ {
		status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/services/create", body: csServiceSpec(prefix, testImage, 0)})
		if status != http.StatusCreated {
			t.Fatalf("create of the service %s through xcsproxy: %d %s", prefix, status, msg)
		}
		decoy, _, err := docker.ServiceInspectWithRaw(ctx, prefix, swarm.ServiceInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(round) * time.Millisecond
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			send(t, p.HTTP(), attack{method: "DELETE", path: "/services/" + prefix})
		}()
		time.Sleep(delay)
		status, _ = send(t, p.HTTP(), attack{method: "DELETE", path: "/services/" + prefix})
		wg.Wait()
		if _, _, err := docker.ServiceInspectWithRaw(ctx, victim.ID, swarm.ServiceInspectOptions{}); err != nil {
			t.Fatalf("round %d (second removal %v after the first, answered %d): the unmanaged service %s is gone: %v", round, delay, status, victim.ID, err)
		}
		docker.ServiceRemove(ctx, decoy.ID) // by id: the name now reaches the victim
	}
}

// exec.create names the container the exec would run in; with exec allowed
// as an extra endpoint, that container must be one xcsproxy created, and the
// exec may not be privileged.
func TestAnAllowedExecIsOnlyCreatedInAManagedContainer(t *testing.T) {
	p := startProxy(t, "--policies", policyDir(t, testConfig("exec.create")))
	ctx := ctxFor(t, time.Minute)
	victim, _ := unmanagedVictim(t, ctx, "exec")
	if err := docker.ContainerStart(ctx, victim, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	body := `{"Cmd":["echo","x"],"AttachStdout":true}`
	status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + victim + "/exec", body: body})
	if status != http.StatusForbidden || !strings.Contains(msg, "not created through xcsproxy") {
		t.Fatalf("exec create in the unmanaged container: %d %q, want 403", status, msg)
	}
	if c, err := docker.ContainerInspect(ctx, victim); err != nil || len(c.ExecIDs) != 0 {
		t.Fatalf("the unmanaged container holds execs %v (%v)", c.ExecIDs, err)
	}
	managed := fmt.Sprintf("xcs-exec-%d", time.Now().UnixNano())
	id := decoyThroughProxy(t, p, managed, "exec")
	t.Cleanup(func() { docker.ContainerRemove(context.Background(), id, containerRemoveForce()) })
	if err := docker.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	privileged := `{"Cmd":["echo","x"],"AttachStdout":true,"Privileged":true}`
	status, msg = send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + managed + "/exec", body: privileged})
	if status != http.StatusForbidden || !strings.Contains(msg, "privileged exec") {
		t.Fatalf("privileged exec create in the managed container: %d %q, want 403", status, msg)
	}
	if c, err := docker.ContainerInspect(ctx, id); err != nil || len(c.ExecIDs) != 0 {
		t.Fatalf("the managed container holds execs %v after the refused one (%v)", c.ExecIDs, err)
	}
	if status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + managed + "/exec", body: body}); status != http.StatusCreated {
		t.Fatalf("exec create in the managed container: %d %q, want 201", status, msg)
	}
}

// A client probing id prefixes learns that a container exists, but not what
// the host calls it.
func TestARefusalDoesNotNameTheHostsOtherContainers(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, time.Minute)
	name := fmt.Sprintf("xcs-infra-db-%d", time.Now().UnixNano())
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"sleep", "30"}, Labels: map[string]string{testLabel: "probe"}}, nil, nil, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ContainerRemove(context.Background(), c.ID, containerRemoveForce()) })
	status, msg := send(t, p.HTTP(), attack{method: "GET", path: "/containers/" + c.ID[:12] + "/json"})
	if status != http.StatusForbidden || strings.Contains(msg, name) || !strings.Contains(msg, c.ID[:12]) {
		t.Fatalf("inspect by id prefix: %d %q, want 403 naming %s and not %s", status, msg, c.ID[:12], name)
	}
}
