package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestConfigRootsReadsThePathsOfMountsAllowAndWhetherTheyAreReadOnly(t *testing.T) {
	data := map[string]any{"config": map[string]any{"mounts": map[string]any{"allow": []any{
		map[string]any{"path": "/data/xnat/archive", "read_only": true},
		map[string]any{"read_only": false},
		map[string]any{"path": "/data/xnat/build", "read_only": false},
	}}}}
	got := configRoots(data)
	want := []mountRoot{{"/data/xnat/archive", true}, {"/data/xnat/build", false}}
	if !slices.Equal(got, want) {
		t.Errorf("configRoots = %v, want %v", got, want)
	}
	if got := configRoots(map[string]any{}); got != nil {
		t.Errorf("configRoots of no config = %v", got)
	}
}

func TestSettingOnReadsAMountsBooleanOrItsDefault(t *testing.T) {
	config := func(mounts map[string]any) map[string]any {
		return map[string]any{"config": map[string]any{"mounts": mounts}}
	}
	cases := []struct {
		name string
		data map[string]any
		def  bool
		want bool
	}{
		{"a setting turned off is off whatever the default", config(map[string]any{"require_nosuid_nodev": false}), true, false},
		{"a setting turned on is on", config(map[string]any{"require_nosuid_nodev": true}), false, true},
		{"a setting left out takes the default", config(map[string]any{}), true, true},
		{"no config at all takes the default", map[string]any{}, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := settingOn(c.data, "require_nosuid_nodev", c.def); got != c.want {
				t.Errorf("settingOn = %v, want %v", got, c.want)
			}
		})
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
