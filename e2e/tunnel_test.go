package e2e

import (
	"strings"
	"testing"
	"time"
)

// execAllowedConfig is the test config with the exec endpoints allowed. A
// function, not a variable: the roots it names are made by TestMain, after
// package variables are set (as a variable it named two empty roots).
func execAllowedConfig() string {
	return testConfig("exec.create", "exec.start", "exec.inspect", "exec.resize")
}

func TestAttachTunnelCarriesStdinAndStdout(t *testing.T) {
	p := startProxy(t)
	out, errOut, err := p.cli(ctxFor(t, time.Minute), "through-attach\n", "run", "-i", "--rm", "--label", testLabel+"=attach", testImage, "cat")
	if err != nil {
		t.Fatalf("docker run -i: %v\n%s", err, errOut)
	}
	if out != "through-attach\n" {
		t.Fatalf("attach tunnel returned %q, want the stdin it was sent", out)
	}
}

func TestExecTunnelCarriesDataBothWaysWhenPolicyAllowsExec(t *testing.T) {
	p := startProxy(t, "--policies", policyDir(t, execAllowedConfig()))
	ctx := ctxFor(t, time.Minute)
	id, errOut, err := p.cli(ctx, "", "run", "-d", "--label", testLabel+"=exec-tunnel", testImage, "sleep", "60")
	if err != nil {
		t.Fatalf("docker run -d: %v\n%s", err, errOut)
	}
	id = strings.TrimSpace(id)
	defer docker.ContainerRemove(ctx, id, containerRemoveForce())
	out, errOut, err := p.cli(ctx, "through-exec\nsecond line\n", "exec", "-i", id, "cat")
	if err != nil {
		t.Fatalf("docker exec -i: %v\n%s", err, errOut)
	}
	if out != "through-exec\nsecond line\n" {
		t.Fatalf("exec tunnel returned %q, want the stdin it was sent", out)
	}
}
