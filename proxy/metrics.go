package proxy

import (
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are xcsproxy's Prometheus series. The proxy fills the request,
// policy, audit and stream series; the caller registers the whole set and
// reports policy reloads.
type Metrics struct {
	Requests      *prometheus.CounterVec   // endpoint, decision
	Duration      *prometheus.HistogramVec // endpoint, part (proxy | daemon)
	PolicyEval    prometheus.Histogram
	PolicyReloads *prometheus.CounterVec // result
	AuditWrite    prometheus.Histogram
	AuditFailures prometheus.Counter
	OpenStreams   prometheus.Gauge
	OpenTunnels   prometheus.Gauge
	BuildInfo     *prometheus.GaugeVec
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer, version string) *Metrics {
	buckets := []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xcsproxy_requests_total",
			Help: "Requests by endpoint and decision (allow, deny, refused: malformed or no audit)."}, []string{"endpoint", "decision"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "xcsproxy_request_duration_seconds",
			Help: "Time of finite requests, split into xcsproxy's own part and the daemon's.", Buckets: buckets}, []string{"endpoint", "part"}),
		PolicyEval: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "xcsproxy_policy_evaluation_seconds",
			Help: "Time to decide one request with the policy.", Buckets: buckets}),
		PolicyReloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xcsproxy_policy_reloads_total",
			Help: "Policy reloads by result (ok, error)."}, []string{"result"}),
		AuditWrite: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "xcsproxy_audit_write_seconds",
			Help: "Time to write one audit record.", Buckets: buckets}),
		AuditFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "xcsproxy_audit_write_failures_total",
			Help: "Audit records that could not be written (their requests were refused)."}),
		OpenStreams: prometheus.NewGauge(prometheus.GaugeOpts{Name: "xcsproxy_open_streams",
			Help: "Streaming responses (events, logs, pulls, waits) now open."}),
		OpenTunnels: prometheus.NewGauge(prometheus.GaugeOpts{Name: "xcsproxy_open_tunnels",
			Help: "Attach and exec tunnels now open."}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "xcsproxy_build_info",
			Help: "Always 1; the labels say which build runs."}, []string{"version", "goversion"}),
	}
	m.BuildInfo.WithLabelValues(version, runtime.Version()).Set(1)
	for _, result := range []string{"ok", "error"} {
		m.PolicyReloads.WithLabelValues(result) // present at 0 from the start
	}
	reg.MustRegister(m.Requests, m.Duration, m.PolicyEval, m.PolicyReloads, m.AuditWrite, m.AuditFailures, m.OpenStreams, m.OpenTunnels, m.BuildInfo)
	return m
}

// The methods below do nothing on a nil *Metrics, so the proxy runs the
// same with metrics off.

func (m *Metrics) request(endpoint, decision string) {
	if m != nil {
		m.Requests.WithLabelValues(endpoint, decision).Inc()
	}
}

func (m *Metrics) duration(endpoint, part string, d time.Duration) {
	if m != nil {
		m.Duration.WithLabelValues(endpoint, part).Observe(d.Seconds())
	}
}

func (m *Metrics) eval(d time.Duration) {
	if m != nil {
		m.PolicyEval.Observe(d.Seconds())
	}
}

func (m *Metrics) auditWrite(d time.Duration, err error) {
	if m == nil {
		return
	}
	m.AuditWrite.Observe(d.Seconds())
	if err != nil {
		m.AuditFailures.Inc()
	}
}

func (m *Metrics) gauge(g func(*Metrics) prometheus.Gauge, delta float64) {
	if m != nil {
		g(m).Add(delta)
	}
}
