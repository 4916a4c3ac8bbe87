package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
)

// A site may allow the endpoints that make and name images. What they make
// must not take a name that jobs (images.allow) or other software on the
// host run by, and a commit must not copy another application's container.
func TestAllowedImageMakingEndpointsNeitherTakeNamesNorCopyOtherContainers(t *testing.T) {
	p := startProxy(t, "--policies", policyDir(t, testConfig("image.commit", "image.tag", "image.import", "image.load", "image.build")))
	ctx := ctxFor(t, 2*time.Minute)
	theirs := unmanagedContainer(t)
	job := createThroughProxy(t, p, createBody(`{}`))
	stamp := time.Now().UnixNano()
	trusted := fmt.Sprintf("xcsproxy-e2e/made-%d", stamp) // images.allow matches it
	otherApps := fmt.Sprintf("xcs-other-app-db-%d", stamp)
	archive := tarOf(t, map[string]string{"Dockerfile": "FROM " + testImage + "\n", "hello": "hello\n"})
	commit := func(query string) string { return "/commit?container=" + url.QueryEscape(job) + query }
	madeHere := "make it without a name"
	buildToken := fmt.Sprintf("tok-%d", stamp)      // a build-time variable's value, which the audit log must not keep
	elsewhere := registryAddr() + "/elsewhere/tool" // in the registry, but images.allow does not match it
	pushTestImageAs(t, ctx, elsewhere, fmt.Sprint(stamp))
	t.Cleanup(func() {
		docker.ImageRemove(ctxFor(t, time.Minute), elsewhere+":"+fmt.Sprint(stamp), imageRemoveForce())
	})

	runAttacks(t, p, []attack{
		{name: "committing another application's container", method: "POST", path: "/commit?container=" + theirs, body: "{}",
			reason: "image.commit of container " + theirs + " is not allowed: it is only allowed for containers xcsproxy created"},
		{name: "committing a job under a name images.allow matches", method: "POST", path: commit("&repo=" + trusted), body: "{}", reason: madeHere},
		{name: "committing a job under another application's image name", method: "POST", path: commit("&repo=" + otherApps + "&tag=13"), body: "{}", reason: madeHere},
		{name: "retagging an allowed image as another application's image", method: "POST", path: "/images/" + testImage + "/tag?repo=" + otherApps + "&tag=13",
			reason: "only names images.allow matches"},
		{name: "importing an archive under a name images.allow matches", method: "POST", path: "/images/create?fromSrc=-&repo=" + trusted,
			contentType: "application/x-tar", body: archive, reason: madeHere},
		{name: "importing from an address the daemon would fetch", method: "POST", path: "/images/create?fromSrc=" + url.QueryEscape("http://127.0.0.1:9/x.tar"),
			reason: "the daemon would fetch any address"},
		{name: "pulling an image images.allow does not match, dressed as an import (the daemon pulls when fromImage is set)", method: "POST",
			path: fmt.Sprintf("/images/create?fromImage=%s&tag=%d&fromSrc=-", elsewhere, stamp), reason: "is not allowed: add a pattern"},
		{name: "loading an archive, whose names are inside it", method: "POST", path: "/images/load", contentType: "application/x-tar", body: archive,
			reason: "image.load is not allowed"},
		{name: "building under a name images.allow matches", method: "POST", path: "/build?t=" + trusted, contentType: "application/x-tar", body: archive, reason: madeHere},
		{name: "building in the host's network", method: "POST", path: "/build?networkmode=host&buildargs=" + url.QueryEscape(`{"TOKEN":"`+buildToken+`"}`),
			contentType: "application/x-tar", body: archive,
			reason: "allowed only with networkmode=none"},
		{name: "building outside the limits set for containers", method: "POST", path: "/build?networkmode=none&cgroupparent=/", contentType: "application/x-tar", body: archive,
			reason: "image.build with cgroupparent / is not allowed"},
		{name: "building from a remote context", method: "POST", path: "/build?remote=" + url.QueryEscape("http://127.0.0.1:9/context.tar"),
			reason: "the daemon would fetch any address"},
	})

	log := readFileString(t, p.AuditLog)
	if !strings.Contains(log, `"endpoint":"image.build"`) || strings.Contains(log, buildToken) || strings.Contains(p.Logs.String(), buildToken) {
		t.Errorf("the audit log has no build decision, or a log has the build-time variable's value (%s)", buildToken)
	}

	// What a site allowing them gets: its own job committed without a name,
	// and an allowed image under another allowed name.
	resp, err := p.HTTP().Post("http://docker"+commit(""), "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	var made struct{ Id string }
	json.NewDecoder(resp.Body).Decode(&made)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || made.Id == "" {
		t.Fatalf("committing xcsproxy's own job without a name: %d, id %q", resp.StatusCode, made.Id)
	}
	t.Cleanup(func() { docker.ImageRemove(ctxFor(t, time.Minute), made.Id, imageRemoveForce()) })
	if img, err := docker.ImageInspect(ctx, made.Id); err != nil || len(img.RepoTags) != 0 {
		t.Errorf("the image committed without a name: tags %v, inspect error %v", img.RepoTags, err)
	}
	if status, raw := send(t, p.HTTP(), attack{method: "POST", path: "/images/" + testImage + "/tag?repo=" + trusted + "&tag=2"}); status != http.StatusCreated {
		t.Fatalf("retagging an allowed image under another allowed name: %d %s", status, raw)
	}
	t.Cleanup(func() { docker.ImageRemove(ctxFor(t, time.Minute), trusted+":2", image.RemoveOptions{}) })
	if _, err := docker.ImageInspect(ctx, trusted+":2"); err != nil {
		t.Errorf("the allowed retag did not reach the daemon: %v", err)
	}
}

// A build runs the images its Dockerfile names and streams its steps' output
// back, and the Dockerfile is inside the archive, read by the daemon after
// any decision. Straight on the daemon, a build from another application's
// image on this host (one images.allow does not match) printed that image's
// secret to the client. So a build is refused wherever a site allows it;
// a build from a registry no rule names is in
// TestAllowedImageEndpointsReachNoHostImagesDoNotComeFrom.
func TestABuildIsRefusedForTheImagesItsDockerfileRuns(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	stamp := time.Now().UnixNano()
	otherApps, secret := fmt.Sprintf("xcs-other-app-%d:1", stamp), fmt.Sprintf("pw-%d", stamp)
	if err := importImage(ctx, otherApps, nil, "ENV APP_PASSWORD="+secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ImageRemove(context.Background(), otherApps, imageRemoveForce()) })
	build := attack{name: "building from another application's image", method: "POST", path: "/build?rm=1&forcerm=1&networkmode=none", contentType: "application/x-tar",
		body: tarOf(t, map[string]string{"Dockerfile": "FROM " + otherApps + "\nRUN [\"read\", \"/proc/self/environ\"]\n"}), reason: "image.build is not allowed"}
	// The control, straight on the daemon.
	daemon := &proxyProc{Sock: "/var/run/docker.sock"}
	status, out := send(t, daemon.HTTP(), build)
	removeBuiltImage(t, out)
	if status != http.StatusOK || !strings.Contains(out, secret) {
		t.Fatalf("control: straight on the daemon the build answered %d without the other application's secret:\n%s", status, out)
	}
	p := startProxy(t, "--policies", policyDir(t, testConfig("image.build")))
	runAttacks(t, p, []attack{build})
	if strings.Contains(p.Logs.String(), secret) || strings.Contains(readFileString(t, p.AuditLog), secret) {
		t.Error("the other application's secret reached xcsproxy's logs")
	}
}

