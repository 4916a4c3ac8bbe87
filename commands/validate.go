package commands

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/docker/go-units"
)

var (
	// hasTag is CS's Command.HAS_TAG.
	hasTag = regexp.MustCompile(`.+:[a-zA-Z0-9_.-]+$`)
	// inputName is CS's COMMAND_NAME pattern for input names.
	inputName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// viaCommand is repo/image:tag[:commandName].
	viaCommand = regexp.MustCompile(`^[^:\s]+:[A-Za-z0-9_.-]+(:[^:\s]+)?$`)
)

var (
	inputTypes        = set("string", "boolean", "number", "select-one", "select-many", "file")
	delimiters        = set("", "quoted-space", "space", "comma", "flag")
	wrapperInputTypes = set("string", "boolean", "number", "Directory", "File[]", "File", "Project", "ProjectAsset",
		"Subject", "SubjectAssessor", "Session", "Scan", "Assessor", "Resource", "Config", "file")
	handlerTypes = set("", "Resource", "Assessor", "Scan")
	visibilities = set("", "public", "private", "protected")
)

func set(items ...string) map[string]bool {
	m := map[string]bool{}
	for _, i := range items {
		m[i] = true
	}
	return m
}

// Validate checks a Command with the Container Service's rules and returns
// every problem, each naming where it is; none means the Command is valid.
func Validate(c *Command) []string {
	v := &validator{}
	name := c.Name
	if strings.TrimSpace(name) == "" {
		v.add("Command name cannot be blank.")
		name = "(unnamed)"
	}
	at := fmt.Sprintf("Command %q: ", name)
	if strings.TrimSpace(c.Image) == "" {
		v.add(at + "image cannot be blank.")
	} else if !hasTag.MatchString(c.Image) {
		v.add(at + fmt.Sprintf("image %q has no tag (e.g. %s:latest).", c.Image, c.Image))
	}
	switch c.Kind() {
	case TypeDocker:
	case TypeSetup, TypeWrapup:
		for field, n := range map[string]int{"mounts": len(c.Mounts), "inputs": len(c.Inputs), "outputs": len(c.Outputs),
			"xnat wrappers": len(c.Wrappers), "environment-variables": len(c.Environment), "ports": len(c.Ports), "secrets": len(c.Secrets)} {
			if n > 0 {
				v.add(at + fmt.Sprintf("a %s command cannot declare %s.", c.Kind(), field))
			}
		}
	default:
		v.add(at + fmt.Sprintf("type %q is not docker, docker-setup or docker-wrapup.", c.Type))
	}
	if !visibilities[c.Visibility] {
		v.add(at + fmt.Sprintf("visibility %q is not public, private or protected.", c.Visibility))
	}
	mounts := v.unique(at+"mount", len(c.Mounts), func(i int) string { return c.Mounts[i].Name })
	for _, m := range c.Mounts {
		if strings.TrimSpace(m.Path) == "" {
			v.add(at + fmt.Sprintf("mount %q has no path.", m.Name))
		}
	}
	inputs := v.unique(at+"input", len(c.Inputs), func(i int) string { return c.Inputs[i].Name })
	for i := range c.Inputs {
		v.input(at, &c.Inputs[i])
	}
	outputs := v.unique(at+"output", len(c.Outputs), func(i int) string { return c.Outputs[i].Name })
	for _, o := range c.Outputs {
		if !mounts[o.Mount] {
			v.add(at + fmt.Sprintf("output %q names mount %q, which the command does not have.", o.Name, o.Mount))
		}
	}
	for name, limit := range c.Ulimits {
		if _, err := units.ParseUlimit(name + "=" + limit); err != nil {
			v.add(at + fmt.Sprintf("ulimit %s=%q is not soft[:hard]: %v.", name, limit, err))
		}
	}
	for _, s := range c.Secrets {
		env := s.Destination.Identifier
		if c.Environment[env] != "" || env == "XNAT_USER" || env == "XNAT_PASS" || env == "XNAT_HOST" {
			v.add(at + fmt.Sprintf("secret destination %q collides with an environment variable.", env))
		}
	}
	v.unique(at+"wrapper", len(c.Wrappers), func(i int) string { return c.Wrappers[i].Name })
	for i := range c.Wrappers {
		v.wrapper(at, &c.Wrappers[i], inputs, mounts, outputs)
	}
	return v.problems
}

type validator struct{ problems []string }

func (v *validator) add(msg string) { v.problems = append(v.problems, msg) }

// unique reports blank and duplicate names and returns the set of names.
func (v *validator) unique(what string, n int, name func(int) string) map[string]bool {
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		nm := name(i)
		switch {
		case strings.TrimSpace(nm) == "":
			v.add(fmt.Sprintf("%s %d has no name.", what, i+1))
		case seen[nm]:
			v.add(fmt.Sprintf("%s name %q is used more than once.", what, nm))
		}
		seen[nm] = true
	}
	return seen
}

