package proxy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/docker/docker/api/types/mount"
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

func TestANonRecursivelyReadOnlyBindIsNotReadOnly(t *testing.T) {
	dir := t.TempDir()
	f := &Facts{}
	for _, c := range []struct {
		name     string
		options  *mount.BindOptions
		readOnly bool
	}{
		{"a read-only bind", nil, true},
		{"a read-only bind with other options", &mount.BindOptions{Propagation: mount.PropagationRPrivate}, true},
		{"a bind read-only only at its top", &mount.BindOptions{ReadOnlyNonRecursive: true}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			facts, err := f.specMounts(context.Background(), "Mounts", []mount.Mount{{Type: mount.TypeBind, Source: dir, Target: "/in", ReadOnly: true, BindOptions: c.options}})
			if err != nil {
				t.Fatal(err)
			}
			if got := facts[0].(map[string]any)["read_only"]; got != c.readOnly {
				t.Fatalf("read_only = %v, want %v", got, c.readOnly)
			}
		})
	}
}
