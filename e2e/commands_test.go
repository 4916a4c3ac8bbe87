package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
)

// debugImage is built around Debian's static busybox, with the real
// debug-command definition in its org.nrg.commands label. It lives under
// the local registry's name so swarm can resolve it.
func debugImage(t *testing.T, ctx context.Context) string {
	t.Helper()
	ref := registryAddr() + "/xcsproxy-e2e/debug:1"
	if _, err := docker.ImageInspect(ctx, ref); err == nil {
		return ref
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("Debian's busybox-static is needed (.ci/docker-up installs it): %v", err)
	}
	cmd, err := os.ReadFile("../commands/testdata/commands/debug-command.json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"bin/", "tmp/", "input/", "output/"} {
		tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755})
	}
	tw.WriteHeader(&tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(bb))})
	tw.Write(bb)
	for _, applet := range []string{"sh", "echo", "ls", "cat", "sleep", "mkdir", "true"} {
		tw.WriteHeader(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox"})
	}
	tw.Close()
	// As NrgXnat's command2label.py writes it: one line, with ", \ and $
	// escaped for the Dockerfile LABEL instruction.
	var compact bytes.Buffer
	if err := json.Compact(&compact, cmd); err != nil {
		t.Fatal(err)
	}
	label := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`).Replace("[" + compact.String() + "]")
	rc, err := docker.ImageImport(ctx, image.ImportSource{Source: &buf, SourceName: "-"}, ref,
		image.ImportOptions{Changes: []string{"ENV PATH=/bin", `LABEL org.nrg.commands="` + label + `"`}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, rc)
	rc.Close()
	push, err := docker.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: emptyAuth()})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(push)
	push.Close()
	if containsErrorDetail(out) {
		t.Fatalf("pushing %s: %s", ref, out)
	}
	return ref
}

type launchAnswer struct {
	ContainerID string            `json:"container_id"`
	ServiceID   string            `json:"service_id"`
	CommandLine string            `json:"command_line"`
	DecisionID  string            `json:"decision_id"`
	Mounts      map[string]string `json:"mounts"`
	Message     string            `json:"message"`
	Problems    []string          `json:"problems"`
}

func launch(t *testing.T, p *proxyProc, name, body string) (int, launchAnswer) {
	t.Helper()
	resp, err := p.HTTP().Post("http://docker/xcsproxy/v1/commands/"+name+"/launch", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a launchAnswer
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("launch answer is not JSON: %s", raw)
	}
	return resp.StatusCode, a
}

// projectInput is an XNAT project as CS passes it, with its archive
// directory holding one file.
func projectInput(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(archiveRoot, fmt.Sprintf("P%d", time.Now().UnixNano()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "scan.dcm"), "not really DICOM")
	obj, _ := json.Marshal(map[string]any{"id": "P", "label": "P", "uri": "/data/projects/P", "directory": dir, "type": "Project"})
	return string(obj)
}

func launchBody(project, command, backend string) string {
	b, _ := json.Marshal(map[string]any{"wrapper": "debug-project", "backend": backend,
		"inputs": map[string]string{"project": project, "command": command}})
	return string(b)
}

func waitForFile(t *testing.T, path string, within time.Duration) string {
	t.Helper()
	var b []byte
	waitFor(t, within, path+" to be written", func() bool {
		var err error
		b, err = os.ReadFile(path)
		return err == nil && len(b) > 0
	})
	return string(b)
}

func TestALabelledCommandIsListedAndLaunchesThroughTheGate(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	ref := debugImage(t, ctx)
	p := startProxy(t, "--build-root", buildRoot)

	resp, err := p.HTTP().Get("http://docker/xcsproxy/v1/commands")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(raw), `"name":"debug"`) || !strings.Contains(string(raw), "image:"+ref) {
		t.Fatalf("GET /xcsproxy/v1/commands: %d %s", resp.StatusCode, raw)
	}

	status, a := launch(t, p, "debug", launchBody(projectInput(t), "ls /input", ""))
	if status != http.StatusCreated || a.ContainerID == "" || a.DecisionID == "" {
		t.Fatalf("launch: %d %+v", status, a)
	}
	if a.CommandLine != "ls /input > /output/out.txt" {
		t.Errorf("command line %q", a.CommandLine)
	}
	out := waitForFile(t, filepath.Join(a.Mounts["out"], "out.txt"), 30*time.Second)
	if strings.TrimSpace(out) != "scan.dcm" {
		t.Fatalf("out.txt holds %q, want the input directory's listing", out)
	}
	st, err := docker.ContainerInspect(ctx, a.ContainerID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Config.Labels["org.xcsproxy.managed"] != "true" || st.Config.Labels["org.nrg.command"] != "debug" {
		t.Fatalf("launched container labels %v", st.Config.Labels)
	}
	defer docker.ContainerRemove(ctx, a.ContainerID, containerRemoveForce())
	ps, errOut, err := p.cli(ctx, "", "ps", "-a", "--no-trunc", "--format", "{{.ID}}")
	if err != nil || !strings.Contains(ps, a.ContainerID) {
		t.Fatalf("docker ps through xcsproxy does not list the launched container: %v %s %s", err, ps, errOut)
	}
	if out, err := xcsproxy(t, "audit", "show", "--decision", a.DecisionID, p.AuditLog); err != nil || !strings.Contains(out, "command.launch") {
		t.Fatalf("the launch is not in the audit log: %v\n%s", err, out)
	}
}

func TestACommandLaunchesAsASwarmService(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	debugImage(t, ctx)
	joinSwarm(t)
	p := startProxy(t, "--build-root", buildRoot)
	status, a := launch(t, p, "debug", launchBody(projectInput(t), "ls /input", "swarm"))
	if status != http.StatusCreated || a.ServiceID == "" {
		t.Fatalf("swarm launch: %d %+v", status, a)
	}
	defer docker.ServiceRemove(ctx, a.ServiceID)
	out := waitForFile(t, filepath.Join(a.Mounts["out"], "out.txt"), 90*time.Second)
	if strings.TrimSpace(out) != "scan.dcm" {
		t.Fatalf("out.txt holds %q", out)
	}
}

func TestLaunchesThatBreakThePolicyCreateNothing(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	ref := debugImage(t, ctx)
	cmdDir := t.TempDir()
	writeFile(t, filepath.Join(cmdDir, "hostnet.json"), fmt.Sprintf(`{"name": "hostnet", "image": %q, "network": "host",
		"command-line": "echo hi", "inputs": [], "mounts": []}`, ref))
	p := startProxy(t, "--build-root", buildRoot, "--commands", cmdDir)
	buildEntries := func() int { e, _ := os.ReadDir(buildRoot); return len(e) }
	for _, c := range []struct {
		name, command, body string
		status              int
		reason              string
	}{
		{"a Command with network host", "hostnet", `{}`, 403, "NetworkMode host"},
		{"a mount outside the allowed roots", "debug",
			`{"wrapper":"debug-project","inputs":{"project":"{\"uri\":\"/p\"}"},"mounts":{"in":"/etc"}}`, 403, "not under an allowed root"},
		{"a value with ;", "debug", launchBody(projectInput(t), "echo hi; rm -rf /", ""), 400, `Input "command" has a value containing illegal string ";".`},
		{"a missing required input", "debug", `{"wrapper":"debug-project","inputs":{}}`, 400, "Missing values for required input: project."},
		{"an unknown wrapper", "debug", `{"wrapper":"nope"}`, 400, `has no wrapper "nope"`},
		{"an unknown command", "nope", `{}`, 404, "no command named"},
		{"an unknown field", "debug", `{"wrapper":"debug-project","imputs":{}}`, 400, "unknown field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, dirs := snapshot(t), buildEntries()
			status, a := launch(t, p, c.command, c.body)
			if status != c.status || !strings.Contains(a.Message, c.reason) || !strings.HasPrefix(a.Message, "xcsproxy: ") {
				t.Fatalf("status %d message %q; want %d saying %q", status, a.Message, c.status, c.reason)
			}
			assertUnchanged(t, before, snapshot(t))
			if buildEntries() != dirs {
				t.Fatalf("the refused launch left a directory in the build root")
			}
		})
	}
}

func TestTheCommandCLI(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	debugImage(t, ctx)
	p := startProxy(t, "--build-root", buildRoot)
	out, err := xcsproxy(t, "command", "list", "--host", "unix://"+p.Sock)
	if err != nil || !strings.Contains(out, `"name": "debug"`) {
		t.Fatalf("command list: %v\n%s", err, out)
	}
	projectFile := filepath.Join(t.TempDir(), "project.json")
	writeFile(t, projectFile, projectInput(t))
	out, err = xcsproxy(t, "command", "launch", "debug", "--host", "unix://"+p.Sock, "--wrapper", "debug-project",
		"--input", "project=@"+projectFile, "--input", "command=ls /input")
	if err != nil || !strings.Contains(out, `"container_id"`) {
		t.Fatalf("command launch: %v\n%s", err, out)
	}
	var a launchAnswer
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	defer docker.ContainerRemove(ctx, a.ContainerID, containerRemoveForce())
	if got := waitForFile(t, filepath.Join(a.Mounts["out"], "out.txt"), 30*time.Second); strings.TrimSpace(got) != "scan.dcm" {
		t.Fatalf("out.txt: %q", got)
	}
	out, err = xcsproxy(t, "command", "resolve", "../commands/testdata/conformance/params-command.json",
		"--input", "REQUIRED_NO_FLAG=bar", "--input", "REQUIRED_WITH_FLAG=foo", "--json")
	if err != nil || !strings.Contains(out, `"command_line": "echo bar --flag foo "`) || !strings.Contains(out, `"create"`) {
		t.Fatalf("command resolve: %v\n%s", err, out)
	}
	out, err = xcsproxy(t, "command", "launch", "debug", "--host", "unix://"+p.Sock, "--wrapper", "debug-project",
		"--input", "project=@"+projectFile, "--input", "command=echo hi; id")
	if err == nil || !strings.Contains(out, `illegal string \";\"`) {
		t.Fatalf("command launch with ';': %v\n%s", err, out)
	}
}
