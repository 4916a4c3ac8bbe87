package audit

import "time"

// flushDelay bounds how long a line queued with Enqueue waits for an
// Append to carry it before the flusher writes it.
const flushDelay = 5 * time.Millisecond

// syncDelay bounds, with SyncBatch, how far the fsync of a write lags
// behind it: while records keep coming, one fsync covers this long's
// writes; once they stop, the flusher's next round fsyncs. The lag only
// matters if the machine itself fails (the kernel keeps what a crashed
// xcsproxy wrote); --audit-sync always closes it.
const syncDelay = 50 * time.Millisecond

// The flusher is the Writer's one background goroutine: it writes the
// queued lines no Append carried and, with SyncBatch, fsyncs what was
// written. While records come it rounds every flushDelay on its own; in
// the first round in which none came, it fsyncs what is left and parks,
// and the next record that needs it wakes it. It used to be two
// goroutines signalled at nearly every write, one of them fsyncing every
// 5 ms: at one client on /_ping those wake-ups and fsyncs, not the
// encoding or the write, were most of what the audit log cost.

// needFlusher notes, the lock held, that a record came which the flusher
// must see to (a queued line, or a write to fsync), and wakes it if it is
// parked.
func (w *Writer) needFlusher() {
	w.busy = true
	if w.parked {
		w.parked = false
		w.wake <- struct{}{} // never blocks: only a parked flusher is sent one
	}
}

func (w *Writer) flusher() {
	defer w.wg.Done()
	for {
		select {
		case <-w.done:
			return
		case <-w.wake:
		}
		for rounding := true; rounding; {
			time.Sleep(flushDelay)
			select {
			case <-w.done:
				return // Close writes and syncs what is left
			default:
			}
			rounding = w.flushRound()
		}
	}
}

// flushRound writes the queued lines and fsyncs the writes: while records
// keep coming, once syncDelay has passed since the last fsync; once they
// stop, at once, since nothing then waits behind the disk. When no record
// came since the last round, it parks the flusher and reports false.
func (w *Writer) flushRound() (more bool) {
	w.mu.Lock()
	came := w.busy
	if w.queuedLines {
		_ = w.writePending() // a failure reaches OnLost
	}
	w.busy = false // its own write is not a record that came
	f, sync := w.f, w.unsynced && (!came || time.Since(w.lastSync) >= syncDelay)
	if sync {
		w.unsynced, w.lastSync = false, time.Now()
	}
	head := chainHead{w.fileSeq, w.filePrev}
	more = came
	w.parked = !more
	w.mu.Unlock()
	if sync && f != nil {
		// Without the lock: writers must not wait for the disk in batch
		// mode. A file rotated away meanwhile was synced by rotate, which
		// moved the durable head itself.
		if f.Sync() == nil {
			w.mu.Lock()
			if head.seq > w.durable.seq {
				w.durable = head
			}
			w.mu.Unlock()
		}
	}
	return more
}
