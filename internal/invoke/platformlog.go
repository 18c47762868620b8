package invoke

import (
	"encoding/json"
	"math"
	"time"
)

// Log formats and levels of a function's LoggingConfig, as Lambda names them.
const (
	LogFormatText = "Text"
	LogFormatJSON = "JSON"
)

// report is what an invocation's REPORT line says.
type report struct {
	id      string
	dur     time.Duration
	billed  time.Duration
	memMB   int
	maxMem  int64
	initDur time.Duration
	status  string // "", "error" or "timeout"
	errType string
}

// platformLines are the platform's log lines for one function: the text lines
// Lambda has always written (START, END, REPORT), or with LogFormat JSON the JSON
// system log records that replace them (platform.start, platform.report), which a
// SystemLogLevel above INFO silences.
type platformLines struct {
	json   bool
	silent bool
}

func newPlatformLines(fn *Function) platformLines {
	if fn.LogFormat != LogFormatJSON {
		return platformLines{}
	}
	return platformLines{json: true, silent: fn.SystemLogLevel == "WARN" || fn.SystemLogLevel == "ERROR" || fn.SystemLogLevel == "FATAL"}
}

// start returns the START line, or "" when there is none to write.
func (p platformLines) start(id, version string) string {
	switch {
	case p.silent:
		return ""
	case p.json:
		return systemRecord("platform.start", struct {
			RequestID string `json:"requestId"`
			Version   string `json:"version"`
		}{id, version})
	}
	return "START RequestId: " + id + " Version: " + version
}

// end returns the END line; JSON system logs have none.
func (p platformLines) end(id string) string {
	if p.json {
		return ""
	}
	return "END RequestId: " + id
}

// report returns the REPORT line.
func (p platformLines) report(r report) string {
	switch {
	case p.silent:
		return ""
	case p.json:
		type metrics struct {
			DurationMs       float64  `json:"durationMs"`
			BilledDurationMs int64    `json:"billedDurationMs"`
			MemorySizeMB     int      `json:"memorySizeMB"`
			MaxMemoryUsedMB  int64    `json:"maxMemoryUsedMB"`
			InitDurationMs   *float64 `json:"initDurationMs,omitempty"`
		}
		rec := struct {
			RequestID string  `json:"requestId"`
			Metrics   metrics `json:"metrics"`
			Status    string  `json:"status"`
			ErrorType string  `json:"errorType,omitempty"`
		}{RequestID: r.id, Status: "success", ErrorType: r.errType, Metrics: metrics{
			DurationMs:       round2(ms(r.dur)),
			BilledDurationMs: int64(r.billed / time.Millisecond),
			MemorySizeMB:     r.memMB,
			MaxMemoryUsedMB:  (r.maxMem + (1 << 20) - 1) >> 20,
		}}
		if r.status != "" {
			rec.Status = r.status
		}
		if r.initDur > 0 {
			v := round2(ms(r.initDur))
			rec.Metrics.InitDurationMs = &v
		}
		return systemRecord("platform.report", rec)
	}
	return reportLine(r.id, r.dur, r.billed, r.memMB, r.maxMem, r.initDur, r.status, r.errType)
}

// systemRecord is one JSON system log record: {"time","type","record"}.
func systemRecord(typ string, record any) string {
	b, _ := json.Marshal(struct {
		Time   string `json:"time"`
		Type   string `json:"type"`
		Record any    `json:"record"`
	}{time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), typ, record})
	return string(b)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
