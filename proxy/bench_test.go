package proxy

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/xcsproxy/xcsproxy/policies"
	"github.com/xcsproxy/xcsproxy/policy"
)

// csCreate is a containers/create body as XNAT's Container Service sends it.
const csCreate = `{"Hostname":null,"Domainname":null,"User":null,"AttachStdin":null,"AttachStdout":null,
"AttachStderr":null,"Tty":null,"OpenStdin":null,"StdinOnce":null,
"Env":["XNAT_HOST=http://xnat.example","XNAT_USER=admin","XNAT_PASS=token-123","XNAT_WORKFLOW_ID=42","XNAT_EVENT_ID=7"],
"Cmd":["/bin/sh","-c","dcm2niix -z y -o /output /input"],"Entrypoint":[""],"Image":"xnat/dcm2niix:latest",
"WorkingDir":null,"Labels":{"XNAT_USER":"admin","XNAT_PROJECT":"P1"},
"HostConfig":{"Binds":["/data/xnat/archive/P1/arc001/S1/SCANS/1/DICOM:/input:ro","/data/xnat/build/abc:/output:rw"],
"Memory":0,"MemoryReservation":0,"NanoCpus":0,"AutoRemove":false,"Runtime":null,"IpcMode":null,"ShmSize":null,
"NetworkMode":null,"Ulimits":null,"PortBindings":null}}`

func BenchmarkRouteLookup(b *testing.B) {
	r := NewRouter(DockerAPI)
	for _, path := range []string{"/_ping", "/v1.41/containers/0123456789ab/logs", "/images/docker.io/xnat/dcm2niix:latest/json"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				t, err := ParseTarget(path)
				if err != nil || r.Lookup("GET", t.Segments) == nil && !strings.Contains(path, "_ping") {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCanonicalizeContainerServiceCreate(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest("POST", "/containers/create", strings.NewReader(csCreate))
		r.Header.Set("Content-Type", "application/json")
		if _, herr := readBody(r, createRoute, 2<<20); herr != nil {
			b.Fatal(herr)
		}
	}
}

// BenchmarkDecideContainerServiceCreate evaluates the embedded pack on a
// Container Service create, with facts as the proxy would gather them.
func BenchmarkDecideContainerServiceCreate(b *testing.B) {
	set, err := policy.Load(context.Background(), policies.FS)
	if err != nil {
		b.Fatal(err)
	}
	e := policy.NewEngine(set)
	r := httptest.NewRequest("POST", "/containers/create", strings.NewReader(csCreate))
	r.Header.Set("Content-Type", "application/json")
	body, herr := readBody(r, createRoute, 2<<20)
	if herr != nil {
		b.Fatal(herr)
	}
	ex := &Exchange{Route: createRoute, Body: body, Target: &Target{Path: "/containers/create"}}
	in := &policy.Input{
		Request: policy.Request{Method: "POST", Path: "/containers/create", Endpoint: "container.create", Params: map[string]string{}, Query: map[string][]string{}, ContentType: "application/json"},
		Client:  policy.Client{Transport: "unix", UID: 1000, GID: 1000, PID: 1},
		Image: map[string]any{"requested": "xnat/dcm2niix:latest", "ref": "docker.io/xnat/dcm2niix:latest", "repository": "docker.io/xnat/dcm2niix",
			"tag": "latest", "digest": "", "by_id": false, "id": "sha256:1", "present": true, "labels": map[string]any{}, "refs": []any{"docker.io/xnat/dcm2niix:latest"}, "commands": []any{}},
		Mounts: []any{
			map[string]any{"origin": "Binds", "type": "bind", "source": "/data/xnat/archive/P1", "target": "/input", "read_only": true, "propagation": "", "host_path": "/data/xnat/archive/P1", "resolved": "/data/xnat/archive/P1", "is_socket": false, "covers_protected": "", "volume_name": "", "volume_driver": "", "error": "", "nosuid": true, "nodev": true},
			map[string]any{"origin": "Binds", "type": "bind", "source": "/data/xnat/build/abc", "target": "/output", "read_only": false, "propagation": "", "host_path": "/data/xnat/build/abc", "resolved": "/data/xnat/build/abc", "is_socket": false, "covers_protected": "", "volume_name": "", "volume_driver": "", "error": "", "nosuid": true, "nodev": true},
		},
		Proxy: policy.Proxy{ManagedLabel: ManagedLabel},
	}
	ex.Input = in
	if err := decodeGeneric(ex); err != nil {
		b.Fatal(err)
	}
	d := e.Decide(context.Background(), in.Map())
	if !d.Allow {
		b.Fatalf("the pack denies a Container Service create: %v", d.Reasons)
	}
	// What the proxy does for every create (proxy.decide): the input
	// encoded once for the decision record, then converted to OPA's value
	// and evaluated. A create's decision is never remembered (its body is
	// new each time), so no memo is kept or asked.
	b.Run("as the proxy decides it", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for i := 0; i < b.N; i++ {
			var err error
			if buf, err = in.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
			if d := e.DecideInput(context.Background(), in, nil); !d.Allow {
				b.Fatal(d.Reasons)
			}
		}
	})
	// The policy alone: the input already converted to OPA's value, as the
	// evaluation itself sees it.
	value, err := ast.InterfaceToValue(in.Map())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("evaluation alone", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if d := set.Decide(context.Background(), value, 0); !d.Allow {
				b.Fatal(d.Reasons)
			}
		}
	})
}

func BenchmarkDecidePing(b *testing.B) {
	set, err := policy.Load(context.Background(), policies.FS)
	if err != nil {
		b.Fatal(err)
	}
	e := policy.NewEngine(set)
	in := &policy.Input{
		Request: policy.Request{Method: "GET", Path: "/_ping", Endpoint: "system.ping", Params: map[string]string{}, Query: map[string][]string{}},
		Client:  policy.Client{Transport: "unix", UID: 1000},
		Proxy:   policy.Proxy{ManagedLabel: ManagedLabel},
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if d := e.Decide(context.Background(), in.Map()); !d.Allow {
			b.Fatal(d.Reasons)
		}
	}
}

// BenchmarkMountOptionsOf times the options lookup each bind gets at every
// create and start. XCSPROXY_BENCH_ROOT names a hardened (nosuid,nodev)
// mount, to time the whole lookup with the mounts below it; elsewhere only
// the holding mount is read.
func BenchmarkMountOptionsOf(b *testing.B) {
	root := os.Getenv("XCSPROXY_BENCH_ROOT")
	if root == "" {
		root = b.TempDir()
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		MountOptionsOf(root)
	}
}
