package e2e

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
)

// joinSwarm makes the test daemon a one-node swarm for the test's duration,
// and reports whether it made one (false: the daemon was in a swarm, which
// outlives the test).
func joinSwarm(t *testing.T) (made bool) {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	info, err := docker.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Swarm.LocalNodeState == swarm.LocalNodeStateActive {
		return false
	}
	if _, err := docker.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
		t.Fatalf("docker swarm init: %v", err)
	}
	t.Cleanup(func() {
		if err := docker.SwarmLeave(ctxFor(t, time.Minute), true); err != nil {
			t.Errorf("docker swarm leave: %v", err)
		}
	})
	return true
}

func csServiceSpec(name, image string, replicas uint64) string {
	return fmt.Sprintf(`{
  "Name": %q,
  "Labels": {%q: "swarm"},
  "TaskTemplate": {
    "ContainerSpec": {
      "Image": %q,
      "Command": ["/bin/sh"], "Args": ["-c", "both swarm-out swarm-err 30"],
      "Env": ["XNAT_HOST=http://xnat.example", "XNAT_PASS=token-123"],
      "Labels": null, "Dir": null, "User": null, "Mounts": null
    },
    "RestartPolicy": {"Condition": "none", "MaxAttempts": 0},
    "Resources": {"Limits": null, "Reservations": null},
    "Placement": null
  },
  "Mode": {"Replicated": {"Replicas": %d}},
  "EndpointSpec": null
}`, name, testLabel, image, replicas)
}

func TestContainerServiceSwarmBackendSequence(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	joinSwarm(t)
	repo := pushTestImage(t, ctx, "swarm")
	ref := repo + ":swarm"
	p := startProxy(t)
	cs := &csClient{t: t, hc: p.HTTP()}

	cs.expect(200, "GET", "/swarm", "")
	name := fmt.Sprintf("xcs-svc-%d", time.Now().UnixNano())
	created := cs.expect(201, "POST", "/services/create", csServiceSpec(name, ref, 0))
	var sc struct{ ID string }
	json.Unmarshal(created, &sc)
	if sc.ID == "" {
		t.Fatalf("services/create answered no id: %s", created)
	}
	defer docker.ServiceRemove(ctx, sc.ID)

	var svc swarm.Service
	json.Unmarshal(cs.expect(200, "GET", "/services/"+sc.ID, ""), &svc)
	cs.expect(200, "POST", fmt.Sprintf("/services/%s/update?version=%d", sc.ID, svc.Version.Index), csServiceSpec(name, ref, 1))

	filters := url.QueryEscape(fmt.Sprintf(`{"service":[%q]}`, sc.ID))
	var containerID string
	waitFor(t, 60*time.Second, "a running task", func() bool {
		var tasks []swarm.Task
		json.Unmarshal(cs.expect(200, "GET", "/tasks?filters="+filters, ""), &tasks)
		for _, task := range tasks {
			if task.Status.ContainerStatus != nil && task.Status.ContainerStatus.ContainerID != "" {
				containerID = task.Status.ContainerStatus.ContainerID
				return true
			}
		}
		return false
	})
	cs.expect(200, "GET", "/containers/"+containerID+"/json", "")
	waitFor(t, 20*time.Second, "service logs", func() bool {
		out := cs.expect(200, "GET", "/services/"+sc.ID+"/logs?stdout=true&stderr=true", "")
		return strings.Contains(string(out), "swarm-out") && strings.Contains(string(out), "swarm-err")
	})
	cs.expect(200, "DELETE", "/services/"+sc.ID, "")
	if _, _, err := docker.ServiceInspectWithRaw(ctx, sc.ID, swarm.ServiceInspectOptions{}); err == nil {
		t.Fatal("the service still exists after DELETE through xcsproxy")
	}
}

// The swarm's join tokens never leave xcsproxy: with the manager token any
// machine joins the swarm as a manager, with the cluster in its hands. The
// rest of the swarm's description comes through, and the daemon's tokens
// are still there.
func TestTheSwarmsJoinTokensDoNotPassThroughXcsproxy(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	joinSwarm(t)
	direct, err := docker.SwarmInspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if direct.JoinTokens.Manager == "" || direct.JoinTokens.Worker == "" {
		t.Fatalf("the daemon itself shows no join tokens: %+v", direct.JoinTokens)
	}
	p := startProxy(t)
	for _, path := range []string{"/swarm", "/v1.41/swarm"} {
		raw := (&csClient{t: t, hc: p.HTTP()}).expect(200, "GET", path, "")
		for _, token := range []string{direct.JoinTokens.Manager, direct.JoinTokens.Worker} {
			if strings.Contains(string(raw), token) {
				t.Fatalf("GET %s through xcsproxy shows a join token:\n%s", path, raw)
			}
		}
		var through swarm.Swarm
		if err := json.Unmarshal(raw, &through); err != nil {
			t.Fatalf("GET %s answered %s: %v", path, raw, err)
		}
		if through.ID != direct.ID || through.Spec.Name != direct.Spec.Name {
			t.Fatalf("GET %s through xcsproxy describes swarm %q (%q), want %q (%q)", path, through.ID, through.Spec.Name, direct.ID, direct.Spec.Name)
		}
	}
	again, err := docker.SwarmInspect(ctx)
	if err != nil || again.JoinTokens != direct.JoinTokens {
		t.Fatalf("the daemon's join tokens changed: %+v, %v", again.JoinTokens, err)
	}
}

