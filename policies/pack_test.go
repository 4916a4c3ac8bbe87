package policies

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xcsproxy/xcsproxy/policy"
)

// TestPackPassesItsOwnRegoTests runs every *_test.rego of the embedded pack,
// as `xcsproxy policy test` does.
func TestPackPassesItsOwnRegoTests(t *testing.T) {
	set, err := policy.Load(context.Background(), FS)
	if err != nil {
		t.Fatal(err)
	}
	results, err := set.RunTests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("the pack has no Rego tests")
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("%s (%s): %s", r.Name, r.File, r.Detail)
		}
	}
}

func TestPackIsFormatted(t *testing.T) {
	set, err := policy.Load(context.Background(), FS)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := set.Unformatted()
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Fatalf("not opa-fmt formatted: %v", bad)
	}
}

// A malformed images.allow glob stops the load, under the strict builtin
// errors decisions run with, instead of failing every image decision.
func TestAMalformedImagePatternStopsTheLoad(t *testing.T) {
	fsys := fstest.MapFS{}
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		fsys[e.Name()] = &fstest.MapFile{Data: b}
	}
	fsys["config.yaml"] = &fstest.MapFile{Data: []byte("images:\n  allow: [\"docker.io/xnat/[\"]\n")}
	_, err = policy.Load(context.Background(), fsys)
	if err == nil || !strings.Contains(err.Error(), "config.yaml") || !strings.Contains(err.Error(), "glob") {
		t.Fatalf("Load error %v; want one about config.yaml's glob", err)
	}
}
