package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"
)

// attack is one hostile request and what the refusal must say.
type attack struct {
	name, method, path, contentType, body string
	status                                int    // 403 unless set
	reason                                string // a substring of the message
}

func send(t *testing.T, hc *http.Client, a attack) (int, string) {
	t.Helper()
	var rd io.Reader
	if a.body != "" {
		rd = strings.NewReader(a.body)
	}
	req, err := http.NewRequest(a.method, "http://docker"+a.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if a.body != "" {
		ct := a.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var msg struct{ Message string }
	if err := json.Unmarshal(raw, &msg); err != nil {
		return resp.StatusCode, string(raw)
	}
	return resp.StatusCode, msg.Message
}

// runAttacks sends each attack through xcsproxy and checks that it was
// refused with its reason and that the daemon's state did not move.
func runAttacks(t *testing.T, p *proxyProc, attacks []attack) {
	hc := p.HTTP()
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			before := snapshot(t)
			status, msg := send(t, hc, a)
			want := a.status
			if want == 0 {
				want = http.StatusForbidden
			}
			if status != want || !strings.HasPrefix(msg, "xcsproxy: ") {
				t.Fatalf("status %d, message %q; want %d with an xcsproxy message", status, msg, want)
			}
			if !strings.Contains(msg, a.reason) {
				t.Errorf("message %q does not say %q", msg, a.reason)
			}
			assertUnchanged(t, before, snapshot(t))
		})
	}
}

func createBody(hostConfig string) string {
	return fmt.Sprintf(`{"Image":%q,"Cmd":["sleep","30"],"HostConfig":%s}`, testImage, hostConfig)
}

