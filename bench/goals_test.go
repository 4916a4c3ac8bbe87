package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestGoalsAreReadFromTheRunsFigures(t *testing.T) {
	ping := func(target string, ratio float64, errors int) result {
		return result{Scenario: "ping, 1 client", Target: target, Unit: "req/s", Value: 1000 * ratio, Ratio: ratio, Errors: errors}
	}
	cases := []struct {
		name    string
		results []result
		what    string
		got     string
		relay   string
		held    bool
	}{
		{name: "a ratio at the limit holds",
			results: []result{ping("xcsproxy", 0.55, 0)},
			what:    "/_ping, 1 client: at least 0.55x direct", got: "0.55x", held: true},
		{name: "a ratio that rounds to the limit holds, as it is shown",
			results: []result{ping("xcsproxy", 0.5497, 0)},
			what:    "/_ping, 1 client: at least 0.55x direct", got: "0.55x", held: true},
		{name: "a ratio below the limit does not, and the relay's ratio is shown beside it",
			results: []result{ping("xcsproxy", 0.52, 0), ping(relayTarget, 0.69, 0)},
			what:    "/_ping, 1 client: at least 0.55x direct", got: "0.52x", relay: "0.69x", held: false},
		{name: "a cycle's goal is on time, the inverse of its rate ratio",
			results: []result{{Scenario: "CS cycle, 8 clients", Target: "xcsproxy", Unit: "cycles/s", Value: 20, Ratio: 0.9}},
			what:    "CS cycle, 8 clients: at most 1.05x direct time", got: "1.11x", held: false},
		{name: "the log's goal finds its scenario whatever size the run read",
			results: []result{{Scenario: "read a 8 MB log", Target: "xcsproxy", Unit: "MB/s", Value: 900, Ratio: 0.9}},
			what:    "a large container log: at least 0.85x direct MB/s", got: "0.90x", held: true},
		{name: "a process figure over its limit does not hold",
			results: []result{{Scenario: "process", Target: "xcsproxy", Unit: "MiB RSS", Value: 41.5}},
			what:    "RSS after the run: at most 40 MiB", got: "41.5", held: false},
		{name: "one error in any scenario fails the errors goal",
			results: []result{ping("xcsproxy", 0.6, 0), {Scenario: "containers/json, 1 client", Target: "xcsproxy", Ratio: 0.6, Errors: 1}},
			what:    "no request through xcsproxy fails", got: "1 errors", held: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var found bool
			for _, v := range checkGoals(c.results) {
				if v.what != c.what {
					continue
				}
				found = true
				if v.got != c.got || v.relay != c.relay || v.held != c.held {
					t.Errorf("got %q (relay %q, held %v), want %q (relay %q, held %v)", v.got, v.relay, v.held, c.got, c.relay, c.held)
				}
			}
			if !found {
				t.Errorf("no verdict on %q among %+v", c.what, checkGoals(c.results))
			}
		})
	}
}

func TestAGoalWhoseScenarioDidNotRunIsLeftOut(t *testing.T) {
	vs := checkGoals([]result{{Scenario: "ping, 16 clients", Target: "xcsproxy", Unit: "req/s", Value: 5000, Ratio: 0.47}})
	var whats []string
	for _, v := range vs {
		whats = append(whats, v.what)
	}
	want := []string{"/_ping, 16 clients: at least 0.45x direct", "no request through xcsproxy fails"}
	if strings.Join(whats, "|") != strings.Join(want, "|") {
		t.Errorf("verdicts on %q, want only %q", whats, want)
	}
	var out bytes.Buffer
	printGoals(&out, vs)
	if !strings.Contains(out.String(), "0.47x") || !strings.Contains(out.String(), "yes") {
		t.Errorf("the printed goals lack the figure or the verdict:\n%s", out.String())
	}
}