func (v *validator) input(at string, in *Input) {
	where := at + fmt.Sprintf("input %q: ", in.Name)
	if in.Name != "" && !inputName.MatchString(in.Name) {
		v.add(where + "names may only hold letters, digits, _ and -.")
	}
	if in.Type != "" && !inputTypes[in.Type] {
		v.add(where + fmt.Sprintf("type %q is not one of string, boolean, number, select-one, select-many, file.", in.Type))
	}
	if !delimiters[in.MultipleDelimiter] {
		v.add(where + fmt.Sprintf("multiple-delimiter %q is not one of quoted-space, space, comma, flag.", in.MultipleDelimiter))
	}
	isSelect := in.Type == "select-one" || in.Type == "select-many"
	switch {
	case isSelect && len(in.SelectValues) == 0:
		v.add(where + "a select input needs select-values.")
	case !isSelect && len(in.SelectValues) > 0:
		v.add(where + "select-values are only for select-one and select-many inputs.")
	case isSelect && in.DefaultValue != nil:
		allowed := map[string]bool{}
		for _, s := range in.SelectValues {
			allowed[string(s)] = true
		}
		defaults := []string{string(*in.DefaultValue)}
		if in.Type == "select-many" {
			if list, ok := jsonList(string(*in.DefaultValue)); ok {
				defaults = list
			}
		}
		for _, d := range defaults {
			if !allowed[d] {
				v.add(where + fmt.Sprintf("default value %q is not one of its select-values.", d))
			}
		}
	}
}

func (v *validator) wrapper(at string, w *Wrapper, inputs, mounts, outputs map[string]bool) {
	where := at + fmt.Sprintf("wrapper %q: ", w.Name)
	all := append(append([]WrapperInput{}, w.ExternalInputs...), w.DerivedInputs...)
	names := v.unique(where+"input", len(all), func(i int) string { return all[i].Name })
	declared := map[string]bool{}
	for _, in := range w.ExternalInputs {
		v.wrapperInput(where, &in, inputs, mounts)
		declared[in.Name] = true
	}
	for _, in := range w.DerivedInputs {
		v.wrapperInput(where, &in, inputs, mounts)
		if in.DerivedFrom == "" {
			v.add(where + fmt.Sprintf("derived input %q has no derived-from-wrapper-input.", in.Name))
		} else if !declared[in.DerivedFrom] {
			v.add(where + fmt.Sprintf("derived input %q is derived from %q, which is not declared before it.", in.Name, in.DerivedFrom))
		}
		declared[in.Name] = true
	}
	handled := map[string]bool{}
	v.unique(where+"output handler", len(w.OutputHandlers), func(i int) string { return w.OutputHandlers[i].Name })
	for _, h := range w.OutputHandlers {
		if !outputs[h.AcceptsCommandOutput] {
			v.add(where + fmt.Sprintf("output handler %q accepts output %q, which the command does not have.", h.Name, h.AcceptsCommandOutput))
		}
		handled[h.AcceptsCommandOutput] = true
		if p := h.Parent(); p != "" && !names[p] {
			v.add(where + fmt.Sprintf("output handler %q is a child of %q, which is not a wrapper input.", h.Name, p))
		}
		if !handlerTypes[h.Type] {
			v.add(where + fmt.Sprintf("output handler %q has type %q (Resource, Assessor or Scan).", h.Name, h.Type))
		}
		if h.ViaWrapupCommand != "" && !viaCommand.MatchString(h.ViaWrapupCommand) {
			v.add(where + fmt.Sprintf("output handler %q: via-wrapup-command %q is not repo/image:tag[:command].", h.Name, h.ViaWrapupCommand))
		}
	}
	for o := range outputs {
		if !handled[o] {
			v.add(where + fmt.Sprintf("command output %q is not handled by any output handler.", o))
		}
	}
}

func (v *validator) wrapperInput(where string, in *WrapperInput, inputs, mounts map[string]bool) {
	if in.Type != "" && !wrapperInputTypes[in.Type] {
		v.add(where + fmt.Sprintf("input %q has unknown type %q.", in.Name, in.Type))
	}
	if in.ProvidesValueFor != "" && !inputs[in.ProvidesValueFor] {
		v.add(where + fmt.Sprintf("input %q provides a value for command input %q, which does not exist.", in.Name, in.ProvidesValueFor))
	}
	if in.ProvidesFilesFor != "" && !mounts[in.ProvidesFilesFor] {
		v.add(where + fmt.Sprintf("input %q provides files for mount %q, which does not exist.", in.Name, in.ProvidesFilesFor))
	}
	if in.ViaSetupCommand != "" && !viaCommand.MatchString(in.ViaSetupCommand) {
		v.add(where + fmt.Sprintf("input %q: via-setup-command %q is not repo/image:tag[:command].", in.Name, in.ViaSetupCommand))
	}
}
