package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/xcsproxy/xcsproxy/canonjson"
)

// SyncMode says when written records are forced to stable storage.
type SyncMode string

const (
	// SyncAlways fsyncs every record before the request is forwarded.
	SyncAlways SyncMode = "always"
	// SyncBatch fsyncs in the background, at most syncDelay behind,
	// grouping records; requests never wait for it.
	SyncBatch SyncMode = "batch"
	// SyncNone leaves flushing to the operating system.
	SyncNone SyncMode = "none"
)

// lineBuffers hold records being encoded and sealed, reused across requests.
var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Options configure a Writer.
type Options struct {
	MaxSize int64 // rotate when a file reaches this many bytes; 0: never
	Keep    int   // rotated files kept (FILE.1 ... FILE.Keep)
	Sync    SyncMode
	// OnHead is told the chain head (seq and hash) at every rotation and at
	// close, so operators keep an anchor outside the file.
	OnHead func(file string, seq uint64, hash string)
	// OnLost is told when a write fails that carried records queued with
	// Enqueue, which have no caller left to tell. It must not call the
	// Writer.
	OnLost func(err error)
}

// Writer appends sealed records to a file. Append returns only after the
// line has been written (and, with SyncAlways, synced); an error means the
// record is not in the log and the caller must not act on the request.
//
// Records are sealed into the chain in the order they arrive. A record
// queued with Enqueue is not written at once: it rides along with the next
// Append's write, so a request's outcome and the next request's decision
// cost one system call. (Group commit, with Appends waiting on another's
// write, cost more in goroutine hand-offs than it saved in system calls.)
type Writer struct {
	path string
	opt  Options

	mu        sync.Mutex
	f         *os.File
	size      int64
	torn      bool // the last write may have left a partial line
	hasher    *chainHasher
	lastCheck time.Time
	// seq and prev are the head of the chain as sealed, queued lines
	// included; fileSeq and filePrev the head of what is in the file.
	seq, fileSeq   uint64
	prev, filePrev string
	// The lines sealed and not yet written, in one buffer whose first
	// byte is kept for the newline that ends a torn line; where each line
	// ends and the chain head after it. Reused from write to write.
	pending     []byte
	lineEnds    []int
	lineHeads   []chainHead
	queuedLines bool      // some came from Enqueue
	unsynced    bool      // SyncBatch: written since the flusher's last fsync
	lastSync    time.Time // SyncBatch: the flusher's last fsync
	// durable is the head of what has reached stable storage (with
	// SyncNone, of what the kernel holds): the head an operator may keep.
	durable chainHead

	// The flusher's state (flusher.go).
	busy   bool          // a record came that it must see to since its last round
	parked bool          // it waits for wake rather than rounds on its own
	wake   chan struct{} // holds at most one signal: only a parked flusher is sent one
	done   chan struct{}
	wg     sync.WaitGroup
}

type chainHead struct {
	seq  uint64
	hash string
}

// Open opens (or creates) path for appending and resumes the chain from its
// last complete record, or from the newest rotated file when path is new.
func Open(path string, opt Options) (*Writer, error) {
	if opt.Sync == "" {
		opt.Sync = SyncBatch
	}
	switch opt.Sync {
	case SyncAlways, SyncBatch, SyncNone:
	default:
		return nil, fmt.Errorf("audit sync mode %q: want always, batch or none", opt.Sync)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("audit directory: %w", err)
	}
	w := &Writer{path: path, opt: opt, hasher: newChainHasher(), pending: make([]byte, 1, 4096), parked: true, wake: make(chan struct{}, 1), done: make(chan struct{})}
	for _, candidate := range []string{path, path + ".1"} {
		seq, hash, torn, err := lastRecord(candidate)
		if err != nil {
			return nil, err
		}
		if hash != "" {
			w.seq, w.prev = seq, hash
			if candidate == path {
				w.torn = torn
			}
			break
		}
	}
	w.fileSeq, w.filePrev = w.seq, w.prev
	w.durable = chainHead{w.seq, w.prev}
	if err := w.openFile(); err != nil {
		return nil, err
	}
	w.wg.Add(1)
	go w.flusher()
	return w, nil
}

func (w *Writer) openFile() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("opening audit log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit log: %w", err)
	}
	w.f, w.size, w.lastCheck = f, fi.Size(), time.Now()
	return nil
}

