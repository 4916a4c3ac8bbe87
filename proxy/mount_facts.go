package proxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
)

// containerMounts lists every mount of a create request with the host path
// it really reaches: Binds, Mounts, and named volumes whose local driver
// binds a host directory.
func (f *Facts) containerMounts(ctx context.Context, hc *container.HostConfig) ([]any, error) {
	var out []any
	for _, b := range hc.Binds {
		m, err := f.bindMount(ctx, b, hc.VolumeDriver)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	ms, err := f.specMounts(ctx, "Mounts", hc.Mounts)
	if err != nil {
		return nil, err
	}
	return append(out, ms...), nil
}

// serviceMounts lists a swarm ContainerSpec's mounts.
func (f *Facts) serviceMounts(ctx context.Context, mounts []mount.Mount) ([]any, error) {
	return f.specMounts(ctx, "ContainerSpec.Mounts", mounts)
}

func (f *Facts) specMounts(ctx context.Context, origin string, mounts []mount.Mount) ([]any, error) {
	var out []any
	for _, m := range mounts {
		fact := newMountFact(origin, string(m.Type), m.Source, m.Target)
		fact["read_only"] = m.ReadOnly
		switch m.Type {
		case mount.TypeBind:
			if m.BindOptions != nil {
				fact["propagation"] = string(m.BindOptions.Propagation)
				// Non-recursively read-only leaves every mount below the
				// source writable: for the rules it is not read-only.
				if m.BindOptions.ReadOnlyNonRecursive {
					fact["read_only"] = false
				}
			}
			f.setHostPath(fact, m.Source)
		case mount.TypeVolume:
			fact["volume_name"] = m.Source
			// The daemon mounts an existing volume as it is, whatever
			// driver or options the request names; only a new one is
			// made from the request's.
			exists, err := f.existingVolume(ctx, fact, m.Source)
			if err != nil {
				return nil, err
			}
			if !exists && m.VolumeOptions != nil && m.VolumeOptions.DriverConfig != nil {
				fact["volume_driver"] = m.VolumeOptions.DriverConfig.Name
				f.setVolumeDevice(fact, m.VolumeOptions.DriverConfig.Options)
			}
		}
		out = append(out, fact)
	}
	return out, nil
}

// bindMount parses a HostConfig.Binds entry "src:dst[:opts]" as the daemon
// does on Linux: an absolute src is a host path, anything else a volume.
func (f *Facts) bindMount(ctx context.Context, spec, volumeDriver string) (map[string]any, error) {
	parts := strings.Split(spec, ":")
	fact := newMountFact("Binds", "bind", "", "")
	fact["spec"] = spec
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		fact["error"] = fmt.Sprintf("bind %q is not src:dst[:options]", spec)
		return fact, nil
	}
	fact["source"], fact["target"] = parts[0], parts[1]
	if len(parts) == 3 {
		for _, opt := range strings.Split(parts[2], ",") {
			switch opt {
			case "ro":
				fact["read_only"] = true
			case "z", "Z":
				fact["relabel"] = opt
			case "rw", "nocopy", "":
			case "shared", "rshared", "slave", "rslave", "private", "rprivate":
				fact["propagation"] = opt
			default:
				fact["error"] = fmt.Sprintf("bind %q has unknown option %q", spec, opt)
			}
		}
	}
	if filepath.IsAbs(parts[0]) {
		f.setHostPath(fact, parts[0])
		return fact, nil
	}
	fact["type"] = "volume"
	fact["volume_name"] = parts[0]
	if volumeDriver != "" {
		fact["volume_driver"] = volumeDriver
	}
	_, err := f.existingVolume(ctx, fact, parts[0])
	return fact, err
}

// existingVolume fills driver facts from a named volume that already exists,
// and reports whether it does; a local volume created with o=bind reaches
// its device on the host.
func (f *Facts) existingVolume(ctx context.Context, fact map[string]any, name string) (bool, error) {
	v, err := f.volume(ctx, name)
	if v == nil || err != nil {
		return false, err
	}
	fact["volume_driver"] = v.Driver
	fact["volume_exists"] = true
	f.setVolumeDevice(fact, v.Options)
	return true, nil
}

// volume looks up a named volume; nil when there is none by that name.
func (f *Facts) volume(ctx context.Context, name string) (*volume.Volume, error) {
	if name == "" {
		return nil, nil
	}
	v, err := f.api.VolumeInspect(ctx, name)
	if client.IsErrNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting volume %s: %w", name, err)
	}
	return &v, nil
}

// setVolumeDevice records the host path of a local-driver volume that binds
// a device or directory (type=none o=bind device=/...).
func (f *Facts) setVolumeDevice(fact map[string]any, opts map[string]string) {
	if len(opts) == 0 {
		return
	}
	options := stringMap(opts)
	fact["volume_options"] = options
	dev := opts["device"]
	if dev == "" {
		return
	}
	fact["volume_device"] = dev
	if filepath.IsAbs(dev) {
		f.setHostPath(fact, dev)
	}
}

func newMountFact(origin, typ, source, target string) map[string]any {
	return map[string]any{
		"origin": origin, "type": typ, "source": source, "target": target,
		"read_only": false, "propagation": "", "host_path": "", "resolved": "",
		"is_socket": false, "covers_protected": "", "volume_name": "", "volume_driver": "", "relabel": "", "error": "",
		"inside_writable_of": "", "holds_binds_of": "",
	}
}

// setHostPath records where a host path really leads: cleaned, symlinks
// resolved, whether it is a socket, and which protected path it covers.
func (f *Facts) setHostPath(fact map[string]any, p string) {
	clean := filepath.Clean(p)
	resolved := resolveHostPath(clean)
	fact["host_path"] = clean
	fact["resolved"] = resolved
	opts := MountOptionsOf(resolved)
	fact["nosymfollow"], fact["nosuid"], fact["nodev"] = opts.NoSymFollow, opts.NoSuid, opts.NoDev
	if fi, err := os.Stat(resolved); err == nil && fi.Mode()&os.ModeSocket != 0 {
		fact["is_socket"] = true
	}
	for _, prot := range f.Protected {
		if within(prot, resolved) {
			fact["covers_protected"] = prot
			break
		}
	}
}

// within reports whether path is root or lies below it.
func within(path, root string) bool {
	if root == "/" {
		return true
	}
	return path == root || strings.HasPrefix(path, root+"/")
}

// resolveHostPath resolves symlinks in the longest existing prefix of p and
// appends the rest, as the daemon will when it creates a missing bind source.
func resolveHostPath(p string) string {
	p = filepath.Clean(p)
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	parent, base := filepath.Split(p)
	if parent == "" || parent == p || base == "" {
		return p
	}
	return filepath.Join(resolveHostPath(filepath.Clean(parent)), base)
}
