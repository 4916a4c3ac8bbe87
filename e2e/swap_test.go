package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"
)

// The daemon follows the symlinks in a bind's host path when it mounts it,
// at start, not when xcsproxy judged the create. A container with a
// writable bind can turn a directory below it into a symlink to / in
// between, and a second container binding that directory gets the host's
// root. These tests send that attack through xcsproxy.

// jobDir makes a fresh directory under the writable build root.
func jobDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(buildRoot, fmt.Sprintf("%s-%d", name, time.Now().UnixNano()))
	if err := os.MkdirAll(filepath.Join(dir, "y"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// swapForRoot does what a container with dir bound writable can do: it
// replaces the directory dir/y with a symlink to /.
func swapForRoot(t *testing.T, dir string) {
	t.Helper()
	y := filepath.Join(dir, "y")
	if err := os.Remove(y); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", y); err != nil {
		t.Fatal(err)
	}
}

func readHostnameBody(binds ...string) string {
	list, _ := json.Marshal(binds)
	return fmt.Sprintf(`{"Image":%q,"Cmd":["read","/host/etc/hostname"],"Labels":{%q:"swap"},"HostConfig":{"Binds":%s}}`, testImage, testLabel, list)
}

// containerOutput waits for a container to exit and returns its stdout.
func containerOutput(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	waitExit(t, ctx, id)
	return containerStdout(t, ctx, id)
}

// waitExit waits for a container to stop running and returns its exit code.
func waitExit(t *testing.T, ctx context.Context, id string) int64 {
	t.Helper()
	waitC, errC := docker.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	select {
	case w := <-waitC:
		return w.StatusCode
	case err := <-errC:
		t.Fatal(err)
		return 0
	}
}

// containerStdout is what a container has written to stdout so far.
func containerStdout(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	rc, err := docker.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out strings.Builder
	stdcopy.StdCopy(&out, io.Discard, rc)
	return out.String()
}

func TestABindInsideAnotherJobsWritableBindIsRefused(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	// A file of the host's that no bind allows.
	secret := filepath.Join(t.TempDir(), "host-only")
	want := fmt.Sprintf("host-only %d", time.Now().UnixNano())
	writeFile(t, secret, want)

	// The control, straight on the daemon: a bind whose directory became a
	// symlink to / after the create reaches the host's root at start.
	control := jobDir(t, "swap-control")
	created, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"read", "/host" + secret}, Labels: map[string]string{testLabel: "swap"}},
		&container.HostConfig{Binds: []string{filepath.Join(control, "y") + ":/host:ro"}}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), created.ID, containerRemoveForce()) })
	swapForRoot(t, control)
	if err := docker.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := containerOutput(t, ctx, created.ID); got != want {
		t.Fatalf("the control read %q through the swapped bind, not the host's %s (%q); the attack below proves nothing", got, secret, want)
	}

	p := startProxy(t)
	// A job with its directory bound writable, as the Container Service
	// binds an output directory.
	owner := jobDir(t, "swap-owner")
	ownerID := createThroughProxy(t, p, createBody(fmt.Sprintf(`{"Binds":[%q]}`, owner+":/out:rw")))
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), ownerID, containerRemoveForce()) })
	// Another job whose bind lies below a directory nothing else can write.
	held := jobDir(t, "swap-held")
	heldID := createThroughProxy(t, p, createBody(fmt.Sprintf(`{"Binds":[%q]}`, filepath.Join(held, "y")+":/in:ro")))
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), heldID, containerRemoveForce()) })

	fresh := jobDir(t, "swap-own")
	runAttacks(t, p, []attack{
		{name: "a bind below another job's writable bind", method: "POST", path: "/containers/create",
			body: readHostnameBody(filepath.Join(owner, "y") + ":/host:ro"), reason: "lies inside container"},
		{name: "the same bind reached through a symlink to the other job's directory", method: "POST", path: "/containers/create",
			body: readHostnameBody(symlinkTo(t, owner) + "/y:/host:ro"), reason: "lies inside container"},
		{name: "a bind below the same job's own writable bind, which a restart mounts again", method: "POST", path: "/containers/create",
			body:   readHostnameBody(fresh+":/out:rw", filepath.Join(fresh, "y")+":/host:ro"),
			reason: "lies inside its own writable bind of " + fresh},
		{name: "a writable bind above another job's bind", method: "POST", path: "/containers/create",
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, held+":/out:rw")), reason: "is writable above container"},
	})

	// Sharing a directory is not nesting: a follow-up job may bind the
	// first one's output directory itself, as wrap-up Commands do.
	sharedID := createThroughProxy(t, p, createBody(fmt.Sprintf(`{"Binds":[%q]}`, owner+":/in:ro")))
	docker.ContainerRemove(ctxFor(t, time.Minute), sharedID, containerRemoveForce())
}

