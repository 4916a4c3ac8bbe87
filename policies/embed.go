// Package policies is the default policy pack compiled into the xcsproxy
// binary: Rego modules, their tests, and config.yaml with the ops settings.
// Operators copy this directory, edit it and point --policies at the copy.
package policies

import "embed"

// FS holds the pack's files.
//
//go:embed *.rego config.yaml README.md
var FS embed.FS
