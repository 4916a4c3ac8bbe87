package proxy

import (
	"slices"
	"strings"
	"testing"
)

func TestHostConfigFieldsAtTheTopLevelOfACreateAreNamed(t *testing.T) {
	for _, c := range []struct {
		name, body, field string
	}{
		{"a Container Service create, everything in its place", csCreate, ""},
		{"privileged at the top level", `{"Image":"x","Privileged":true}`, "Privileged"},
		{"binds at the top level beside a HostConfig", `{"Image":"x","HostConfig":{},"Binds":["/:/h"]}`, "Binds"},
		{"a lower-case key", `{"Image":"x","networkmode":"host"}`, "NetworkMode"},
		{"a key with a long s, which encoding/json folds to s", "{\"Image\":\"x\",\"Bind\u017f\":[\"/:/h\"]}", "Binds"},
		{"a resource of the embedded Resources", `{"Image":"x","Memory":1}`, "Memory"},
		{"the old wrapper's Cpuset", `{"Image":"x","Cpuset":"0"}`, "Cpuset"},
		{"a Config field HostConfig does not share", `{"Image":"x","Labels":{"a":"b"},"StopTimeout":3}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := topLevelHostConfig([]byte(c.body))
			if c.field == "" {
				if got != "" {
					t.Fatalf("refused: %s", got)
				}
				return
			}
			if !strings.Contains(got, "field "+c.field+" at the top level") {
				t.Fatalf("got %q, want it to name %s", got, c.field)
			}
		})
	}
}

func TestHostConfigOnlyFieldsLeaveConfigsOwnOut(t *testing.T) {
	for _, name := range []string{"Privileged", "Binds", "Mounts", "NetworkMode", "PidMode", "CapAdd", "Devices", "SecurityOpt", "Memory", "NanoCpus"} {
		if !slices.Contains(hostConfigOnlyFields, name) {
			t.Errorf("%s is missing from the HostConfig fields", name)
		}
	}
	for _, name := range []string{"Image", "Cmd", "Env", "Labels", "Volumes", "User"} {
		if slices.Contains(hostConfigOnlyFields, name) {
			t.Errorf("Config's own %s is listed as a HostConfig field", name)
		}
	}
}
