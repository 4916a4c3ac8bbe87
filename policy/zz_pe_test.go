package policy

import (
	"context"
	"os"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/profiler"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/xcsproxy/xcsproxy/policies"
)

func BenchmarkZZPartial(b *testing.B) {
	ctx := context.Background()
	set, err := Load(ctx, policies.FS)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := os.ReadFile("/tmp/pl/create_input.json")
	var in any
	util.UnmarshalJSON(raw, &in)
	v, err := ast.InterfaceToValue(in)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("prepared", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			d := set.Decide(ctx, v, 0)
			if !d.Allow {
				b.Fatal(d)
			}
		}
	})
	pr, err := set.query(Query).PartialResult(ctx)
	if err != nil {
		b.Fatal(err)
	}
	r := pr.Rego(rego.StrictBuiltinErrors(true))
	pq, err := r.PrepareForEval(ctx)
	if err != nil {
		b.Fatal(err)
	}
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(v))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%v", rs[0].Expressions[0].Value)
	b.Run("partial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			rs, err := pq.Eval(ctx, rego.EvalParsedInput(v))
			if err != nil || len(rs) != 1 {
				b.Fatal(err)
			}
		}
	})
}

func TestZZProfile(t *testing.T) {
	ctx := context.Background()
	set, err := Load(ctx, policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile("/tmp/pl/create_input.json")
	var in any
	util.UnmarshalJSON(raw, &in)
	v, _ := ast.InterfaceToValue(in)
	p := profiler.New()
	r := rego.New(rego.Query(Query), rego.Compiler(set.compiler), rego.Store(set.store), rego.QueryTracer(p), rego.ParsedInput(v))
	for i := 0; i < 200; i++ {
		if _, err := r.Eval(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rep := p.ReportTopNResults(40, []string{"total_time_ns"})
	for _, s := range rep {
		t.Logf("%8d us %5d evals %5d redo %s", s.ExprTimeNs/1000/200, s.NumEval/200, s.NumRedo/200, s.Location)
	}
}
