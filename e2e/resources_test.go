package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The resource ceilings are off in the shipped config; an operator who sets
// them gets creates and updates above them refused, and the daemon's
// containers keep the resources they had.
func TestResourceCeilingsHoldForCreatesAndUpdates(t *testing.T) {
	const (
		maxMemory = 256 << 20
		maxCPUs   = 1_000_000_000
		maxPids   = 512
	)
	config := strings.Replace(testConfig("container.update"),
		"resources: {max_memory_bytes: 0, max_nano_cpus: 0, max_pids: 0}",
		fmt.Sprintf("resources: {max_memory_bytes: %d, max_nano_cpus: %d, max_pids: %d}", maxMemory, maxCPUs, maxPids), 1)
	p := startProxy(t, "--policies", policyDir(t, config))

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
