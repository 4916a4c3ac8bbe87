package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Command is one XNAT Command definition (CS model/command/auto/Command.java).
type Command struct {
	Name               string            `json:"name"`
	Label              string            `json:"label,omitempty"`
	Description        string            `json:"description,omitempty"`
	Version            string            `json:"version,omitempty"`
	SchemaVersion      string            `json:"schema-version,omitempty"`
	InfoURL            string            `json:"info-url,omitempty"`
	Metadata           json.RawMessage   `json:"command-metadata,omitempty"`
	Image              string            `json:"image"`
	Type               string            `json:"type,omitempty"`
	Index              string            `json:"index,omitempty"`
	Hash               string            `json:"hash,omitempty"`
	ContainerName      string            `json:"container-name,omitempty"`
	WorkingDirectory   string            `json:"working-directory,omitempty"`
	CommandLine        string            `json:"command-line"`
	OverrideEntrypoint Bool              `json:"override-entrypoint,omitempty"`
	Mounts             []Mount           `json:"mounts,omitempty"`
	Environment        map[string]string `json:"environment-variables,omitempty"`
	Ports              map[string]string `json:"ports,omitempty"`
	Inputs             []Input           `json:"inputs,omitempty"`
	Outputs            []Output          `json:"outputs,omitempty"`
	Wrappers           []Wrapper         `json:"xnat,omitempty"`
	ReserveMemory      *int64            `json:"reserve-memory,omitempty"` // MiB
	LimitMemory        *int64            `json:"limit-memory,omitempty"`   // MiB
	LimitCPU           *float64          `json:"limit-cpu,omitempty"`
	Runtime            string            `json:"runtime,omitempty"`
	IpcMode            string            `json:"ipc-mode,omitempty"`
	AutoRemove         *Bool             `json:"auto-remove,omitempty"`
	ShmSize            *int64            `json:"shm-size,omitempty"` // bytes
	Network            string            `json:"network,omitempty"`
	ContainerLabels    map[string]string `json:"container-labels,omitempty"`
	GPUs               string            `json:"gpus,omitempty"`
	GenericResources   map[string]string `json:"generic-resources,omitempty"`
	Ulimits            map[string]string `json:"ulimits,omitempty"`
	Secrets            []Secret          `json:"secrets,omitempty"`
	Visibility         string            `json:"visibility,omitempty"`
}

// Command types.
const (
	TypeDocker = "docker"
	TypeSetup  = "docker-setup"
	TypeWrapup = "docker-wrapup"
)

// Kind is the command's type, docker when unset.
func (c *Command) Kind() string {
	if c.Type == "" {
		return TypeDocker
	}
	return c.Type
}

// Mount is a command mount point.
type Mount struct {
	Name     string `json:"name"`
	Writable Bool   `json:"writable,omitempty"`
	Path     string `json:"path"`
}

// Input is a command input.
type Input struct {
	Name              string   `json:"name"`
	Label             string   `json:"label,omitempty"`
	Description       string   `json:"description,omitempty"`
	Type              string   `json:"type,omitempty"`
	Required          *Bool    `json:"required,omitempty"`
	Matcher           string   `json:"matcher,omitempty"`
	DefaultValue      *String  `json:"default-value,omitempty"`
	ReplacementKey    string   `json:"replacement-key,omitempty"`
	Flag              string   `json:"command-line-flag,omitempty"`
	Separator         *string  `json:"command-line-separator,omitempty"`
	TrueValue         *string  `json:"true-value,omitempty"`
	FalseValue        *string  `json:"false-value,omitempty"`
	SelectValues      []String `json:"select-values,omitempty"`
	MultipleDelimiter string   `json:"multiple-delimiter,omitempty"`
	Sensitive         *Bool    `json:"sensitive,omitempty"`
}

// Key is the input's replacement key, #NAME# by default.
func (in *Input) Key() string { return replacementKey(in.ReplacementKey, in.Name) }

func replacementKey(key, name string) string {
	if strings.TrimSpace(key) != "" {
		return key
	}
	return "#" + name + "#"
}

// Output is a command output.
type Output struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Required    *Bool  `json:"required,omitempty"`
	Mount       string `json:"mount"`
	Path        string `json:"path,omitempty"`
	Glob        string `json:"glob,omitempty"`
}

