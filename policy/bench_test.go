package policy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// BenchmarkInterpreterFloor is OPA's own price of a rule on this machine,
// to read the pack's figures against: n rules of two expressions each, none
// of which the rule index can skip (a comparison, not an equality), all
// evaluated on every query. A Container Service create evaluates a few
// hundred expressions (OPA's profiler counts them), so its time is about
// that many times this floor's per-expression cost.
func BenchmarkInterpreterFloor(b *testing.B) {
	input := ast.MustParseTerm(`{"a": {"b0": 1, "b1": 2, "b2": 3, "b3": 4, "b4": 5}}`).Value
	for _, n := range []int{1, 100, 300} {
		var module strings.Builder
		module.WriteString("package floor\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&module, "deny contains %d if { x := input.a.b%d; x > 100 }\n", i, i%5)
		}
		ctx := context.Background()
		query, err := rego.New(rego.Query("data.floor.deny"), rego.Module("floor.rego", module.String())).PrepareForEval(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%d rules", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				rs, err := query.Eval(ctx, rego.EvalParsedInput(input))
				if err != nil {
					b.Fatal(err)
				}
				if got := rs[0].Expressions[0].Value.([]any); len(got) != 0 {
					b.Fatalf("%d rules denied; none should", len(got))
				}
			}
		})
	}
}
