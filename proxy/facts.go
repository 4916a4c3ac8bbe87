package proxy

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// FactsUserAgent is the User-Agent of xcsproxy's own lookups.
const FactsUserAgent = "xcsproxy-facts"

// ManagedLabel marks every container and service created through xcsproxy
// (the policy's patch stamps it); ownership rules and list filters use it.
const ManagedLabel = "org.xcsproxy.managed"

// Facts looks up, from the daemon, what a decision needs beyond the request:
// the image a request names, the object it acts on, the containers and
// volumes its body refers to, and where its host paths really lead. Nothing
// is cached by name: an answer about a name must not outlive that name's
// object.
type Facts struct {
	api *client.Client
	// Protected are host paths no container may reach (the daemon's socket,
	// xcsproxy's own sockets); a bind that covers one is refused.
	Protected []string
	// imageMarks is the one thing remembered between requests: whether an
	// image (by id, which never names another) sets ManagedLabel itself.
	imageMarks imageMarks
}

// NewFacts builds a lookup client over the upstream's transport.
func NewFacts(up *Upstream, protected []string) (*Facts, error) {
	// No WithHost: it would rewrite the shared transport's dialer. The
	// client's default (unix) host only names the request; the upstream
	// transport decides where it goes.
	api, err := client.NewClientWithOpts(
		client.WithHTTPClient(&http.Client{Transport: up.Transport}),
		client.WithAPIVersionNegotiation(),
		// Named, so the daemon's logs (and tests) tell lookups from clients.
		client.WithUserAgent(FactsUserAgent),
	)
	if err != nil {
		return nil, fmt.Errorf("facts client: %w", err)
	}
	f := &Facts{api: api}
	for _, p := range protected {
		// /var/run/docker.sock is /run/docker.sock on most hosts, and the
		// upstream socket is usually one of the defaults: each path once,
		// or every decision record lists it three times.
		if resolved := resolveHostPath(p); !slices.Contains(f.Protected, resolved) {
			f.Protected = append(f.Protected, resolved)
		}
	}
	return f, nil
}

// gather fills the input's facts for one exchange.
func (f *Facts) gather(ctx context.Context, ex *Exchange) error {
	in := ex.Input
	ref, allTags := f.imageRef(ex)
	img, err := f.imageFacts(ctx, ref, allTags)
	if err != nil {
		return fmt.Errorf("inspecting image %q: %w", ref, err)
	}
	in.Image = img
	var targetHost *container.HostConfig
	if in.Target, targetHost, err = f.targetFacts(ctx, ex); err != nil {
		return err
	}
	var self notSelf
	switch typed := ex.Body.Typed.(type) {
	case *container.CreateRequest:
		if in.Containers, err = f.referencedContainers(ctx, typed.HostConfig); err != nil {
			return err
		}
		if typed.HostConfig != nil {
			in.Mounts, err = f.containerMounts(ctx, typed.HostConfig)
		}
	case *swarm.ServiceSpec:
		if cs := typed.TaskTemplate.ContainerSpec; cs != nil {
			in.Mounts, err = f.serviceMounts(ctx, cs.Mounts)
		}
		self.serviceID, _ = in.Target["id"].(string)
	case *registry.AuthConfig:
		in.Registry = registryFacts(typed)
	}
	if err != nil {
		return err
	}
	if ref, rename := namedContainer(ex); rename != nil && ref != "" {
		if in.Containers, err = f.containersNamed(ctx, ref); err != nil {
			return err
		}
	}
	if ex.Route.Name == "image.search" {
		in.Registry = searchRegistryFacts(ex.Target.Query.Get("term"))
	}
	in.NewImages = newImageNames(ex.Route.Name, ex.Target.Query)
	if remounts[ex.Route.Name] && targetHost != nil {
		self.containerID, _ = in.Target["id"].(string)
		if in.Mounts, err = f.containerMounts(ctx, targetHost); err != nil {
			return err
		}
	}
	return f.markNesting(ctx, in.Mounts, self)
}

// remounts are the endpoints at which the daemon mounts a container's binds
// again, following the symlinks their host paths hold at that moment.
var remounts = map[string]bool{"container.start": true, "container.restart": true}