// With rollback=previous the daemon puts back a service's previous spec and
// ignores the body; xcsproxy would have judged a spec that never applies.
func TestAServiceUpdateThatRollsBackIsRefused(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	joinSwarm(t)
	spec := func(name, v string) swarm.ServiceSpec {
		return swarm.ServiceSpec{
			Annotations:  swarm.Annotations{Name: name, Labels: map[string]string{testLabel: "rollback", "v": v}},
			TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: testImage, Command: []string{"sleep", "30"}}},
			Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: ptr(uint64(0))}},
		}
	}
	updateURL := func(id string, version uint64) string {
		return fmt.Sprintf("/services/%s/update?version=%d&rollback=previous", id, version)
	}
	// The control, straight on the daemon: the body says v=3, the service
	// gets its previous spec, v=1.
	name := fmt.Sprintf("xcs-rollback-direct-%d", time.Now().UnixNano())
	created, err := docker.ServiceCreate(ctx, spec(name, "1"), swarm.ServiceCreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ServiceRemove(ctxFor(t, time.Minute), created.ID) })
	svc, _, err := docker.ServiceInspectWithRaw(ctx, created.ID, swarm.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := docker.ServiceUpdate(ctx, created.ID, svc.Version, spec(name, "2"), swarm.ServiceUpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, _, _ = docker.ServiceInspectWithRaw(ctx, created.ID, swarm.ServiceInspectOptions{})
	body, _ := json.Marshal(spec(name, "3"))
	daemon := &proxyProc{Sock: "/var/run/docker.sock"}
	resp, err := daemon.HTTP().Post("http://docker"+updateURL(created.ID, svc.Version.Index), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	svc, _, _ = docker.ServiceInspectWithRaw(ctx, created.ID, swarm.ServiceInspectOptions{})
	if resp.StatusCode != http.StatusOK || svc.Spec.Labels["v"] != "1" {
		t.Fatalf("control: the rollback answered %d and left v=%s; want 200 and the previous spec's v=1", resp.StatusCode, svc.Spec.Labels["v"])
	}

	// Through xcsproxy: refused, and the service is as it was.
	p := startProxy(t)
	pc := p.Docker(t)
	mine, err := pc.ServiceCreate(ctx, spec(name+"-proxied", "1"), swarm.ServiceCreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ServiceRemove(ctxFor(t, time.Minute), mine.ID) })
	svc, _, _ = docker.ServiceInspectWithRaw(ctx, mine.ID, swarm.ServiceInspectOptions{})
	if _, err := pc.ServiceUpdate(ctx, mine.ID, svc.Version, spec(name+"-proxied", "2"), swarm.ServiceUpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _, _ := docker.ServiceInspectWithRaw(ctx, mine.ID, swarm.ServiceInspectOptions{})
	body, _ = json.Marshal(spec(name+"-proxied", "3"))
	status, msg := send(t, p.HTTP(), attack{method: "POST", path: updateURL(mine.ID, before.Version.Index), body: string(body)})
	if status != http.StatusForbidden || !strings.Contains(msg, "rollback is not allowed") {
		t.Fatalf("a rollback through xcsproxy: %d %s; want 403 naming rollback", status, msg)
	}
	after, _, _ := docker.ServiceInspectWithRaw(ctx, mine.ID, swarm.ServiceInspectOptions{})
	if after.Version.Index != before.Version.Index || after.Spec.Labels["v"] != "2" {
		t.Fatalf("the refused rollback changed the service: version %d to %d, v=%s", before.Version.Index, after.Version.Index, after.Spec.Labels["v"])
	}
}

// A swarm's init takes a spec, and the spec a root CA. Straight on the
// daemon, an init with a CA the client made gives the new swarm that root,
// whose key the client holds: with it the client could sign a manager's
// certificate of its own, and a manager runs any task on the swarm's nodes,
// binds of / included. So a config allowing swarm.init does not load.
func TestASwarmInitCannotBeAllowedForItsSpecCanGiveTheSwarmTheClientsRootCA(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	info, err := docker.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Swarm.LocalNodeState == swarm.LocalNodeStateActive {
		t.Fatal("the daemon is in a swarm already; a test before this one did not leave it")
	}
	certPEM, keyPEM := clientsRootCA(t)
	spec := swarm.Spec{CAConfig: swarm.CAConfig{SigningCACert: certPEM, SigningCAKey: keyPEM}}
	if _, err := docker.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1", Spec: spec}); err != nil {
		t.Fatalf("control: swarm init with the client's root CA: %v", err)
	}
	t.Cleanup(func() { docker.SwarmLeave(ctxFor(t, time.Minute), true) })
	// The swarm rotates to the given root in the background.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		s, err := docker.SwarmInspect(ctx)
		if err == nil && s.ClusterInfo.TLSInfo.TrustRoot == certPEM {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("control: the swarm's root CA is not the client's after a minute (inspect error %v)", err)
		}
	}
	assertStartRefused(t, policyDir(t, testConfig("swarm.init")), "endpoints.allow_extra must not name swarm.init: its spec can give the new swarm a root CA whose key the client holds")
}

