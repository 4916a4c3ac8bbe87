package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTheContainerImageServesDockerThroughASharedSocket builds the image
// from the Dockerfile, runs xcsproxy in it (read-only, non-root, the Docker
// socket mounted, its own socket in a host directory) and runs a container
// through that socket.
func TestTheContainerImageServesDockerThroughASharedSocket(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	buildCtx := t.TempDir()
	os.MkdirAll(filepath.Join(buildCtx, "bin"), 0o755)
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(buildCtx, "bin", "xcsproxy"), "../cmd/xcsproxy")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("static build: %v\n%s", err, out)
	}
	for _, f := range []string{"Dockerfile", ".dockerignore"} {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(buildCtx, f), string(b))
	}
	const tag = "xcsproxy-e2e/xcsproxy:test"
	if out, err := exec.CommandContext(ctx, "docker", "build", "-q", "-t", tag, buildCtx).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}

	shared, err := os.MkdirTemp("", "xcsimg")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(shared)
	logs := filepath.Join(shared, "log")
	run := filepath.Join(shared, "run")
	for _, d := range []string{logs, run} {
		os.MkdirAll(d, 0o777)
		os.Chmod(d, 0o777) // the container's user 65532 writes here
	}
	pol := policyDir(t, testConfig())
	os.Chmod(pol, 0o755)
	var st syscall.Stat_t
	if err := syscall.Stat("/var/run/docker.sock", &st); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("xcsproxy-e2e-image-%d", time.Now().UnixNano())
	out, err := exec.CommandContext(ctx, "docker", "run", "-d", "--name", name, "--read-only",
		"--label", testLabel+"=image", "--group-add", fmt.Sprint(st.Gid), "--health-interval", "1s",
		"-v", "/var/run/docker.sock:/var/run/docker.sock",
		"-v", run+":/run/xcsproxy", "-v", logs+":/var/log/xcsproxy", "-v", pol+":/etc/xcsproxy/policies:ro",
		tag, "serve", "--policies", "/etc/xcsproxy/policies").CombinedOutput()
	if err != nil {
		t.Fatalf("docker run xcsproxy: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rm", "-f", name).Run()
	sock := filepath.Join(run, "docker.sock")
	waitFor(t, 20*time.Second, "the containerized xcsproxy's socket", func() bool {
		_, err := os.Stat(sock)
		return err == nil
	})
	p := &proxyProc{Sock: sock}
	hi, errOut, err := p.cli(ctx, "", "run", "--rm", "--label", testLabel+"=via-image", testImage, "echo", "hi")
	if err != nil || strings.TrimSpace(hi) != "hi" {
		logsOut, _ := exec.Command("docker", "logs", name).CombinedOutput()
		t.Fatalf("docker run through the containerized xcsproxy: %v %q %s\n%s", err, hi, errOut, logsOut)
	}
	waitFor(t, 30*time.Second, "the HEALTHCHECK to report healthy", func() bool {
		out, _ := exec.Command("docker", "inspect", "-f", "{{.State.Health.Status}}", name).Output()
		return strings.TrimSpace(string(out)) == "healthy"
	})
	user, _ := exec.Command("docker", "inspect", "-f", "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}", name).Output()
	if strings.TrimSpace(string(user)) != "65532:65532 true" {
		t.Fatalf("user and read-only root: %q", user)
	}
	if audit, err := os.ReadFile(filepath.Join(logs, "audit.log")); err != nil || !strings.Contains(string(audit), `"container.create"`) {
		t.Fatalf("the containerized xcsproxy wrote no audit record of the create: %v", err)
	}
}
