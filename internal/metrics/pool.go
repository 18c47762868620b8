package metrics

import "github.com/prometheus/client_golang/prometheus"

// PoolStats reports the oci sandbox's containers created ahead of need: how many
// wait, how many environments started in one, and how many had a spec a
// waiting container could not take.
type PoolStats func() (ready int, specialised, unsuited int64)

var (
	poolReadyDesc = prometheus.NewDesc("stratus_sandbox_pool_ready",
		"Containers created ahead of need and waiting for an environment (--sandbox-pool).", nil, nil)
	poolStartsDesc = prometheus.NewDesc("stratus_sandbox_pool_starts_total",
		"Environments started in the oci sandbox by how: pooled (in a container created ahead) or unsuited (a container of its own, the spec did not suit a waiting one).",
		[]string{"how"}, nil)
)

// SetPoolStats adds the pool's gauges, read at scrape time. Call it once.
func (m *Metrics) SetPoolStats(f PoolStats) { m.reg.MustRegister(poolCollector(f)) }

type poolCollector PoolStats

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolReadyDesc
	ch <- poolStartsDesc
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	ready, specialised, unsuited := c()
	ch <- prometheus.MustNewConstMetric(poolReadyDesc, prometheus.GaugeValue, float64(ready))
	ch <- prometheus.MustNewConstMetric(poolStartsDesc, prometheus.CounterValue, float64(specialised), "pooled")
	ch <- prometheus.MustNewConstMetric(poolStartsDesc, prometheus.CounterValue, float64(unsuited), "unsuited")
}