// unmanagedContainer starts a container straight on the daemon, as a user
// with the real socket would; xcsproxy must not let clients touch it.
func unmanagedContainer(t *testing.T) string {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	name := fmt.Sprintf("xcs-unmanaged-%d", time.Now().UnixNano())
	c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"sleep", "300"}, Labels: map[string]string{testLabel: "unmanaged"}}, nil, nil, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), c.ID, containerRemoveForce()) })
	if err := docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestHostileContainerCreatesAreDeniedAndLeaveNoTrace(t *testing.T) {
	p := startProxy(t)
	link := filepath.Join(buildRoot, "innocent")
	os.Remove(link)
	if err := os.Symlink("/var/run/docker.sock", link); err != nil {
		t.Fatal(err)
	}
	unmanaged := unmanagedContainer(t)
	otherData := otherAppsVolume(t)
	otherNet := otherAppsNetwork(t)
	create := "/containers/create"
	runAttacks(t, p, []attack{
		{name: "privileged", method: "POST", path: create, body: createBody(`{"Privileged":true}`), reason: "privileged"},
		{name: "privileged with lower-case keys", method: "POST", path: create,
			body: fmt.Sprintf(`{"image":%q,"hostconfig":{"privileged":true}}`, testImage), reason: "privileged"},
		{name: "privileged in the first of two HostConfig objects", method: "POST", path: create,
			body: fmt.Sprintf(`{"Image":%q,"HostConfig":{"Privileged":true},"HostConfig":{"Memory":0}}`, testImage), reason: "privileged"},
		{name: "privileged at the top level of the body, where daemons before Docker 25 read it", method: "POST", path: create,
			body: fmt.Sprintf(`{"Image":%q,"Cmd":["sleep","30"],"Privileged":true,"Binds":["/:/host"]}`, testImage), status: http.StatusBadRequest, reason: "at the top level"},
		{name: "a bind at the top level under a Unicode case-folded key", method: "POST", path: create,
			body: fmt.Sprintf("{\"Image\":%q,\"Bind\u017f\":[\"/:/host\"]}", testImage), status: http.StatusBadRequest, reason: "at the top level"},
		{name: "privileged under a Unicode case-folded key", method: "POST", path: create,
			body: fmt.Sprintf("{\"Image\":%q,\"Ho\u017ftConfig\":{\"Privileged\":true}}", testImage), reason: "privileged"},
		{name: "bind of /", method: "POST", path: create, body: createBody(`{"Binds":["/:/host"]}`), reason: "not under an allowed root"},
		{name: "bind of /var/run/docker.sock", method: "POST", path: create, body: createBody(`{"Binds":["/var/run/docker.sock:/var/run/docker.sock"]}`), reason: "docker.sock"},
		{name: "bind of /run/docker.sock", method: "POST", path: create, body: createBody(`{"Binds":["/run/docker.sock:/s"]}`), reason: "docker.sock"},
		{name: "bind of /var/run", method: "POST", path: create, body: createBody(`{"Binds":["/var/run:/h"]}`), reason: "docker.sock"},
		{name: "bind of a symlink to the socket inside an allowed root", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, link+":/s")), reason: "docker.sock"},
		{name: "bind Mount of the socket", method: "POST", path: create,
			body: createBody(`{"Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Target":"/s"}]}`), reason: "docker.sock"},
		{name: "local-driver volume binding the host root", method: "POST", path: create,
			body:   createBody(`{"Mounts":[{"Type":"volume","Source":"xcs-evil-vol","Target":"/h","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}]}`),
			reason: "not under an allowed root"},
		{name: "bind of another application's named volume", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, otherData+":/data")), reason: "existing volume " + otherData},
		{name: "volume Mount of another application's named volume, driver given", method: "POST", path: create,
			body:   createBody(fmt.Sprintf(`{"Mounts":[{"Type":"volume","Source":%q,"Target":"/data","VolumeOptions":{"DriverConfig":{"Name":"local"}}}]}`, otherData)),
			reason: "existing volume " + otherData},
		{name: "joining another application's network", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"NetworkMode":%q}`, otherNet)), reason: "NetworkMode " + otherNet},
		{name: "joining another application's network by its endpoint settings", method: "POST", path: create,
			body:   fmt.Sprintf(`{"Image":%q,"Cmd":["sleep","30"],"HostConfig":{},"NetworkingConfig":{"EndpointsConfig":{%q:{}}}}`, testImage, otherNet),
			reason: "EndpointsConfig " + otherNet},
		{name: "VolumesFrom an unmanaged container", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"VolumesFrom":[%q]}`, unmanaged)), reason: "VolumesFrom"},
		{name: "pid host", method: "POST", path: create, body: createBody(`{"PidMode":"host"}`), reason: "PidMode host"},
		{name: "network host", method: "POST", path: create, body: createBody(`{"NetworkMode":"host"}`), reason: "NetworkMode host"},
		{name: "ipc host", method: "POST", path: create, body: createBody(`{"IpcMode":"host"}`), reason: "IpcMode host"},
		{name: "network of an unmanaged container", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"NetworkMode":"container:%s"}`, unmanaged)), reason: "NetworkMode container:"},
		{name: "CapAdd SYS_ADMIN", method: "POST", path: create, body: createBody(`{"CapAdd":["SYS_ADMIN"]}`), reason: "CapAdd SYS_ADMIN"},
		{name: "seccomp unconfined", method: "POST", path: create, body: createBody(`{"SecurityOpt":["seccomp=unconfined"]}`), reason: "seccomp=unconfined"},
		{name: "a host device", method: "POST", path: create,
			body: createBody(`{"Devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/x","CgroupPermissions":"rwm"}]}`), reason: "Devices"},
		{name: "a link to an unmanaged container", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"Links":[%q]}`, unmanaged+":db")), reason: "Links"},
		{name: "a device cgroup rule", method: "POST", path: create, body: createBody(`{"DeviceCgroupRules":["b 8:* rmw"]}`), reason: "DeviceCgroupRules"},
		{name: "ReadonlyPaths emptied", method: "POST", path: create, body: createBody(`{"ReadonlyPaths":[]}`), reason: "ReadonlyPaths"},
		{name: "OOM-killer protection", method: "POST", path: create, body: createBody(`{"OomScoreAdj":-1000}`), reason: "OomScoreAdj"},
		{name: "MaskedPaths emptied", method: "POST", path: create, body: createBody(`{"MaskedPaths":[]}`), reason: "MaskedPaths"},
		{name: "a kernel sysctl", method: "POST", path: create, body: createBody(`{"Sysctls":{"kernel.domainname":"x"}}`), reason: "Sysctls"},
		{name: "a cgroup parent", method: "POST", path: create, body: createBody(`{"CgroupParent":"/"}`), reason: "CgroupParent"},
		{name: "user namespace host", method: "POST", path: create, body: createBody(`{"UsernsMode":"host"}`), reason: "UsernsMode host"},
		{name: "uts host", method: "POST", path: create, body: createBody(`{"UTSMode":"host"}`), reason: "UTSMode host"},
		{name: "a privileged host port", method: "POST", path: create, body: createBody(`{"PortBindings":{"22/tcp":[{"HostPort":"22"}]}}`), reason: "ports.min_host_port"},
		{name: "a volume plugin", method: "POST", path: create, body: createBody(`{"VolumeDriver":"local-persist","Binds":["v:/v"]}`), reason: "VolumeDriver"},
		{name: "a log driver that writes elsewhere", method: "POST", path: create, body: createBody(`{"LogConfig":{"Type":"syslog","Config":{}}}`), reason: "logging.allow"},
		{name: "an unlisted runtime", method: "POST", path: create, body: createBody(`{"Runtime":"io.containerd.runtime.v1.linux"}`), reason: "runtimes.allow"},
		{name: "a GPU request", method: "POST", path: create, body: createBody(`{"DeviceRequests":[{"Count":-1,"Capabilities":[["gpu"]]}]}`), reason: "gpus.allow"},
		{name: "a shared-propagation bind in an allowed root", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, buildRoot+":/b:rshared")), reason: "propagation"},
		{name: "a bind in a read-only root, read-only only at its top", method: "POST", path: create,
			body:   createBody(fmt.Sprintf(`{"Mounts":[{"Type":"bind","Source":%q,"Target":"/a","ReadOnly":true,"BindOptions":{"ReadOnlyNonRecursive":true}}]}`, archiveRoot)),
			reason: "must be read-only"},
		{name: "a bind that relabels the archive for one container (SELinux :Z)", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, archiveRoot+":/a:ro,Z")), reason: "relabel"},
		{name: "a bind that relabels a build directory (SELinux :z)", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, buildRoot+":/out:z")), reason: "relabel"},
		{name: "annotations that runc makes settings of the container's systemd unit", method: "POST", path: create,
			body: createBody(`{"Annotations":{"org.systemd.property.DeviceAllow":"'/dev/sda rwm'"}}`), reason: "Annotations org.systemd.property.DeviceAllow"},
		{name: "a read-write bind in a read-only root", method: "POST", path: create,
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, archiveRoot+":/a:rw")), reason: "must be read-only"},
		{name: "a body with trailing data", method: "POST", path: create,
			body: fmt.Sprintf(`{"Image":%q}{"HostConfig":{"Privileged":true}}`, testImage), status: http.StatusBadRequest, reason: "trailing data"},
		{name: "a JSON body sent as text/plain", method: "POST", path: create, contentType: "text/plain",
			body: createBody(`{}`), status: http.StatusBadRequest, reason: "not application/json"},
	})
}