// /grpc tunnels BuildKit's own API, where a client asks for its builds'
// entitlements itself, and dockerd grants a step the host's own network.
// Straight on the daemon, a BuildKit build asking for the host's network
// (through /build here, which needs no BuildKit client) ran its step there:
// it saw docker0. So a config allowing grpc.start does not load.
func TestBuildKitsOwnAPICannotBeAllowed(t *testing.T) {
	daemon := &proxyProc{Sock: "/var/run/docker.sock"}
	_, out := send(t, daemon.HTTP(), attack{method: "POST", path: "/build?version=2&rm=1&networkmode=host&nocache=1", contentType: "application/x-tar",
		body: tarOf(t, map[string]string{"Dockerfile": "FROM " + testImage + "\nRUN [\"read\", \"/proc/net/dev\"]\n"})})
	removeBuiltImage(t, out)
	if !strings.Contains(buildKitOutput(out), "docker0:") {
		t.Fatalf("control: the BuildKit step did not see the host's interfaces:\n%s", buildKitOutput(out))
	}
	assertStartRefused(t, policyDir(t, testConfig("grpc.start")), "endpoints.allow_extra must not name grpc.start: it tunnels BuildKit's own API")
}

// buildKitOutput is the text a BuildKit build's answer carries: its steps'
// logs come as base64 protocol buffers in the aux of each line.
func buildKitOutput(answer string) string {
	var text strings.Builder
	for _, line := range strings.Split(answer, "\n") {
		var msg struct {
			Aux string `json:"aux"`
		}
		if json.Unmarshal([]byte(line), &msg) != nil || msg.Aux == "" {
			continue
		}
		if raw, err := base64.StdEncoding.DecodeString(msg.Aux); err == nil {
			text.Write(raw)
		}
	}
	return text.String()
}

// tarOf is an archive of the named files.
func tarOf(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
