package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestConfigRootsReadsThePathsOfMountsAllow(t *testing.T) {
	data := map[string]any{"config": map[string]any{"mounts": map[string]any{"allow": []any{
		map[string]any{"path": "/data/xnat/archive", "read_only": true},
		map[string]any{"read_only": false},
		map[string]any{"path": "/data/xnat/build", "read_only": false},
	}}}}
	got := configRoots(data)
	if len(got) != 2 || got[0] != "/data/xnat/archive" || got[1] != "/data/xnat/build" {
		t.Errorf("configRoots = %q", got)
	}
	if got := configRoots(map[string]any{}); got != nil {
		t.Errorf("configRoots of no config = %q", got)
	}
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
