package commands

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Launch is what a caller asks for: a wrapper, input values by name, host
// paths for mounts, the backend, and the XNAT_* environment (XNAT_HOST,
// XNAT_USER, XNAT_PASS, XNAT_WORKFLOW_ID, XNAT_EVENT_ID) when XNAT launches.
type Launch struct {
	Wrapper     string            `json:"wrapper,omitempty"`
	Inputs      map[string]string `json:"inputs,omitempty"`
	Mounts      map[string]string `json:"mounts,omitempty"`
	Backend     string            `json:"backend,omitempty"` // docker (default) or swarm
	Environment map[string]string `json:"environment,omitempty"`
}

// Resolved is a Command with every template filled in.
type Resolved struct {
	Command       *Command
	Wrapper       *Wrapper
	CommandLine   string
	CommandValues map[string]*string // command input name → value (nil: null)
	WrapperValues map[string]*string // wrapper input name → raw value
	Raw           map[string]string  // replacement key → raw value
	Env           map[string]string
	Ports         map[string]string
	Mounts        []ResolvedMount
	WorkingDir    string
	ContainerName string
	Labels        map[string]string
	// Sensitive holds values of inputs marked sensitive, for redaction.
	Sensitive []string
}

// ResolvedMount is a command mount with the host side it will bind.
type ResolvedMount struct {
	Name          string
	ContainerPath string
	HostPath      string // "" for an output mount until the launcher makes it
	Writable      bool
	Output        bool // no input provides files: a fresh build directory
}

// IllegalStrings are refused in every input value (CS
// CommandResolutionService.ILLEGAL_INPUT_STRINGS), in CS's order.
var IllegalStrings = []string{";", "&&", "||", "`", "("}

// ResolveError lists every problem found; Illegal is set when resolution
// stopped at an illegal input value, as CS's IllegalInputException does.
type ResolveError struct {
	Problems []string
	Illegal  bool
}

func (e *ResolveError) Error() string { return strings.Join(e.Problems, " ") }

// value is a resolved input: nil, one string, or several.
type value struct {
	s     *string
	list  []string
	multi bool
	obj   Object
	objs  []Object
}

func (v value) raw() string {
	if v.multi {
		return strings.Join(v.list, " ")
	}
	if v.s == nil {
		return ""
	}
	return *v.s
}

func (v value) ptr() *string {
	if v.multi {
		s := strings.Join(v.list, " ")
		return &s
	}
	return v.s
}

func (v value) isNull() bool { return !v.multi && v.s == nil }

func str(s string) *string { return &s }

