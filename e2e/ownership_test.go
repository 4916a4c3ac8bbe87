package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
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
	if err := importImage(ctx, filepath.Join(filepath.Dir(binary), "tool"), other, nil); err != nil {
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
