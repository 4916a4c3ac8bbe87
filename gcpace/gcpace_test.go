package gcpace

import (
	"math"
	"runtime/debug"
	"slices"
	"testing"
)

func TestPacingFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	p := &pacer{budget: 20 << 20}
	steps := []struct {
		name        string
		live        int64
		wantRelaxed bool
	}{
		{"a small live heap is paced to the budget", 4 << 20, true},
		{"a heap between a quarter and half keeps the budget", 8 << 20, true},
		{"a heap above half the budget returns to Go's pacing", 11 << 20, false},
		{"a heap between a quarter and half stays on Go's pacing", 8 << 20, false},
		{"a heap back below a quarter is paced to the budget again", 4 << 20, true},
	}
	p.relax()
	for _, s := range steps {
		p.adjust(s.live)
		gogc := debug.SetGCPercent(-1)
		debug.SetGCPercent(gogc)
		limit := debug.SetMemoryLimit(-1)
		if p.relaxed != s.wantRelaxed {
			t.Fatalf("%s: relaxed=%v", s.name, p.relaxed)
		}
		if s.wantRelaxed && (gogc != relaxedGOGC || limit != 20<<20) {
			t.Fatalf("%s: GOGC %d, limit %d; want %d and the budget", s.name, gogc, limit, relaxedGOGC)
		}
		if !s.wantRelaxed && (gogc != 100 || limit != math.MaxInt64) {
			t.Fatalf("%s: GOGC %d, limit %d; want Go's defaults", s.name, gogc, limit)
		}
	}
}

func TestTheOperatorsGOGCRules(t *testing.T) {
	t.Setenv("GOGC", "150")
	if Start(t.Context(), 20<<20, 0) {
		t.Fatal("paced the collector although GOGC was set")
	}
}

func TestWithoutMemProfileTurnsSamplingOffOnce(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		want []string
	}{
		{"an environment without GODEBUG gets one", []string{"PATH=/bin"}, []string{"PATH=/bin", "GODEBUG=memprofilerate=0"}},
		{"an empty GODEBUG gets the setting", []string{"GODEBUG="}, []string{"GODEBUG=memprofilerate=0"}},
		{"other GODEBUG settings are kept", []string{"GODEBUG=http2client=0", "HOME=/"}, []string{"GODEBUG=http2client=0,memprofilerate=0", "HOME=/"}},
		{"an operator's rate stands", []string{"GODEBUG=memprofilerate=1"}, nil},
		{"a rate among other settings stands", []string{"GODEBUG=madvdontneed=1, memprofilerate=512"}, nil},
		{"a process started with the setting is not started again", WithoutMemProfile([]string{"A=b"}), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := WithoutMemProfile(c.env)
			if !slices.Equal(got, c.want) || (got == nil) != (c.want == nil) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