func TestContainersStartedWithoutXcsproxyCannotBeTouched(t *testing.T) {
	p := startProxy(t)
	name := unmanagedContainer(t)
	runAttacks(t, p, []attack{
		{name: "inspect", method: "GET", path: "/containers/" + name + "/json", reason: "not created through xcsproxy"},
		{name: "logs", method: "GET", path: "/containers/" + name + "/logs?stdout=true", reason: "not created through xcsproxy"},
		{name: "kill", method: "POST", path: "/containers/" + name + "/kill", reason: "not created through xcsproxy"},
		{name: "remove", method: "DELETE", path: "/containers/" + name + "?force=true", reason: "not created through xcsproxy"},
		{name: "exec create", method: "POST", path: "/containers/" + name + "/exec", body: `{"Cmd":["echo","x"]}`, reason: "exec.create"},
	})
	st, err := docker.ContainerInspect(ctxFor(t, time.Minute), name)
	if err != nil || !st.State.Running {
		t.Fatalf("the unmanaged container should still be running untouched: %v", err)
	}
	// Lists through xcsproxy show only what xcsproxy created.
	out, errOut, err := p.cli(ctxFor(t, time.Minute), "", "ps", "-a", "--format", "{{.Names}}")
	if err != nil {
		t.Fatalf("docker ps: %v\n%s", err, errOut)
	}
	if strings.Contains(out, name) {
		t.Fatalf("docker ps through xcsproxy lists the unmanaged container %s:\n%s", name, out)
	}
}

func TestManagedContainerStillRefusesExecAndHostConfigOnStart(t *testing.T) {
	p := startProxy(t)
	ctx := ctxFor(t, time.Minute)
	id, errOut, err := p.cli(ctx, "", "create", "--label", testLabel+"=managed", testImage, "sleep", "30")
	if err != nil {
		t.Fatalf("docker create: %v\n%s", err, errOut)
	}
	id = strings.TrimSpace(id)
	defer docker.ContainerRemove(ctx, id, containerRemoveForce())
	runAttacks(t, p, []attack{
		{name: "exec create on a managed container", method: "POST", path: "/containers/" + id + "/exec", body: `{"Cmd":["id"]}`, reason: "exec.create"},
		{name: "start with a HostConfig body on /v1.23", method: "POST", path: "/v1.23/containers/" + id + "/start",
			body: `{"Privileged":true,"Binds":["/:/host"]}`, reason: "below the minimum"},
		{name: "start with a HostConfig body on the current API", method: "POST", path: "/containers/" + id + "/start",
			body: `{"Privileged":true}`, reason: "must not carry a body"},
	})
	st, err := docker.ContainerInspect(ctx, id)
	if err != nil || st.State.Running || st.HostConfig.Privileged {
		t.Fatalf("the managed container was started or changed: %v", err)
	}
}

