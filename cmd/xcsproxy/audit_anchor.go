package main

import (
	"context"
	"time"

	"github.com/xcsproxy/xcsproxy/audit"
)

// anchorAuditHead logs the audit chain's durable head with logHead, the
// writer's OnHead, every interval in which it moved, until ctx ends.
// Whoever can rewrite the audit file can recompute its chain; a head
// shipped off the machine with the operational log is what catches that,
// and at rotation alone (100 MB by default) it can be days between heads.
func anchorAuditHead(ctx context.Context, w *audit.Writer, file string, every time.Duration, logHead func(file string, seq uint64, hash string)) {
	t := time.NewTicker(every)
	defer t.Stop()
	last, _ := w.DurableHead() // the previous run logged this one at its shutdown
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if seq, hash := w.DurableHead(); seq != last {
			last = seq
			logHead(file, seq, hash)
		}
	}
}
