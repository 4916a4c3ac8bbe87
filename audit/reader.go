package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// Read calls fn for every sealed record in files, oldest first; partial
// lines are skipped (verify reports them).
func Read(files []string, fn func(*Record) error) error {
	for _, f := range files {
		err := readLines(f, func(_ int, line []byte, complete bool) error {
			s, err := parseLine(line)
			if err != nil || !complete {
				return nil
			}
			return fn(&s.record)
		})
		if err != nil {
			return fmt.Errorf("reading %s: %w", f, err)
		}
	}
	return nil
}

// Follow reads file from its current end and calls fn for every record
// appended, until ctx ends. It reopens the file after rotation.
func Follow(ctx context.Context, file string, fn func(*Record) error) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	offset, err := f.Seek(0, 2)
	if err != nil {
		return err
	}
	var pending []byte
	buf := make([]byte, 64<<10)
	for {
		n, _ := f.ReadAt(buf, offset)
		if n > 0 {
			offset += int64(n)
			pending = append(pending, buf[:n]...)
			for {
				i := bytes.IndexByte(pending, '\n')
				if i < 0 {
					break
				}
				if s, err := parseLine(pending[:i]); err == nil {
					if err := fn(&s.record); err != nil {
						return err
					}
				}
				pending = pending[i+1:]
			}
			continue
		}
		// Rotated away: the path now names a new file.
		if cur, err := os.Stat(file); err == nil {
			if mine, err := f.Stat(); err == nil && !os.SameFile(cur, mine) {
				f.Close()
				if f, err = os.Open(file); err != nil {
					return err
				}
				offset, pending = 0, nil
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Filter selects records for `audit show`.
type Filter struct {
	Denied    bool
	Since     time.Time
	Until     time.Time
	Client    string
	Endpoint  string
	Image     string
	Container string
	Decision  string
}

// Match reports whether a decision record passes the filter; outcome is the
// record's outcome when known (for --container).
func (f *Filter) Match(rec *Record, outcome *Outcome) bool {
	if f.Denied && (rec.Result == nil || rec.Result.Allow) {
		return false
	}
	if !f.Since.IsZero() && rec.Timestamp.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && rec.Timestamp.After(f.Until) {
		return false
	}
	if f.Client != "" && !strings.Contains(ClientName(rec.Client), f.Client) {
		return false
	}
	if f.Endpoint != "" && rec.Endpoint != f.Endpoint && !strings.HasPrefix(rec.Endpoint, strings.TrimSuffix(f.Endpoint, "*")) {
		return false
	}
	if f.Image != "" && !strings.Contains(ImageOf(rec), f.Image) {
		return false
	}
	if f.Decision != "" && !strings.HasPrefix(rec.DecisionID, f.Decision) {
		return false
	}
	if f.Container != "" && !mentionsContainer(rec, outcome, f.Container) {
		return false
	}
	return true
}

// ClientName renders a record's client as uid=N or cert=CN.
func ClientName(c map[string]any) string {
	if c == nil {
		return "-"
	}
	if cert, ok := c["cert"].(map[string]any); ok {
		return fmt.Sprintf("cert=%v", cert["subject_cn"])
	}
	if uid, ok := c["uid"]; ok {
		return fmt.Sprintf("uid=%v", uid)
	}
	return fmt.Sprintf("%v", c["transport"])
}

// ImageOf is the image a decision record names, if any.
func ImageOf(rec *Record) string {
	img, ok := rec.InputMap()["image"].(map[string]any)
	if !ok {
		return ""
	}
	if ref, _ := img["ref"].(string); ref != "" {
		return ref
	}
	s, _ := img["requested"].(string)
	return s
}

func mentionsContainer(rec *Record, outcome *Outcome, c string) bool {
	if outcome != nil && strings.HasPrefix(outcome.ObjectID, c) {
		return true
	}
	if t, ok := rec.InputMap()["target"].(map[string]any); ok {
		id, _ := t["id"].(string)
		name, _ := t["name"].(string)
		if strings.HasPrefix(id, c) || name == c {
			return true
		}
	}
	if req, ok := rec.InputMap()["request"].(map[string]any); ok {
		if params, ok := req["params"].(map[string]any); ok && params["id"] == c {
			return true
		}
	}
	return false
}
