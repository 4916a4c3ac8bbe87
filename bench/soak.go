package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// soakSample is one interval of the long soak.
type soakSample struct {
	At         string  `json:"at"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	RSSMiB     float64 `json:"rss_mib"`
	Goroutines int     `json:"goroutines"`
}

// soak runs the mixed Container Service workload from 32 clients through
// xcsproxy for dur, reporting each interval: requests, errors, latency
// percentiles, RSS and goroutines.
func soak(ctx context.Context, env *environment, dur, every time.Duration) []soakSample {
	const clients = 32
	var mu sync.Mutex
	var lat []time.Duration
	errors := 0
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	record := func(d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errors++
			return
		}
		lat = append(lat, d)
	}
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			hc := unixClient(env.proxySock, 1)
			for time.Now().Before(deadline) {
				start := time.Now()
				var err error
				switch c % 4 {
				case 0, 1:
					err = env.csCycle(ctx, hc)
				case 2:
					now := time.Now().Unix()
					_, err = call(ctx, hc, "GET", fmt.Sprintf("/events?since=%d&until=%d&filters=%s", now-10, now, url.QueryEscape(`{"type":["container"]}`)), "", 200)
				default:
					_, err = call(ctx, hc, "GET", "/containers/json?all=1", "", 200)
				}
				record(time.Since(start), err)
			}
		}(c)
	}
	var samples []soakSample
	tick := time.NewTicker(every)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		<-tick.C
		mu.Lock()
		s := soakSample{At: time.Now().UTC().Format(time.RFC3339), Requests: len(lat), Errors: errors, P50ms: pct(lat, 0.5), P99ms: pct(lat, 0.99)}
		lat, errors = nil, 0
		mu.Unlock()
		s.RSSMiB, s.Goroutines = env.rssMiB(), env.goroutines()
		fmt.Fprintf(os.Stderr, "soak %s: %d requests, %d errors, p50 %.1f ms, p99 %.1f ms, RSS %.1f MiB, %d goroutines\n",
			s.At, s.Requests, s.Errors, s.P50ms, s.P99ms, s.RSSMiB, s.Goroutines)
		samples = append(samples, s)
	}
	wg.Wait()
	return samples
}

func (e *environment) rssMiB() float64 {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.cmd.Process.Pid))
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// goroutines is xcsproxy's goroutine count from its admin metrics (the Go
// collector's go_goroutines), or -1.
func (e *environment) goroutines() int {
	g, ok := e.scrape()["go_goroutines"]
	if !ok || len(g.GetMetric()) == 0 {
		return -1
	}
	return int(g.GetMetric()[0].GetGauge().GetValue())
}
