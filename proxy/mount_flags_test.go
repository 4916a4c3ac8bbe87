package proxy

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestPointsBelowListsEveryMountAPathsBindCarriesAlong(t *testing.T) {
	mountinfo := "" +
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n" +
		"30 22 8:2 / /data rw,relatime shared:2 - ext4 /dev/vdb rw\n" +
		"31 30 8:2 /xnat/build /data/xnat/build rw,nosuid,nodev,relatime shared:2 - ext4 /dev/vdb rw\n" +
		"32 31 0:40 / /data/xnat/build/scratch\\040space rw,relatime shared:3 - tmpfs tmpfs rw\n" +
		"33 30 8:2 /xnat/buildx /data/xnat/buildx rw,relatime shared:2 - ext4 /dev/vdb rw\n" +
		"34 31 8:2 /xnat/build /data/xnat/build rw,relatime shared:2 - ext4 /dev/vdb rw\n" +
		"short line\n" +
		"35 30 8:2 / /data/last rw - ext4 /dev/vdb rw"
	points := parseMountPoints([]byte(mountinfo), nil)
	cases := []struct {
		name, path string
		want       []string
	}{
		{"a root's own mount is not below it, a mount inside it is, with its escaped space undone",
			"/data/xnat/build", []string{"/data/xnat/build/scratch space"}},
		{"a sibling whose name only starts the same is not below",
			"/data/xnat/buildx", nil},
		{"every mount under a parent is below it, stacked ones each time, a last line without its newline too",
			"/data", []string{"/data/xnat/build", "/data/xnat/build/scratch space", "/data/xnat/buildx", "/data/xnat/build", "/data/last"}},
		{"a path below every mount has nothing below it",
			"/data/xnat/build/scratch space/job", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := pointsBelow(points, c.path); !slices.Equal(got, c.want) {
				t.Errorf("pointsBelow(%q) = %q, want %q", c.path, got, c.want)
			}
		})
	}
}

func TestAMountTableItCannotReadIsAnError(t *testing.T) {
	if _, err := newMountTable(filepath.Join(t.TempDir(), "absent")).below("/"); err == nil {
		t.Fatal("a mountinfo that cannot be read gave no error")
	}
}

func TestAMountTableReadsThisProcesssMounts(t *testing.T) {
	// Every process has / mounted, and something below it (/proc at least).
	points, err := newMountTable("/proc/self/mountinfo").below("/")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(points, "/proc") {
		t.Errorf("the mounts below / = %q; /proc is not among them", points)
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