// Resolve fills in a Command for a launch, as the Container Service's
// CommandResolutionServiceImpl does (see COMMAND-FORMAT.md §4 to §6).
func Resolve(c *Command, l Launch) (*Resolved, error) {
	r := &Resolved{
		Command: c, CommandValues: map[string]*string{}, WrapperValues: map[string]*string{},
		Raw: map[string]string{}, Env: map[string]string{}, Ports: map[string]string{}, Labels: map[string]string{},
	}
	var problems, missing []string
	if l.Wrapper != "" {
		for i := range c.Wrappers {
			if c.Wrappers[i].Name == l.Wrapper {
				r.Wrapper = &c.Wrappers[i]
			}
		}
		if r.Wrapper == nil {
			return nil, &ResolveError{Problems: []string{fmt.Sprintf("Command %q has no wrapper %q (it has: %s).", c.Name, l.Wrapper, strings.Join(wrapperNames(c), ", "))}}
		}
	}
	known := map[string]bool{}
	for _, in := range c.Inputs {
		known[in.Name] = true
	}

	wrapperVals := map[string]value{}
	provider := map[string]*WrapperInput{} // command input → wrapper input providing it
	if w := r.Wrapper; w != nil {
		// settle checks and records a wrapper input's value (required
		// defaults to true for wrapper inputs).
		var in *WrapperInput
		settle := func(name string, v value) error {
			if err := checkIllegal(name, v); err != nil {
				return err
			}
			if boolOr(in.Required, true) && v.isNull() {
				missing = append(missing, name)
			}
			wrapperVals[name] = v
			r.Raw[in.Key()] = v.raw()
			return nil
		}
		for i := range w.ExternalInputs {
			in = &w.ExternalInputs[i]
			known[in.Name] = true
			v := value{s: strPtr(in.DefaultValue)}
			if given, ok := l.Inputs[in.Name]; ok {
				v.s = str(given)
			}
			if v.s != nil && isObjectType(in.Type) {
				obj, err := parseObject(in.Name, *v.s)
				if err != nil {
					problems = append(problems, err.Error())
					v.s = nil
				} else {
					v.obj, v.s = obj, str(obj.Prop("uri"))
				}
			}
			if err := settle(in.Name, v); err != nil {
				return nil, err
			}
		}
		for i := range w.DerivedInputs {
			in = &w.DerivedInputs[i]
			known[in.Name] = true
			v, err := derive(in, wrapperVals, r.Raw)
			if err != nil {
				problems = append(problems, err.Error())
			}
			if err := settle(in.Name, v); err != nil {
				return nil, err
			}
		}
		for _, group := range [][]WrapperInput{w.ExternalInputs, w.DerivedInputs} {
			for i := range group {
				if group[i].ProvidesValueFor != "" {
					provider[group[i].ProvidesValueFor] = &group[i]
				}
				r.WrapperValues[group[i].Name] = wrapperVals[group[i].Name].ptr()
				if boolOr(group[i].Sensitive, false) {
					r.Sensitive = append(r.Sensitive, wrapperVals[group[i].Name].raw())
				}
			}
		}
	}
	for name := range l.Inputs {
		if !known[name] {
			problems = append(problems, fmt.Sprintf("Input %q is not an input of command %q%s.", name, c.Name, wrapperSuffix(r.Wrapper)))
		}
	}

	cmdline := map[string]string{}
	for i := range c.Inputs {
		in := &c.Inputs[i]
		v := value{s: strPtr(in.DefaultValue)}
		if given, ok := l.Inputs[in.Name]; ok {
			v.s = str(given)
		}
		if p := provider[in.Name]; p != nil {
			if pv := wrapperVals[p.Name]; !pv.isNull() {
				v = value{s: pv.s, list: pv.list, multi: pv.multi}
			} else if !boolOr(p.Required, true) {
				v = value{s: str("")}
			}
		}
		if in.Type == "boolean" && !v.multi {
			chosen := in.FalseValue
			if v.s != nil && strings.EqualFold(strings.TrimSpace(*v.s), "true") {
				chosen = in.TrueValue
			}
			if chosen != nil {
				v.s = str(*chosen)
			}
		}
		if in.Type == "select-many" && !v.multi && v.s != nil {
			if list, ok := jsonList(*v.s); ok {
				v = value{list: list, multi: true}
			}
		}
		if err := checkIllegal(in.Name, v); err != nil {
			return nil, err
		}
		if boolOr(in.Required, false) && v.isNull() {
			missing = append(missing, in.Name)
		}
		if boolOr(in.Sensitive, false) {
			r.Sensitive = append(r.Sensitive, v.raw())
		}
		r.CommandValues[in.Name] = v.ptr()
		r.Raw[in.Key()] = v.raw()
		cmdline[in.Key()] = commandLineValue(in, v)
	}
	if len(missing) > 0 {
		noun := "input"
		if len(missing) > 1 {
			noun = "inputs"
		}
		problems = append(problems, fmt.Sprintf("Missing values for required %s: %s.", noun, strings.Join(missing, ", ")))
	}
	if len(problems) > 0 {
		return nil, &ResolveError{Problems: problems}
	}

	r.CommandLine = c.CommandLine
	for i := range c.Inputs {
		key := c.Inputs[i].Key()
		r.CommandLine = strings.ReplaceAll(r.CommandLine, key, cmdline[key])
	}
	fill := func(s string) string { return r.fill(s) }
	for k, v := range c.Environment {
		r.Env[fill(k)] = fill(v)
	}
	for k, v := range l.Environment {
		r.Env[k] = v
	}
	for k, v := range c.Ports {
		r.Ports[fill(k)] = fill(v)
	}
	for k, v := range c.ContainerLabels {
		r.Labels[fill(k)] = fill(v)
	}
	r.WorkingDir, r.ContainerName = fill(c.WorkingDirectory), fill(c.ContainerName)
	r.Mounts = resolveMounts(c, r, l, wrapperVals)
	return r, nil
}

// fill substitutes the raw map into a template (keys in a fixed order, so
// results do not depend on map iteration as CS's do on HashMap order).
func (r *Resolved) fill(s string) string {
	if s == "" || len(r.Raw) == 0 {
		return s
	}
	keys := make([]string, 0, len(r.Raw))
	for k := range r.Raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, r.Raw[k])
	}
	return s
}

