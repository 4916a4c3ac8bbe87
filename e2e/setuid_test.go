package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// A job that runs as root owns what it writes in its writable bind. On the
// host, a set-user-ID root program it leaves there runs as root for whoever
// starts it, and a device node it makes opens the device for whoever can
// reach it. XNAT reads every job's output directory, so whoever has taken
// XNAT over would be root. These tests send that through xcsproxy.

// nobody is the unprivileged host user the tests act as.
const nobody = 65534

// reachableDir makes a directory under parent that the unprivileged user
// can reach: search permission for others on it and every directory above
// (the tests' temporary directories are root's alone).
func reachableDir(t *testing.T, parent string) string {
	t.Helper()
	dir, err := os.MkdirTemp(parent, "reach-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for d := dir; d != "/"; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode(); mode&0o001 == 0 {
			if err := os.Chmod(d, mode.Perm()|0o011); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// plainDir is a reachable directory on a mount that honours set-user-ID bits
// and devices, whatever the mount holding the temporary directory does.
func plainDir(t *testing.T) string {
	t.Helper()
	dir := reachableDir(t, os.TempDir())
	if err := mountOnItself(dir, "suid,dev"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmount(dir) })
	return dir
}

// The job's two commands: a set-user-ID copy of the test program, called
// euid so that it says who it runs as, and a device node anyone may open.
const (
	plantProgram = "plant /out/euid"
	makeDevice   = "mknod /out/dev"
)

func jobBody(dir, line string) string {
	return fmt.Sprintf(`{"Image":%q,"Cmd":["sh","-c",%q],"Labels":{%q:"setuid"},"HostConfig":{"Binds":[%q]}}`,
		testImage, line, testLabel, dir+":/out")
}

// asNobody runs, as the unprivileged host user, the program the jobs left
// in dir, and opens their device node; it says what each did.
func asNobody(t *testing.T, dir string) (euid string, openErr error) {
	t.Helper()
	nobodyCmd := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		return cmd
	}
	out, err := nobodyCmd(filepath.Join(dir, "euid")).CombinedOutput()
	if err != nil {
		t.Fatalf("the unprivileged user could not run the program the job left: %v\n%s", err, out)
	}
	if msg, err := nobodyCmd("sh", "-c", "exec 3<>"+filepath.Join(dir, "dev")).CombinedOutput(); err != nil {
		openErr = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(msg)))
	}
	return strings.TrimSpace(string(out)), openErr
}

// runJob starts a created container, waits for it to succeed, and removes
// it at the end.
func runJob(t *testing.T, id string) {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), id, containerRemoveForce()) })
	if err := docker.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, ctx, id); code != 0 {
		t.Fatalf("the job exited %d", code)
	}
}

func TestAJobCannotLeaveTheHostASetuidProgramOrADeviceNode(t *testing.T) {
	joinSwarm(t)
	// The control, straight on the daemon: on a plain mount what the jobs
	// leave makes the unprivileged user root, and opens the device.
	plain := plainDir(t)
	for _, line := range []string{plantProgram, makeDevice} {
		c, err := docker.ContainerCreate(ctxFor(t, time.Minute), &container.Config{Image: testImage, Cmd: []string{"sh", "-c", line}, Labels: map[string]string{testLabel: "setuid"}},
			&container.HostConfig{Binds: []string{plain + ":/out"}}, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		runJob(t, c.ID)
	}
	if euid, openErr := asNobody(t, plain); euid != "euid 0" || openErr != nil {
		t.Fatalf("control: on a plain mount the unprivileged user got %q and opening the device gave %v; want euid 0 and an open device", euid, openErr)
	}

	// Through xcsproxy, a root on such a mount refuses writable binds, and
	// nothing reaches the daemon.
	root := plainDir(t)
	config := strings.NewReplacer(buildRoot, root).Replace(testConfig())
	p := startProxy(t, "--policies", policyDir(t, config))
	// It says so when it starts, not at the first job.
	p.waitLog(t, "a writable mount root lacks mount options", 5*time.Second)
	if logs := p.Logs.String(); !strings.Contains(logs, root) || !strings.Contains(logs, "nosuid and nodev") {
		t.Errorf("the start-up warning does not name the root and the options:\n%s", logs)
	}
	runAttacks(t, p, []attack{
		{name: "a writable bind on a mount that honours set-user-ID bits and devices", method: "POST", path: "/containers/create",
			body: jobBody(root, plantProgram), reason: "without nosuid and nodev"},
		{name: "the same as a bind Mount", method: "POST", path: "/containers/create",
			body: createBody(fmt.Sprintf(`{"Mounts":[{"Type":"bind","Source":%q,"Target":"/out"}]}`, root)), reason: "without nosuid and nodev"},
		{name: "the same for a service", method: "POST", path: "/services/create",
			body:   fmt.Sprintf(`{"Name":"xcs-setuid-%d","TaskTemplate":{"ContainerSpec":{"Image":%q,"Mounts":[{"Type":"bind","Source":%q,"Target":"/out"}]}},"Mode":{"Replicated":{"Replicas":0}}}`, time.Now().UnixNano(), testImage, root),
			reason: "without nosuid and nodev"},
	})
	// A read-only bind leaves nothing behind, and is allowed there.
	ro := createThroughProxy(t, p, readHostnameBody(root+":/host:ro"))
	docker.ContainerRemove(ctxFor(t, time.Minute), ro, containerRemoveForce())

	// On the hardened root the job runs, and what it leaves is inert: the
	// program runs as the unprivileged user, the device does not open.
	hardened := reachableDir(t, buildRoot)
	hp := startProxy(t)
	for _, line := range []string{plantProgram, makeDevice} {
		runJob(t, createThroughProxy(t, hp, jobBody(hardened, line)))
	}
	euid, openErr := asNobody(t, hardened)
	if euid != fmt.Sprintf("euid %d", nobody) || openErr == nil {
		t.Fatalf("on the nosuid,nodev root the unprivileged user got %q and opening the device gave %v; want euid %d and a refusal", euid, openErr, nobody)
	}
}

// hardenedRootProxy mounts a root of its own nosuid,nodev and starts an
// xcsproxy whose writable root it is.
func hardenedRootProxy(t *testing.T) (string, *proxyProc) {
	t.Helper()
	root := reachableDir(t, os.TempDir())
	if err := mountOnItself(root, "nosuid,nodev"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmount(root) })
	config := strings.NewReplacer(buildRoot, root).Replace(testConfig())
	return root, startProxy(t, "--policies", policyDir(t, config))
}

