package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"
)

// ConfigFile is the ops settings file; it is loaded as data.config.
const ConfigFile = "config.yaml"

// Set is one compiled, prepared policy directory. It is immutable once built,
// so the serving path can share it between goroutines without locks.
type Set struct {
	// Revision identifies the exact bytes the set was built from.
	Revision string
	// Modules holds the parsed policy modules, tests excluded.
	Modules map[string]*ast.Module
	// Tests holds the parsed *_test.rego modules.
	Tests map[string]*ast.Module
	// Sources keeps each Rego file's bytes for formatting checks.
	Sources map[string][]byte
	// Data is the merged data document (config.yaml as data.config).
	Data map[string]any

	store    storage.Store
	compiler *ast.Compiler
	prepared rego.PreparedEvalQuery
	// memo caches decisions when the policy is deterministic; nil otherwise.
	memo *memo
}

// ForDeciding drops what only the policy tools use, the parsed tests and
// the sources kept for format checks, and returns the set. A serving
// process holds its set for as long as it runs, and the garbage collector
// marks all of it on every cycle; the tests were a fifth of that heap.
func (s *Set) ForDeciding() *Set {
	s.Tests, s.Sources = nil, nil
	return s
}

// unsafeBuiltinPrefixes are removed from the capabilities: a gate in front of
// root must not reach the network, and opa.runtime would expose the process
// environment (secrets included) to policy authors.
var unsafeBuiltinPrefixes = []string{"http.send", "net.", "opa.runtime"}

// Capabilities returns OPA's capabilities with the unsafe builtins removed.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0]
	for _, b := range caps.Builtins {
		if !isUnsafe(b.Name) {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	empty := []string{}
	caps.AllowNet = empty
	return caps
}

func isUnsafe(name string) bool {
	for _, p := range unsafeBuiltinPrefixes {
		if name == p || (strings.HasSuffix(p, ".") && strings.HasPrefix(name, p)) {
			return true
		}
	}
	return false
}

// Load reads every .rego, .json and .yaml file under fsys, compiles the
// non-test modules strictly and prepares the decision query. The error says
// which file is at fault so an operator can fix it.
func Load(ctx context.Context, fsys fs.FS) (*Set, error) {
	s := &Set{
		Modules: map[string]*ast.Module{},
		Tests:   map[string]*ast.Module{},
		Sources: map[string][]byte{},
		Data:    map[string]any{},
	}
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := d.Name()
		if p != "." && strings.HasPrefix(base, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		switch path.Ext(base) {
		case ".rego", ".json", ".yaml", ".yml":
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading policy directory: %w", err)
	}
	sort.Strings(names)
	sum := sha256.New()
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(b))
		sum.Write(b)
		if path.Ext(name) == ".rego" {
			mod, err := ast.ParseModuleWithOpts(name, string(b), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
			if err != nil {
				return nil, fmt.Errorf("parsing %s: %w", name, err)
			}
			s.Sources[name] = b
			if strings.HasSuffix(name, "_test.rego") {
				s.Tests[name] = mod
			} else {
				s.Modules[name] = mod
			}
			continue
		}
		if err := mergeDataFile(s.Data, name, b); err != nil {
			return nil, err
		}
	}
	if len(s.Modules) == 0 {
		return nil, fmt.Errorf("no policy modules (*.rego) found")
	}
	s.Revision = hex.EncodeToString(sum.Sum(nil))[:12]
	s.compiler, err = compile(s.Modules)
	if err != nil {
		return nil, err
	}
	s.store = inmem.NewFromObjectWithOpts(s.Data, inmem.OptReturnASTValuesOnRead(true))
	s.prepared, err = s.query(Query).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("preparing %s: %w", Query, err)
	}
	if deterministic(s.Modules) {
		s.memo = &memo{}
	}
	if !definesDecision(s.compiler) {
		return nil, fmt.Errorf("no module defines %s (package xcsproxy, rule decision)", Query)
	}
	if err := s.checkConfig(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// query is q over this set's modules and data; a builtin's error fails the
// evaluation rather than leaving the expression undefined.
func (s *Set) query(q string) *rego.Rego {
	return rego.New(rego.Query(q), rego.Compiler(s.compiler), rego.Store(s.store), rego.StrictBuiltinErrors(true))
}

// ConfigErrorsQuery is the set of messages a pack may define about its own
// config.yaml; a directory for which it is not empty does not load.
const ConfigErrorsQuery = "data.xcsproxy.config.errors"

// checkConfig refuses a config.yaml the pack's own schema finds fault with:
// a setting of the wrong type is read in a way nobody meant (the string "no"
// is true to a rule), so it must not reach a decision.
func (s *Set) checkConfig(ctx context.Context) error {
	if len(s.compiler.GetRulesExact(ast.MustParseRef(ConfigErrorsQuery))) == 0 {
		return nil
	}
	rs, err := s.query(ConfigErrorsQuery).Eval(ctx)
	if err != nil {
		return fmt.Errorf("checking %s: %w", ConfigFile, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil
	}
	found, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return fmt.Errorf("checking %s: %s is not a set of messages", ConfigFile, ConfigErrorsQuery)
	}
	if len(found) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(found))
	for _, m := range found {
		msgs = append(msgs, fmt.Sprint(m))
	}
	sort.Strings(msgs)
	return fmt.Errorf("%s: %s", ConfigFile, strings.Join(msgs, "; "))
}

func compile(modules map[string]*ast.Module) (*ast.Compiler, error) {
	c := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithStrict(true).
		WithEnablePrintStatements(false)
	c.Compile(modules)
	if c.Failed() {
		return nil, fmt.Errorf("compiling policy: %w", c.Errors)
	}
	return c, nil
}

func definesDecision(c *ast.Compiler) bool {
	return len(c.GetRulesExact(ast.MustParseRef(Query))) > 0
}

// mergeDataFile places a data file's document in data: config.yaml at
// data.config, dir/name.yaml at data.dir.name.
func mergeDataFile(data map[string]any, name string, b []byte) error {
	var doc any
	if err := util.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("parsing data file %s: %w", name, err)
	}
	key := strings.TrimSuffix(name, path.Ext(name))
	if name == ConfigFile {
		key = "config"
	}
	parts := strings.Split(key, "/")
	node := data
	for _, p := range parts[:len(parts)-1] {
		next, ok := node[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			node[p] = next
		}
		node = next
	}
	last := parts[len(parts)-1]
	if _, dup := node[last]; dup {
		return fmt.Errorf("data file %s collides with another data document at data.%s", name, strings.ReplaceAll(key, "/", "."))
	}
	node[last] = doc
	return nil
}
