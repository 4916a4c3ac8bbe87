package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// DefaultTimeout bounds one evaluation; a policy that runs longer denies.
const DefaultTimeout = 2 * time.Second

// Engine decides requests with the current Set. The Set is swapped atomically
// on reload, so a request is always judged by one whole policy revision.
type Engine struct {
	current atomic.Pointer[Set]
	Timeout time.Duration
}

// NewEngine starts an engine with an already loaded set.
func NewEngine(s *Set) *Engine {
	e := &Engine{Timeout: DefaultTimeout}
	e.current.Store(s)
	return e
}

// Current returns the set now deciding requests.
func (e *Engine) Current() *Set { return e.current.Load() }

// Swap installs a new set and returns the previous one.
func (e *Engine) Swap(s *Set) *Set { return e.current.Swap(s) }

// Decide evaluates the decision for one input document. It never returns an
// error: every failure is a deny whose reason says what failed.
func (e *Engine) Decide(ctx context.Context, input map[string]any) Decision {
	key, _ := inputKey(input)
	return e.decide(ctx, key, func() (ast.Value, error) { return ast.InterfaceToValue(input) })
}

// DecideInput decides a typed input. key, when not nil, is the input's
// canonical JSON (Input.AppendJSON) and keys the decision memo; a remembered
// decision costs no conversion and no evaluation.
func (e *Engine) DecideInput(ctx context.Context, in *Input, key []byte) Decision {
	return e.decide(ctx, key, func() (ast.Value, error) { return ast.InterfaceToValue(in.Map()) })
}

func (e *Engine) decide(ctx context.Context, key []byte, value func() (ast.Value, error)) Decision {
	s := e.current.Load()
	if s == nil {
		return deny("policy error: no policy loaded")
	}
	remember := s.memo != nil && key != nil
	var sum memoKey
	if remember {
		sum = memoKeyOf(key)
		if d, hit := s.memo.get(sum); hit {
			return d
		}
	}
	v, err := value()
	if err != nil {
		return deny("policy error: building input: %v", err)
	}
	d := s.Decide(ctx, v, e.Timeout)
	if remember && !strings.HasPrefix(firstReason(d), "policy error:") {
		// Errors and timeouts may pass; only real answers are remembered.
		s.memo.put(sum, d)
	}
	return d
}

func firstReason(d Decision) string {
	if len(d.Reasons) == 0 {
		return ""
	}
	return d.Reasons[0]
}

// Decide evaluates this set's prepared query against a parsed input.
func (s *Set) Decide(ctx context.Context, input ast.Value, timeout time.Duration) Decision {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	rs, err := s.prepared.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return deny("policy error: evaluation timed out after %s", timeout)
		}
		return deny("policy error: %v", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return deny("policy error: %s is undefined for this request", Query)
	}
	if len(rs) > 1 {
		return deny("policy error: %s has %d results, want one", Query, len(rs))
	}
	return decisionFrom(rs[0].Expressions[0].Value)
}

// String is for logs.
func (d Decision) String() string {
	if d.Allow {
		return "allow"
	}
	return fmt.Sprintf("deny %v", d.Reasons)
}
