package policy

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/hashicorp/go-hclog"
)

// Debounce is how long a burst of file events must stay quiet before the
// directory is reloaded: editors save by writing a temp file and renaming.
const Debounce = 250 * time.Millisecond

// Watch reloads dir into e whenever a file in it changes, until ctx ends. A
// set that fails to load is not installed: the last good policy keeps
// deciding and the failure is logged as an error. onReload, when set, is told
// of every attempt (for metrics and tests).
func Watch(ctx context.Context, e *Engine, dir string, log hclog.Logger, onReload func(rev string, err error)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching policy directory %s: %w", dir, err)
	}
	if err := addTree(w, dir); err != nil {
		w.Close()
		return err
	}
	go func() {
		defer w.Close()
		var timer *time.Timer
		fire := make(chan struct{}, 1)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Op&fsnotify.Create != 0 {
					// A new subdirectory (or a directory swapped in by
					// rename) must be watched too.
					if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
						_ = addTree(w, ev.Name)
					}
				}
				if timer == nil {
					timer = time.AfterFunc(Debounce, func() { fire <- struct{}{} })
				} else {
					timer.Reset(Debounce)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				log.Error("policy watcher error", "dir", dir, "error", err)
			case <-fire:
				rev, err := reload(ctx, e, dir)
				if err != nil {
					log.Error("policy reload failed; the previous policy keeps deciding",
						"dir", dir, "revision_in_force", e.Current().Revision, "error", err)
				} else {
					log.Info("policy reloaded", "dir", dir, "revision", rev)
				}
				if onReload != nil {
					onReload(rev, err)
				}
			}
		}
	}()
	return nil
}

func reload(ctx context.Context, e *Engine, dir string) (string, error) {
	s, err := Load(ctx, os.DirFS(dir))
	if err != nil {
		return "", err
	}
	if cur := e.Current(); cur != nil && cur.Revision == s.Revision {
		return s.Revision, nil
	}
	e.Swap(s)
	return s.Revision, nil
}

func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if err := w.Add(p); err != nil {
				return fmt.Errorf("watching %s: %w", p, err)
			}
		}
		return nil
	})
}
