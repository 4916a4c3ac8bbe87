package main

import (
	"context"
	"time"

	"github.com/xcsproxy/xcsproxy/audit"
)

// headMessage is the operational log's line for an audit chain head, at
// rotation, at shutdown and every --audit-anchor-every.
const headMessage = "audit chain head (keep it to check the log with audit verify --head)"

// anchorAuditHead logs the audit chain's durable head every interval in
// which it moved, until ctx ends. Whoever can rewrite the audit file can
// recompute its chain; a head shipped off the machine with the operational
// log is what catches that, and at rotation alone (100 MB by default) it
// can be days between heads.
func anchorAuditHead(ctx context.Context, w *audit.Writer, every time.Duration, logHead func(seq uint64, hash string)) {
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
			logHead(seq, hash)
		}
	}
}