// clientsRootCA makes a root CA as a client could, long-lived enough for
// swarm to take it (it refuses one that expires within months).
func clientsRootCA(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	der, key := newCA(t, "a client's root CA", 20*365*24*time.Hour)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
}

// A swarm's ingress network carries every published port of every service
// on it, other applications' too. The swarm makes one at init; where an
// operator removed it, the daemon makes a client's network the ingress.
// Where a site allows network.create, xcsproxy refuses that network.
func TestAClientCannotMakeTheSwarmsIngressNetwork(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	if !joinSwarm(t) {
		// The swarm outlives the test: it gets an ingress back.
		t.Cleanup(func() {
			if len(ingressNetworks(t)) > 0 {
				return
			}
			if _, err := docker.NetworkCreate(ctxFor(t, time.Minute), "ingress", network.CreateOptions{Driver: "overlay", Ingress: true}); err != nil {
				t.Errorf("putting the swarm's ingress network back: %v", err)
			}
		})
	}
	removeIngress(t)
	stamp := time.Now().UnixNano()

	// The control, straight on the daemon: with no ingress, a client's
	// overlay network asking to be it becomes the swarm's ingress.
	control, err := docker.NetworkCreate(ctx, fmt.Sprintf("xcs-ingress-control-%d", stamp), network.CreateOptions{Driver: "overlay", Ingress: true})
	if err != nil {
		t.Fatalf("control: an ingress network straight on the daemon: %v", err)
	}
	made, err := docker.NetworkInspect(ctx, control.ID, network.InspectOptions{})
	if err != nil || !made.Ingress {
		t.Fatalf("control: the network made is not the swarm's ingress (inspect error %v)", err)
	}
	removeIngress(t)

	p := startProxy(t, "--policies", policyDir(t, testConfig("network.create")))
	name := fmt.Sprintf("xcs-ingress-%d", stamp)
	runAttacks(t, p, []attack{
		{name: "making the swarm's ingress network", method: "POST", path: "/networks/create",
			body: fmt.Sprintf(`{"Name":%q,"Driver":"overlay","Ingress":true}`, name), reason: "an ingress network is not allowed"},
	})
	// The state snapshot leaves swarm's own ingress out; look for it.
	if ingress := ingressNetworks(t); len(ingress) > 0 {
		t.Errorf("after the refused create the swarm has an ingress network: %v", ingress)
	}
}

// removeIngress removes the swarm's ingress networks and waits until they
// are gone.
func removeIngress(t *testing.T) {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	// A new swarm's manager makes its ingress in the background after
	// the init returns, and takes a removed network away in the
	// background too: wait for the one, then for the other.
	for deadline := time.Now().Add(10 * time.Second); len(ingressNetworks(t)) == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	var lastErr error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ids := ingressNetworks(t)
		if len(ids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the swarm's ingress network is still listed after 30 seconds of removing it (last error: %v)", lastErr)
		}
		// One listed but already being taken away answers not found.
		for _, id := range ids {
			if err := docker.NetworkRemove(ctx, id); err != nil {
				lastErr = err
			}
		}
	}
}

// ingressNetworks are the ids of the daemon's ingress networks.
func ingressNetworks(t *testing.T) []string {
	t.Helper()
	nets, err := docker.NetworkList(ctxFor(t, time.Minute), network.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, n := range nets {
		if n.Ingress {
			ids = append(ids, n.ID)
		}
	}
	return ids
}