// createReaderOfY creates, through xcsproxy, a job that binds dir/y and
// would print a host file from it; the container is removed at the end.
func createReaderOfY(t *testing.T, p *proxyProc, dir string) string {
	t.Helper()
	id := createThroughProxy(t, p, readHostnameBody(filepath.Join(dir, "y")+":/host:ro"))
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), id, containerRemoveForce()) })
	return id
}

// symlinkTo makes a symlink under the build root that leads to dir.
func symlinkTo(t *testing.T, dir string) string {
	t.Helper()
	link := dir + "-link"
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(link) })
	return link
}

// A start is judged again on the container's own binds, and so is a
// restart (with the endpoint allowed): a path that became a symlink to /
// after the create (written there by XNAT, a container from before
// xcsproxy, or one created in the same instant) is refused when the daemon
// would mount it.
func TestABindThatBecameASymlinkIsRefusedWhenMountedAgain(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	p := startProxy(t, "--policies", policyDir(t, testConfig("container.restart")))
	for _, endpoint := range []string{"start", "restart"} {
		t.Run(endpoint, func(t *testing.T) {
			dir := jobDir(t, "swap-"+endpoint)
			id := createReaderOfY(t, p, dir)
			swapForRoot(t, dir)
			status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + id + "/" + endpoint})
			if status != http.StatusForbidden || !strings.Contains(msg, "not under an allowed root") {
				t.Errorf("%s answered %d %q, want 403 naming the root", endpoint, status, msg)
			}
			assertNeverStarted(t, ctx, id)

			// Put back as it was, the directory starts: the check is no
			// blanket refusal.
			y := filepath.Join(dir, "y")
			if err := os.Remove(y); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(y, 0o755); err != nil {
				t.Fatal(err)
			}
			if status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + id + "/" + endpoint}); status != http.StatusNoContent {
				t.Fatalf("%s of the restored container answered %d %q", endpoint, status, msg)
			}
		})
	}
}

// assertNeverStarted fails the test if the daemon ever started container id.
func assertNeverStarted(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	c, err := docker.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.State.Running || !strings.HasPrefix(c.State.StartedAt, "0001-") {
		t.Errorf("container %s was started (running %v, started at %s)", id[:12], c.State.Running, c.State.StartedAt)
	}
}

// Two jobs created in the same instant are each judged without the other;
// the second is caught when it starts. The other job is made straight on
// the daemon with xcsproxy's label, as if its create had been decided
// alongside.
func TestABindInsideAWritableBindCreatedMeanwhileIsRefusedAtStart(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	p := startProxy(t)
	dir := jobDir(t, "swap-meanwhile")
	id := createReaderOfY(t, p, dir)
	other, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"sleep", "30"},
		Labels: map[string]string{testLabel: "swap", "org.xcsproxy.managed": "true"}},
		&container.HostConfig{Binds: []string{dir + ":/out:rw"}}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), other.ID, containerRemoveForce()) })

	status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + id + "/start"})
	if status != http.StatusForbidden || !strings.Contains(msg, "lies inside container") {
		t.Errorf("start answered %d %q, want 403 naming the other job's writable bind", status, msg)
	}
	status, msg = send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + other.ID + "/start"})
	if status != http.StatusForbidden || !strings.Contains(msg, "is writable above container") {
		t.Errorf("the other job's start answered %d %q, want 403 naming the bind it holds", status, msg)
	}
	for _, c := range []string{id, other.ID} {
		assertNeverStarted(t, ctx, c)
	}
}

