package proxy

import (
	"testing"
)

func TestAnyInsideFindsAPathStrictlyBelowADirectory(t *testing.T) {
	cases := []struct {
		name        string
		paths, dirs []string
		want        string
		inside      bool
	}{
		{"a path below a directory is inside it", []string{"/b/a/y"}, []string{"/b/a"}, "/b/a", true},
		{"a directory is not inside itself", []string{"/b/a"}, []string{"/b/a"}, "", false},
		{"a sibling with a longer name is not inside", []string{"/b/ab/y"}, []string{"/b/a"}, "", false},
		{"the resolved form counts as well as the written one", []string{"/b/link/y", "/b/a/y"}, []string{"/b/a"}, "/b/a", true},
		{"a directory held through a symlink counts by its resolved form", []string{"/b/a/y"}, []string{"/b/link", "/b/a"}, "/b/a", true},
		{"everything is inside the root directory", []string{"/b"}, []string{"/"}, "/", true},
		{"a parent is not inside its child", []string{"/b"}, []string{"/b/a"}, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, inside := anyInside(c.paths, c.dirs)
			if got != c.want || inside != c.inside {
				t.Errorf("anyInside(%q, %q) = %q, %v; want %q, %v", c.paths, c.dirs, got, inside, c.want, c.inside)
			}
		})
	}
}

func TestMarkNestingAsksTheDaemonNothingWithoutAHostPath(t *testing.T) {
	// No client: a lookup would panic. Volumes and tmpfs have no host path.
	f := &Facts{}
	mounts := []any{newMountFact("Mounts", "tmpfs", "", "/tmp"), newMountFact("Mounts", "volume", "v", "/v")}
	if err := f.markNesting(t.Context(), mounts, notSelf{}); err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts {
		if fact := m.(map[string]any); fact["inside_writable_of"] != "" || fact["holds_binds_of"] != "" {
			t.Errorf("a mount without a host path was marked: %v", fact)
		}
	}
}
