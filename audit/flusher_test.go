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

func TestTheDurableHeadIsTheHeadOfWhatReachedTheDisk(t *testing.T) {
	cases := []struct {
		name string
		sync SyncMode
		// at once: the durable head is the file's as soon as Append
		// returns; otherwise once the flusher has fsynced.
		atOnce bool
		queued bool
	}{
		{name: "with always, a record is durable when Append returns", sync: SyncAlways, atOnce: true},
		{name: "with none, the durable head is the file's, as the kernel holds it", sync: SyncNone, atOnce: true},
		{name: "with batch, it follows the file's once the flusher has fsynced", sync: SyncBatch},
		{name: "with batch, a queued outcome is durable once written and fsynced", sync: SyncBatch, queued: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, path := openFlushed(t, c.sync)
			for i := 0; i < 3; i++ {
				add := w.Append
				if c.queued && i == 2 {
					add = w.Enqueue
				}
				if err := add(pingRecord()); err != nil {
					t.Fatal(err)
				}
			}
			if c.atOnce {
				if seq, _ := w.DurableHead(); seq != 3 {
					t.Fatalf("durable head at seq %d when Append returned, want 3", seq)
				}
			} else {
				awaitWriter(t, w, "the durable head at the third record", func() bool { return w.durable.seq == 3 })
			}
			seq, hash := w.DurableHead()
			fileSeq, fileHash, _, err := lastRecord(path)
			if err != nil {
				t.Fatal(err)
			}
			if seq != fileSeq || hash != fileHash {
				t.Fatalf("durable head %d %s; the file ends at %d %s", seq, hash, fileSeq, fileHash)
			}
		})
	}
}

func TestARotationMakesTheRotatedFilesHeadDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	w, err := Open(path, Options{Sync: SyncBatch, MaxSize: 1, Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Append(pingRecord()); err != nil {
		t.Fatal(err)
	}
	// The write reached MaxSize, so the file was fsynced and rotated before
	// Append returned, whatever the flusher has done since.
	seq, hash := w.DurableHead()
	rotatedSeq, rotatedHash, _, err := lastRecord(path + ".1")
	if err != nil {
		t.Fatal(err)
	}
	if seq != 1 || seq != rotatedSeq || hash != rotatedHash {
		t.Fatalf("durable head %d %s after the rotation; the rotated file ends at %d %s", seq, hash, rotatedSeq, rotatedHash)
	}
}
