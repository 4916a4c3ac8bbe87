package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

const (
	// testImage is imported locally from a static Go binary; no registry.
	testImage = "xcsproxy-e2e/tool:latest"
	// managedLabel marks containers the tests made, for cleanup.
	testLabel = "xcsproxy.e2e"
)

var (
	// archiveRoot and buildRoot stand in for XNAT's archive and build
	// directories; the test config allows binds under them.
	archiveRoot, buildRoot string
	binary                 string         // the built xcsproxy
	toolBinary             string         // the static test tool images are made of
	docker                 *client.Client // straight to the daemon, for setup and checks
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "xcsproxy-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Before the removal: setup mounts the build root on itself.
	defer func() {
		if buildRoot != "" {
			unmount(buildRoot)
		}
	}()
	if err := setup(dir); err != nil {
		// No skipping: a missing daemon is a failure, in CI and everywhere.
		fmt.Fprintln(os.Stderr, "e2e setup FAILED:", err)
		return 1
	}
	code := m.Run()
	cleanup()
	return code
}

func setup(dir string) error {
	archiveRoot, buildRoot = filepath.Join(dir, "archive"), filepath.Join(dir, "build")
	for _, d := range []string{archiveRoot, buildRoot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// The writable root is hardened as docs/deploy.md says, or the default
	// pack refuses every writable bind in it (mounts.require_nosuid_nodev).
	if err := mountOnItself(buildRoot, "nosuid,nodev"); err != nil {
		return err
	}
	binary = filepath.Join(dir, "xcsproxy")
	// The race detector watches the real server process too; startProxy
	// fails a test whose xcsproxy reported a race.
	if out, err := exec.Command("go", "build", "-race", "-o", binary, "../cmd/xcsproxy").CombinedOutput(); err != nil {
		return fmt.Errorf("building xcsproxy: %v\n%s", err, out)
	}
	toolBinary = filepath.Join(dir, "tool")
	build := exec.Command("go", "build", "-o", toolBinary, "./testdata/tool")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building test tool: %v\n%s", err, out)
	}
	var err error
	docker, err = client.NewClientWithOpts(client.WithHost("unix:///var/run/docker.sock"), client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := docker.Ping(ctx); err != nil {
		return fmt.Errorf("no Docker daemon at /var/run/docker.sock (run .ci/run, which installs and starts one): %w", err)
	}
	return importImage(ctx, testImage, nil)
}

// importImage makes an image from the tool binary: /bin/tool plus one
// symlink per command name, with labels and any other Dockerfile changes
// (ENV ...) set at import.
func importImage(ctx context.Context, ref string, labels map[string]string, changes ...string) error {
	bin, err := os.ReadFile(toolBinary)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777})
	tw.WriteHeader(&tar.Header{Name: "bin/tool", Mode: 0o755, Size: int64(len(bin))})
	tw.Write(bin)
	for _, name := range []string{"echo", "cat", "read", "sleep", "tick", "both", "err", "sh", "plant", "mknod", "euid", "raw", "dial"} {
		tw.WriteHeader(&tar.Header{Name: "bin/" + name, Typeflag: tar.TypeSymlink, Linkname: "tool"})
	}
	if err := tw.Close(); err != nil {
		return err
	}
	changes = append([]string{"ENV PATH=/bin"}, changes...)
	for k, v := range labels {
		changes = append(changes, fmt.Sprintf("LABEL %s=%q", k, v))
	}
	rc, err := docker.ImageImport(ctx, image.ImportSource{Source: &buf, SourceName: "-"}, ref, image.ImportOptions{Changes: changes})
	if err != nil {
		return fmt.Errorf("importing %s: %w", ref, err)
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// cleanup removes every container the tests left behind.
func cleanup() {
	ctx := context.Background()
	list, err := docker.ContainerList(ctx, containerListAll())
	if err != nil {
		return
	}
	for _, c := range list {
		if c.Labels[testLabel] != "" || strings.HasPrefix(c.Image, "xcsproxy-e2e/") || imageIsTest(c.Image) {
			_ = docker.ContainerRemove(ctx, c.ID, containerRemoveForce())
		}
	}
}

func imageIsTest(ref string) bool { return strings.Contains(ref, "xcsproxy-e2e") }
