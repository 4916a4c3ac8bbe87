package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Docker's default capabilities include NET_RAW: a job could forge ARP and
// DNS answers to the other jobs on its bridge, and read the XNAT tokens they
// send. xcsproxy drops it from every container it creates.
func TestAJobCannotOpenARawSocket(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	// The control, straight on the daemon: with Docker's defaults a job
	// opens a raw socket.
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"raw"}, Labels: map[string]string{testLabel: "netraw"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	runJob(t, c.ID)
	if out := containerOutput(t, ctx, c.ID); !strings.Contains(out, "raw socket open") {
		t.Fatalf("control: straight on the daemon the job said %q; want a raw socket open", out)
	}

	p := startProxy(t)
	id := createThroughProxy(t, p, `{"Image":"`+testImage+`","Cmd":["raw"],"Labels":{"`+testLabel+`":"netraw"},"HostConfig":{"CapDrop":["CHOWN"]}}`)
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), id, containerRemoveForce()) })
	info, err := docker.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if drop := info.HostConfig.CapDrop; !slices.Contains(drop, "NET_RAW") || !slices.Contains(drop, "CHOWN") {
		t.Fatalf("the container drops %v; want NET_RAW added to the client's CHOWN", drop)
	}
	if err := docker.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := containerOutput(t, ctx, id); !strings.Contains(out, "operation not permitted") {
		t.Fatalf("through xcsproxy the job said %q; want its raw socket refused", out)
	}
}