// imageRef is the image reference a request names, if any.
func (f *Facts) imageRef(ex *Exchange) (string, bool) {
	switch ex.Route.Name {
	case "container.create":
		if cr, ok := ex.Body.Typed.(*container.CreateRequest); ok && cr.Config != nil {
			return cr.Image, false
		}
	case "service.create", "service.update":
		if spec, ok := ex.Body.Typed.(*swarm.ServiceSpec); ok && spec.TaskTemplate.ContainerSpec != nil {
			return spec.TaskTemplate.ContainerSpec.Image, false
		}
	case "image.pull":
		return pullReference(ex.Target.Query.Get("fromImage"), ex.Target.Query.Get("tag"))
	case "image.commit":
		return "", false
	case "distribution.inspect":
		// The daemon asks the image's registry about it.
		return ex.Params["name"], false
	case "image.get_all":
		// A save of several images at once is refused by the policy.
		if names := ex.Target.Query["names"]; len(names) == 1 {
			return names[0], false
		}
		return "", false
	}
	if strings.HasPrefix(ex.Route.Name, "image.") {
		return ex.Params["name"], false
	}
	return "", false
}

// targetFacts describes the existing object a request acts on, and for a
// container its HostConfig (whose mounts a start judges again).
func (f *Facts) targetFacts(ctx context.Context, ex *Exchange) (map[string]any, *container.HostConfig, error) {
	kind, _, _ := strings.Cut(ex.Route.Name, ".")
	id := ex.Params[targetParam(kind)]
	if id == "" {
		return nil, nil, nil
	}
	// exec.create's {id} is the container the exec would run in.
	if kind == "container" || ex.Route.Name == "exec.create" {
		return f.inspectContainerTarget(ctx, "container", id)
	}
	t, err := f.otherTarget(ctx, kind, id)
	return t, nil, err
}

// targetParam is the path parameter that names a request's target: its id,
// or for a volume, which has none, its name.
func targetParam(kind string) string {
	if kind == "volume" {
		return "name"
	}
	return "id"
}

// otherTarget describes an exec (by its container), service, task (by its
// service), network, volume, secret or config; other kinds (nodes, plugins)
// have no target facts.
func (f *Facts) otherTarget(ctx context.Context, kind, id string) (map[string]any, error) {
	switch kind {
	case "exec":
		e, err := f.api.ContainerExecInspect(ctx, id)
		if client.IsErrNotFound(err) {
			return missingTarget("exec", id), nil
		}
		if err != nil {
			return nil, fmt.Errorf("inspecting exec %s: %w", id, err)
		}
		t, err := f.containerTarget(ctx, "exec", e.ContainerID)
		if t != nil {
			t["id"] = id
			t["container_id"] = e.ContainerID
		}
		return t, err
	case "service":
		return f.serviceTarget(ctx, "service", id)
	case "network":
		return f.networkTarget(ctx, id)
	case "volume":
		return f.volumeTarget(ctx, id)
	case "secret", "config":
		return f.swarmObjectTarget(ctx, kind, id)
	case "task":
		task, _, err := f.api.TaskInspectWithRaw(ctx, id)
		if client.IsErrNotFound(err) {
			return missingTarget("task", id), nil
		}
		if err != nil {
			return nil, fmt.Errorf("inspecting task %s: %w", id, err)
		}
		t, err := f.serviceTarget(ctx, "task", task.ServiceID)
		if t != nil {
			t["id"] = task.ID
			t["service_id"] = task.ServiceID
		}
		return t, err
	}
	return nil, nil
}

// foundTarget describes an object that exists; it is xcsproxy's when it
// carries ManagedLabel.
func foundTarget(kind, id, name string, labels map[string]string, image string) map[string]any {
	return map[string]any{
		"kind": kind, "id": id, "name": name, "exists": true,
		"managed": labels[ManagedLabel] == "true", "labels": stringMap(labels), "image": image,
	}
}

func missingTarget(kind, id string) map[string]any {
	return map[string]any{"kind": kind, "id": id, "name": "", "exists": false, "managed": false, "labels": map[string]any{}, "image": ""}
}

func (f *Facts) containerTarget(ctx context.Context, kind, id string) (map[string]any, error) {
	t, _, err := f.inspectContainerTarget(ctx, kind, id)
	return t, err
}

func (f *Facts) inspectContainerTarget(ctx context.Context, kind, id string) (map[string]any, *container.HostConfig, error) {
	c, err := f.api.ContainerInspect(ctx, id)
	if client.IsErrNotFound(err) {
		return missingTarget(kind, id), nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("inspecting container %s: %w", id, err)
	}
	var labels map[string]string
	image := ""
	if c.Config != nil {
		labels, image = c.Config.Labels, c.Config.Image
	}
	managed, fromImage := labels[ManagedLabel] == "true", false
	if managed {
		if fromImage, err = f.imageSetsManaged(ctx, c.Image); err != nil {
			return nil, nil, err
		}
		managed = !fromImage
	}
	t := foundTarget(kind, c.ID, strings.TrimPrefix(c.Name, "/"), labels, image)
	t["managed"], t["managed_label_from_image"] = managed, fromImage
	return t, c.HostConfig, nil
}

