package policy

import (
	"context"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/xcsproxy/xcsproxy/dirwatch"
)

// Watch reloads dir into e whenever a file in it changes, until ctx ends. A
// set that fails to load is not installed: the last good policy keeps
// deciding and the failure is logged as an error. onReload, when set, is told
// of every attempt (for metrics and tests).
func Watch(ctx context.Context, e *Engine, dir string, log hclog.Logger, onReload func(rev string, err error)) error {
	return dirwatch.Watch(ctx, dir, func() {
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
	}, func(err error) {
		log.Error("policy watcher error", "dir", dir, "error", err)
	})
}

func reload(ctx context.Context, e *Engine, dir string) (string, error) {
	s, err := Load(ctx, os.DirFS(dir))
	if err != nil {
		return "", err
	}
	if cur := e.Current(); cur != nil && cur.Revision == s.Revision {
		return s.Revision, nil
	}
	e.Swap(s.ForDeciding())
	return s.Revision, nil
}
