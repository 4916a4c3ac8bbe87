package commands

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Entry is a Command and where it came from.
type Entry struct {
	Command *Command `json:"command"`
	// Source is "file:<path>" or "image:<ref>" (from its org.nrg.commands
	// label).
	Source string `json:"source"`
}

// ImageLabel is one image's org.nrg.commands label.
type ImageLabel struct {
	Ref   string // the name the image is used by; it replaces the Command's image, as in CS
	ID    string
	Label string
}

// Store holds the Commands xcsproxy knows: files from the commands
// directory (which win a name clash) and labels of images in the daemon.
type Store struct {
	mu       sync.RWMutex
	files    map[string]Entry
	labels   map[string]Entry
	problems []string // parse errors, invalid commands and name clashes
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{files: map[string]Entry{}, labels: map[string]Entry{}}
}

// LoadDir replaces the file commands with those in dir: every *.json file
// holds one Command or a JSON array of them. Invalid Commands are left out
// and reported.
func (s *Store) LoadDir(dir string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	files := map[string]Entry{}
	var problems []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		cmds, warnings, err := parseFile(b)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		for _, w := range warnings {
			problems = append(problems, fmt.Sprintf("%s: %s", p, w))
		}
		for _, c := range cmds {
			add(files, c, "file:"+p, &problems)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = files
	s.problems = append(problems, s.clashes()...)
	return nil
}

// SetLabels replaces the label commands with those of the given images.
func (s *Store) SetLabels(images []ImageLabel) {
	labels := map[string]Entry{}
	var problems []string
	for _, img := range images {
		cmds, _, err := ParseLabel(img.Label)
		if err != nil {
			problems = append(problems, fmt.Sprintf("image %s: %v", img.Ref, err))
			continue
		}
		for _, c := range cmds {
			c.Image, c.Hash = img.Ref, img.ID
			add(labels, c, "image:"+img.Ref, &problems)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.labels = labels
	s.problems = append(problems, s.clashes()...)
}

func parseFile(b []byte) ([]*Command, []string, error) {
	if strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
		return ParseLabel(string(b))
	}
	c, w, err := Parse(b)
	if err != nil {
		return nil, nil, err
	}
	return []*Command{c}, w, nil
}

func add(into map[string]Entry, c *Command, source string, problems *[]string) {
	if p := Validate(c); len(p) > 0 {
		*problems = append(*problems, fmt.Sprintf("%s: command %q is invalid and left out: %s", source, c.Name, strings.Join(p, " ")))
		return
	}
	if prev, dup := into[c.Name]; dup {
		*problems = append(*problems, fmt.Sprintf("command name %q is defined by both %s and %s; the first is used", c.Name, prev.Source, source))
		return
	}
	into[c.Name] = Entry{Command: c, Source: source}
}

func (s *Store) clashes() []string {
	var out []string
	for name, l := range s.labels {
		if f, ok := s.files[name]; ok {
			out = append(out, fmt.Sprintf("command name %q is defined by both %s and %s; the file is used", name, f.Source, l.Source))
		}
	}
	sort.Strings(out)
	return out
}

// Get finds a Command by name; files win over image labels.
func (s *Store) Get(name string) (Entry, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e, ok := s.files[name]; ok {
		return e, true
	}
	e, ok := s.labels[name]
	return e, ok
}

// List returns every Command, by name.
func (s *Store) List() []Entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	byName := map[string]Entry{}
	for n, e := range s.labels {
		byName[n] = e
	}
	for n, e := range s.files {
		byName[n] = e
	}
	out := make([]Entry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Command.Name < out[j].Command.Name })
	return out
}

// Problems lists what was left out or clashed at the last load.
func (s *Store) Problems() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.problems...)
}

// MarshalJSON renders an entry for the API with the command inline.
func (e Entry) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Source  string          `json:"source"`
		Command json.RawMessage `json:"command"`
	}{e.Source, Encode(e.Command)})
}
