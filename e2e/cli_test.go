package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestDockerRunPrintsOutputThroughProxy(t *testing.T) {
	p := startProxy(t)
	out, errOut, err := p.cli(ctxFor(t, time.Minute), "", "run", "--rm", "--label", testLabel+"=run", testImage, "echo", "hi")
	if err != nil {
		t.Fatalf("docker run: %v\n%s", err, errOut)
	}
	if strings.TrimSpace(out) != "hi" {
		t.Fatalf("docker run printed %q, want %q", out, "hi")
	}
}

func TestDockerLogsFollowStreamsLinesWhileTheContainerRuns(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, time.Minute)
	id, errOut, err := p.cli(ctx, "", "run", "-d", "--label", testLabel+"=logs", testImage, "tick", "8", "400")
	if err != nil {
		t.Fatalf("docker run -d: %v\n%s", err, errOut)
	}
	id = strings.TrimSpace(id)
	cmd := exec.CommandContext(ctx, "docker", "logs", "-f", id)
	cmd.Env = append(cmd.Environ(), "DOCKER_HOST=unix://"+p.Sock)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("docker logs -f ended before the first line")
	}
	// The first line must arrive while the container is still writing: a
	// proxy that buffered the stream would deliver nothing until it ended.
	st, err := docker.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !st.State.Running {
		t.Fatalf("first log line %q arrived only after the container had exited: the stream was buffered", lines.Text())
	}
	n := 1
	for lines.Scan() {
		n++
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("docker logs -f: %v", err)
	}
	if n != 8 {
		t.Fatalf("docker logs -f delivered %d lines, want 8", n)
	}
}

func TestDockerEventsShowsTheContainersDie(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, time.Minute)
	mark := fmt.Sprintf("events-%d", time.Now().UnixNano())
	cmd := exec.CommandContext(ctx, "docker", "events", "--filter", "label="+testLabel+"="+mark, "--format", "{{.Action}}")
	cmd.Env = append(cmd.Environ(), "DOCKER_HOST=unix://"+p.Sock)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(300 * time.Millisecond) // let the subscription reach the daemon
	if _, errOut, err := p.cli(ctx, "", "run", "--rm", "--label", testLabel+"="+mark, testImage, "echo", "bye"); err != nil {
		t.Fatalf("docker run: %v\n%s", err, errOut)
	}
	got := make(chan []string, 1)
	go func() {
		var actions []string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			actions = append(actions, sc.Text())
			if sc.Text() == "die" {
				break
			}
		}
		got <- actions
	}()
	select {
	case actions := <-got:
		if len(actions) == 0 || actions[len(actions)-1] != "die" {
			t.Fatalf("events through xcsproxy: %v, want a die", actions)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no die event arrived through xcsproxy within 20s")
	}
}

func TestDockerExecIsDeniedAndTheDaemonNeverSeesIt(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, time.Minute)
	id, errOut, err := p.cli(ctx, "", "run", "-d", "--label", testLabel+"=exec", testImage, "sleep", "60")
	if err != nil {
		t.Fatalf("docker run -d: %v\n%s", err, errOut)
	}
	id = strings.TrimSpace(id)
	defer docker.ContainerRemove(ctx, id, containerRemoveForce())

	_, errOut, err = p.cli(ctx, "", "exec", id, "echo", "pwned")
	if err == nil {
		t.Fatal("docker exec through xcsproxy succeeded; it must be denied")
	}
	if !strings.Contains(errOut, "xcsproxy: denied") || !strings.Contains(errOut, "exec.create") {
		t.Fatalf("docker exec error does not name the denial: %q", errOut)
	}

	// The same through raw HTTP: 403 in Docker's error shape.
	body := `{"Cmd":["echo","pwned"],"AttachStdout":true}`
	resp, err := p.HTTP().Post("http://docker/containers/"+id+"/exec", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("raw exec create: status %d, want 403 (%s)", resp.StatusCode, raw)
	}
	var msg struct{ Message string }
	if err := json.Unmarshal(raw, &msg); err != nil || !strings.HasPrefix(msg.Message, "xcsproxy: denied: ") {
		t.Fatalf("raw exec create answer is not Docker-shaped: %s", raw)
	}

	st, err := docker.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ExecIDs) != 0 {
		t.Fatalf("the daemon holds exec instances %v after a denied exec", st.ExecIDs)
	}
}
