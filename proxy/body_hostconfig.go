package proxy

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/docker/docker/api/types/container"
)

// topLevelHostConfig names a HostConfig field sent at the top level of a
// create body. Daemons before Docker 25 read HostConfig's fields there (the
// old API's place) when the body has no HostConfig, and some of them even
// beside one; Docker's CreateRequest type, and so the canonical body, drops
// them. Forwarding the rest would run a container other than the one asked
// for, so the request is refused with the field named.
func topLevelHostConfig(body []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return "" // not an object: the typed decode has said so already
	}
	for key := range top {
		for _, name := range hostConfigOnlyFields {
			// encoding/json matches keys this way too (simple Unicode
			// folding), so "bindſ" is read as Binds.
			if strings.EqualFold(key, name) {
				return "HostConfig field " + name + " at the top level of the body (where daemons before Docker 25 read it) is not supported: send it under HostConfig"
			}
		}
	}
	return ""
}

// hostConfigOnlyFields are the JSON names of HostConfig's fields, its
// embedded Resources' included, that Config does not also have, plus the
// old wrapper's Cpuset.
var hostConfigOnlyFields = func() []string {
	config := map[string]bool{}
	for _, name := range jsonFieldNames(reflect.TypeFor[container.Config]()) {
		config[strings.ToLower(name)] = true
	}
	names := []string{"Cpuset"}
	for _, name := range jsonFieldNames(reflect.TypeFor[container.HostConfig]()) {
		if !config[strings.ToLower(name)] {
			names = append(names, name)
		}
	}
	return names
}()

// jsonFieldNames lists the names encoding/json reads a struct's fields by,
// descending into embedded structs as it does.
func jsonFieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				names = append(names, jsonFieldNames(ft)...)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}
