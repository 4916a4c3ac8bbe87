package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// awaitWriter polls the writer's state, the lock held, until cond holds.
func awaitWriter(t *testing.T, w *Writer, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		w.mu.Lock()
		ok := cond()
		w.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 2 s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func linesIn(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// openFlushed opens a log in a test's directory, closed when it ends.
func openFlushed(t *testing.T, sync SyncMode) (w *Writer, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "audit.log")
	w, err := Open(path, Options{Sync: sync})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, path
}

func TestTheFlusherParksWhenRecordsStopAndWakesForTheNextOne(t *testing.T) {
	w, path := openFlushed(t, SyncNone)
	for want := 1; want <= 3; want++ {
		if err := w.Enqueue(pingRecord()); err != nil {
			t.Fatal(err)
		}
		awaitWriter(t, w, "the queued record written", func() bool { return w.fileSeq == uint64(want) })
		// Parked, the next record's line is written only if it wakes it.
		awaitWriter(t, w, "the flusher parked", func() bool { return w.parked })
	}
	if n := linesIn(t, path); n != 3 {
		t.Fatalf("%d lines in the file, want 3", n)
	}
}

func TestABatchWriteIsSyncedByTheFlusherWhichThenParks(t *testing.T) {
	w, _ := openFlushed(t, SyncBatch)
	for i := 0; i < 2; i++ {
		written := time.Now()
		if err := w.Append(pingRecord()); err != nil {
			t.Fatal(err)
		}
		awaitWriter(t, w, "the write fsynced and the flusher parked", func() bool {
			return w.lastSync.After(written) && !w.unsynced && w.parked
		})
	}
}
