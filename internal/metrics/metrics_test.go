package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stratus-run/stratus/internal/invoke"
)

// scrape serves m's handler and parses the text format.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	m.Handler().ServeHTTP(rec, req)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, rec.Body.String())
	}
	return fams
}

func TestQueueAndConcurrencyGauges(t *testing.T) {
	fn := &invoke.Function{Region: "us-east-1", Name: "f", Version: "$LATEST"}
	m := New(func(yield func(*invoke.Function, int64)) { yield(fn, 3) })
	fams := scrape(t, m)
	if v := fams["stratus_async_queue_depth"].GetMetric()[0].GetGauge().GetValue(); v != 0 {
		t.Errorf("depth before registration = %v", v)
	}
	m.SetQueueStats(func() (int, time.Duration) { return 7, 1500 * time.Millisecond })
	fams = scrape(t, m)
	if v := fams["stratus_async_queue_depth"].GetMetric()[0].GetGauge().GetValue(); v != 7 {
		t.Errorf("depth = %v", v)
	}
	if v := fams["stratus_async_queue_oldest_event_age_seconds"].GetMetric()[0].GetGauge().GetValue(); v != 1.5 {
		t.Errorf("age = %v", v)
	}
	if v := fams["stratus_lambda_concurrent_executions"].GetMetric()[0].GetGauge().GetValue(); v != 3 {
		t.Errorf("concurrent = %v", v)
	}
	if v := fams["stratus_lambda_account_concurrent_executions"].GetMetric()[0].GetGauge().GetValue(); v != 3 {
		t.Errorf("account concurrent = %v", v)
	}
}

func TestMeteredCounts(t *testing.T) {
	m := New(nil)
	fn := &invoke.Function{Region: "us-east-1", Name: "f", Version: "$LATEST"}
	u := &invoke.Usage{Region: "us-east-1", Function: "f", Version: "$LATEST", Architecture: "arm64", MemoryMB: 512,
		Duration: 3 * time.Millisecond, Billed: 2 * time.Second, Outcome: invoke.OutcomeOK, ColdStart: true}
	m.Metered(u)
	u.Outcome, u.ColdStart = invoke.OutcomeTimeout, false
	m.Metered(u)
	m.Throttled(fn)
	fams := scrape(t, m)
	inv := map[string]float64{}
	for _, mt := range fams["stratus_lambda_invocations_total"].GetMetric() {
		for _, l := range mt.GetLabel() {
			if l.GetName() == "outcome" {
				inv[l.GetValue()] = mt.GetCounter().GetValue()
			}
		}
	}
	if inv["ok"] != 1 || inv["timeout"] != 1 {
		t.Errorf("invocations %v", inv)
	}
	for name, want := range map[string]float64{"stratus_lambda_errors_total": 1, "stratus_lambda_throttles_total": 1,
		"stratus_lambda_cold_starts_total": 1, "stratus_lambda_billed_gb_seconds_total": 2} { // 2 × 2 s × 0.5 GB
		if got := fams[name].GetMetric()[0].GetCounter().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := fams["stratus_lambda_duration_seconds"].GetMetric()[0].GetHistogram().GetSampleCount(); got != 2 {
		t.Errorf("duration samples = %v", got)
	}
}
