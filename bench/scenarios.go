package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// target is a Docker API socket: the daemon itself or a proxy in front.
type target struct {
	name string
	sock string
	pid  int // the process behind sock when the run started it; 0 otherwise
}

type measurement struct {
	value    float64
	p50, p99 float64
	errors   int
}

type scenario struct {
	name    string
	unit    string
	measure func(ctx context.Context, t target) measurement
	// measureAll, when set, measures every target in one go instead, in
	// the targets' order.
	measureAll func(ctx context.Context, ts []target) []measurement
}

// alternating measures all targets in one go: clients concurrent clients
// on each target in turn, block by block, for dur per target in all, so
// the machine's drift (which moves a 3 s round by a tenth or more here)
// falls on every target alike. An op under way when its block ends is
// finished within the block. A target's ops/s is its ops over the time
// its blocks took. probe, when given, reads a counter of a target's
// process (0 for none), before and after each of its blocks; the second
// result is each target's count per op.
func alternating(ctx context.Context, ts []target, clients int, dur, block time.Duration, o op, probe func(target) float64) ([]measurement, []float64) {
	hcs := make([][]*http.Client, len(ts))
	for i, t := range ts {
		for c := 0; c < clients; c++ {
			hcs[i] = append(hcs[i], unixClient(t.sock, 1))
		}
	}
	lat := make([][]time.Duration, len(ts))
	errors := make([]int, len(ts))
	busy := make([]time.Duration, len(ts))
	used := make([]float64, len(ts))
	firsts := make([][]error, len(ts))
	for end := time.Now().Add(dur * time.Duration(len(ts))); time.Now().Before(end); {
		for i := range ts {
			var count0 float64
			if probe != nil {
				count0 = probe(ts[i])
			}
			start := time.Now()
			deadline := start.Add(block)
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, hc := range hcs[i] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					mine, bad, err := runUntil(ctx, deadline, hc, o)
					mu.Lock()
					lat[i] = append(lat[i], mine...)
					errors[i] += bad
					firsts[i] = append(firsts[i], err)
					mu.Unlock()
				}()
			}
			wg.Wait()
			busy[i] += time.Since(start)
			if probe != nil {
				used[i] += probe(ts[i]) - count0
			}
		}
	}
	out := make([]measurement, len(ts))
	perOp := make([]float64, len(ts))
	for i, l := range lat {
		showFirst(ts[i].name, firsts[i])
		out[i] = measurement{value: float64(len(l)) / busy[i].Seconds(), p50: pct(l, 0.50), p99: pct(l, 0.99), errors: errors[i]}
		if len(l) > 0 {
			perOp[i] = used[i] / float64(len(l))
		}
	}
	return out, perOp
}

// oneClient is a one-client scenario taking turns in blocks of about
// block: for one client, a target's ops over the time they took is what a
// run of its own would give.
func oneClient(dur, block time.Duration, o op) func(ctx context.Context, ts []target) []measurement {
	return func(ctx context.Context, ts []target) []measurement {
		ms, _ := alternating(ctx, ts, 1, dur, block, o, nil)
		return ms
	}
}