// Append seals rec into the chain and writes it. It sets rec.Seq and
// rec.PrevHash. The record is encoded before the lock is taken; only the
// chain fields, the hash and the write are serialized.
func (w *Writer) Append(rec *Record) error {
	return w.add(rec, true)
}

// Enqueue seals rec into the chain and returns without waiting for the
// write: the line goes out with the next Append's write, or within
// flushDelay. For records nothing waits on (a request's outcome); a write
// that fails is reported to the Appends that share it.
func (w *Writer) Enqueue(rec *Record) error {
	return w.add(rec, false)
}

func (w *Writer) add(rec *Record, wait bool) error {
	rec.Seq, rec.PrevHash = 0, ""
	fieldBuf := lineBuffers.Get().(*[]byte)
	defer lineBuffers.Put(fieldBuf)
	fields, err := rec.appendFields((*fieldBuf)[:0])
	*fieldBuf = fields
	if err != nil {
		return fmt.Errorf("encoding audit record: %w", err)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	seq, prev := w.seal(fields)
	if !wait {
		w.queuedLines = true
		w.needFlusher()
		return nil
	}
	if err := w.writePending(); err != nil {
		return err
	}
	rec.Seq, rec.PrevHash = seq, prev
	return nil
}

// seal chains a record's fields onto the head and adds its line to the
// pending ones.
func (w *Writer) seal(fields []byte) (seq uint64, prev string) {
	seq, prev = w.seq+1, w.prev
	line := w.pending
	start := len(line)
	line = append(line, `{"seq":`...)
	line = strconv.AppendUint(line, seq, 10)
	line = append(line, `,"prev_hash":`...)
	line = canonjson.AppendString(line, prev)
	line = append(line, ',')
	line = append(line, fields...)
	line = append(line, hashPrefix...)
	hashAt := len(line)
	line = w.hasher.append(line, prev, line[start:hashAt-len(hashPrefix)])
	hash := string(line[hashAt:])
	line = append(line, '"', '}', '\n')
	w.pending = line
	w.lineEnds = append(w.lineEnds, len(line))
	w.lineHeads = append(w.lineHeads, chainHead{seq, hash})
	w.seq, w.prev = seq, hash
	return seq, prev
}

// writePending writes the pending lines in one system call, the lock
// held, and reports the fate of the last one.
func (w *Writer) writePending() error {
	if len(w.lineEnds) == 0 {
		return nil
	}
	defer w.resetPending()
	if err := w.readyFile(); err != nil {
		w.failAfter(0, err)
		return err
	}
	out := w.pending[1:]
	if w.torn {
		// Finish the partial line an earlier failed write left, so these
		// lines start on a line of their own.
		w.pending[0] = '\n'
		out = w.pending
	}
	n, err := w.f.Write(out)
	w.size += int64(n)
	if len(out) == len(w.pending) && n > 0 {
		n-- // the newline that ended the torn line
		w.torn = false
	}
	if err != nil {
		err = fmt.Errorf("writing audit log %s: %w", w.path, err)
		w.failAfter(n, err)
		return err
	}
	w.torn = false
	last := w.lineHeads[len(w.lineHeads)-1]
	w.fileSeq, w.filePrev = last.seq, last.hash
	switch w.opt.Sync {
	case SyncAlways:
		if err := w.f.Sync(); err != nil {
			// The lines are in the file but may not survive a crash: refuse.
			return fmt.Errorf("syncing audit log: %w", err)
		}
		w.durable = last
	case SyncNone:
		w.durable = last
	case SyncBatch:
		w.unsynced = true
		w.needFlusher()
	}
	if w.opt.MaxSize > 0 && w.size >= w.opt.MaxSize {
		if err := w.rotate(); err != nil {
			return fmt.Errorf("rotating audit log: %w", err)
		}
	}
	return nil
}

// resetPending empties the pending lines for reuse. A buffer a very large
// record grew (a create body can reach --max-body) is let go rather than
// kept for the life of the process.
func (w *Writer) resetPending() {
	if cap(w.pending) > maxKeptPending {
		w.pending = make([]byte, 1, 4096)
	}
	w.pending, w.lineEnds, w.lineHeads, w.queuedLines = w.pending[:1], w.lineEnds[:0], w.lineHeads[:0], false
}

// maxKeptPending is the largest pending buffer kept between writes.
const maxKeptPending = 64 << 10

// readyFile opens the log if an earlier failure closed it, and reopens it
// if it was replaced.
func (w *Writer) readyFile() error {
	if w.f == nil {
		return w.openFile()
	}
	return w.checkFile()
}

// failAfter records that only the first n bytes of the pending lines
// reached the file: the chain head goes back to the last whole line
// written, and the next write finishes a partial one. Queued lines in the
// failed write have nobody to tell but OnLost.
func (w *Writer) failAfter(n int, err error) {
	whole := 0
	for k := 0; k < len(w.lineEnds) && w.lineEnds[k]-1 <= n; k++ {
		whole = w.lineEnds[k] - 1
		w.fileSeq, w.filePrev = w.lineHeads[k].seq, w.lineHeads[k].hash
	}
	w.torn = w.torn || n > whole
	w.seq, w.prev = w.fileSeq, w.filePrev
	if w.queuedLines && w.opt.OnLost != nil {
		w.opt.OnLost(err)
	}
}

// checkFile reopens the log when it was removed or replaced underneath us,
// at most once a second: writing on into an unlinked file would lose
// everything.
func (w *Writer) checkFile() error {
	if time.Since(w.lastCheck) < time.Second {
		return nil
	}
	w.lastCheck = time.Now()
	onDisk, err := os.Stat(w.path)
	mine, err2 := w.f.Stat()
	if err == nil && err2 == nil && os.SameFile(onDisk, mine) {
		return nil
	}
	w.f.Close()
	w.f = nil
	w.torn = false
	return w.openFile()
}

func (w *Writer) rotate() error {
	if err := w.f.Sync(); err != nil {
		return err
	}
	w.durable = chainHead{w.fileSeq, w.filePrev}
	w.f.Close()
	w.f = nil
	keep := w.opt.Keep
	if keep < 1 {
		keep = 1
	}
	os.Remove(w.path + "." + strconv.Itoa(keep))
	for i := keep - 1; i >= 1; i-- {
		os.Rename(w.path+"."+strconv.Itoa(i), w.path+"."+strconv.Itoa(i+1))
	}
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		return err
	}
	if w.opt.OnHead != nil {
		w.opt.OnHead(w.path+".1", w.fileSeq, w.filePrev)
	}
	return w.openFile()
}

