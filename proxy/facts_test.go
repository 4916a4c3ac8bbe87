package proxy

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestProtectedPathsAreListedOnceEachAfterResolving(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runDir, "docker.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// var/run -> run, as on most hosts.
	if err := os.Mkdir(filepath.Join(dir, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(runDir, filepath.Join(dir, "var", "run")); err != nil {
		t.Fatal(err)
	}
	up, err := NewUpstream("unix://"+filepath.Join(runDir, "docker.sock"), nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFacts(up, []string{
		filepath.Join(dir, "var", "run", "docker.sock"),
		filepath.Join(runDir, "docker.sock"),
		filepath.Join(dir, "lib", "docker"),
		filepath.Join(runDir, "docker.sock"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(runDir, "docker.sock"), filepath.Join(dir, "lib", "docker")}
	if !slices.Equal(f.Protected, want) {
		t.Fatalf("protected paths = %q, want %q", f.Protected, want)
	}
}
