package policy

import (
	"encoding/json"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// maxCached bounds the decision memo; when full it starts over.
const maxCached = 4096

// memo remembers decisions of one policy Set by their exact input. A Set's
// decision is a pure function of its input when no module calls a
// nondeterministic builtin (time.now_ns, rand.intn, ...): the same bytes in,
// the same decision out. Facts are part of the input and are looked up on
// every request, so a remembered decision never outlives the facts it was
// made on.
type memo struct {
	mu        sync.Mutex
	decisions map[string]Decision
}

func (m *memo) get(key string) (Decision, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.decisions[key]
	return d, ok
}

func (m *memo) put(key string, d Decision) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.decisions == nil || len(m.decisions) >= maxCached {
		m.decisions = make(map[string]Decision, 256)
	}
	m.decisions[key] = d
}

// inputKey is the input's canonical JSON (map keys sorted).
func inputKey(input map[string]any) (string, bool) {
	b, err := json.Marshal(input)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// deterministic reports whether no module calls a nondeterministic builtin.
func deterministic(modules map[string]*ast.Module) bool {
	ok := true
	for _, m := range modules {
		ast.WalkTerms(m, func(t *ast.Term) bool {
			if call, isCall := t.Value.(ast.Call); isCall && len(call) > 0 {
				if b, known := ast.BuiltinMap[call[0].String()]; known && b.Nondeterministic {
					ok = false
				}
			}
			return !ok
		})
	}
	return ok
}
