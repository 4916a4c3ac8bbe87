// Package dirwatch owns one thing: noticing that a directory tree of
// configuration files changed, the way editors and config managers change
// them (write a temp file, rename it over), and saying so once per burst.
package dirwatch

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce is how long a burst of events must stay quiet before changed is
// called.
const Debounce = 250 * time.Millisecond

// Watch calls changed after each burst of changes under dir, until ctx ends.
// onError hears about watcher errors.
func Watch(ctx context.Context, dir string, changed func(), onError func(error)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", dir, err)
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
				if filepath.Clean(ev.Name) == filepath.Clean(dir) && ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
					// The directory itself went away (rm -rf, or a deploy
					// that swaps it): watch for it to come back.
					go waitForDir(ctx, w, dir, fire)
				}
				if ev.Op&fsnotify.Create != 0 {
					// A new subdirectory (or one swapped in by rename) must
					// be watched too.
					if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
						_ = addTree(w, ev.Name)
					}
				}
				if timer == nil {
					timer = time.AfterFunc(Debounce, func() {
						select {
						case fire <- struct{}{}:
						default:
						}
					})
				} else {
					timer.Reset(Debounce)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				if onError != nil {
					onError(err)
				}
			case <-fire:
				changed()
			}
		}
	}()
	return nil
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

// waitForDir polls until dir exists again, watches it anew and reports a
// change, so a recreated directory is picked up without a restart.
func waitForDir(ctx context.Context, w *fsnotify.Watcher, dir string, fire chan<- struct{}) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			if addTree(w, dir) == nil {
				select {
				case fire <- struct{}{}:
				default:
				}
				return
			}
		}
	}
}