// bindMountNoSymFollow hardens dir as docs/deploy.md says, nosymfollow
// included: a bind mount on itself with nosuid,nodev,nosymfollow.
func bindMountNoSymFollow(t *testing.T, dir string) {
	t.Helper()
	if err := mountOnItself(dir, "nosuid,nodev,nosymfollow"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmount(dir) })
}

// With mounts.require_nosymfollow on, a bind must lie on a mount that
// follows no symlinks, where a swapped path makes the daemon's mount fail.
func TestRequiredNoSymFollowRefusesBindsOnMountsThatFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	hardened, plain := filepath.Join(dir, "hardened"), filepath.Join(dir, "plain")
	for _, d := range []string{filepath.Join(hardened, "job", "y"), filepath.Join(plain, "job")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bindMountNoSymFollow(t, hardened)
	config := strings.NewReplacer(archiveRoot, plain, buildRoot, hardened).Replace(testConfig())
	config = strings.Replace(config, "mounts:\n", "mounts:\n  require_nosymfollow: true\n", 1)
	p := startProxy(t, "--policies", policyDir(t, config))

	runAttacks(t, p, []attack{
		{name: "a bind on a mount that follows symlinks", method: "POST", path: "/containers/create",
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, filepath.Join(plain, "job")+":/in:ro")), reason: "mounts.require_nosymfollow"},
	})
	id := createReaderOfY(t, p, filepath.Join(hardened, "job"))
	// What the option buys: the path swapped after the create is not
	// followed, and the daemon refuses to mount it.
	swapForRoot(t, filepath.Join(hardened, "job"))
	if err := docker.ContainerStart(ctxFor(t, time.Minute), id, container.StartOptions{}); err == nil {
		t.Fatal("the daemon started a container whose bind was swapped for a symlink on a nosymfollow mount")
	}
}

