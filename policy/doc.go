// Package policy owns xcsproxy's gate: loading a directory of Rego modules and
// data files, compiling them once with unsafe builtins removed, evaluating the
// prepared query data.xcsproxy.decision for each request, hot reload, and the
// test/check/eval operations behind the CLI.
//
// Every path that cannot produce a well-formed decision produces a deny: an
// undefined result, an evaluation error, a timeout and a result of the wrong
// shape all become Decision{Allow: false} with a reason saying which.
package policy