// A root that loses its options (a reboot without the fstab line) refuses
// the jobs created while it had them when they start: the daemon mounts a
// bind again at every start.
func TestAJobWhoseRootLostNoSuidNoDevIsRefusedAtStart(t *testing.T) {
	root, p := hardenedRootProxy(t)
	id := createThroughProxy(t, p, jobBody(root, plantProgram))
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), id, containerRemoveForce()) })

	// The options gone, and the root plain whatever holds it.
	unmount(root)
	if err := mountOnItself(root, "suid,dev"); err != nil {
		t.Fatal(err)
	}
	status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/containers/" + id + "/start"})
	if status != http.StatusForbidden || !strings.Contains(msg, "without nosuid and nodev") {
		t.Fatalf("start on a root that lost nosuid,nodev: %d %s; want 403 naming the options", status, msg)
	}
	assertNeverStarted(t, ctxFor(t, time.Minute), id)
}

// A mount made below a hardened root after xcsproxy started (a scratch
// tmpfs, a share mounted into the archive) rides into every writable bind of
// the root: binds are recursive. xcsproxy keeps the host's mount table
// between requests, so it must see the new mount at the next create, and
// see it gone after the unmount.
func TestAMountMadeBelowAHardenedRootIsJudgedAtTheNextCreate(t *testing.T) {
	root, p := hardenedRootProxy(t)
	first := createThroughProxy(t, p, jobBody(root, plantProgram))
	docker.ContainerRemove(ctxFor(t, time.Minute), first, containerRemoveForce())

	// A plain tmpfs below the root, honouring set-user-ID bits.
	scratch := filepath.Join(root, "scratch")
	if err := os.Mkdir(scratch, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "suid,dev,mode=0755", "tmpfs", scratch).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs (needs root): %v\n%s", err, out)
	}
	t.Cleanup(func() { unmount(scratch) })

	// The control, straight on the daemon: a job given the root writable
	// reaches the tmpfs through it and leaves a program there that makes the
	// unprivileged user root.
	c, err := docker.ContainerCreate(ctxFor(t, time.Minute), &container.Config{Image: testImage, Cmd: []string{"sh", "-c", "plant /out/scratch/euid"}, Labels: map[string]string{testLabel: "setuid"}},
		&container.HostConfig{Binds: []string{root + ":/out"}}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	runJob(t, c.ID)
	if euid, _ := asNobody(t, scratch); euid != "euid 0" {
		t.Fatalf("control: through the root's bind the job's program in the tmpfs gave the unprivileged user %q; want euid 0", euid)
	}

	runAttacks(t, p, []attack{
		{name: "a writable bind of the root, which carries the new mount along", method: "POST", path: "/containers/create",
			body: jobBody(root, plantProgram), reason: "without nosuid and nodev"},
	})

	unmount(scratch)
	again := createThroughProxy(t, p, jobBody(root, plantProgram))
	docker.ContainerRemove(ctxFor(t, time.Minute), again, containerRemoveForce())
}