// Wrapper is an XNAT wrapper (the command's "xnat" entries).
type Wrapper struct {
	Name           string          `json:"name"`
	Label          string          `json:"label,omitempty"`
	Description    string          `json:"description,omitempty"`
	Contexts       []string        `json:"contexts,omitempty"`
	ExternalInputs []WrapperInput  `json:"external-inputs,omitempty"`
	DerivedInputs  []WrapperInput  `json:"derived-inputs,omitempty"`
	OutputHandlers []OutputHandler `json:"output-handlers,omitempty"`
}

// WrapperInput is an external or derived wrapper input.
type WrapperInput struct {
	Name                string  `json:"name"`
	Label               string  `json:"label,omitempty"`
	Description         string  `json:"description,omitempty"`
	Type                string  `json:"type,omitempty"`
	Matcher             string  `json:"matcher,omitempty"`
	DefaultValue        *String `json:"default-value,omitempty"`
	Required            *Bool   `json:"required,omitempty"`
	ReplacementKey      string  `json:"replacement-key,omitempty"`
	Sensitive           *Bool   `json:"sensitive,omitempty"`
	UserSettable        *Bool   `json:"user-settable,omitempty"`
	LoadChildren        *Bool   `json:"load-children,omitempty"`
	ProvidesValueFor    string  `json:"provides-value-for-command-input,omitempty"`
	ProvidesFilesFor    string  `json:"provides-files-for-command-mount,omitempty"`
	ViaSetupCommand     string  `json:"via-setup-command,omitempty"`
	DerivedFrom         string  `json:"derived-from-wrapper-input,omitempty"`
	DerivedFromProperty string  `json:"derived-from-xnat-object-property,omitempty"`
	Multiple            *Bool   `json:"multiple,omitempty"`
	Parser              string  `json:"parser,omitempty"`
}

// Key is the wrapper input's replacement key, #NAME# by default.
func (in *WrapperInput) Key() string { return replacementKey(in.ReplacementKey, in.Name) }

// OutputHandler uploads a command output to XNAT.
type OutputHandler struct {
	Name                 string   `json:"name"`
	AcceptsCommandOutput string   `json:"accepts-command-output"`
	AsAChildOf           string   `json:"as-a-child-of,omitempty"`
	AsAChildOfOld        string   `json:"as-a-child-of-wrapper-input,omitempty"`
	Type                 string   `json:"type,omitempty"`
	XsiType              string   `json:"xsi-type,omitempty"`
	Label                string   `json:"label,omitempty"`
	Format               string   `json:"format,omitempty"`
	Description          string   `json:"description,omitempty"`
	Content              string   `json:"content,omitempty"`
	Tags                 []string `json:"tags,omitempty"`
	ViaWrapupCommand     string   `json:"via-wrapup-command,omitempty"`
}

// Parent is the wrapper input the handler's output becomes a child of.
func (h *OutputHandler) Parent() string {
	if h.AsAChildOf != "" {
		return h.AsAChildOf
	}
	return h.AsAChildOfOld
}

// Secret injects a value from the launching side into the environment.
type Secret struct {
	Source struct {
		Type       string `json:"type"`
		Identifier string `json:"identifier"`
	} `json:"source"`
	Destination struct {
		Type       string `json:"type"`
		Identifier string `json:"identifier"`
	} `json:"destination"`
}

// Bool accepts JSON booleans and the strings "true"/"false", as CS's
// Jackson mapping does ("writable": "false" in real Commands).
type Bool bool

func (b *Bool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case bool:
		*b = Bool(t)
	case string:
		p, err := strconv.ParseBool(strings.TrimSpace(t))
		if err != nil {
			return fmt.Errorf("%q is not a boolean", t)
		}
		*b = Bool(p)
	case nil:
		*b = false
	default:
		return fmt.Errorf("%s is not a boolean", data)
	}
	return nil
}

// String accepts JSON strings and coerces numbers and booleans to their
// text, as CS does for default values.
type String string

func (s *String) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var str string
		if err := json.Unmarshal(data, &str); err != nil {
			return err
		}
		*s = String(str)
		return nil
	}
	switch {
	case bytes.Equal(data, []byte("true")), bytes.Equal(data, []byte("false")):
		*s = String(data)
	case len(data) > 0 && (data[0] == '-' || (data[0] >= '0' && data[0] <= '9')):
		*s = String(data)
	default:
		return fmt.Errorf("%s is not a string, number or boolean", data)
	}
	return nil
}

// boolOr reads an optional flag with its default.
func boolOr(b *Bool, def bool) bool {
	if b == nil {
		return def
	}
	return bool(*b)
}

func strPtr(s *String) *string {
	if s == nil {
		return nil
	}
	v := string(*s)
	return &v
}
