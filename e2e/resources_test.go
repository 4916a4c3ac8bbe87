package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The resource ceilings are off in the shipped config; an operator who sets
// them gets creates and updates above them refused, and the daemon's
// containers keep the resources they had.
const (
	maxMemory = 256 << 20
	maxCPUs   = 1_000_000_000
	maxPids   = 512
)

// ceilingsConfig is the test config with the resource ceilings above set.
func ceilingsConfig(allowExtra ...string) string {
	return strings.Replace(testConfig(allowExtra...),
		"resources: {max_memory_bytes: 0, max_nano_cpus: 0, max_pids: 0}",
		fmt.Sprintf("resources: {max_memory_bytes: %d, max_nano_cpus: %d, max_pids: %d}", maxMemory, maxCPUs, maxPids), 1)
}

func TestResourceCeilingsHoldForCreatesAndUpdates(t *testing.T) {
	p := startProxy(t, "--policies", policyDir(t, ceilingsConfig("container.update")))

	// A create within the ceilings goes through: the refusals below are the
	// ceilings, not something else.
	id := createThroughProxy(t, p, createBody(fmt.Sprintf(`{"Memory":%d,"NanoCpus":%d,"PidsLimit":%d}`, maxMemory, maxCPUs, maxPids)))
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), id, containerRemoveForce()) })

	create, update := "/containers/create", "/containers/"+id+"/update"
	runAttacks(t, p, []attack{
		{name: "a create above the memory ceiling", method: "POST", path: create, body: createBody(`{"Memory":1073741824}`), reason: "max_memory_bytes"},
		{name: "a create above the CPU ceiling", method: "POST", path: create, body: createBody(`{"NanoCpus":4000000000}`), reason: "max_nano_cpus"},
		{name: "a create above the pids ceiling", method: "POST", path: create, body: createBody(`{"PidsLimit":100000}`), reason: "max_pids"},
		{name: "an update above the memory ceiling", method: "POST", path: update, body: `{"Memory":1073741824,"MemorySwap":-1}`, reason: "max_memory_bytes"},
		{name: "an update that adds a host device", method: "POST", path: update,
			body: `{"Devices":[{"PathOnHost":"/dev/mem","PathInContainer":"/dev/mem","CgroupPermissions":"rwm"}]}`, reason: "may not set Devices"},
		{name: "an update that adds a device cgroup rule", method: "POST", path: update, body: `{"DeviceCgroupRules":["c *:* rwm"]}`, reason: "may not set DeviceCgroupRules"},
	})
	got, err := docker.ContainerInspect(ctxFor(t, time.Minute), id)
	if err != nil {
		t.Fatal(err)
	}
	hc := got.HostConfig
	if hc.Memory != maxMemory || hc.NanoCPUs != maxCPUs || len(hc.Devices) != 0 || len(hc.DeviceCgroupRules) != 0 {
		t.Fatalf("the container's resources moved: memory %d, cpus %d, devices %v, cgroup rules %v", hc.Memory, hc.NanoCPUs, hc.Devices, hc.DeviceCgroupRules)
	}
}

// The same ceilings hold for swarm services: their limits are judged as a
// container's are, and a refused spec leaves no service behind.
func TestResourceCeilingsHoldForServices(t *testing.T) {
	joinSwarm(t)
	p := startProxy(t, "--policies", policyDir(t, ceilingsConfig()))
	spec := func(limits string) string {
		return fmt.Sprintf(`{"Name":"xcs-ceiling-%d","TaskTemplate":{"ContainerSpec":{"Image":%q,"Args":["sleep","30"]},"Resources":{"Limits":%s}},"Mode":{"Replicated":{"Replicas":0}}}`,
			time.Now().UnixNano(), testImage, limits)
	}
	// A spec within the ceilings goes through: the refusals below are the
	// ceilings, not something else.
	created := (&csClient{t: t, hc: p.HTTP()}).expect(201, "POST", "/services/create",
		spec(fmt.Sprintf(`{"MemoryBytes":%d,"NanoCPUs":%d,"Pids":%d}`, maxMemory, maxCPUs, maxPids)))
	var svc struct{ ID string }
	if err := json.Unmarshal(created, &svc); err != nil || svc.ID == "" {
		t.Fatalf("services/create answered %s", created)
	}
	t.Cleanup(func() { docker.ServiceRemove(ctxFor(t, time.Minute), svc.ID) })
	runAttacks(t, p, []attack{
		{name: "a service above the memory ceiling", method: "POST", path: "/services/create", body: spec(`{"MemoryBytes":1073741824}`), reason: "max_memory_bytes"},
		{name: "a service above the CPU ceiling", method: "POST", path: "/services/create", body: spec(`{"NanoCPUs":4000000000}`), reason: "max_nano_cpus"},
		{name: "a service above the pids ceiling", method: "POST", path: "/services/create", body: spec(`{"Pids":100000}`), reason: "max_pids"},
	})
}
