package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHoldingMountIsTheDeepestTopmostMountAboveAPath(t *testing.T) {
	var mounts []mountEntry
	for _, line := range []string{
		`22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw`,
		`30 22 8:2 / /data rw,relatime shared:2 - ext4 /dev/sda2 rw`,
		`31 30 8:2 /xnat/build /data/xnat/build rw,nosymfollow,relatime shared:2 - ext4 /dev/sda2 rw`,
		`32 22 0:40 / /mnt/with\040space rw,nosymfollow - tmpfs tmpfs rw`,
		`33 30 8:2 /other /data/xnat/build rw,relatime - ext4 /dev/sda2 rw`,
		`short line`,
	} {
		if m, ok := parseMountinfoLine(line); ok {
			mounts = append(mounts, m)
		}
	}
	cases := []struct {
		name, path, point string
		noSymFollow       bool
	}{
		{"a path on the root filesystem is on /", "/etc/passwd", "/", false},
		{"a path below a mount is on that mount", "/data/xnat/archive/p", "/data", false},
		{"of two mounts stacked on one point the last is on top", "/data/xnat/build/job", "/data/xnat/build", false},
		{"a sibling with a longer name is not below a mount point", "/data/xnat/buildings", "/data", false},
		{"an escaped space in a mount point is read as a space", "/mnt/with space/x", "/mnt/with space", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, ok := holdingMount(mounts, c.path)
			if !ok || m.point != c.point || m.noSymFollow != c.noSymFollow {
				t.Errorf("holdingMount(%q) = %+v, %v; want point %q nosymfollow %v", c.path, m, ok, c.point, c.noSymFollow)
			}
		})
	}
}

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
