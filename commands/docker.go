package commands

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
)

// Options are the site settings a translation needs.
type Options struct {
	// BuildRoot is where output mounts get fresh directories (XNAT's build
	// path, as the host sees it).
	BuildRoot string
	// PathTranslation rewrites XNAT-side path prefixes to host prefixes,
	// as CS's "path translation" settings do.
	PathTranslation map[string]string
}

// Create is a containers/create request: the body and the ?name=.
type Create struct {
	Name string
	container.CreateRequest
}

// Labels stamped on what a launch creates, beside the command's own.
const (
	LabelCommand = "org.nrg.command"
	LabelWrapper = "org.nrg.wrapper"
)

// ContainerCreate builds the Docker create request for a resolved Command,
// the way CS's DockerControlApi does for the docker backend. Output mounts
// without a host path get a fresh directory name under BuildRoot (the
// caller creates it).
func ContainerCreate(r *Resolved, o Options) (*Create, error) {
	c := r.Command
	binds, err := binds(r, o)
	if err != nil {
		return nil, err
	}
	cfg := &container.Config{
		Image:      c.Image,
		Env:        envList(r.Env),
		WorkingDir: r.WorkingDir,
		Labels:     labels(r),
	}
	cfg.Entrypoint, cfg.Cmd = entrypointAndCmd(r)
	hc := &container.HostConfig{
		Binds:       binds,
		Runtime:     c.Runtime,
		IpcMode:     container.IpcMode(c.IpcMode),
		NetworkMode: container.NetworkMode(c.Network),
		AutoRemove:  c.AutoRemove != nil && bool(*c.AutoRemove),
	}
	if c.ShmSize != nil {
		hc.ShmSize = *c.ShmSize
	}
	hc.Memory, hc.MemoryReservation, hc.NanoCPUs = resources(c)
	if len(r.Ports) > 0 {
		exposed, bindings, err := ports(r.Ports)
		if err != nil {
			return nil, err
		}
		cfg.ExposedPorts, hc.PortBindings = exposed, bindings
	}
	if hc.Ulimits, err = ulimits(c.Ulimits); err != nil {
		return nil, err
	}
	// Beyond CS: it stores gpus and generic-resources but never applies
	// them on the docker backend.
	if req := deviceRequest(c); req != nil {
		hc.DeviceRequests = []container.DeviceRequest{*req}
	}
	return &Create{Name: r.ContainerName, CreateRequest: container.CreateRequest{Config: cfg, HostConfig: hc}}, nil
}

// ServiceSpec builds the swarm service spec CS's swarm backend creates:
// zero replicas, restart never; the launcher then scales it to one.
func ServiceSpec(r *Resolved, o Options) (*swarm.ServiceSpec, error) {
	c := r.Command
	if err := placeMounts(r, o); err != nil {
		return nil, err
	}
	var mounts []mount.Mount
	for _, m := range r.Mounts {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: translate(m.HostPath, o), Target: m.ContainerPath, ReadOnly: !m.Writable})
	}
	spec := &swarm.ContainerSpec{
		Image:  c.Image,
		Env:    envList(r.Env),
		Dir:    r.WorkingDir,
		Labels: labels(r),
		Mounts: mounts,
	}
	if c.OverrideEntrypoint {
		spec.Command = []string{"/bin/sh", "-c", r.CommandLine}
	} else {
		spec.Args = ShellSplit(r.CommandLine)
	}
	mem, reserve, cpus := resources(c)
	replicas := uint64(0)
	svc := &swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: r.ContainerName, Labels: labels(r)},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: spec,
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone},
			Resources: &swarm.ResourceRequirements{
				Limits:       &swarm.Limit{MemoryBytes: mem, NanoCPUs: cpus},
				Reservations: &swarm.Resources{MemoryBytes: reserve, GenericResources: genericResources(c)},
			},
		},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
	}
	if c.Network != "" {
		svc.TaskTemplate.Networks = []swarm.NetworkAttachmentConfig{{Target: c.Network}}
	}
	if len(r.Ports) > 0 {
		var pc []swarm.PortConfig
		for ctr, host := range r.Ports {
			cp, _ := strconv.Atoi(strings.Split(ctr, "/")[0])
			hp, _ := strconv.Atoi(host)
			pc = append(pc, swarm.PortConfig{TargetPort: uint32(cp), PublishedPort: uint32(hp), Protocol: swarm.PortConfigProtocolTCP})
		}
		svc.EndpointSpec = &swarm.EndpointSpec{Ports: pc}
	}
	return svc, nil
}

