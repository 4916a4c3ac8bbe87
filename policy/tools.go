package policy

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is one *_test.rego rule's outcome.
type TestResult struct {
	Name   string // package.rule
	File   string
	Pass   bool
	Detail string
}

// RunTests runs every test rule of the set against its own data, the way
// `opa test` would, with the same restricted capabilities as serving.
func (s *Set) RunTests(ctx context.Context) ([]TestResult, error) {
	all := make(map[string]*ast.Module, len(s.Modules)+len(s.Tests))
	for k, m := range s.Modules {
		all[k] = m
	}
	for k, m := range s.Tests {
		all[k] = m
	}
	c, err := compile(all)
	if err != nil {
		return nil, err
	}
	store := inmem.NewFromObject(s.Data)
	ch, err := tester.NewRunner().
		SetCompiler(c).
		SetStore(store).
		SetModules(all).
		RaiseBuiltinErrors(true).
		SetTimeout(30*time.Second).
		RunTests(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("running policy tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		tr := TestResult{Name: r.Package + "." + r.Name, Pass: r.Pass()}
		if r.Location != nil {
			tr.File = r.Location.File
		}
		switch {
		case r.Error != nil:
			tr.Detail = r.Error.Error()
		case r.Fail:
			tr.Detail = "test rule was false or undefined"
		}
		out = append(out, tr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Unformatted lists the Rego files whose bytes differ from `opa fmt` output.
func (s *Set) Unformatted() ([]string, error) {
	var bad []string
	for name, src := range s.Sources {
		want, err := Format(name, src)
		if err != nil {
			return nil, fmt.Errorf("formatting %s: %w", name, err)
		}
		if !bytes.Equal(want, src) {
			bad = append(bad, name)
		}
	}
	sort.Strings(bad)
	return bad, nil
}

// Format returns the opa-fmt form of one Rego source.
func Format(name string, src []byte) ([]byte, error) {
	return format.SourceWithOpts(name, src, format.Opts{RegoVersion: ast.RegoV1})
}

// Value evaluates ref (a rule or a data document, "data.x.y") with no
// input, for tools that must say what the loaded pack says rather than
// what the default pack would. found is false when it is undefined, which
// includes a pack that has no such rule.
func (s *Set) Value(ctx context.Context, ref string) (value any, found bool, err error) {
	if _, err := ast.ParseRef(ref); err != nil {
		return nil, false, fmt.Errorf("%q is not a reference: %w", ref, err)
	}
	rs, err := s.query(ref).Eval(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("evaluating %s: %w", ref, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, false, nil
	}
	return rs[0].Expressions[0].Value, true, nil
}
