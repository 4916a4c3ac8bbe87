package e2e

import (
	"context"
	"encoding/base64"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
)

// registryAddr is the local registry .ci/run starts (no registry outside this
// machine is reachable).
func registryAddr() string {
	if r := os.Getenv("XCSPROXY_E2E_REGISTRY"); r != "" {
		return r
	}
	return "localhost:5000"
}

// pushTestImage puts the test image into the local registry under tag and
// removes that tag from the daemon, so a pull through xcsproxy has real work
// to do. It returns the repository name.
func pushTestImage(t *testing.T, ctx context.Context, tag string) string {
	t.Helper()
	repo := registryAddr() + "/xcsproxy-e2e/tool"
	pushTestImageAs(t, ctx, repo, tag)
	return repo
}

// pushTestImageAs is pushTestImage into any repository of the local
// registry.
func pushTestImageAs(t *testing.T, ctx context.Context, repo, tag string) {
	t.Helper()
	ref := repo + ":" + tag
	if err := docker.ImageTag(ctx, testImage, ref); err != nil {
		t.Fatal(err)
	}
	rc, err := docker.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: emptyAuth()})
	if err != nil {
		t.Fatalf("pushing %s to the local registry (does .ci/run's docker-registry run on %s?): %v", ref, registryAddr(), err)
	}
	out, _ := io.ReadAll(rc)
	rc.Close()
	if containsErrorDetail(out) {
		t.Fatalf("pushing %s to the local registry failed: %s", ref, out)
	}
	if _, err := docker.ImageRemove(ctx, ref, image.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
}

func emptyAuth() string { return base64.URLEncoding.EncodeToString([]byte("{}")) }

func containsErrorDetail(b []byte) bool {
	return strings.Contains(string(b), `"errorDetail"`) || strings.Contains(string(b), `"error"`)
}