func scenarios(env *environment, dur time.Duration, logMB int, only string) []scenario {
	all := []scenario{
		{name: "ping, 1 client", unit: "req/s", measureAll: func(ctx context.Context, ts []target) []measurement {
			// A thread woken is a context switch; at one client those,
			// more than the work, are what a proxy's process costs.
			ms, switches := alternating(ctx, ts, 1, dur, 3*time.Millisecond, get("/_ping"), contextSwitches)
			for i, t := range ts {
				if t.pid != 0 && switches[i] > 0 {
					env.pingSwitches[t.name] = append(env.pingSwitches[t.name], switches[i])
				}
			}
			return ms
		}},
		{name: "ping, 16 clients", unit: "req/s", measureAll: func(ctx context.Context, ts []target) []measurement {
			ms, cpu := alternating(ctx, ts, 16, dur, 500*time.Millisecond, get("/_ping"), cpuSeconds)
			for i, t := range ts {
				if t.name == "xcsproxy" && cpu[i] > 0 {
					env.pingCPU = append(env.pingCPU, cpu[i]*1e6)
				}
			}
			return ms
		}},
		{name: "containers/json, 1 client", unit: "req/s", measureAll: oneClient(dur, 3*time.Millisecond, get("/containers/json"))},
		// A block shorter than a cycle: the targets take turns a cycle each.
		{name: "CS cycle, 1 client", unit: "cycles/s", measureAll: oneClient(dur, time.Millisecond, env.csCycle)},
		{name: "CS cycle, 8 clients", unit: "cycles/s", measure: func(ctx context.Context, t target) measurement {
			// One block as long as the round: the targets one after the other.
			// At 8 clients the machine's CPU is the limit, so xcsproxy's own
			// CPU per cycle says more of its share than the ratio, which
			// this VM moves by a tenth from round to round.
			ms, used := alternating(ctx, []target{t}, 8, dur, dur, env.csCycle, cpuSeconds)
			if t.name == "xcsproxy" && used[0] > 0 {
				env.cycleCPU = append(env.cycleCPU, used[0]*1e3)
			}
			return ms[0]
		}},
		{name: fmt.Sprintf("read a %d MB log", logMB), unit: "MB/s", measure: logRead(env, logMB)},
		{name: "event delivery", unit: "ms (lower is better)", measureAll: eventLatency(env)},
	}
	if only == "" {
		return all
	}
	var out []scenario
	for _, sc := range all {
		// A whole name picks that scenario alone: names hold commas.
		if sc.name == strings.TrimSpace(only) {
			return []scenario{sc}
		}
	}
	for _, sc := range all {
		for _, o := range strings.Split(only, ",") {
			if strings.Contains(sc.name, strings.TrimSpace(o)) {
				out = append(out, sc)
				break // once, though several pieces match
			}
		}
	}
	return out
}

type op func(ctx context.Context, hc *http.Client) error

func get(path string) op {
	return func(ctx context.Context, hc *http.Client) error {
		_, err := call(ctx, hc, "GET", path, "", 200)
		return err
	}
}

func call(ctx context.Context, hc *http.Client, method, path, body string, want int) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, "http://docker.socket"+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return b, nil
}

// csCreate is a create body as the Container Service sends it: the
// session's archive directory bound read-only, a fresh build directory for
// the output bound writable.
func (e *environment) csCreate() string {
	out := filepath.Join(e.buildRoot, fmt.Sprintf("job-%d", e.jobs.Add(1)))
	return fmt.Sprintf(`{"Hostname":null,"User":null,"Env":["XNAT_HOST=http://xnat","XNAT_USER=admin","XNAT_PASS=t"],
"Cmd":["sleep"],"Image":"xcsproxy-bench/logger:latest","WorkingDir":null,"Labels":{"XNAT_USER":"admin"},
"HostConfig":{"Binds":[%q,%q],"Memory":0,"MemoryReservation":0,"NanoCpus":0,"AutoRemove":false,"Runtime":null,
"IpcMode":null,"ShmSize":null,"NetworkMode":null,"Ulimits":null}}`, e.session+":/input:ro", out+":/output:rw")
}

// csCycle is the Container Service's life of a job: create, start, read
// stdout, kill, remove.
func (e *environment) csCycle(ctx context.Context, hc *http.Client) error {
	b, err := call(ctx, hc, "POST", "/containers/create", e.csCreate(), 201)
	if err != nil {
		return err
	}
	var c struct{ Id string }
	json.Unmarshal(b, &c)
	defer call(context.Background(), hc, "DELETE", "/containers/"+c.Id+"?force=true", "", 204)
	if _, err := call(ctx, hc, "POST", "/containers/"+c.Id+"/start", "", 204); err != nil {
		return err
	}
	if _, err := call(ctx, hc, "GET", "/containers/"+c.Id+"/logs?stdout=true", "", 200); err != nil {
		return err
	}
	_, err = call(ctx, hc, "POST", "/containers/"+c.Id+"/kill", "", 204)
	return err
}

// runUntil repeats o on one client until deadline, timing each success,
// and returns the first failure too.
func runUntil(ctx context.Context, deadline time.Time, hc *http.Client, o op) (lat []time.Duration, bad int, first error) {
	for time.Now().Before(deadline) {
		s := time.Now()
		if err := o(ctx, hc); err != nil {
			if bad++; bad == 1 {
				first = err
			}
			continue
		}
		lat = append(lat, time.Since(s))
	}
	return lat, bad, first
}

// showFirst shows a target's first failure, once.
func showFirst(name string, errs []error) {
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(os.Stderr, "  %s: %v\n", name, err)
			return
		}
	}
}

func pct(l []time.Duration, p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return float64(l[int(float64(len(l)-1)*p)].Microseconds()) / 1000
}

