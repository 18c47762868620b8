package invoke

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPlatformLinesJSON(t *testing.T) {
	pl := newPlatformLines(&Function{LogFormat: LogFormatJSON, SystemLogLevel: "INFO"})
	var start struct {
		Time   string
		Type   string
		Record struct{ RequestID, Version string }
	}
	if err := json.Unmarshal([]byte(pl.start("id-1", "$LATEST")), &start); err != nil {
		t.Fatal(err)
	}
	if start.Type != "platform.start" || start.Record.RequestID != "id-1" || start.Record.Version != "$LATEST" {
		t.Errorf("platform.start = %+v", start)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", start.Time); err != nil {
		t.Errorf("time %q: %v", start.Time, err)
	}
	if pl.end("id-1") != "" {
		t.Error("JSON system logs have no END line")
	}
	var rep struct {
		Type   string
		Record struct {
			RequestID string
			Status    string
			Metrics   map[string]float64
		}
	}
	line := pl.report(report{id: "id-1", dur: 1234567 * time.Nanosecond, billed: 2 * time.Millisecond, memMB: 128, maxMem: 20 << 20, initDur: 45670 * time.Microsecond})
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		t.Fatal(err)
	}
	m := rep.Record.Metrics
	if rep.Type != "platform.report" || rep.Record.Status != "success" || m["durationMs"] != 1.23 || m["billedDurationMs"] != 2 ||
		m["memorySizeMB"] != 128 || m["maxMemoryUsedMB"] != 20 || m["initDurationMs"] != 45.67 {
		t.Errorf("platform.report = %s", line)
	}
	silent := newPlatformLines(&Function{LogFormat: LogFormatJSON, SystemLogLevel: "WARN"})
	if silent.start("x", "1") != "" || silent.report(report{id: "x"}) != "" {
		t.Error("SystemLogLevel WARN should silence platform.start and platform.report")
	}
	text := newPlatformLines(&Function{})
	if text.start("x", "$LATEST") != "START RequestId: x Version: $LATEST" || text.end("x") != "END RequestId: x" {
		t.Error("text platform lines changed")
	}
}