func TestImagesAreJudgedByWhatTheDaemonWouldRun(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	const evil = "xcsproxy-evil/tool:latest"
	if err := importImage(ctx, evil, map[string]string{"purpose": "not allowed"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ImageRemove(ctxFor(t, time.Minute), evil, imageRemoveForce()) })
	inspect, err := docker.ImageInspect(ctx, evil)
	if err != nil {
		t.Fatal(err)
	}
	full := strings.TrimPrefix(inspect.ID, "sha256:")
	p := startProxy(t)
	create := func(img string) string { return fmt.Sprintf(`{"Image":%q,"Cmd":["echo","x"]}`, img) }
	runAttacks(t, p, []attack{
		{name: "create by name", method: "POST", path: "/containers/create", body: create(evil), reason: "images.allow"},
		{name: "create by short id", method: "POST", path: "/containers/create", body: create(full[:12]), reason: "resolved by id"},
		{name: "create by full id", method: "POST", path: "/containers/create", body: create(full), reason: "images.allow"},
		{name: "create by digest", method: "POST", path: "/containers/create", body: create("sha256:" + full), reason: "images.allow"},
		{name: "tag to an allowed name", method: "POST", path: "/images/" + evil + "/tag?repo=xcsproxy-e2e/tool&tag=smuggled", reason: "image.tag"},
		{name: "tag by id to an allowed name", method: "POST", path: "/images/" + full[:12] + "/tag?repo=xcsproxy-e2e/tool&tag=smuggled", reason: "image.tag"},
		{name: "image load", method: "POST", path: "/images/load", contentType: "application/x-tar", body: "not really a tar", reason: "image.load"},
		{name: "image import", method: "POST", path: "/images/create?fromSrc=-&repo=xcsproxy-e2e/tool&tag=imported", contentType: "application/x-tar", body: "x", reason: "image.import"},
		{name: "build", method: "POST", path: "/build?t=xcsproxy-e2e/tool:built", contentType: "application/x-tar", body: "x", reason: "image.build"},
		{name: "commit", method: "POST", path: "/commit?container=x&repo=xcsproxy-e2e/tool&tag=committed", body: `{}`, reason: "image.commit"},
		{name: "removing a disallowed image", method: "DELETE", path: "/images/" + evil, reason: "images.allow"},
		{name: "pull of a disallowed image", method: "POST", path: "/images/create?fromImage=" + registryAddr() + "/xcsproxy-evil/tool&tag=latest", reason: "images.allow"},
	})
}

