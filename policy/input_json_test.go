package policy

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestInputJSONIsMapJSON(t *testing.T) {
	cases := []struct {
		name string
		in   Input
	}{
		{"a bare ping from a unix client", Input{
			Request: Request{Method: "GET", Path: "/_ping", Endpoint: "system.ping"},
			Client:  Client{Transport: "unix", UID: 1000, GID: 1000, PID: 42, Listener: "unix:///run/x.sock"},
		}},
		{"a create with a body, facts and mounts from a TLS client", Input{
			Request: Request{Method: "POST", Path: "/containers/create", APIVersion: "1.41", Endpoint: "container.create",
				Params: map[string]string{}, Query: map[string][]string{"name": {"job-1"}, "platform": {""}},
				Body:        map[string]any{"Image": "xnat/dcm2niix:latest", "Env": []any{"A=b<c>&d"}, "HostConfig": map[string]any{"Memory": json.Number("0")}},
				ContentType: "application/json"},
			Client:     Client{Transport: "tls", Listener: "tcp://0.0.0.0:2376", Cert: &Cert{SubjectCN: "xnat", SANs: []string{"xnat.example"}, SHA256: "ab"}},
			Image:      map[string]any{"ref": "docker.io/xnat/dcm2niix:latest", "present": true, "labels": map[string]any{}},
			Containers: map[string]any{"other": map[string]any{"managed": false}},
			Mounts:     []any{map[string]any{"source": "/data", "read_only": true}},
			Target:     map[string]any{"exists": true, "managed": true, "kind": "container"},
			Proxy:      Proxy{Version: "dev", PolicyRevision: "0123", Protected: []string{"/var/run/docker.sock"}, ManagedLabel: "org.xcsproxy.managed"},
		}},
		{"a login check with its registry's facts", Input{
			Request:  Request{Method: "POST", Path: "/auth", Endpoint: "system.auth", Body: map[string]any{"serveraddress": "reg.example:5000"}},
			Client:   Client{Transport: "unix"},
			Registry: map[string]any{"host": "reg.example:5000", "error": ""},
		}},
		{"a retag with the name it would give", Input{
			Request:   Request{Method: "POST", Path: "/images/x/tag", Endpoint: "image.tag", Params: map[string]string{"name": "x"}, Query: map[string][]string{"repo": {"y"}}},
			Client:    Client{Transport: "unix"},
			NewImages: []any{map[string]any{"requested": "y", "ref": "docker.io/library/y:latest"}},
		}},
		{"a TLS client whose certificate has no SANs", Input{
			Request: Request{Method: "GET", Path: "/info", Endpoint: "system.info", Params: map[string]string{"id": "x"}},
			Client:  Client{Transport: "tls", Cert: &Cert{SubjectCN: "cn"}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.in.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(c.in.Map()); err != nil {
				t.Fatal(err)
			}
			if want := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}); !bytes.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}
