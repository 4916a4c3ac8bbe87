package audit

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func pingRecord() *Record {
	return &Record{Type: TypeDecision, DecisionID: NewDecisionID(), Timestamp: time.Now(), Endpoint: "system.ping", Result: &Result{Allow: true}}
}

func TestConcurrentAppendsFormOneUnbrokenChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	w, err := Open(path, Options{Sync: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 200
	var wg sync.WaitGroup
	seqs := make(chan uint64, writers*each)
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				rec := pingRecord()
				if err := w.Append(rec); err != nil {
					t.Error(err)
					return
				}
				seqs <- rec.Seq
			}
		}()
	}
	wg.Wait()
	close(seqs)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("seq %d handed out twice", s)
		}
		seen[s] = true
	}
	r := verify(t, path)
	if !r.OK() || r.Records != writers*each || r.LastSeq != writers*each || len(seen) != writers*each {
		t.Fatalf("report %+v (broken %v), %d distinct seqs", r, r.Broken, len(seen))
	}
}

func TestAQueuedRecordReachesTheFileWithoutAnAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	w, err := Open(path, Options{Sync: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Enqueue(pingRecord()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if b, _ := os.ReadFile(path); strings.Count(string(b), "\n") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a queued record was not written within 2 s")
		}
		time.Sleep(time.Millisecond)
	}
	if seq, _ := w.Head(); seq != 1 {
		t.Fatalf("head seq %d, want 1", seq)
	}
}

func TestQueuedRecordsKeepTheirPlaceInTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	w, err := Open(path, Options{Sync: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for i := 0; i < 50; i++ {
		outcome := &Record{Type: TypeOutcome, DecisionID: NewDecisionID(), Timestamp: time.Now(), Outcome: &Outcome{Status: 200}}
		decision := pingRecord()
		if err := w.Enqueue(outcome); err != nil {
			t.Fatal(err)
		}
		if err := w.Append(decision); err != nil {
			t.Fatal(err)
		}
		order = append(order, outcome.DecisionID, decision.DecisionID)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := Read([]string{path}, func(r *Record) error { got = append(got, r.DecisionID); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(order, ",") {
		t.Fatalf("records in the file are not in the order they were added")
	}
	if r := verify(t, path); !r.OK() || r.Records != 100 {
		t.Fatalf("report %+v (broken %v)", r, r.Broken)
	}
}

func TestAFailedWriteFailsItsRecordsAndTheChainResumesFromTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	var lost []error
	w, err := Open(path, Options{Sync: SyncNone, OnLost: func(err error) { lost = append(lost, err) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(pingRecord()); err != nil {
		t.Fatal(err)
	}
	// Swap in a descriptor that refuses writes, as a full or failed disk would.
	w.mu.Lock()
	good := w.f
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	w.f = ro
	w.lastCheck = time.Now()
	w.mu.Unlock()
	if err := w.Enqueue(pingRecord()); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(pingRecord()); err == nil {
		t.Fatal("an Append on a log that refuses writes succeeded")
	}
	if seq, _ := w.Head(); seq != 1 {
		t.Fatalf("head seq %d after a failed write, want 1", seq)
	}
	w.mu.Lock()
	if len(lost) != 1 {
		t.Errorf("OnLost heard of %d failures, want 1 (the queued record)", len(lost))
	}
	ro.Close()
	w.f = good
	w.mu.Unlock()
	rec := pingRecord()
	if err := w.Append(rec); err != nil {
		t.Fatal(err)
	}
	if rec.Seq != 2 {
		t.Fatalf("the next record got seq %d, want 2: the failed ones must not leave a gap", rec.Seq)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if r := verify(t, path); !r.OK() || r.Records != 2 || len(r.Torn) != 0 {
		t.Fatalf("report %+v (broken %v, torn %v)", r, r.Broken, r.Torn)
	}
}

func TestAVeryLargeRecordsBufferIsNotKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	w, err := Open(path, Options{Sync: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	big := pingRecord()
	big.Input = strings.Repeat("x", 1<<20)
	if err := w.Append(big); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	kept := cap(w.pending)
	w.mu.Unlock()
	if kept > maxKeptPending {
		t.Fatalf("the writer keeps a %d-byte buffer after a 1 MiB record", kept)
	}
	if err := w.Append(pingRecord()); err != nil {
		t.Fatal(err)
	}
	if r := verify(t, path); !r.OK() || r.Records != 2 {
		t.Fatalf("report %+v (broken %v)", r, r.Broken)
	}
}
