package proxy

import (
	"slices"
	"testing"

	"github.com/docker/docker/api/types/container"
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
