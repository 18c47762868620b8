// Package metrics serves Stratus's Prometheus metrics: Lambda's own CloudWatch
// metrics (invocations, errors, throttles, duration, concurrent executions) and
// Stratus's (cold starts, async queue depth and age, AWS API requests made from
// inside functions), at GET /metrics.
package metrics

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stratus-run/stratus/internal/caller"
	"github.com/stratus-run/stratus/internal/invoke"
)

// QueueStats reports the asynchronous invocation queue: how many events wait and
// how long the oldest has waited (0 when none does).
type QueueStats func() (depth int, oldest time.Duration)

// Metrics is an invoke.Meter that counts into its own Prometheus registry. Build it
// with New; it is ready at once.
type Metrics struct {
	reg         *prometheus.Registry
	invocations *prometheus.CounterVec
	errors      *prometheus.CounterVec
	throttles   *prometheus.CounterVec
	coldStarts  *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	gbSeconds   *prometheus.CounterVec
	fnRequests  *prometheus.CounterVec

	inflight func(yield func(fn *invoke.Function, n int64))
	queue    atomic.Pointer[QueueStats]
}

var (
	_ invoke.Meter    = (*Metrics)(nil)
	_ caller.Observer = (*Metrics)(nil)
)

// New registers Stratus's metrics. inflight (e.g. Engine.Inflight) feeds the
// concurrent-executions gauges at scrape time; nil leaves them at zero.
func New(inflight func(yield func(fn *invoke.Function, n int64))) *Metrics {
	fnLabels := []string{"region", "function", "version"}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stratus_lambda_invocations_total",
			Help: "Invocations that reached a function, by outcome (ok, error, timeout); Lambda's Invocations metric.",
		}, append(fnLabels, "outcome")),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stratus_lambda_errors_total",
			Help: "Invocations that ended in a function error or timeout; Lambda's Errors metric.",
		}, fnLabels),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stratus_lambda_throttles_total",
			Help: "Invocations refused for lack of concurrency; Lambda's Throttles metric.",
		}, fnLabels),
		coldStarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stratus_lambda_cold_starts_total",
			Help: "Invocations that started a new execution environment.",
		}, fnLabels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stratus_lambda_duration_seconds",
			Help: "Time a function spent on an invocation (the REPORT line's Duration); Lambda's Duration metric.",
			// 1 ms to ~16 min: Lambda's range, from a warm echo to the 15-minute timeout.
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 11),
		}, fnLabels),
		gbSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stratus_lambda_billed_gb_seconds_total",
			Help: "Billed duration times memory, in GB-seconds (1 GB = 1024 MB).",
		}, append(fnLabels, "architecture")),
		fnRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stratus_function_aws_requests_total",
			Help: "AWS API requests made from inside functions, by the calling function and version (known from the execution environment the request came from), the SigV4 service, the operation and the HTTP status answered.",
		}, append(fnLabels, "service", "operation", "status")),
		inflight: inflight,
	}
	m.reg.MustRegister(m.invocations, m.errors, m.throttles, m.coldStarts, m.duration, m.gbSeconds, m.fnRequests,
		&concurrency{m: m}, &queueCollector{m: m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Metered implements invoke.Meter.
func (m *Metrics) Metered(u *invoke.Usage) {
	m.invocations.WithLabelValues(u.Region, u.Function, u.Version, string(u.Outcome)).Inc()
	if u.Outcome != invoke.OutcomeOK {
		m.errors.WithLabelValues(u.Region, u.Function, u.Version).Inc()
	}
	if u.ColdStart {
		m.coldStarts.WithLabelValues(u.Region, u.Function, u.Version).Inc()
	}
	m.duration.WithLabelValues(u.Region, u.Function, u.Version).Observe(u.Duration.Seconds())
	gbs := u.Billed.Seconds() * float64(u.MemoryMB) / 1024
	m.gbSeconds.WithLabelValues(u.Region, u.Function, u.Version, u.Architecture).Add(gbs)
}

// Throttled implements invoke.Meter.
func (m *Metrics) Throttled(fn *invoke.Function) {
	m.throttles.WithLabelValues(fn.Region, fn.Name, fn.Version).Inc()
}

// Observe implements caller.Observer: it counts an AWS API request a function made.
func (m *Metrics) Observe(c *caller.Call) {
	m.fnRequests.WithLabelValues(c.Caller.Region, c.Caller.Function, c.Caller.Version, c.Service, c.Operation, strconv.Itoa(c.Status)).Inc()
}

// SetQueueStats registers the async queue's figures; it may be called at any time,
// and again to replace them. Until it is, the queue gauges read zero.
func (m *Metrics) SetQueueStats(f QueueStats) { m.queue.Store(&f) }

// Handler serves the metrics in Prometheus's text (or negotiated) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// concurrency reads in-flight invocations at scrape time, so the invoke path
// keeps no gauge of its own.
type concurrency struct{ m *Metrics }

var (
	concurrentDesc = prometheus.NewDesc("stratus_lambda_concurrent_executions",
		"Invocations in flight per function, all its versions and aliases together (what reserved concurrency limits); Lambda's ConcurrentExecutions metric.",
		[]string{"region", "function"}, nil)
	accountConcurrentDesc = prometheus.NewDesc("stratus_lambda_account_concurrent_executions",
		"Invocations in flight across all functions.", nil, nil)
)

func (c *concurrency) Describe(ch chan<- *prometheus.Desc) {
	ch <- concurrentDesc
	ch <- accountConcurrentDesc
}

func (c *concurrency) Collect(ch chan<- prometheus.Metric) {
	var total int64
	if c.m.inflight != nil {
		c.m.inflight(func(fn *invoke.Function, n int64) {
			total += n
			ch <- prometheus.MustNewConstMetric(concurrentDesc, prometheus.GaugeValue, float64(n), fn.Region, fn.Name)
		})
	}
	ch <- prometheus.MustNewConstMetric(accountConcurrentDesc, prometheus.GaugeValue, float64(total))
}

type queueCollector struct{ m *Metrics }

var (
	queueDepthDesc = prometheus.NewDesc("stratus_async_queue_depth",
		"Asynchronous invocation events waiting to run.", nil, nil)
	queueAgeDesc = prometheus.NewDesc("stratus_async_queue_oldest_event_age_seconds",
		"How long the oldest waiting asynchronous event has waited; Lambda's AsyncEventAge.", nil, nil)
)

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- queueAgeDesc
}

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	var depth int
	var age time.Duration
	if f := q.m.queue.Load(); f != nil && *f != nil {
		depth, age = (*f)()
	}
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(depth))
	ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, age.Seconds())
}
