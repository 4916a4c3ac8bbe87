package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Finding is one place where a log is not what the writer wrote.
type Finding struct {
	File   string
	Line   int
	Kind   string // modified, removed, inserted, reordered, broken, torn-tail, torn-line, head
	Detail string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Kind, f.Detail)
}

// Report is the result of verifying one chain of files.
type Report struct {
	Records   int
	FirstSeq  uint64
	LastSeq   uint64
	StartPrev string // prev_hash of the first record: where this chain joins an older file
	Head      string // hash of the last record
	// Torn lists interrupted writes (a crash or a full disk): not tampering.
	Torn []Finding
	// Broken is the first sign of tampering, nil when the chain holds.
	Broken *Finding
}

// OK reports whether the chain holds.
func (r *Report) OK() bool { return r.Broken == nil }

type entry struct {
	file     string
	line     int
	sealed   *sealedLine
	raw      []byte
	complete bool
}

// Verify checks files, oldest first, as one chain. With head set, the chain
// must also reach that hash (an anchor recorded outside the file).
func Verify(files []string, head string) (*Report, error) {
	var entries []entry
	for _, f := range files {
		err := readLines(f, func(n int, line []byte, complete bool) error {
			e := entry{file: f, line: n, complete: complete, raw: append([]byte(nil), line...)}
			if s, err := parseLine(line); err == nil && complete {
				e.sealed = s
			}
			entries = append(entries, e)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
	}
	byHash := map[string]int{}
	for i, e := range entries {
		if e.sealed != nil {
			if _, dup := byHash[e.sealed.hash]; !dup {
				byHash[e.sealed.hash] = i
			}
		}
	}
	r := &Report{}
	prev, started := "", false
	var lastSeq uint64
	afterTorn := -1
	for i, e := range entries {
		if e.sealed == nil {
			if i == len(entries)-1 {
				r.Torn = append(r.Torn, Finding{e.file, e.line, "torn-tail", "the last line is incomplete: xcsproxy stopped while writing it (a crash, or a full disk); nothing after it was acted on"})
				continue
			}
			if looksTorn(e.raw) {
				r.Torn = append(r.Torn, Finding{e.file, e.line, "torn-line", "an interrupted write (full disk or crash); the chain resumes after it"})
				afterTorn = i
				continue
			}
			r.Broken = &Finding{e.file, e.line, "inserted", "the line is not a sealed audit record"}
			return r, nil
		}
		s := e.sealed
		if !s.valid() {
			r.Broken = &Finding{e.file, e.line, "modified", "the hash does not match the line's content"}
			return r, nil
		}
		if j := byHash[s.hash]; j != i {
			r.Broken = &Finding{e.file, e.line, "inserted", fmt.Sprintf("a copy of %s:%d", entries[j].file, entries[j].line)}
			return r, nil
		}
		if !started {
			started = true
			r.StartPrev, r.FirstSeq = s.prevHash, s.seq
		} else if s.prevHash != prev {
			r.Broken = classify(entries, byHash, i, lastSeq, afterTorn)
			return r, nil
		}
		prev, lastSeq = s.hash, s.seq
		r.Records++
		r.LastSeq, r.Head = s.seq, s.hash
	}
	if head != "" {
		if _, ok := byHash[head]; !ok {
			last := entry{file: "", line: 0}
			if len(entries) > 0 {
				last = entries[len(entries)-1]
			}
			r.Broken = &Finding{last.file, last.line, "head", fmt.Sprintf("no record has the recorded head hash %s: the log was truncated or rewritten", head)}
		}
	}
	return r, nil
}

// classify explains why line i does not follow the record before it.
func classify(entries []entry, byHash map[string]int, i int, lastSeq uint64, afterTorn int) *Finding {
	e := entries[i]
	s := e.sealed
	if afterTorn == i-1 {
		t := entries[afterTorn]
		return &Finding{t.file, t.line, "modified", "this line replaced a sealed record"}
	}
	if j, ok := byHash[s.prevHash]; ok {
		if j > i {
			return &Finding{e.file, e.line, "reordered", fmt.Sprintf("this record belongs after %s:%d", entries[j].file, entries[j].line)}
		}
		if j < i-1 {
			first := entries[j+1]
			return &Finding{first.file, first.line, "inserted", fmt.Sprintf("lines %d to %d are not part of the chain", first.line, entries[i-1].line)}
		}
	}
	if s.seq > lastSeq+1 {
		return &Finding{e.file, e.line, "removed", fmt.Sprintf("records %d to %d are missing before this line", lastSeq+1, s.seq-1)}
	}
	if s.seq <= lastSeq {
		return &Finding{e.file, e.line, "reordered", fmt.Sprintf("sequence %d after %d", s.seq, lastSeq)}
	}
	return &Finding{e.file, e.line, "broken", "the record does not chain to the one before it"}
}

// looksTorn tells an interrupted write (a prefix of a record that never got
// its closing bytes) from a foreign line.
func looksTorn(raw []byte) bool {
	return bytes.HasPrefix(raw, []byte(`{"seq":`)) && !json.Valid(raw)
}
