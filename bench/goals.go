package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// A goal is one of the performance targets the README lists, read from
// this run's figures for xcsproxy. The relay's figure, when the run has
// one, is shown beside it: no proxy on this machine gets past it.
type goal struct {
	what     string
	scenario string // the result read
	prefix   bool   // scenario is the start of the name (the log's holds its size)
	unit     string // for a process figure, the result's unit
	limit    float64
	atLeast  bool // the figure must reach limit; otherwise stay within it
	// time says the limit is on xcsproxy's time per cycle against the
	// direct socket's, the inverse of its rate ratio.
	time bool
}

var goals = []goal{
	{what: "/_ping, 1 client: at least 0.55x direct", scenario: "ping, 1 client", limit: 0.55, atLeast: true},
	{what: "/_ping, 16 clients: at least 0.45x direct", scenario: "ping, 16 clients", limit: 0.45, atLeast: true},
	{what: "/containers/json, 1 client: at least 0.60x direct", scenario: "containers/json, 1 client", limit: 0.60, atLeast: true},
	{what: "a large container log: at least 0.85x direct MB/s", scenario: "read a ", prefix: true, limit: 0.85, atLeast: true},
	{what: "CS cycle, 1 client: at most 1.05x direct time", scenario: "CS cycle, 1 client", limit: 1.05, time: true},
	{what: "CS cycle, 8 clients: at most 1.05x direct time", scenario: "CS cycle, 8 clients", limit: 1.05, time: true},
	{what: "CPU per /_ping at 16 clients: at most 120 µs", scenario: "process", unit: "µs CPU per ping (16 clients)", limit: 120},
	{what: "RSS after the run: at most 40 MiB", scenario: "process", unit: "MiB RSS", limit: 40},
}

// verdict is one goal as this run found it.
type verdict struct {
	what  string
	got   string
	relay string // "" without --reference, or for a figure the relay has none of
	held  bool
}

// checkGoals reads each goal whose scenario ran, and then whether any
// request through xcsproxy failed, which no scenario may have.
func checkGoals(results []result) []verdict {
	var out []verdict
	for _, g := range goals {
		x, ok := g.find(results, "xcsproxy")
		if !ok {
			continue
		}
		// Judged as shown: a ratio printed as 0.55x is not a miss of 0.55.
		figure := g.round(g.figure(x))
		v := verdict{what: g.what, got: g.format(figure)}
		if g.atLeast {
			v.held = figure >= g.limit
		} else {
			v.held = figure <= g.limit
		}
		if r, ok := g.find(results, relayTarget); ok && g.unit == "" {
			v.relay = g.format(g.figure(r))
		}
		out = append(out, v)
	}
	errs := 0
	for _, r := range results {
		if r.Target == "xcsproxy" {
			errs += r.Errors // a figure that is no scenario's has none
		}
	}
	return append(out, verdict{what: "no request through xcsproxy fails", got: fmt.Sprintf("%d errors", errs), held: errs == 0})
}

// figure is what the goal's limit applies to in r: a process figure
// itself, a cycle's time against the direct socket's, or a rate ratio.
func (g goal) figure(r result) float64 {
	switch {
	case g.unit != "":
		return r.Value
	case g.time:
		return 1 / r.Ratio
	default:
		return r.Ratio
	}
}

// round and format give a figure as the table shows it: a ratio to two
// places, a process figure to one.
func (g goal) round(f float64) float64 {
	if g.unit != "" {
		return math.Round(f*10) / 10
	}
	return math.Round(f*100) / 100
}

func (g goal) format(f float64) string {
	if g.unit != "" {
		return fmt.Sprintf("%.1f", f)
	}
	return fmt.Sprintf("%.2fx", f)
}

// find is target's result for the goal's scenario; a ratio goal needs a
// ratio (a direct figure to compare with) to be read at all.
func (g goal) find(results []result, target string) (result, bool) {
	for _, r := range results {
		if r.Target != target || (g.unit != "" && r.Unit != g.unit) {
			continue
		}
		named := r.Scenario == g.scenario || g.prefix && strings.HasPrefix(r.Scenario, g.scenario)
		if named && (g.unit != "" || r.Ratio > 0) {
			return r, true
		}
	}
	return result{}, false
}

func printGoals(w io.Writer, vs []verdict) {
	if len(vs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\ngoal\txcsproxy\trelay (floor)\theld\t")
	for _, v := range vs {
		held := "no"
		if v.held {
			held = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", v.what, v.got, v.relay, held)
	}
	tw.Flush()
}
