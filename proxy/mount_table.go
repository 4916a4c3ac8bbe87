package proxy

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// mountTable is the list of mount points this process sees, read again from
// mountinfo only when the kernel says the list changed. Every create and
// start with a bind on a hardened root asks for the mounts below it, and
// reading the file costs a quarter of a millisecond with twenty containers
// running (each adds its own mounts to the host's list), more with more.
//
// The kernel marks a change on the open file: poll reports POLLPRI once a
// mount, unmount or move has happened in this mount namespace since the
// file was opened or last polled. The poll comes before the read, so a
// change made during a read is reported at the next call, which reads again.
// Only the points are kept: their options are read fresh each time (statfs),
// since a remount changes options without a new point.
type mountTable struct {
	path string

	mu     sync.Mutex
	fd     int // -1 until opened
	buf    []byte
	points []string
}

// hostMounts is this process's mount table, shared by every lookup.
var hostMounts = newMountTable("/proc/self/mountinfo")

func newMountTable(path string) *mountTable { return &mountTable{path: path, fd: -1} }

// below lists the mount points strictly below path.
func (t *mountTable) below(path string) ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.refresh(); err != nil {
		return nil, err
	}
	return pointsBelow(t.points, path), nil
}

// refresh reads the table when it is not read yet or has changed since.
func (t *mountTable) refresh() error {
	if t.fd >= 0 && !t.changed() {
		return nil
	}
	if t.fd < 0 {
		fd, err := unix.Open(t.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening %s: %w", t.path, err)
		}
		t.fd = fd
	}
	if err := t.read(); err != nil {
		// Read again from a fresh open next time rather than trust a
		// half-read table.
		unix.Close(t.fd)
		t.fd, t.points = -1, nil
		return err
	}
	return nil
}

// changed polls without waiting. A poll that fails counts as a change: the
// table is read again rather than trusted.
func (t *mountTable) changed() bool {
	fds := []unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLPRI}}
	n, err := unix.Poll(fds, 0)
	if err != nil {
		return true
	}
	return n > 0 && fds[0].Revents&(unix.POLLPRI|unix.POLLERR) != 0
}

func (t *mountTable) read() error {
	if _, err := unix.Seek(t.fd, 0, io.SeekStart); err != nil {
		return fmt.Errorf("rewinding %s: %w", t.path, err)
	}
	t.buf = t.buf[:0]
	for {
		if len(t.buf) == cap(t.buf) {
			t.buf = append(t.buf, make([]byte, 16<<10)...)[:len(t.buf)]
		}
		n, err := unix.Read(t.fd, t.buf[len(t.buf):cap(t.buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", t.path, err)
		}
		if n == 0 {
			break
		}
		t.buf = t.buf[:len(t.buf)+n]
	}
	t.points = parseMountPoints(t.buf, t.points[:0])
	return nil
}

// parseMountPoints appends the mount point of each mountinfo line ("ID
// PARENT MAJ:MIN ROOT POINT OPTIONS ...", the point with spaces and the like
// octal-escaped by the kernel) to points.
func parseMountPoints(data []byte, points []string) []string {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		fields := strings.Fields(string(line))
		if len(fields) < 5 {
			continue
		}
		points = append(points, unescapeOctal(fields[4]))
	}
	return points
}

// pointsBelow keeps the points strictly below path, in order.
func pointsBelow(points []string, path string) []string {
	var out []string
	for _, p := range points {
		if p != path && within(p, path) {
			out = append(out, p)
		}
	}
	return out
}

// unescapeOctal undoes the kernel's \ooo escapes in a mountinfo path.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
