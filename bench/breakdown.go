package main

import (
	"bufio"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ownTime reads xcsproxy's admin metrics at the end of the run and gives,
// for each endpoint of a finite request, the mean time from the request's
// arrival to its forwarding (xcsproxy's own part: facts, decision, audit
// record) and from there to the end of the answer (mostly the daemon's).
// It says where the gap behind a ratio lies, over the whole run.
func (e *environment) ownTime() []result {
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get("http://" + e.adminAddr + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	type key struct{ endpoint, part string }
	sums, counts := map[key]float64{}, map[key]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, labels, value, ok := metricLine(sc.Text())
		if !ok {
			continue
		}
		k := key{labels["endpoint"], labels["part"]}
		switch name {
		case "xcsproxy_request_duration_seconds_sum":
			sums[k] = value
		case "xcsproxy_request_duration_seconds_count":
			counts[k] = value
		}
	}
	var out []result
	for k, n := range counts {
		if n == 0 {
			continue
		}
		target := "xcsproxy"
		if k.part == "daemon" {
			target = "daemon"
		}
		out = append(out, result{Scenario: "time per " + k.endpoint, Target: target, Unit: fmt.Sprintf("µs mean (%.0f requests)", n), Value: sums[k] / n * 1e6})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Scenario != out[j].Scenario {
			return out[i].Scenario < out[j].Scenario
		}
		return out[i].Target > out[j].Target // xcsproxy's part first
	})
	return out
}

// metricLine splits one sample of Prometheus's text format,
// `name{k="v",...} value`; label values here hold no quotes or commas.
func metricLine(line string) (name string, labels map[string]string, value float64, ok bool) {
	open := strings.IndexByte(line, '{')
	end := strings.LastIndexByte(line, '}')
	if strings.HasPrefix(line, "#") || open < 0 || end < open {
		return "", nil, 0, false
	}
	labels = map[string]string{}
	for _, pair := range strings.Split(line[open+1:end], ",") {
		k, v, found := strings.Cut(pair, "=")
		if found {
			labels[k] = strings.Trim(v, `"`)
		}
	}
	value, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
	return line[:open], labels, value, err == nil
}