// derive resolves a derived wrapper input from the input it is derived
// from: children of an XNAT type filtered by the matcher, or a property.
func derive(in *WrapperInput, vals map[string]value, raw map[string]string) (value, error) {
	parent, ok := vals[in.DerivedFrom]
	if !ok || parent.obj == nil {
		return value{}, nil
	}
	matcher := in.Matcher
	for k, v := range raw {
		matcher = strings.ReplaceAll(matcher, k, v)
	}
	if !isObjectType(in.Type) {
		if in.DerivedFromProperty == "" {
			return value{s: str(parent.obj.Prop("uri"))}, nil
		}
		return value{s: str(parent.obj.Prop(in.DerivedFromProperty))}, nil
	}
	var matched []Object
	for _, child := range parent.obj.Children(in.Type) {
		ok, err := child.Match(matcher)
		if err != nil {
			return value{}, fmt.Errorf("input %q: %v", in.Name, err)
		}
		if ok {
			matched = append(matched, child)
		}
	}
	if len(matched) == 0 {
		return value{}, nil
	}
	prop := in.DerivedFromProperty
	if prop == "" {
		prop = "uri"
	}
	if boolOr(in.Multiple, false) {
		v := value{multi: true, objs: matched}
		for _, m := range matched {
			v.list = append(v.list, m.Prop(prop))
		}
		return v, nil
	}
	return value{s: str(matched[0].Prop(prop)), obj: matched[0]}, nil
}

func checkIllegal(name string, v value) error {
	vals := v.list
	if !v.multi && v.s != nil {
		vals = []string{*v.s}
	}
	for _, s := range vals {
		for _, bad := range IllegalStrings {
			if strings.Contains(s, bad) {
				return &ResolveError{Illegal: true, Problems: []string{fmt.Sprintf("Input %q has a value containing illegal string %q.", name, bad)}}
			}
		}
	}
	return nil
}

// commandLineValue renders one input for the command line
// (CS getValueForCommandLine / getMultipleValuesForCommandLine).
func commandLineValue(in *Input, v value) string {
	if v.multi {
		if len(v.list) == 0 {
			return ""
		}
		sep := " "
		if in.Separator != nil && strings.TrimSpace(*in.Separator) != "" {
			sep = *in.Separator
		}
		flag := " "
		if strings.TrimSpace(in.Flag) != "" {
			flag = in.Flag
		}
		prefix := flag + sep
		if strings.TrimSpace(prefix) == "" {
			prefix = ""
		}
		switch in.MultipleDelimiter {
		case "comma":
			return prefix + strings.Join(v.list, ",")
		case "quoted-space":
			return prefix + "'" + strings.Join(v.list, " ") + "'"
		case "flag":
			return prefix + strings.Join(v.list, " "+prefix)
		default: // space
			return prefix + strings.Join(v.list, " ")
		}
	}
	if v.s == nil || strings.TrimSpace(*v.s) == "" {
		return ""
	}
	if strings.TrimSpace(in.Flag) == "" {
		return *v.s
	}
	sep := " "
	if in.Separator != nil {
		sep = *in.Separator
	}
	return in.Flag + sep + *v.s
}

func resolveMounts(c *Command, r *Resolved, l Launch, vals map[string]value) []ResolvedMount {
	files := map[string]value{} // mount → wrapper input providing its files
	if w := r.Wrapper; w != nil {
		for _, group := range [][]WrapperInput{w.ExternalInputs, w.DerivedInputs} {
			for _, in := range group {
				if in.ProvidesFilesFor != "" {
					files[in.ProvidesFilesFor] = vals[in.Name]
				}
			}
		}
	}
	var out []ResolvedMount
	for _, m := range c.Mounts {
		rm := ResolvedMount{Name: m.Name, ContainerPath: r.fill(m.Path), Writable: bool(m.Writable)}
		src, provided := files[m.Name]
		switch {
		case l.Mounts[m.Name] != "":
			rm.HostPath = l.Mounts[m.Name]
		case provided && src.obj != nil:
			rm.HostPath = src.obj.Prop("directory")
		case provided:
			rm.HostPath = src.raw()
		default:
			rm.Output, rm.Writable = true, true
		}
		out = append(out, rm)
	}
	return out
}

func wrapperNames(c *Command) []string {
	var names []string
	for _, w := range c.Wrappers {
		names = append(names, w.Name)
	}
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

func wrapperSuffix(w *Wrapper) string {
	if w == nil {
		return ""
	}
	return " or its wrapper " + fmt.Sprintf("%q", w.Name)
}

func jsonList(s string) ([]string, bool) {
	var list []string
	if !strings.HasPrefix(strings.TrimSpace(s), "[") || json.Unmarshal([]byte(s), &list) != nil {
		return nil, false
	}
	return list, true
}