func (f *Facts) serviceTarget(ctx context.Context, kind, id string) (map[string]any, error) {
	s, _, err := f.api.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if client.IsErrNotFound(err) {
		return missingTarget(kind, id), nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting service %s: %w", id, err)
	}
	image := ""
	if s.Spec.TaskTemplate.ContainerSpec != nil {
		image = s.Spec.TaskTemplate.ContainerSpec.Image
	}
	return foundTarget(kind, s.ID, s.Spec.Name, s.Spec.Labels, image), nil
}

// networkTarget describes a network; like containers, networks are found
// by full id, then name, then id prefix.
func (f *Facts) networkTarget(ctx context.Context, id string) (map[string]any, error) {
	n, err := f.api.NetworkInspect(ctx, id, network.InspectOptions{})
	if client.IsErrNotFound(err) {
		return missingTarget("network", id), nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting network %s: %w", id, err)
	}
	return foundTarget("network", n.ID, n.Name, n.Labels, ""), nil
}

// volumeTarget describes a volume, found by its name alone.
func (f *Facts) volumeTarget(ctx context.Context, name string) (map[string]any, error) {
	v, err := f.volume(ctx, name)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return missingTarget("volume", name), nil
	}
	return foundTarget("volume", v.Name, v.Name, v.Labels, ""), nil
}

// swarmObjectTarget describes a swarm secret or config (never its data):
// found, like a service, by full id, then name, then id prefix.
func (f *Facts) swarmObjectTarget(ctx context.Context, kind, id string) (map[string]any, error) {
	var (
		fullID, name string
		labels       map[string]string
		err          error
	)
	if kind == "secret" {
		var s swarm.Secret
		s, _, err = f.api.SecretInspectWithRaw(ctx, id)
		fullID, name, labels = s.ID, s.Spec.Name, s.Spec.Labels
	} else {
		var c swarm.Config
		c, _, err = f.api.ConfigInspectWithRaw(ctx, id)
		fullID, name, labels = c.ID, c.Spec.Name, c.Spec.Labels
	}
	if client.IsErrNotFound(err) {
		return missingTarget(kind, id), nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting %s %s: %w", kind, id, err)
	}
	return foundTarget(kind, fullID, name, labels, ""), nil
}

// referencedContainers describes every container a create body points at:
// Links and container:<name> network, pid and ipc modes. (VolumesFrom is
// refused whatever it names, so it is not looked up.)
func (f *Facts) referencedContainers(ctx context.Context, hc *container.HostConfig) (map[string]any, error) {
	out := map[string]any{}
	if hc == nil {
		return out, nil
	}
	var names []string
	for _, l := range hc.Links {
		name, _, _ := strings.Cut(l, ":")
		names = append(names, strings.TrimPrefix(name, "/"))
	}
	for _, mode := range []string{string(hc.NetworkMode), string(hc.PidMode), string(hc.IpcMode)} {
		if name, ok := strings.CutPrefix(mode, "container:"); ok {
			names = append(names, name)
		}
	}
	return f.containersNamed(ctx, names...)
}

// containersNamed describes each container named, keyed by the reference as
// written.
func (f *Facts) containersNamed(ctx context.Context, names ...string) (map[string]any, error) {
	out := map[string]any{}
	for _, name := range names {
		if _, done := out[name]; done {
			continue
		}
		t, err := f.containerTarget(ctx, "container", name)
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// LabeledImage is an image carrying a given label.
type LabeledImage struct {
	Ref   string // its first tag, or its id when it has none
	ID    string
	Value string
}

// ImagesWithLabel lists the daemon's images that carry label key.
func (f *Facts) ImagesWithLabel(ctx context.Context, key string) ([]LabeledImage, error) {
	list, err := f.api.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("label", key))})
	if err != nil {
		return nil, fmt.Errorf("listing images with %s: %w", key, err)
	}
	out := make([]LabeledImage, 0, len(list))
	for _, img := range list {
		ref := img.ID
		if len(img.RepoTags) > 0 && img.RepoTags[0] != "<none>:<none>" {
			ref = img.RepoTags[0]
		}
		out = append(out, LabeledImage{Ref: ref, ID: img.ID, Value: img.Labels[key]})
	}
	return out, nil
}