// logRead makes one container (through xcsproxy, so it is managed) that
// writes mb megabytes, then times reading its whole log.
func logRead(env *environment, mb int) func(ctx context.Context, t target) measurement {
	var once sync.Once
	var id string
	return func(ctx context.Context, t target) measurement {
		once.Do(func() {
			hc := unixClient(env.proxySock, 1)
			b, err := call(ctx, hc, "POST", "/containers/create", fmt.Sprintf(`{"Image":%q,"Cmd":[%q]}`, benchImage, strconv.Itoa(mb)), 201)
			if err != nil {
				fmt.Fprintln(os.Stderr, "log scenario:", err)
				return
			}
			var c struct{ Id string }
			json.Unmarshal(b, &c)
			id = c.Id
			env.kept = append(env.kept, id)
			call(ctx, hc, "POST", "/containers/"+id+"/start", "", 204)
			call(ctx, hc, "POST", "/containers/"+id+"/wait", "", 200)
		})
		if id == "" {
			return measurement{errors: 1}
		}
		hc := unixClient(t.sock, 1)
		start := time.Now()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://docker/containers/"+id+"/logs?stdout=true", nil)
		resp, err := hc.Do(req)
		if err != nil {
			return measurement{errors: 1}
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		secs := time.Since(start).Seconds()
		return measurement{value: float64(n) / 1e6 / secs, p50: secs * 1000}
	}
}

// eventLatency times how long a container's die event takes to reach a
// client subscribed through each target, from the daemon's own timestamp.
// Every target is subscribed at once and hears the same event, so the
// daemon's own delay in sending it, which varies by milliseconds from one
// container to the next, falls on all of them alike.
func eventLatency(env *environment) func(ctx context.Context, ts []target) []measurement {
	return func(ctx context.Context, ts []target) []measurement {
		lat := make([][]time.Duration, len(ts))
		errors := make([]int, len(ts))
		for i := 0; i < 5; i++ {
			ds, err := oneEvent(ctx, env, ts)
			for j := range ts {
				if err == nil && ds[j] >= 0 {
					lat[j] = append(lat[j], ds[j])
					continue
				}
				errors[j]++
				fmt.Fprintf(os.Stderr, "  %s: no die event (%v)\n", ts[j].name, err)
			}
		}
		out := make([]measurement, len(ts))
		for j, l := range lat {
			p50 := pct(l, 0.5)
			out[j] = measurement{value: p50, p50: p50, p99: pct(l, 0.99), errors: errors[j]}
		}
		return out
	}
}

// oneEvent subscribes to die events through every target, makes one
// container exit, and reports when its event reached each subscriber
// (-1: it did not). Each subscription is read from before the container
// starts, so an event is timed as it arrives.
func oneEvent(ctx context.Context, env *environment, ts []target) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	type arrival struct {
		id string
		d  time.Duration
	}
	filters := url.QueryEscape(`{"type":["container"],"event":["die"]}`)
	heard := make([]chan arrival, len(ts))
	for i, t := range ts {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://docker/events?filters="+filters, nil)
		resp, err := unixClient(t.sock, 1).Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		heard[i] = make(chan arrival, 16)
		go func() {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				arrived := time.Now()
				var ev struct {
					ID       string `json:"id"`
					TimeNano int64  `json:"timeNano"`
				}
				if json.Unmarshal(sc.Bytes(), &ev) == nil {
					select {
					case heard[i] <- arrival{ev.ID, arrived.Sub(time.Unix(0, ev.TimeNano))}:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	hc := unixClient(env.proxySock, 1)
	b, err := call(ctx, hc, "POST", "/containers/create", fmt.Sprintf(`{"Image":%q,"Cmd":["0"]}`, benchImage), 201)
	if err != nil {
		return nil, err
	}
	var c struct{ Id string }
	json.Unmarshal(b, &c)
	defer call(context.Background(), hc, "DELETE", "/containers/"+c.Id+"?force=true", "", 204)
	if _, err := call(ctx, hc, "POST", "/containers/"+c.Id+"/start", "", 204); err != nil {
		return nil, err
	}
	out := make([]time.Duration, len(ts))
	for i := range ts {
		out[i] = -1
	wait:
		for {
			select {
			case a := <-heard[i]:
				if a.id == c.Id {
					out[i] = a.d
					break wait
				}
			case <-ctx.Done():
				break wait
			}
		}
	}
	return out, nil
}
