// Package gcpace paces Go's garbage collector to a memory budget. xcsproxy
// allocates a few KiB per request around a live heap of a few MiB, so with
// Go's default pacing (collect when the heap doubles) it collected several
// times a second under load, and the collector's share of the CPU per request
// was larger than the policy decision's. Within the budget the collector runs
// rarely; once the live heap itself outgrows half the budget (large bodies,
// many streams), pacing returns to Go's defaults, so a big heap never makes
// the collector run back to back.
package gcpace

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// relaxedGOGC is the collector's target growth while the budget binds.
const relaxedGOGC = 400

// pacer holds the budget and the current mode.
type pacer struct {
	budget  int64
	relaxed bool
	sample  []metrics.Sample
}

// Paces reports whether Start would pace the collector to budget: a budget
// is set and the operator has not set GOGC or GOMEMLIMIT, which then rule
// as Go documents.
func Paces(budget int64) bool {
	return budget > 0 && os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == ""
}

// Start paces the collector to budget bytes of runtime memory until ctx
// ends, checking the live heap every interval. It does nothing (and returns
// false) when budget is 0 or the operator set GOGC or GOMEMLIMIT, which then
// rule as Go documents.
func Start(ctx context.Context, budget int64, interval time.Duration) bool {
	if !Paces(budget) {
		return false
	}
	p := &pacer{budget: budget, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	p.relax()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				p.restore()
				return
			case <-t.C:
				p.adjust(p.liveHeap())
			}
		}
	}()
	return true
}

func (p *pacer) liveHeap() int64 {
	metrics.Read(p.sample)
	if p.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(p.sample[0].Value.Uint64())
}

// adjust switches modes with hysteresis: back to Go's pacing above half the
// budget, relaxed again below a quarter.
func (p *pacer) adjust(live int64) {
	switch {
	case p.relaxed && live > p.budget/2:
		p.restore()
	case !p.relaxed && live < p.budget/4:
		p.relax()
	}
}

func (p *pacer) relax() {
	debug.SetGCPercent(relaxedGOGC)
	debug.SetMemoryLimit(p.budget)
	p.relaxed = true
}

func (p *pacer) restore() {
	debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(100)
	p.relaxed = false
}
