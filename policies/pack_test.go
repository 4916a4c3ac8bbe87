package policies

import (
	"context"
	"testing"

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