func entrypointAndCmd(r *Resolved) (entrypoint, cmd []string) {
	if r.Command.OverrideEntrypoint {
		return []string{""}, []string{"/bin/sh", "-c", r.CommandLine}
	}
	return nil, ShellSplit(r.CommandLine)
}

func resources(c *Command) (mem, reserve, cpus int64) {
	if c.LimitMemory != nil {
		mem = *c.LimitMemory * 1024 * 1024
	}
	if c.ReserveMemory != nil {
		reserve = *c.ReserveMemory * 1024 * 1024
	}
	if c.LimitCPU != nil {
		cpus = int64(*c.LimitCPU * 1e9)
	}
	return mem, reserve, cpus
}

// placeMounts gives every mount its host path: output mounts a fresh
// directory under the build root; any other mount must already have one.
func placeMounts(r *Resolved, o Options) error {
	for i := range r.Mounts {
		m := &r.Mounts[i]
		if m.HostPath == "" && m.Output {
			if o.BuildRoot == "" {
				return fmt.Errorf("mount %q is an output mount and no build root is configured (--build-root)", m.Name)
			}
			m.HostPath = filepath.Join(o.BuildRoot, newID())
		}
		if m.HostPath == "" {
			return fmt.Errorf("mount %q: no host path (give it in the launch's mounts, or through a wrapper input with a directory)", m.Name)
		}
	}
	return nil
}

// binds renders the placed mounts as host:container:ro|rw.
func binds(r *Resolved, o Options) ([]string, error) {
	if err := placeMounts(r, o); err != nil {
		return nil, err
	}
	var out []string
	for _, m := range r.Mounts {
		mode := "ro"
		if m.Writable {
			mode = "rw"
		}
		out = append(out, translate(m.HostPath, o)+":"+m.ContainerPath+":"+mode)
	}
	return out, nil
}

// translate applies the longest matching path-translation prefix.
func translate(p string, o Options) string {
	best := ""
	for from := range o.PathTranslation {
		if (p == from || strings.HasPrefix(p, strings.TrimSuffix(from, "/")+"/")) && len(from) > len(best) {
			best = from
		}
	}
	if best == "" {
		return p
	}
	return o.PathTranslation[best] + strings.TrimPrefix(p, best)
}

func envList(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

func labels(r *Resolved) map[string]string {
	out := map[string]string{LabelCommand: r.Command.Name}
	if r.Wrapper != nil {
		out[LabelWrapper] = r.Wrapper.Name
	}
	for k, v := range r.Labels {
		out[k] = v
	}
	return out
}

func ports(p map[string]string) (nat.PortSet, nat.PortMap, error) {
	exposed, bindings := nat.PortSet{}, nat.PortMap{}
	for ctr, host := range p {
		port, err := nat.NewPort("tcp", strings.Split(ctr, "/")[0])
		if err != nil {
			return nil, nil, fmt.Errorf("port %q: %v", ctr, err)
		}
		exposed[port] = struct{}{}
		bindings[port] = append(bindings[port], nat.PortBinding{HostPort: host})
	}
	return exposed, bindings, nil
}

func ulimits(u map[string]string) ([]*container.Ulimit, error) {
	var out []*container.Ulimit
	names := make([]string, 0, len(u))
	for n := range u {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		l, err := units.ParseUlimit(name + "=" + u[name])
		if err != nil {
			return nil, fmt.Errorf("ulimit %s=%q: %v", name, u[name], err)
		}
		out = append(out, &container.Ulimit{Name: l.Name, Soft: l.Soft, Hard: l.Hard})
	}
	return out, nil
}

// deviceRequest turns gpus ("all" or a count) or a generic "gpu" resource
// into a GPU device request.
func deviceRequest(c *Command) *container.DeviceRequest {
	count := 0
	switch g := strings.TrimSpace(c.GPUs); {
	case g == "all":
		count = -1
	case g != "":
		count, _ = strconv.Atoi(g)
	}
	if n, ok := c.GenericResources["gpu"]; ok && count == 0 {
		count, _ = strconv.Atoi(n)
	}
	if count == 0 {
		return nil
	}
	return &container.DeviceRequest{Count: count, Capabilities: [][]string{{"gpu"}}}
}

func genericResources(c *Command) []swarm.GenericResource {
	var out []swarm.GenericResource
	kinds := make([]string, 0, len(c.GenericResources))
	for k := range c.GenericResources {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		v := c.GenericResources[kind]
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out = append(out, swarm.GenericResource{DiscreteResourceSpec: &swarm.DiscreteGenericResource{Kind: kind, Value: n}})
		} else {
			out = append(out, swarm.GenericResource{NamedResourceSpec: &swarm.NamedGenericResource{Kind: kind, Value: v}})
		}
	}
	return out
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
