package proxy

import (
	"context"
	"fmt"
	"path/filepath"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
)

// The daemon follows symlinks in a bind's source when it mounts it, at each
// start, not when the container is created. A directory below another
// container's writable bind is that container's to change: it can swap a
// directory on the way for a symlink to / between xcsproxy's look and the
// mount. So a host path is marked when it lies inside a directory another
// managed container or service can write (inside_writable_of), and a
// writable one when another's host path lies inside it (holds_binds_of).
// Paths are compared as written and as resolved now; a path is never
// "inside" itself, as a container cannot replace the directory it has
// mounted.

// A bindHolder is a managed container or service that binds host paths, or
// (own) the request's own container or service.
type bindHolder struct {
	owner string
	own   bool
	binds []heldBind
}

// whose names the holder for a message: "container x's", or "its own".
func (h bindHolder) whose() string {
	if h.own {
		return "its own"
	}
	return h.owner + "'s"
}

// A heldBind is one host directory a holder binds, as configured and as it
// resolves now.
type heldBind struct {
	paths    []string
	writable bool
}

// notSelf names what a request's own mounts are not to be compared with:
// the container being started, or the service being updated and its tasks.
type notSelf struct {
	containerID, serviceID string
}

// markNesting adds inside_writable_of and holds_binds_of to each mount fact
// with a host path. It asks the daemon only when there is one.
func (f *Facts) markNesting(ctx context.Context, mounts []any, self notSelf) error {
	var facts []map[string]any
	var binds []heldBind // each fact's paths, and whether it is writable
	for _, m := range mounts {
		if fact, ok := m.(map[string]any); ok && fact["host_path"] != "" {
			facts = append(facts, fact)
			binds = append(binds, heldBind{paths: bothPaths(fact["host_path"].(string), fact["resolved"].(string)), writable: fact["read_only"] != true})
		}
	}
	if len(facts) == 0 {
		return nil
	}
	holders, err := f.bindHolders(ctx, self)
	if err != nil {
		return err
	}
	// The request's own writable binds hold its other paths too: the
	// container can swap a directory below one of them while it runs, and
	// its next start (or swarm's restart of a task) mounts again.
	holders = append(holders, bindHolder{own: true, binds: binds})
	for i, fact := range facts {
		mine := binds[i]
		for _, h := range holders {
			for _, b := range h.binds {
				if fact["inside_writable_of"] == "" && b.writable {
					if dir, ok := anyInside(mine.paths, b.paths); ok {
						fact["inside_writable_of"] = fmt.Sprintf("%s writable bind of %s", h.whose(), dir)
					}
				}
				if fact["holds_binds_of"] == "" && mine.writable && !h.own {
					if _, ok := anyInside(b.paths, mine.paths); ok {
						fact["holds_binds_of"] = fmt.Sprintf("%s bind of %s", h.whose(), b.paths[0])
					}
				}
			}
		}
	}
	return nil
}

// anyInside reports whether one of paths lies strictly below one of dirs,
// and which dir.
func anyInside(paths, dirs []string) (string, bool) {
	for _, dir := range dirs {
		for _, p := range paths {
			if p != dir && within(p, dir) {
				return dir, true
			}
		}
	}
	return "", false
}

func bothPaths(written, resolved string) []string {
	if resolved == "" || resolved == written {
		return []string{written}
	}
	return []string{written, resolved}
}

// heldPath describes a host directory as written and as it resolves now.
func heldPath(p string, writable bool) heldBind {
	clean := filepath.Clean(p)
	return heldBind{paths: bothPaths(clean, resolveHostPath(clean)), writable: writable}
}

// bindHolders lists the host directories every managed container and
// service binds, directly or through a local volume that binds a directory.
//
// Exited and dead containers are left out: they run nothing that could swap
// a path, and a start of one is judged again against the containers that
// are created or running then (its own binds included), so it is refused
// if a bind made meanwhile lies inside its writable ones. Containers left
// behind would otherwise make every create and start slower, each one's
// binds resolved again.
func (f *Facts) bindHolders(ctx context.Context, self notSelf) ([]bindHolder, error) {
	managed := filters.NewArgs(filters.Arg("label", ManagedLabel+"=true"))
	live := managed.Clone()
	for _, status := range []string{"created", "restarting", "running", "removing", "paused"} {
		live.Add("status", status)
	}
	list, err := f.api.ContainerList(ctx, container.ListOptions{All: true, Filters: live})
	if err != nil {
		return nil, fmt.Errorf("listing managed containers' binds: %w", err)
	}
	volumes := map[string]string{} // volume name -> the directory it binds
	var out []bindHolder
	for _, c := range list {
		if c.ID == self.containerID || (self.serviceID != "" && c.Labels["com.docker.swarm.service.id"] == self.serviceID) {
			continue
		}
		h := bindHolder{owner: "container " + containerName(c)}
		for _, m := range c.Mounts {
			switch {
			case m.Type == mount.TypeBind && filepath.IsAbs(m.Source):
				h.binds = append(h.binds, heldPath(m.Source, m.RW))
			case m.Type == mount.TypeVolume && m.Name != "" && (m.Driver == "" || m.Driver == "local"):
				dir, err := f.volumeDirectory(ctx, volumes, m.Name)
				if err != nil {
					return nil, err
				}
				if dir != "" {
					h.binds = append(h.binds, heldPath(dir, m.RW))
				}
			}
		}
		if len(h.binds) > 0 {
			out = append(out, h)
		}
	}
	services, err := f.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: managed})
	if cerrdefs.IsUnavailable(err) {
		// Not a swarm manager: there are no services.
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing managed services' binds: %w", err)
	}
	for _, s := range services {
		cs := s.Spec.TaskTemplate.ContainerSpec
		if s.ID == self.serviceID || cs == nil {
			continue
		}
		h := bindHolder{owner: "service " + s.Spec.Name}
		for _, m := range cs.Mounts {
			writable := !m.ReadOnly || (m.BindOptions != nil && m.BindOptions.ReadOnlyNonRecursive)
			switch m.Type {
			case mount.TypeBind:
				if filepath.IsAbs(m.Source) {
					h.binds = append(h.binds, heldPath(m.Source, writable))
				}
			case mount.TypeVolume:
				dir, err := f.volumeDirectory(ctx, volumes, m.Source)
				if err != nil {
					return nil, err
				}
				if dir == "" && m.VolumeOptions != nil && m.VolumeOptions.DriverConfig != nil {
					dir = m.VolumeOptions.DriverConfig.Options["device"]
				}
				if filepath.IsAbs(dir) {
					h.binds = append(h.binds, heldPath(dir, writable))
				}
			}
		}
		if len(h.binds) > 0 {
			out = append(out, h)
		}
	}
	return out, nil
}

// volumeDirectory is the host directory a named local volume binds, or ""
// (remembered in seen: many containers may share a volume).
func (f *Facts) volumeDirectory(ctx context.Context, seen map[string]string, name string) (string, error) {
	if dir, ok := seen[name]; ok {
		return dir, nil
	}
	v, err := f.volume(ctx, name)
	if err != nil {
		return "", err
	}
	dir := ""
	if v != nil && v.Driver == "local" && filepath.IsAbs(v.Options["device"]) {
		dir = v.Options["device"]
	}
	seen[name] = dir
	return dir, nil
}

func containerName(c container.Summary) string {
	if len(c.Names) > 0 {
		return filepath.Base(c.Names[0])
	}
	return c.ID[:12]
}
