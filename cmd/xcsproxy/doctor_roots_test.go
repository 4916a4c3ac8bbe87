package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xcsproxy/xcsproxy/policies"
	"github.com/xcsproxy/xcsproxy/policy"
)

func TestParseRootsReadsEachRootsPathAndWhetherItIsReadOnly(t *testing.T) {
	got := parseRoots([]any{
		map[string]any{"path": "/data/xnat/archive", "read_only": true},
		map[string]any{"read_only": false},
		map[string]any{"path": "/data/xnat/build", "read_only": false},
	})
	want := []mountRoot{{"/data/xnat/archive", true}, {"/data/xnat/build", false}}
	if !slices.Equal(got, want) {
		t.Errorf("parseRoots = %v, want %v", got, want)
	}
	if got := parseRoots(nil); got != nil {
		t.Errorf("parseRoots of no roots = %v", got)
	}
}

func TestPackRootsAreTheRootsTheLoadedPacksRulesUse(t *testing.T) {
	ctx := context.Background()
	got := packRoots(ctx, loadPack(t, "mounts:\n  allow:\n    - {path: /srv/archive, read_only: true}\n    - {path: /srv/build, read_only: false}\n"))
	want := []mountRoot{{"/srv/archive", true}, {"/srv/build", false}}
	if !slices.Equal(got, want) {
		t.Errorf("packRoots = %v, want %v", got, want)
	}
	if got := packRoots(ctx, loadPack(t, "mounts: {}\n")); got != nil {
		t.Errorf("packRoots of a config without roots = %v", got)
	}
}

// loadPack loads the embedded pack with config as its config.yaml (the
// shipped one when config is empty).
func loadPack(t *testing.T, config string) *policy.Set {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, policies.FS); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := policy.Load(context.Background(), os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestWritableAboveFindsADirectorySomeoneElseMayRenameIn(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it makes directories owned by root with chosen modes")
	}
	base := t.TempDir()
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	open, sticky := filepath.Join(base, "open"), filepath.Join(base, "sticky")
	for dir, mode := range map[string]os.FileMode{open: 0o777, sticky: 0o777 | os.ModeSticky} {
		if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
	}
	if dir, why, found := writableAbove(filepath.Join(open, "root")); !found || dir != open {
		t.Errorf("writableAbove under a world-writable directory = %q %q %v, want %q", dir, why, found, open)
	}
	if dir, why, found := writableAbove(filepath.Join(sticky, "root")); found {
		t.Errorf("writableAbove under a sticky directory found %q (%s)", dir, why)
	}
}

func TestRequiresNoSuidNoDevAsksTheLoadedPack(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		config string
		want   bool
	}{
		{"the default pack requires it", "", true},
		{"a config that leaves the setting out gets the rule's default", "mounts: {allow: []}\n", true},
		{"a config that turns it off is heard", "mounts: {allow: [], require_nosuid_nodev: false}\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := requiresNoSuidNoDev(ctx, loadPack(t, c.config)); got != c.want {
				t.Errorf("requiresNoSuidNoDev = %v, want %v", got, c.want)
			}
		})
	}
}