func TestHostileServiceSpecsAreDeniedAndLeaveNoTrace(t *testing.T) {
	joinSwarm(t)
	p := startProxy(t)
	secretID, secretName, configID, configName := otherStacksSecretAndConfig(t)
	overlay := fmt.Sprintf("xcs-other-stack-net-%d", time.Now().UnixNano())
	if _, err := docker.NetworkCreate(ctxFor(t, time.Minute), overlay, network.CreateOptions{Driver: "overlay"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.NetworkRemove(ctxFor(t, time.Minute), overlay) })
	spec := func(mounts string) string {
		return fmt.Sprintf(`{"Name":"xcs-evil-%d","TaskTemplate":{"ContainerSpec":{"Image":%q,"Args":["sleep","30"],"Mounts":%s}},"Mode":{"Replicated":{"Replicas":1}}}`,
			time.Now().UnixNano(), testImage, mounts)
	}
	runAttacks(t, p, []attack{
		{name: "services/create binding the socket", method: "POST", path: "/services/create",
			body: spec(`[{"Type":"bind","Source":"/var/run/docker.sock","Target":"/var/run/docker.sock"}]`), reason: "docker.sock"},
		{name: "services/create binding /run", method: "POST", path: "/services/create",
			body: spec(`[{"Type":"bind","Source":"/run","Target":"/h"}]`), reason: "docker.sock"},
		{name: "services/create with seccomp unconfined", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mounts":null`, `"Mounts":null,"Privileges":{"Seccomp":{"Mode":"unconfined"}}`, 1), reason: "Seccomp"},
		{name: "services/create adding SYS_ADMIN", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mounts":null`, `"Mounts":null,"CapabilityAdd":["CAP_SYS_ADMIN"]`, 1), reason: "CapabilityAdd"},
		{name: "services/create publishing port 22", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mode":`, `"EndpointSpec":{"Ports":[{"TargetPort":22,"PublishedPort":22}]},"Mode":`, 1), reason: "published port 22"},
		{name: "services/create with AppArmor disabled", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mounts":null`, `"Mounts":null,"Privileges":{"AppArmor":{"Mode":"disabled"}}`, 1), reason: "AppArmor"},
		{name: "services/create with SELinux disabled", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mounts":null`, `"Mounts":null,"Privileges":{"SELinuxContext":{"Disable":true}}`, 1), reason: "SELinuxContext"},
		{name: "services/create running unconfined under the SELinux type spc_t", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mounts":null`, `"Mounts":null,"Privileges":{"SELinuxContext":{"Type":"spc_t"}}`, 1), reason: "SELinuxContext.Type spc_t"},
		{name: "services/create with a kernel sysctl", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mounts":null`, `"Mounts":null,"Sysctls":{"net.ipv4.ip_forward":"1"}`, 1), reason: "Sysctls"},
		{name: "services/create with a plugin runtime", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"TaskTemplate":{`, `"TaskTemplate":{"Runtime":"plugin",`, 1), reason: "runtime plugin"},
		{name: "services/create reserving a GPU", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"TaskTemplate":{`, `"TaskTemplate":{"Resources":{"Reservations":{"GenericResources":[{"DiscreteResourceSpec":{"Kind":"gpu","Value":1}}]}},`, 1), reason: "gpus.allow"},
		{name: "services/create on the host network", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mounts":null}`, `"Mounts":null},"Networks":[{"Target":"host"}]`, 1), reason: "service network host"},
		{name: "services/create on another stack's overlay network", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mounts":null}`, fmt.Sprintf(`"Mounts":null},"Networks":[{"Target":%q}]`, overlay), 1), reason: "service network " + overlay},
		{name: "services/create on the host network, in the deprecated top-level Networks", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mode":`, `"Networks":[{"Target":"host"}],"Mode":`, 1), reason: "service network host"},
		{name: "services/create on another stack's overlay network, in the deprecated top-level Networks", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mode":`, fmt.Sprintf(`"Networks":[{"Target":%q}],"Mode":`, overlay), 1), reason: "service network " + overlay},
		{name: "services/create logging to a syslog server", method: "POST", path: "/services/create",
			body:   strings.Replace(spec(`null`), `"TaskTemplate":{`, `"TaskTemplate":{"LogDriver":{"Name":"syslog","Options":{"syslog-address":"udp://192.0.2.1:514"}},`, 1),
			reason: "service log driver syslog"},
		{name: "services/create shielded from the OOM killer", method: "POST", path: "/services/create",
			body: strings.Replace(spec(`null`), `"Mounts":null`, `"Mounts":null,"OomScoreAdj":-1000`, 1), reason: "OomScoreAdj"},
		{name: "services/create reading another stack's swarm secret", method: "POST", path: "/services/create",
			body:   strings.Replace(spec(`null`), `"Mounts":null`, fmt.Sprintf(`"Mounts":null,"Secrets":[{"SecretID":%q,"SecretName":%q,"File":{"Name":"db","UID":"0","GID":"0","Mode":292}}]`, secretID, secretName), 1),
			reason: "service secret " + secretName},
		{name: "services/create reading another stack's swarm config", method: "POST", path: "/services/create",
			body:   strings.Replace(spec(`null`), `"Mounts":null`, fmt.Sprintf(`"Mounts":null,"Configs":[{"ConfigID":%q,"ConfigName":%q,"File":{"Name":"app.conf","UID":"0","GID":"0","Mode":292}}]`, configID, configName), 1),
			reason: "service config " + configName},
	})
}

// otherAppsNetwork creates a user-defined network straight on the daemon, as
// another application keeps its services apart (a database's network).
func otherAppsNetwork(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("xcs-other-app-net-%d", time.Now().UnixNano())
	if _, err := docker.NetworkCreate(ctxFor(t, time.Minute), name, network.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.NetworkRemove(ctxFor(t, time.Minute), name) })
	return name
}

// otherAppsVolume creates a named volume straight on the daemon, as another
// application on the host keeps its data (a database's, XNAT's own).
func otherAppsVolume(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("xcs-other-app-data-%d", time.Now().UnixNano())
	if _, err := docker.VolumeCreate(ctxFor(t, time.Minute), volume.CreateOptions{Name: name}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.VolumeRemove(ctxFor(t, time.Minute), name, true) })
	return name
}

// otherStacksSecretAndConfig creates a swarm secret and config straight on
// the daemon, as another stack on the same swarm would.
func otherStacksSecretAndConfig(t *testing.T) (secretID, secretName, configID, configName string) {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	secretName, configName = fmt.Sprintf("xcs-other-db-%d", time.Now().UnixNano()), fmt.Sprintf("xcs-other-conf-%d", time.Now().UnixNano())
	secret, err := docker.SecretCreate(ctx, swarm.SecretSpec{Annotations: swarm.Annotations{Name: secretName}, Data: []byte("hunter2")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.SecretRemove(ctxFor(t, time.Minute), secret.ID) })
	cfg, err := docker.ConfigCreate(ctx, swarm.ConfigSpec{Annotations: swarm.Annotations{Name: configName}, Data: []byte("password=hunter2")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ConfigRemove(ctxFor(t, time.Minute), cfg.ID) })
	return secret.ID, secretName, cfg.ID, configName
}

// A unix socket under an allowed root is a door to whatever listens on
// it: bound into a job, it reaches that service past the job's network
// settings. The Docker socket is refused under any path or alias; any
// other socket a bind names is refused too.
func TestABindOfAHostServicesSocketIsRefused(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	sock := filepath.Join(jobDir(t, "socket"), "service.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	const answer = "a host service answers"
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, answer)
			c.Close()
		}
	}()
	body := fmt.Sprintf(`{"Image":%q,"Cmd":["dial","/s"],"Labels":{%q:"socket"},"HostConfig":{"Binds":[%q],"NetworkMode":"none"}}`, testImage, testLabel, sock+":/s:ro")

	// The control, straight on the daemon: a job with no network, the
	// socket bound read-only, talks to the host's service.
	var cfg struct {
		container.Config
		HostConfig *container.HostConfig
	}
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatal(err)
	}
	c, err := docker.ContainerCreate(ctx, &cfg.Config, cfg.HostConfig, nil, nil, "")
	if err != nil {
		t.Fatalf("control: %v", err)
	}
	t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), c.ID, containerRemoveForce()) })
	if err := docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatalf("control: %v", err)
	}
	if out := containerOutput(t, ctx, c.ID); out != answer {
		t.Fatalf("control: the job read %q through the bound socket, want %q", out, answer)
	}

	p := startProxy(t)
	runAttacks(t, p, []attack{
		{name: "binding a host service's socket from an allowed root", method: "POST", path: "/containers/create", body: body, reason: "mounts a socket"},
	})
}

// With nested roots in mounts.allow the deepest root a path lies in decides:
// a read-only root inside a writable one still refuses writable binds, and
// binds that fit each root are created as asked.
func TestNestedMountRootsAreDecidedByTheDeepestRoot(t *testing.T) {
	inner := filepath.Join(buildRoot, "nested-read-only")
	if err := os.MkdirAll(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	writableBuild := fmt.Sprintf("    - {path: %q, read_only: false}\n", buildRoot)
	config := testConfig()
	if !strings.Contains(config, writableBuild) {
		t.Fatalf("the test config no longer lists %s as writable:\n%s", buildRoot, config)
	}
	config = strings.Replace(config, writableBuild, writableBuild+fmt.Sprintf("    - {path: %q, read_only: true}\n", inner), 1)
	p := startProxy(t, "--policies", policyDir(t, config))
	runAttacks(t, p, []attack{
		{name: "a writable bind in a read-only root nested in a writable one", method: "POST", path: "/containers/create",
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, inner+":/in:rw")), reason: "must be read-only"},
	})
	for _, bind := range []string{inner + ":/in:ro", filepath.Join(buildRoot, "out") + ":/out:rw"} {
		id := createThroughProxy(t, p, createBody(fmt.Sprintf(`{"Binds":[%q]}`, bind)))
		t.Cleanup(func() { docker.ContainerRemove(ctxFor(t, time.Minute), id, containerRemoveForce()) })
		c, err := docker.ContainerInspect(ctxFor(t, time.Minute), id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.HostConfig.Binds, []string{bind}) {
			t.Errorf("the daemon holds binds %q, want %q", c.HostConfig.Binds, []string{bind})
		}
	}
}

// An existing volume is mounted as it is, whatever driver or options the
// request names: even one listed in mounts.volumes is judged by the host
// directory it really binds.
func TestAnExistingVolumeIsJudgedByWhatItReallyBinds(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	name := fmt.Sprintf("xcs-binds-root-%d", time.Now().UnixNano())
	if _, err := docker.VolumeCreate(ctx, volume.CreateOptions{Name: name, Driver: "local",
		DriverOpts: map[string]string{"type": "none", "o": "bind", "device": "/"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.VolumeRemove(ctxFor(t, time.Minute), name, true) })
	config := testConfig()
	runtimes := "runtimes: {allow: [runc]}\n"
	if !strings.Contains(config, runtimes) {
		t.Fatalf("the test config no longer has %q:\n%s", runtimes, config)
	}
	// mounts.volumes goes into the mounts section, just above runtimes.
	config = strings.Replace(config, runtimes, fmt.Sprintf("  volumes: [%q]\n", name)+runtimes, 1)
	p := startProxy(t, "--policies", policyDir(t, config))
	runAttacks(t, p, []attack{
		{name: "the listed volume named with a plain local driver", method: "POST", path: "/containers/create",
			body:   createBody(fmt.Sprintf(`{"Mounts":[{"Type":"volume","Source":%q,"Target":"/h","VolumeOptions":{"DriverConfig":{"Name":"local"}}}]}`, name)),
			reason: "not under an allowed root"},
		{name: "the listed volume as a bind", method: "POST", path: "/containers/create",
			body: createBody(fmt.Sprintf(`{"Binds":[%q]}`, name+":/h")), reason: "not under an allowed root"},
	})
}

// twoNamedImage imports an image of its own under an allowed name and tags
// it with a name images.allow does not list; it returns the image's id.
func twoNamedImage(t *testing.T, ctx context.Context, allowed, other string) string {
	t.Helper()
	if err := importImage(ctx, allowed, map[string]string{"purpose": allowed}); err != nil {
		t.Fatal(err)
	}
	if err := docker.ImageTag(ctx, allowed, other); err != nil {
		t.Fatal(err)
	}
	inspect, err := docker.ImageInspect(ctx, allowed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ImageRemove(context.Background(), inspect.ID, imageRemoveForce()) })
	return strings.TrimPrefix(inspect.ID, "sha256:")
}

func TestRemovingAnImageByIdCannotTakeAnUnallowedNameWithIt(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	stamp := time.Now().UnixNano()
	// The control, straight on the daemon: a forced removal by id takes
	// every name the image has.
	allowed, other := fmt.Sprintf("xcsproxy-e2e/tool:control-%d", stamp), fmt.Sprintf("xcsproxy-other/kept:control-%d", stamp)
	id := twoNamedImage(t, ctx, allowed, other)
	if _, err := docker.ImageRemove(ctx, id[:12], imageRemoveForce()); err != nil {
		t.Fatal(err)
	}
	if _, err := docker.ImageInspect(ctx, other); err == nil {
		t.Fatalf("control: %s survived the removal of its image by id", other)
	}

	p := startProxy(t)
	allowed, other = fmt.Sprintf("xcsproxy-e2e/tool:two-%d", stamp), fmt.Sprintf("xcsproxy-other/kept:two-%d", stamp)
	id = twoNamedImage(t, ctx, allowed, other)
	runAttacks(t, p, []attack{
		{name: "forced removal by id", method: "DELETE", path: "/images/" + id[:12] + "?force=1", reason: "also remove docker.io/" + other},
	})
	for _, name := range []string{allowed, other} {
		if _, err := docker.ImageInspect(ctx, name); err != nil {
			t.Fatalf("%s is gone after the refused removal: %v", name, err)
		}
	}
	// By its allowed name, the image loses that name and keeps the other.
	if status, msg := send(t, p.HTTP(), attack{method: "DELETE", path: "/images/" + allowed}); status != http.StatusOK {
		t.Fatalf("removal by the allowed name: %d %q, want 200", status, msg)
	}
	if _, err := docker.ImageInspect(ctx, other); err != nil {
		t.Fatalf("%s is gone after the removal of the allowed name: %v", other, err)
	}
}

func TestAJobCannotTakeAnotherContainersMacAddress(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	victim := unmanagedContainer(t)
	v, err := docker.ContainerInspect(ctx, victim)
	if err != nil {
		t.Fatal(err)
	}
	mac := v.NetworkSettings.MacAddress
	// The control, straight on the daemon: it runs a second container
	// with the victim's address beside it on the bridge.
	clone, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"sleep", "30"}, MacAddress: mac, Labels: map[string]string{testLabel: "mac"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.ContainerRemove(context.Background(), clone.ID, containerRemoveForce()) })
	if err := docker.ContainerStart(ctx, clone.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if c, err := docker.ContainerInspect(ctx, clone.ID); err != nil || c.NetworkSettings.MacAddress != mac {
		t.Fatalf("control: the clone runs with %q, want the victim's %s (%v)", c.NetworkSettings.MacAddress, mac, err)
	}
	p := startProxy(t)
	runAttacks(t, p, []attack{
		{name: "create with the victim's MAC address", method: "POST", path: "/containers/create",
			body: fmt.Sprintf(`{"Image":%q,"Cmd":["sleep","30"],"MacAddress":%q}`, testImage, mac), reason: "MacAddress"},
		{name: "create with the victim's MAC address on the bridge endpoint", method: "POST", path: "/containers/create",
			body: fmt.Sprintf(`{"Image":%q,"Cmd":["sleep","30"],"NetworkingConfig":{"EndpointsConfig":{"bridge":{"MacAddress":%q}}}}`, testImage, mac), reason: "MacAddress"},
	})
}

