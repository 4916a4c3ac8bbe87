// Command bench measures xcsproxy against the direct Docker socket (and any
// peer proxies) in one run, with interleaved rounds, and reports medians
// and ratios to direct. Run it with `go run ./bench`; see README.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// auditSync is passed to the xcsproxy under test.
var auditSync = "batch"

type peerFlags []string

func (p *peerFlags) String() string     { return strings.Join(*p, ",") }
func (p *peerFlags) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	serveRelayIfAsked()
	var peers peerFlags
	rounds := flag.Int("rounds", 3, "interleaved rounds; medians are reported")
	dur := flag.Duration("duration", 3*time.Second, "length of each throughput measurement")
	logMB := flag.Int("log-mb", 56, "size of the container log read in the log scenario")
	asJSON := flag.Bool("json", false, "print results as JSON")
	only := flag.String("only", "", "run only the scenario with this whole name, or those whose names contain one of these comma-separated pieces (default: all)")
	flag.StringVar(&auditSync, "audit-sync", "batch", "xcsproxy's --audit-sync for the run (always, batch, none)")
	soakFor := flag.Duration("soak", 0, "instead of the scenarios: run the mixed Container Service workload from 32 clients this long")
	soakEvery := flag.Duration("soak-every", time.Minute, "reporting interval of --soak")
	flag.Var(&peers, "peer", "NAME=unix:///path of another proxy to measure (repeatable)")
	reference := flag.Bool("reference", false, "also measure a relay that parses nothing (any proxy's floor here) and xcsproxy with its audit log off")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	env, err := setup(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench setup:", err)
		os.Exit(1)
	}
	defer env.close()
	if *soakFor > 0 {
		samples := soak(ctx, env, *soakFor, *soakEvery)
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(samples)
		return
	}
	targets := []target{{name: "direct", sock: "/var/run/docker.sock"}, {name: "xcsproxy", sock: env.proxySock, pid: env.cmd.Process.Pid}}
	for _, p := range peers {
		name, addr, ok := strings.Cut(p, "=")
		if !ok || !strings.HasPrefix(addr, "unix://") {
			fmt.Fprintf(os.Stderr, "--peer %q: want NAME=unix:///path\n", p)
			os.Exit(2)
		}
		targets = append(targets, target{name: name, sock: strings.TrimPrefix(addr, "unix://")})
	}
	if *reference {
		refs, err := env.startReferences()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench --reference:", err)
			env.close()
			os.Exit(1)
		}
		targets = append(targets, refs...)
	}
	results := run(ctx, env, targets, scenarios(env, *dur, *logMB, *only), *rounds)
	results = append(results, env.processFigures()...)
	results = append(results, env.ownTime()...)
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(results)
		return
	}
	printTable(results)
	printGoals(os.Stdout, checkGoals(results))
}

// result is one scenario's median figures for one target.
type result struct {
	Scenario string  `json:"scenario"`
	Target   string  `json:"target"`
	Unit     string  `json:"unit"`
	Value    float64 `json:"value"` // throughput in Unit (or the figure itself)
	P50ms    float64 `json:"p50_ms,omitempty"`
	P99ms    float64 `json:"p99_ms,omitempty"`
	Ratio    float64 `json:"ratio_to_direct,omitempty"`
	// RatioMin and RatioMax span the ratios of the rounds, each to the
	// direct socket in the same round: how far this machine's noise moves
	// the figure.
	RatioMin float64 `json:"ratio_min,omitempty"`
	RatioMax float64 `json:"ratio_max,omitempty"`
	Errors   int     `json:"errors"`
}

// run measures every scenario on every target, rounds times, interleaving
// targets within a round so drift hits all of them alike.
func run(ctx context.Context, env *environment, targets []target, scs []scenario, rounds int) []result {
	var out []result
	for _, sc := range scs {
		samples := map[string][]measurement{}
		for r := 0; r < rounds; r++ {
			var ms []measurement
			if sc.measureAll != nil {
				ms = sc.measureAll(ctx, targets)
			} else {
				for _, t := range targets {
					ms = append(ms, sc.measure(ctx, t))
				}
			}
			for i, t := range targets {
				m := ms[i]
				samples[t.name] = append(samples[t.name], m)
				fmt.Fprintf(os.Stderr, "%-22s round %d %-10s %10.1f %s (errors %d)\n", sc.name, r+1, t.name, m.value, sc.unit, m.errors)
			}
		}
		var direct float64
		for _, t := range targets {
			med := median(samples[t.name])
			res := result{Scenario: sc.name, Target: t.name, Unit: sc.unit, Value: med.value, P50ms: med.p50, P99ms: med.p99, Errors: med.errors}
			if t.name == "direct" {
				direct = med.value
			} else if direct > 0 {
				res.Ratio = med.value / direct
				res.RatioMin, res.RatioMax = roundRatios(samples[t.name], samples["direct"])
			}
			out = append(out, res)
		}
	}
	return out
}

// roundRatios is the smallest and largest of the rounds' ratios to the
// direct socket, round i against round i.
func roundRatios(ms, direct []measurement) (lo, hi float64) {
	for i := range ms {
		if i >= len(direct) || direct[i].value <= 0 {
			continue
		}
		r := ms[i].value / direct[i].value
		if lo == 0 || r < lo {
			lo = r
		}
		hi = max(hi, r)
	}
	return lo, hi
}

// median leaves ms in round order (roundRatios pairs rounds by index).
func median(ms []measurement) measurement {
	ms = slices.Clone(ms)
	sort.Slice(ms, func(i, j int) bool { return ms[i].value < ms[j].value })
	m := ms[len(ms)/2]
	for _, x := range ms {
		if x.errors > m.errors {
			m.errors = x.errors // report the worst round's errors
		}
	}
	return m
}

func printTable(results []result) {
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\ttarget\tvalue\tunit\tp50 ms\tp99 ms\tvs direct\tby round\terrors\t")
	for _, r := range results {
		ratio, spread := "", ""
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2fx", r.Ratio)
			spread = fmt.Sprintf("%.2f-%.2fx", r.RatioMin, r.RatioMax)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\t%.3f\t%.3f\t%s\t%s\t%d\t\n", r.Scenario, r.Target, r.Value, r.Unit, r.P50ms, r.P99ms, ratio, spread, r.Errors)
	}
	tw.Flush()
}