// A swarm service's tasks start without passing xcsproxy, so its writable
// binds hold a directory as a container's do, and a container's binds hold
// against a service's. Both directions, with services listed from swarm.
func TestBindsNestedWithAServicesBindsAreRefused(t *testing.T) {
	joinSwarm(t)
	p := startProxy(t)
	// Only this test binds anything under dir, so the holder named is
	// the service.
	dir := jobDir(t, "swap-service")
	held := filepath.Join(dir, "held")
	if err := os.Mkdir(held, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := func(name, bind string, readOnly bool) string {
		return fmt.Sprintf(`{"Name":%q,"TaskTemplate":{"ContainerSpec":{"Image":%q,"Args":["sleep","30"],"Mounts":[{"Type":"bind","Source":%q,"Target":"/b","ReadOnly":%v}]}},"Mode":{"Replicated":{"Replicas":0}}}`,
			name, testImage, bind, readOnly)
	}
	name := fmt.Sprintf("xcs-swap-holder-%d", time.Now().UnixNano())
	status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/services/create", body: spec(name, held, false)})
	if status != http.StatusCreated {
		t.Fatalf("the holding service was not created: %d %s", status, msg)
	}
	t.Cleanup(func() { docker.ServiceRemove(ctxFor(t, time.Minute), name) })

	runAttacks(t, p, []attack{
		{name: "a container bind below a service's writable bind", method: "POST", path: "/containers/create",
			body: readHostnameBody(filepath.Join(held, "y") + ":/host:ro"), reason: "lies inside service " + name},
		{name: "a service bind below a service's writable bind", method: "POST", path: "/services/create",
			body: spec(name+"-2", filepath.Join(held, "y"), true), reason: "lies inside service " + name},
		{name: "a service writable above a service's bind", method: "POST", path: "/services/create",
			body: spec(name+"-3", dir, false), reason: "is writable above service " + name},
	})
}

// Swarm starts a service's tasks without asking xcsproxy, so a service's
// binds are judged only at its create. Two creates whose binds nest, sent at
// the same instant, could each be judged before the other exists; xcsproxy
// takes them one at a time, so the second always sees the first.
func TestServiceCreatesWhoseBindsNestSentAtOnceAreNeverBothAllowed(t *testing.T) {
	joinSwarm(t)
	p := startProxy(t)
	hc := p.HTTP()
	spec := func(name, bind string, readOnly bool) string {
		return fmt.Sprintf(`{"Name":%q,"Labels":{"xcs-race":"1"},"TaskTemplate":{"ContainerSpec":{"Image":%q,"Args":["sleep","30"],"Mounts":[{"Type":"bind","Source":%q,"Target":"/b","ReadOnly":%v}]}},"Mode":{"Replicated":{"Replicas":0}}}`,
			name, testImage, bind, readOnly)
	}
	create := func(body string) (int, string, error) {
		req, err := http.NewRequest("POST", "http://docker/services/create", strings.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw), err
	}
	const rounds = 8
	for round := 1; round <= rounds; round++ {
		dir := jobDir(t, "race")
		base := fmt.Sprintf("xcs-race-%d-%d", round, time.Now().UnixNano())
		bodies := []string{
			spec(base+"-writer", dir, false),
			spec(base+"-reader", filepath.Join(dir, "y"), true),
		}
		type answer struct {
			status int
			msg    string
			err    error
		}
		answers := make([]answer, len(bodies))
		ready := make(chan struct{})
		done := make(chan int)
		for i, body := range bodies {
			go func() {
				<-ready
				status, msg, err := create(body)
				answers[i] = answer{status, msg, err}
				done <- i
			}()
		}
		close(ready)
		for range bodies {
			<-done
		}
		ctx := ctxFor(t, time.Minute)
		names := []string{base + "-writer", base + "-reader"}
		created := 0
		for i, a := range answers {
			if a.err != nil {
				t.Fatalf("round %d: %s: %v", round, names[i], a.err)
			}
			exists := serviceExists(t, ctx, names[i])
			if exists {
				t.Cleanup(func() { docker.ServiceRemove(ctxFor(t, time.Minute), names[i]) })
			}
			switch {
			case a.status == http.StatusCreated && exists:
				created++
			case a.status == http.StatusForbidden && !exists && strings.Contains(a.msg, "xcsproxy: denied"):
			default:
				t.Fatalf("round %d: %s got %d %s, and the service exists: %v", round, names[i], a.status, a.msg, exists)
			}
		}
		if created != 1 {
			t.Fatalf("round %d: %d of the two services whose binds nest were created; want exactly one", round, created)
		}
	}
}

func serviceExists(t *testing.T, ctx context.Context, name string) bool {
	t.Helper()
	list, err := docker.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Spec.Name == name {
			return true
		}
	}
	return false
}

// VolumesFrom mounts another container's binds again at the new
// container's start, and xcsproxy judges only a container's own binds: a
// job could reach the host's root through another job's bind whose path
// became a symlink, though that job itself is refused at its start.
func TestVolumesFromCannotCarryAnotherJobsBindAgain(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	p := startProxy(t)
	dir := jobDir(t, "swap-volumes-from")
	reader := createReaderOfY(t, p, dir)
	swapForRoot(t, dir)

	// The control, straight on the daemon: a container with VolumesFrom the
	// job reads the host's file through the swapped bind.
	borrower, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"read", "/host/etc/hostname"}, Labels: map[string]string{testLabel: "swap"}},
		&container.HostConfig{VolumesFrom: []string{reader}}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), borrower.ID, containerRemoveForce()) })
	if err := docker.ContainerStart(ctx, borrower.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	hostname, err := os.ReadFile("/etc/hostname")
	if err != nil {
		t.Fatal(err)
	}
	if got := containerOutput(t, ctx, borrower.ID); got != string(hostname) {
		t.Fatalf("the control read %q through VolumesFrom, not the host's /etc/hostname (%q); the attack below proves nothing", got, hostname)
	}

	runAttacks(t, p, []attack{
		{name: "VolumesFrom a managed job whose bind became a symlink to the root", method: "POST", path: "/containers/create",
			body: createBody(fmt.Sprintf(`{"VolumesFrom":[%q]}`, reader)), reason: "VolumesFrom"},
		{name: "the same, read-only", method: "POST", path: "/containers/create",
			body: createBody(fmt.Sprintf(`{"VolumesFrom":[%q]}`, reader+":ro")), reason: "VolumesFrom"},
	})
}