func TestAJobCannotTakeAnotherServicesNameOrAddressOnAnAllowedNetwork(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	net := fmt.Sprintf("xcs-jobs-%d", time.Now().UnixNano())
	// A subnet of its own: on such a network the daemon takes chosen
	// addresses. The first that no network on the daemon holds (swarm's
	// docker_gwbridge, left behind by a swarm leave, takes a /16 of the
	// daemon's pool).
	var prefix string
	for _, candidate := range []string{"172.30.9", "10.231.9", "192.168.249"} {
		ipam := &network.IPAM{Config: []network.IPAMConfig{{Subnet: candidate + ".0/24"}}}
		_, err := docker.NetworkCreate(ctx, net, network.CreateOptions{IPAM: ipam})
		if err == nil {
			prefix = candidate
			break
		}
		if !strings.Contains(err.Error(), "overlaps") {
			t.Fatal(err)
		}
	}
	if prefix == "" {
		t.Fatal("every candidate subnet overlaps a network on the daemon")
	}
	t.Cleanup(func() { docker.NetworkRemove(context.Background(), net) })
	// The control, straight on the daemon: a service holds the alias db
	// and a link-local address, and the daemon lets a second container
	// hold both too. It keeps their driver options for the network driver
	// (which from Docker 27 sets the interface's sysctls from them).
	var ids []string
	const linkLocal, sysctls = "169.254.9.9", "net.ipv4.conf.IFNAME.forwarding=1"
	for range 2 {
		settings := &network.EndpointSettings{Aliases: []string{"db"}, IPAMConfig: &network.EndpointIPAMConfig{LinkLocalIPs: []string{linkLocal}},
			DriverOpts: map[string]string{"com.docker.network.endpoint.sysctls": sysctls}}
		c, err := docker.ContainerCreate(ctx, &container.Config{Image: testImage, Cmd: []string{"sleep", "30"}, Labels: map[string]string{testLabel: "alias"}},
			&container.HostConfig{NetworkMode: container.NetworkMode(net)},
			&network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{net: settings}}, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { docker.ContainerRemove(context.Background(), c.ID, containerRemoveForce()) })
		if err := docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	for _, id := range ids {
		c, err := docker.ContainerInspect(ctx, id)
		if err != nil || !slices.Contains(c.NetworkSettings.Networks[net].Aliases, "db") {
			t.Fatalf("control: container %s does not hold the alias db (%v)", id[:12], err)
		}
		if got := c.NetworkSettings.Networks[net].DriverOpts["com.docker.network.endpoint.sysctls"]; got != sysctls {
			t.Fatalf("control: container %s's endpoint kept driver options %q, want %q", id[:12], got, sysctls)
		}
		if routes := runIn(t, id, "read", "/proc/net/fib_trie"); !strings.Contains(routes, linkLocal) {
			t.Fatalf("control: container %s's interface lacks %s:\n%s", id[:12], linkLocal, routes)
		}
	}
	p := startProxy(t, "--policies", policyDir(t, testConfig()+"networks: {allow: ["+net+"]}\n"))
	join := func(settings string) string {
		return fmt.Sprintf(`{"Image":%q,"Cmd":["sleep","30"],"HostConfig":{"NetworkMode":%q},"NetworkingConfig":{"EndpointsConfig":{%q:%s}}}`, testImage, net, net, settings)
	}
	runAttacks(t, p, []attack{
		{name: "joining with the service's alias", method: "POST", path: "/containers/create", body: join(`{"Aliases":["db"]}`), reason: "alias db"},
		{name: "joining at a chosen address", method: "POST", path: "/containers/create", body: join(`{"IPAMConfig":{"IPv4Address":"` + prefix + `.9"}}`), reason: "IPAMConfig.IPv4Address"},
		{name: "joining at the service's link-local address", method: "POST", path: "/containers/create", body: join(`{"IPAMConfig":{"LinkLocalIPs":["` + linkLocal + `"]}}`), reason: "LinkLocalIPs " + linkLocal},
		{name: "joining with driver options that set the interface's sysctls", method: "POST", path: "/containers/create",
			body: join(`{"DriverOpts":{"com.docker.network.endpoint.sysctls":"` + sysctls + `"}}`), reason: "DriverOpts are not allowed"},
		{name: "joining the default bridge with driver options", method: "POST", path: "/containers/create",
			body: fmt.Sprintf(`{"Image":%q,"Cmd":["sleep","30"],"NetworkingConfig":{"EndpointsConfig":{"bridge":{"DriverOpts":{"com.docker.network.endpoint.sysctls":%q}}}}}`, testImage, sysctls), reason: "DriverOpts are not allowed"},
	})
	plain := createThroughProxy(t, p, join(`{}`))
	docker.ContainerRemove(ctx, plain, containerRemoveForce())
}

