package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// SyncMode says when written records are forced to stable storage.
type SyncMode string

const (
	// SyncAlways fsyncs every record before the request is forwarded.
	SyncAlways SyncMode = "always"
	// SyncBatch fsyncs in the background, a few milliseconds behind, grouping
	// records; requests never wait for it.
	SyncBatch SyncMode = "batch"
	// SyncNone leaves flushing to the operating system.
	SyncNone SyncMode = "none"
)

// lineBuffers hold records being encoded and sealed, reused across requests.
var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// batchDelay bounds how far a batch fsync lags behind the write.
const batchDelay = 5 * time.Millisecond

// Options configure a Writer.
type Options struct {
	MaxSize int64 // rotate when a file reaches this many bytes; 0: never
	Keep    int   // rotated files kept (FILE.1 ... FILE.Keep)
	Sync    SyncMode
	// OnHead is told the chain head (seq and hash) at every rotation and at
	// close, so operators keep an anchor outside the file.
	OnHead func(file string, seq uint64, hash string)
}

// Writer appends sealed records to a file. Append returns only after the
// line has been written (and, with SyncAlways, synced); an error means the
// record is not in the log and the caller must not act on the request.
type Writer struct {
	path string
	opt  Options

	mu        sync.Mutex
	f         *os.File
	size      int64
	seq       uint64
	prev      string
	torn      bool // the last write may have left a partial line
	hasher    hash.Hash
	lastCheck time.Time

	syncReq chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
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
	w := &Writer{path: path, opt: opt, hasher: sha256.New(), syncReq: make(chan struct{}, 1), done: make(chan struct{})}
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
	if err := w.openFile(); err != nil {
		return nil, err
	}
	if opt.Sync == SyncBatch {
		w.wg.Add(1)
		go w.syncLoop()
	}
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
	if w.f == nil {
		if err := w.openFile(); err != nil {
			return err
		}
	}
	if err := w.checkFile(); err != nil {
		return err
	}
	seq := w.seq + 1
	lineBuf := lineBuffers.Get().(*[]byte)
	defer lineBuffers.Put(lineBuf)
	start := 0
	line := (*lineBuf)[:0]
	if w.torn {
		// Finish the partial line an earlier failed write left, so this
		// record starts on a line of its own.
		line, start = append(line, '\n'), 1
	}
	line = append(line, `{"seq":`...)
	line = strconv.AppendUint(line, seq, 10)
	line = append(line, `,"prev_hash":`...)
	line = strconv.AppendQuote(line, w.prev)
	line = append(line, ',')
	line = append(line, fields...)
	line = append(line, hashPrefix...)
	hashAt := len(line)
	line = appendChainHash(line, w.hasher, w.prev, line[start:hashAt-len(hashPrefix)])
	hash := string(line[hashAt:])
	line = append(line, '"', '}', '\n')
	*lineBuf = line
	n, err := w.f.Write(line)
	w.size += int64(n)
	if err != nil {
		w.torn = n > 0 || w.torn
		return fmt.Errorf("writing audit log %s: %w", w.path, err)
	}
	rec.Seq, rec.PrevHash = seq, w.prev
	w.torn = false
	w.seq, w.prev = seq, hash
	if w.opt.Sync == SyncAlways {
		if err := w.f.Sync(); err != nil {
			// The line is in the file but may not survive a crash: refuse.
			return fmt.Errorf("syncing audit log: %w", err)
		}
	}
	if w.opt.Sync == SyncBatch {
		select {
		case w.syncReq <- struct{}{}:
		default:
		}
	}
	if w.opt.MaxSize > 0 && w.size >= w.opt.MaxSize {
		if err := w.rotate(); err != nil {
			return fmt.Errorf("rotating audit log: %w", err)
		}
	}
	return nil
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
		w.opt.OnHead(w.path+".1", w.seq, w.prev)
	}
	return w.openFile()
}

func (w *Writer) syncLoop() {
	defer w.wg.Done()
	for {
		select {
		case <-w.done:
			return
		case <-w.syncReq:
		}
		time.Sleep(batchDelay) // let a burst of writes share one fsync
		// fsync without the lock: writers must not wait for the disk in
		// batch mode. A file rotated away meanwhile was synced by rotate.
		w.mu.Lock()
		f := w.f
		w.mu.Unlock()
		if f != nil {
			_ = f.Sync()
		}
	}
}

// Head returns the current chain head.
func (w *Writer) Head() (uint64, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq, w.prev
}

// Close syncs and closes the log and reports the head.
func (w *Writer) Close() error {
	close(w.done)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if w.opt.OnHead != nil {
		w.opt.OnHead(w.path, w.seq, w.prev)
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
