package gcpace

import "strings"

// The runtime samples allocations for its memory profile from its own first
// allocations on, before any package of the program initialises, and the
// first sample sets aside the profile's hash table: 1.4 MiB, most of it
// touched. Under the budget that table is memory the heap cannot have, and
// on the Container Service's create load the collector ran twice as often
// for it. Only GODEBUG's memprofilerate, which the runtime reads before
// allocating, turns the sampling off in time; a process that wants it off
// has to be started with it.

// WithoutMemProfile returns env with memory profile sampling turned off
// (GODEBUG memprofilerate=0), or nil when env already says how to sample:
// an operator's memprofilerate stands, and a process started from the
// returned env is not to start again.
func WithoutMemProfile(env []string) []string {
	out := make([]string, 0, len(env)+1)
	found := false
	for _, kv := range env {
		value, isGodebug := strings.CutPrefix(kv, "GODEBUG=")
		if !isGodebug {
			out = append(out, kv)
			continue
		}
		for _, setting := range strings.Split(value, ",") {
			if strings.HasPrefix(strings.TrimSpace(setting), "memprofilerate=") {
				return nil
			}
		}
		if value != "" {
			value += ","
		}
		out = append(out, "GODEBUG="+value+"memprofilerate=0")
		found = true
	}
	if !found {
		out = append(out, "GODEBUG=memprofilerate=0")
	}
	return out
}
