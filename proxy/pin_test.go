package proxy

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/xcsproxy/xcsproxy/policy"
)

func TestPinReferences(t *testing.T) {
	const full = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	judged := map[string]any{
		"job":          map[string]any{"id": full, "managed": true},
		"0123456789ab": map[string]any{"id": full, "managed": true},
	}
	cases := []struct {
		name        string
		hc          container.HostConfig
		want        container.HostConfig
		wantChanged bool
	}{
		{
			name:        "a network mode naming a container by name names it by id",
			hc:          container.HostConfig{NetworkMode: "container:job"},
			want:        container.HostConfig{NetworkMode: "container:" + full},
			wantChanged: true,
		},
		{
			name:        "pid and ipc modes naming a container by id prefix name it by id",
			hc:          container.HostConfig{PidMode: "container:0123456789ab", IpcMode: "container:job"},
			want:        container.HostConfig{PidMode: "container:" + full, IpcMode: "container:" + full},
			wantChanged: true,
		},
		{
			name:        "a legacy link keeps its alias, and without one keeps the name as alias",
			hc:          container.HostConfig{Links: []string{"job:db", "/job"}},
			want:        container.HostConfig{Links: []string{full + ":db", full + ":job"}},
			wantChanged: true,
		},
		{
			name: "a link on a user-defined network is left to that network's DNS",
			hc:   container.HostConfig{NetworkMode: "jobs", Links: []string{"job:db"}},
			want: container.HostConfig{NetworkMode: "jobs", Links: []string{"job:db"}},
		},
		{
			name: "modes that name no container are left alone",
			hc:   container.HostConfig{NetworkMode: "bridge", PidMode: "", IpcMode: "private"},
			want: container.HostConfig{NetworkMode: "bridge", PidMode: "", IpcMode: "private"},
		},
		{
			name: "a reference already by full id is unchanged",
			hc:   container.HostConfig{NetworkMode: "container:" + full},
			want: container.HostConfig{NetworkMode: "container:" + full},
		},
		{
			name: "a reference with no facts is left for the policy to have refused",
			hc:   container.HostConfig{NetworkMode: "container:other"},
			want: container.HostConfig{NetworkMode: "container:other"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hc := c.hc
			hc.Links = slices.Clone(c.hc.Links)
			changed := pinReferences(&hc, judged)
			if changed != c.wantChanged || hc.NetworkMode != c.want.NetworkMode || hc.PidMode != c.want.PidMode ||
				hc.IpcMode != c.want.IpcMode || !slices.Equal(hc.Links, c.want.Links) {
				t.Fatalf("got %v %+v, want %v %+v", changed, hc, c.wantChanged, c.want)
			}
		})
	}
}

func TestTargetSetParam(t *testing.T) {
	r := NewRouter(DockerAPI)
	cases := []struct {
		name, method, path, want string
	}{
		{"a container's logs name the container by id", "GET", "/containers/job/logs", "/containers/ID/logs"},
		{"a removal names the container by id", "DELETE", "/containers/job", "/containers/ID"},
		{"a service update names the service by id", "POST", "/services/svc/update", "/services/ID/update"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg, err := ParseTarget("/v1.43" + c.path + "?follow=1")
			if err != nil {
				t.Fatal(err)
			}
			m := r.Lookup(c.method, tg.Segments)
			if err := tg.setParam(m.Route, "id", "ID"); err != nil {
				t.Fatal(err)
			}
			if tg.Path != c.want || tg.UpstreamPath() != "/v1.43"+c.want || tg.Query.Get("follow") != "1" {
				t.Fatalf("got path %q upstream %q query %v, want %q", tg.Path, tg.UpstreamPath(), tg.Query, c.want)
			}
			if again, _ := ParseTarget(tg.Path); again == nil || !slices.Equal(again.Segments, tg.Segments) {
				t.Fatalf("segments %v do not match the path %q", tg.Segments, tg.Path)
			}
		})
	}
	tg, _ := ParseTarget("/_ping")
	if err := tg.setParam(r.Lookup("GET", tg.Segments).Route, "id", "ID"); err == nil {
		t.Fatal("a route without {id} was pinned")
	}
}

func TestPinNamesTheNetworkAndContainerOfAConnectACommitAndAVolumeAsJudged(t *testing.T) {
	const network = "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"
	const job = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	router := NewRouter(DockerAPI)
	exchange := func(method, uri, body string) *Exchange {
		t.Helper()
		target, err := ParseTarget(uri)
		if err != nil {
			t.Fatal(err)
		}
		m := router.Lookup(method, target.Segments)
		r := httptest.NewRequest(method, uri, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		b, herr := readBody(r, m.Route, 1<<20)
		if herr != nil {
			t.Fatal(herr)
		}
		ex := &Exchange{Route: m.Route, Params: m.Params, Target: target, Body: b, Input: &policy.Input{}}
		if err := decodeGeneric(ex); err != nil {
			t.Fatal(err)
		}
		return ex
	}

	connect := exchange("POST", "/v1.41/networks/jobs/connect", `{"Container":"0123"}`)
	connect.Input.Target = map[string]any{"kind": "network", "id": network, "exists": true, "managed": true}
	connect.Input.Containers = map[string]any{"0123": map[string]any{"id": job, "exists": true, "managed": true}}
	if missing, err := pin(connect); missing != "" || err != nil {
		t.Fatalf("pin = %q, %v", missing, err)
	}
	if want := "/networks/" + network + "/connect"; connect.Target.Path != want {
		t.Errorf("the connect goes to %s, want %s", connect.Target.Path, want)
	}
	if want := `"Container":"` + job + `"`; !strings.Contains(string(connect.Body.Canonical), want) {
		t.Errorf("the connect's body is %s; want it to hold %s", connect.Body.Canonical, want)
	}

	remove := exchange("DELETE", "/volumes/pgdata", "")
	remove.Input.Target = map[string]any{"kind": "volume", "id": "pgdata", "exists": true, "managed": true}
	if missing, err := pin(remove); missing != "" || err != nil {
		t.Fatalf("pin = %q, %v", missing, err)
	}
	if remove.Target.Path != "/volumes/pgdata" {
		t.Errorf("the volume's removal goes to %s", remove.Target.Path)
	}

	commit := exchange("POST", "/commit?container=0123&comment=x", `{}`)
	commit.Input.Containers = map[string]any{"0123": map[string]any{"id": job, "exists": true, "managed": true}}
	if missing, err := pin(commit); missing != "" || err != nil {
		t.Fatalf("pin = %q, %v", missing, err)
	}
	if got := commit.Target.Query["container"]; len(got) != 1 || got[0] != job || commit.Target.Query.Get("comment") != "x" {
		t.Errorf("the commit's query is %v; want its container by full id and the rest kept", commit.Target.Query)
	}

	gone := exchange("DELETE", "/volumes/pgdata", "")
	gone.Input.Target = missingTarget("volume", "pgdata")
	if missing, err := pin(gone); missing != "volume" || err != nil {
		t.Errorf("pin on a volume missing when judged = %q, %v; want it reported missing", missing, err)
	}
}
