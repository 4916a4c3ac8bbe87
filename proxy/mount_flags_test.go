package proxy

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestMountPointsBelowListsEveryMountAPathsBindCarriesAlong(t *testing.T) {
	mountinfo := filepath.Join(t.TempDir(), "mountinfo")
	lines := "" +
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n" +
		"30 22 8:2 / /data rw,relatime shared:2 - ext4 /dev/vdb rw\n" +
		"31 30 8:2 /xnat/build /data/xnat/build rw,nosuid,nodev,relatime shared:2 - ext4 /dev/vdb rw\n" +
		"32 31 0:40 / /data/xnat/build/scratch\\040space rw,relatime shared:3 - tmpfs tmpfs rw\n" +
		"33 30 8:2 /xnat/buildx /data/xnat/buildx rw,relatime shared:2 - ext4 /dev/vdb rw\n" +
		"34 31 8:2 /xnat/build /data/xnat/build rw,relatime shared:2 - ext4 /dev/vdb rw\n" +
		"short line\n"
	if err := os.WriteFile(mountinfo, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		want       []string
	}{
		{"a root's own mount is not below it, a mount inside it is, with its escaped space undone",
			"/data/xnat/build", []string{"/data/xnat/build/scratch space"}},
		{"a sibling whose name only starts the same is not below",
			"/data/xnat/buildx", nil},
		{"every mount under a parent is below it, stacked ones each time",
			"/data/xnat", []string{"/data/xnat/build", "/data/xnat/build/scratch space", "/data/xnat/buildx", "/data/xnat/build"}},
		{"a path below every mount has nothing below it",
			"/data/xnat/build/scratch space/job", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := mountPointsBelow(mountinfo, c.path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("mountPointsBelow(%q) = %q, want %q", c.path, got, c.want)
			}
		})
	}
}

func TestMountPointsBelowFailsOnAMountinfoItCannotRead(t *testing.T) {
	if _, err := mountPointsBelow(filepath.Join(t.TempDir(), "absent"), "/"); err == nil {
		t.Fatal("a mountinfo that cannot be read gave no error")
	}
}

func TestMountOptionsOfAnswersForAPathThatDoesNotExistYet(t *testing.T) {
	// The daemon creates a missing bind source; the mount it lands on is
	// that of its deepest existing part. (A nosymfollow mount is e2e's:
	// making one needs root.)
	dir := t.TempDir()
	missing := filepath.Join(dir, "not", "yet")
	if got, want := MountOptionsOf(missing), MountOptionsOf(dir); got != want {
		t.Errorf("MountOptionsOf(%s) = %+v, but its existing parent says %+v", missing, got, want)
	}
}