// Head returns the head of the chain in the file.
func (w *Writer) Head() (uint64, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fileSeq, w.filePrev
}

// DurableHead returns the head of the chain as far as it has reached
// stable storage: with SyncBatch the flusher's last fsync, at most
// syncDelay behind the file; with SyncNone the file's, as the kernel holds
// it. It is the head to keep outside the machine: a head that a machine
// failure could take back out of the file would later read as tampering.
func (w *Writer) DurableHead() (uint64, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.durable.seq, w.durable.hash
}

// Close writes what is queued, syncs and closes the log, and reports the
// head.
func (w *Writer) Close() error {
	close(w.done)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	queueErr := w.writePending()
	if w.f == nil {
		return queueErr
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if w.opt.OnHead != nil {
		w.opt.OnHead(w.path, w.fileSeq, w.filePrev)
	}
	if err == nil {
		err = queueErr
	}
	return err
}

// lastRecord finds the last complete sealed record of a file by reading
// backwards, and whether the file ends in a partial line.
func lastRecord(path string) (seq uint64, hash string, torn bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("reading audit log %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, "", false, err
	}
	end := fi.Size()
	if end == 0 {
		return 0, "", false, nil
	}
	// Read the tail in growing blocks until it holds a complete record.
	for block := int64(64 << 10); ; block *= 4 {
		start := max(end-block, 0)
		buf := make([]byte, end-start)
		if _, err := f.ReadAt(buf, start); err != nil && err != io.EOF {
			return 0, "", false, err
		}
		lines := bytes.Split(buf, []byte{'\n'})
		torn = len(lines[len(lines)-1]) > 0
		for i := len(lines) - 1; i >= 0; i-- {
			if i == 0 && start > 0 {
				break // may be cut; read a bigger block
			}
			if s, perr := parseLine(lines[i]); perr == nil {
				return s.seq, s.hash, torn, nil
			}
		}
		if start == 0 {
			return 0, "", torn, nil
		}
	}
}

// readLines calls fn for every line of a file, with its 1-based number and
// whether it ended in a newline.
func readLines(path string, fn func(n int, line []byte, complete bool) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			if ferr := fn(n, bytes.TrimSuffix(line, []byte{'\n'}), complete); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