// The daemon restarts a container with a restart policy on its own, and
// mounts its binds again each time, through whatever symlinks their paths
// hold then; xcsproxy's start check never runs.
func TestARestartPolicyCannotMountABindAgainUnjudged(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	hostname, err := os.ReadFile("/etc/hostname")
	if err != nil {
		t.Fatal(err)
	}
	// The control, straight on the daemon: a job that restarts by itself
	// reads the host's file once its bind's path has become a symlink.
	dir := jobDir(t, "swap-restart")
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"read", "/host/etc/hostname"}, Labels: map[string]string{testLabel: "swap"}},
		&container.HostConfig{Binds: []string{filepath.Join(dir, "y") + ":/host:ro"}, RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), c.ID, containerRemoveForce()) })
	if err := docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	swapForRoot(t, dir)
	waitFor(t, 30*time.Second, "the restarted control to read the host's /etc/hostname", func() bool {
		return strings.Contains(containerStdout(t, ctx, c.ID), strings.TrimSpace(string(hostname)))
	})
	docker.ContainerStop(ctx, c.ID, container.StopOptions{})

	// container.update is allowed here, so that a restart policy cannot
	// be added to a managed job after its create either.
	p := startProxy(t, "--policies", policyDir(t, testConfig("container.update")))
	fresh := jobDir(t, "swap-restart-attack")
	job := createReaderOfY(t, p, fresh)
	var attacks []attack
	for _, name := range []string{"always", "unless-stopped", "on-failure"} {
		attacks = append(attacks, attack{name: "restart policy " + name, method: "POST", path: "/containers/create",
			body:   createBody(fmt.Sprintf(`{"Binds":[%q],"RestartPolicy":{"Name":%q}}`, filepath.Join(fresh, "y")+":/in:ro", name)),
			reason: "RestartPolicy " + name + " is not allowed"})
	}
	attacks = append(attacks, attack{name: "restart policy always added by an update", method: "POST", path: "/containers/" + job + "/update",
		body: `{"RestartPolicy":{"Name":"always"}}`, reason: "RestartPolicy always is not allowed"})
	runAttacks(t, p, attacks)
	info, err := docker.ContainerInspect(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if name := info.HostConfig.RestartPolicy.Name; name != "" && name != container.RestartPolicyDisabled {
		t.Fatalf("the refused update left the job with restart policy %q", name)
	}
}

// A job that has exited runs nothing that could swap a path, so its
// writable bind no longer keeps other jobs out; the nesting is judged
// again, and refused, if it is started again while they hold their binds.
func TestAnExitedJobsWritableBindHoldsNothingUntilItStartsAgain(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	p := startProxy(t)
	owner := jobDir(t, "exited-owner")
	ownerID := createThroughProxy(t, p, fmt.Sprintf(`{"Image":%q,"Cmd":["echo","done"],"Labels":{%q:"swap"},"HostConfig":{"Binds":[%q]}}`, testImage, testLabel, owner+":/out:rw"))
	t.Cleanup(func() { docker.ContainerRemove(context.Background(), ownerID, containerRemoveForce()) })
	if status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + ownerID + "/start"}); status != http.StatusNoContent {
		t.Fatalf("starting the owner: %d %q", status, msg)
	}
	waitExit(t, ctx, ownerID)
	first, err := docker.ContainerInspect(ctx, ownerID)
	if err != nil {
		t.Fatal(err)
	}

	heldID := createThroughProxy(t, p, createBody(fmt.Sprintf(`{"Binds":[%q]}`, filepath.Join(owner, "y")+":/in:ro")))
	t.Cleanup(func() { docker.ContainerRemove(context.Background(), heldID, containerRemoveForce()) })

	status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + ownerID + "/start"})
	if status != http.StatusForbidden || !strings.Contains(msg, "is writable above container") {
		t.Fatalf("starting the owner again over the other job's bind: %d %q, want 403", status, msg)
	}
	again, err := docker.ContainerInspect(ctx, ownerID)
	if err != nil || again.State.StartedAt != first.State.StartedAt {
		t.Fatalf("the owner was started again (started at %s, first at %s; %v)", again.State.StartedAt, first.State.StartedAt, err)
	}
}
