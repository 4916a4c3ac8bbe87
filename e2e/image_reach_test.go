package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A site may allow the image endpoints the Container Service does not use.
// Those that have the daemon call a registry call only one images.allow
// names, as a login check does (TestALoginCheckReachesNoHostImagesDoNotComeFrom).
func TestAllowedImageEndpointsReachNoHostImagesDoNotComeFrom(t *testing.T) {
	addr, calls := hostListener(t)
	reaching := []attack{
		{name: "an image search on a loopback service", method: "GET", path: "/images/search?term=" + url.QueryEscape(addr+"/x"),
			reason: "image search to registry " + addr + " refused: no images.allow pattern names that registry"},
		{name: "asking a loopback service about an image", method: "GET", path: "/distribution/" + addr + "/x/json",
			reason: "image " + addr + "/x:latest is not allowed"},
		{name: "importing from a loopback service", method: "POST", path: "/images/create?fromSrc=" + url.QueryEscape("http://"+addr+"/x.tar"),
			reason: "the daemon would fetch any address"},
		{name: "building from a loopback service", method: "POST", path: "/build?remote=" + url.QueryEscape("http://"+addr+"/context.tar"),
			reason: "the daemon would fetch any address"},
		{name: "building from an image on a loopback service", method: "POST", path: "/build?networkmode=none", contentType: "application/x-tar",
			body: tarOf(t, map[string]string{"Dockerfile": "FROM " + addr + "/elsewhere/tool\n"}), reason: "image.build is not allowed"},
	}

	// The control: the daemon itself calls the host for each.
	daemon := &proxyProc{Sock: "/var/run/docker.sock"}
	for _, a := range reaching {
		before := calls.Load()
		status, msg := send(t, daemon.HTTP(), a)
		if calls.Load() == before {
			t.Fatalf("the daemon did not call %s for %s (%d %s); the attack below proves nothing", addr, a.name, status, msg)
		}
	}

	p := startProxy(t, "--policies", policyDir(t, testConfig("image.search", "distribution.inspect", "image.import", "image.build")))
	for _, a := range reaching {
		t.Run(a.name, func(t *testing.T) {
			before := calls.Load()
			status, msg := send(t, p.HTTP(), a)
			if status != http.StatusForbidden || !strings.Contains(msg, a.reason) {
				t.Errorf("got %d %q, want 403 with %q", status, msg, a.reason)
			}
			if n := calls.Load() - before; n != 0 {
				t.Errorf("the daemon called the host %d times", n)
			}
		})
	}

	// An image images.allow matches may still be asked about at its registry.
	tag := fmt.Sprint(time.Now().UnixNano())
	repo := pushTestImage(t, ctxFor(t, time.Minute), tag)
	if status, msg := send(t, p.HTTP(), attack{method: "GET", path: "/distribution/" + repo + ":" + tag + "/json"}); status != http.StatusOK {
		t.Errorf("asking the local registry about an allowed image: %d %q", status, msg)
	}
}

// Other applications' images are theirs: a save exports one images.allow
// matches, and a prune removes only images without a name.
func TestAllowedImageEndpointsLeaveOtherApplicationsImagesAlone(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	theirs := fmt.Sprintf("xcs-other-app-secret:%d", time.Now().UnixNano())
	if err := docker.ImageTag(ctx, testImage, theirs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ImageRemove(ctxFor(t, time.Minute), theirs, imageRemoveForce()) })

	// The control: the daemon exports it to whoever asks.
	daemon := &proxyProc{Sock: "/var/run/docker.sock"}
	if status, _ := send(t, daemon.HTTP(), attack{method: "GET", path: "/images/" + theirs + "/get"}); status != http.StatusOK {
		t.Fatalf("the daemon did not export %s (%d); the attack below proves nothing", theirs, status)
	}

	p := startProxy(t, "--policies", policyDir(t, testConfig("image.get", "image.get_all", "image.prune", "container.checkpoint_create")))
	job := createThroughProxy(t, p, createBody(`{}`))
	notAllowed := "image docker.io/library/" + theirs + " is not allowed"
	runAttacks(t, p, []attack{
		{name: "saving another application's image", method: "GET", path: "/images/" + theirs + "/get", reason: notAllowed},
		{name: "saving it as docker save does", method: "GET", path: "/images/get?names=" + url.QueryEscape(theirs), reason: notAllowed},
		{name: "saving it behind an allowed image", method: "GET", path: "/images/get?names=" + url.QueryEscape(testImage) + "&names=" + url.QueryEscape(theirs),
			reason: "must name exactly one image"},
		{name: "pruning every image no container uses", method: "POST", path: "/images/prune?filters=" + url.QueryEscape(`{"dangling":["false"]}`),
			reason: "image.prune with dangling=false is not allowed"},
		{name: "checkpointing a job into a host directory", method: "POST", path: "/containers/" + job + "/checkpoints",
			body: `{"CheckpointID":"c1","CheckpointDir":"/etc/cron.d"}`, reason: "the daemon would write the checkpoint as root"},
	})

	// An allowed image is saved, as docker save asks for it.
	status, raw := send(t, p.HTTP(), attack{method: "GET", path: "/images/get?names=" + url.QueryEscape(testImage)})
	if status != http.StatusOK || !strings.Contains(raw, "manifest.json") {
		t.Errorf("saving an allowed image: %d, %d bytes without a manifest", status, len(raw))
	}

	// Where images.allow names one tag of a repository (latest, which a
	// save by the repository's name is judged as), a save of the repository
	// would take the others along: the control, straight on the daemon,
	// exports both tags.
	repo := fmt.Sprintf("xcs-savetest-%d", time.Now().UnixNano())
	for _, tag := range []string{"latest", "2"} {
		if err := docker.ImageTag(ctx, testImage, repo+":"+tag); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { docker.ImageRemove(ctxFor(t, time.Minute), repo+":"+tag, imageRemoveForce()) })
	}
	saveRepo := attack{method: "GET", path: "/images/get?names=" + repo}
	if status, raw := send(t, daemon.HTTP(), saveRepo); status != http.StatusOK || !strings.Contains(raw, repo+":2") {
		t.Fatalf("control: the daemon's save of %s (%d) does not hold its tag 2", repo, status)
	}
	oneTag := strings.Replace(testConfig("image.get_all"), "allow: [", "allow: [docker.io/library/"+repo+":latest, ", 1)
	q := startProxy(t, "--policies", policyDir(t, oneTag))
	if status, msg := send(t, q.HTTP(), saveRepo); status != http.StatusForbidden || !strings.Contains(msg, "would export every tag") {
		t.Errorf("saving the repository of which one tag is allowed: %d %q", status, msg)
	}
	if status, raw := send(t, q.HTTP(), attack{method: "GET", path: "/images/get?names=" + repo + ":latest"}); status != http.StatusOK || strings.Contains(raw, repo+":2") {
		t.Errorf("saving the allowed tag: %d, or the export holds tag 2", status)
	}
}