func TestAServiceCannotTakeAnotherServicesNameOnAnAllowedNetwork(t *testing.T) {
	joinSwarm(t)
	ctx := ctxFor(t, 2*time.Minute)
	overlay := fmt.Sprintf("xcs-jobs-overlay-%d", time.Now().UnixNano())
	if _, err := docker.NetworkCreate(ctx, overlay, network.CreateOptions{Driver: "overlay"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { docker.NetworkRemove(context.Background(), overlay) })
	spec := func(name, attachment string) string {
		return fmt.Sprintf(`{"Name":%q,"Labels":{%q:"alias"},"TaskTemplate":{"ContainerSpec":{"Image":%q,"Args":["sleep","30"]},"Networks":[%s]},"Mode":{"Replicated":{"Replicas":0}}}`,
			name, testLabel, testImage, attachment)
	}
	// The control, straight on the daemon: swarm takes a service holding
	// the alias db on the network.
	var control swarm.ServiceSpec
	stamp := time.Now().UnixNano()
	if err := json.Unmarshal([]byte(spec(fmt.Sprintf("xcs-alias-control-%d", stamp), fmt.Sprintf(`{"Target":%q,"Aliases":["db"]}`, overlay))), &control); err != nil {
		t.Fatal(err)
	}
	created, err := docker.ServiceCreate(ctx, control, swarm.ServiceCreateOptions{})
	if err != nil {
		t.Fatalf("control: %v", err)
	}
	t.Cleanup(func() { docker.ServiceRemove(context.Background(), created.ID) })
	got, _, err := docker.ServiceInspectWithRaw(ctx, created.ID, swarm.ServiceInspectOptions{})
	if err != nil || len(got.Spec.TaskTemplate.Networks) != 1 || !slices.Contains(got.Spec.TaskTemplate.Networks[0].Aliases, "db") {
		t.Fatalf("control: the service does not hold the alias db: %+v (%v)", got.Spec.TaskTemplate.Networks, err)
	}
	p := startProxy(t, "--policies", policyDir(t, testConfig()+"networks: {allow: ["+overlay+"]}\n"))
	runAttacks(t, p, []attack{
		{name: "a service holding the alias db", method: "POST", path: "/services/create",
			body: spec(fmt.Sprintf("xcs-alias-%d", stamp), fmt.Sprintf(`{"Target":%q,"Aliases":["db"]}`, overlay)), reason: "alias db"},
		{name: "a service whose tasks' interfaces take driver options", method: "POST", path: "/services/create",
			body: spec(fmt.Sprintf("xcs-driveropts-%d", stamp), fmt.Sprintf(`{"Target":%q,"DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.forwarding=1"}}`, overlay)), reason: "DriverOpts are not allowed"},
	})
	status, msg := send(t, p.HTTP(), attack{method: "POST", path: "/services/create", body: spec(fmt.Sprintf("xcs-plain-%d", stamp), fmt.Sprintf(`{"Target":%q}`, overlay))})
	if status != http.StatusCreated {
		t.Fatalf("a service joining the allowed network plainly: %d %q, want 201", status, msg)
	}
	docker.ServiceRemove(ctx, fmt.Sprintf("xcs-plain-%d", stamp))
}
