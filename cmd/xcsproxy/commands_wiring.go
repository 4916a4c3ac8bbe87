package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/xcsproxy/xcsproxy/commands"
	"github.com/xcsproxy/xcsproxy/dirwatch"
	"github.com/xcsproxy/xcsproxy/proxy"
)

// labelRefreshEvery catches images pulled or removed around xcsproxy.
const labelRefreshEvery = time.Minute

// newLauncher builds the command store (the --commands directory, watched,
// and image labels) and the launcher; its Gate is set once the proxy exists.
func newLauncher(ctx context.Context, o *serveOptions, facts *proxy.Facts, log hclog.Logger) (*commands.Launcher, error) {
	opts := commands.Options{BuildRoot: o.buildRoot, PathTranslation: map[string]string{}}
	for _, pt := range o.pathTranslation {
		from, to, ok := strings.Cut(pt, "=")
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("--path-translation %q: want XNAT_PREFIX=HOST_PREFIX", pt)
		}
		opts.PathTranslation[from] = to
	}
	store := commands.NewStore()
	if o.commandsDir != "" {
		load := func() {
			if err := store.LoadDir(o.commandsDir); err != nil {
				log.Error("reading commands directory", "dir", o.commandsDir, "error", err)
			}
			for _, p := range store.Problems() {
				log.Warn("command problem", "problem", p)
			}
			log.Info("commands loaded", "dir", o.commandsDir, "count", len(store.List()))
		}
		load()
		if err := dirwatch.Watch(ctx, o.commandsDir, load, func(err error) { log.Error("commands watcher", "error", err) }); err != nil {
			return nil, err
		}
	}
	refreshLabels(ctx, store, facts, log)
	go func() {
		t := time.NewTicker(labelRefreshEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				refreshLabels(ctx, store, facts, log)
			}
		}
	}()
	return &commands.Launcher{Store: store, Options: opts}, nil
}

func refreshLabels(ctx context.Context, store *commands.Store, facts *proxy.Facts, log hclog.Logger) {
	imgs, err := facts.ImagesWithLabel(ctx, proxy.CommandsLabel)
	if err != nil {
		log.Warn("cannot read image command labels", "error", err)
		return
	}
	labels := make([]commands.ImageLabel, len(imgs))
	for i, img := range imgs {
		labels[i] = commands.ImageLabel{Ref: img.Ref, ID: img.ID, Label: img.Value}
	}
	store.SetLabels(labels)
}

// refreshOnImageChange re-reads image labels after a successful pull or
// removal through xcsproxy.
func refreshOnImageChange(ctx context.Context, store *commands.Store, facts *proxy.Facts, log hclog.Logger) func(string, int) {
	return func(endpoint string, status int) {
		if (endpoint == "image.pull" || endpoint == "image.remove") && status/100 == 2 {
			go refreshLabels(ctx, store, facts, log)
		}
	}
}
