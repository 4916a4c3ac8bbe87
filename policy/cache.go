package policy

import (
	"crypto/sha256"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/xcsproxy/xcsproxy/canonjson"
)

// maxCached bounds the decision memo; when full it starts over.
const maxCached = 4096

// memo remembers decisions of one policy Set by their exact input. A Set's
// decision is a pure function of its input when no module calls a
// nondeterministic builtin (time.now_ns, rand.intn, ...): the same bytes in,
// the same decision out. Facts are part of the input and are looked up on
// every request, so a remembered decision never outlives the facts it was
// made on.
//
// Decisions are filed under the SHA-256 of the input rather than the input
// itself: an input is a kilobyte or two, and a full memo of them was most of
// xcsproxy's live heap under a Container Service workload. Finding two inputs
// with one digest is beyond anyone's reach, so a digest names its input.
type memo struct {
	mu        sync.RWMutex
	decisions map[memoKey]Decision
}

// memoKey is the SHA-256 of an input's canonical JSON.
type memoKey [sha256.Size]byte

func memoKeyOf(canonical []byte) memoKey { return sha256.Sum256(canonical) }

func (m *memo) get(key memoKey) (Decision, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	d, ok := m.decisions[key]
	return d, ok
}

func (m *memo) put(key memoKey, d Decision) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.decisions == nil || len(m.decisions) >= maxCached {
		m.decisions = make(map[memoKey]Decision, 256)
	}
	m.decisions[key] = d
}

// inputKey is the input's canonical JSON (map keys sorted); nil when it
// cannot be encoded, which skips the memo.
func inputKey(input map[string]any) ([]byte, bool) {
	b, err := canonjson.Append(nil, input)
	if err != nil {
		return nil, false
	}
	return b, true
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
