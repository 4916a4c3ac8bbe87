package main

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ownTime reads xcsproxy's admin metrics at the end of the run and gives,
// for each endpoint of a finite request, the mean time from the request's
// arrival to its forwarding (xcsproxy's own part: facts, decision, audit
// record) and from there to the end of the answer (mostly the daemon's).
// It says where the gap behind a ratio lies, over the whole run.
func (e *environment) ownTime() []result {
	families := e.scrape()
	durations, ok := families["xcsproxy_request_duration_seconds"]
	if !ok {
		return nil
	}
	var out []result
	for _, m := range durations.GetMetric() {
		h := m.GetHistogram()
		if h.GetSampleCount() == 0 {
			continue
		}
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		target := "xcsproxy"
		if labels["part"] == "daemon" {
			target = "daemon"
		}
		n := float64(h.GetSampleCount())
		out = append(out, result{Scenario: "time per " + labels["endpoint"], Target: target,
			Unit: fmt.Sprintf("µs mean (%.0f requests)", n), Value: h.GetSampleSum() / n * 1e6})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Scenario != out[j].Scenario {
			return out[i].Scenario < out[j].Scenario
		}
		return out[i].Target > out[j].Target // xcsproxy's part first
	})
	return out
}

// scrape reads xcsproxy's admin metrics; nil if they cannot be read.
func (e *environment) scrape() map[string]*dto.MetricFamily {
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get("http://" + e.adminAddr + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil
	}
	return families
}
