package logs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/invoke"
)

// Sink lands function log lines in CloudWatch Logs: each line is one event (ending
// in "\n", as Lambda's do) in
// the function's log group (/aws/lambda/<function> unless its LoggingConfig names
// another), in the stream the engine names, in the function's
// region; the group and stream are created on first use. Append only copies the
// line into a buffer (the invoke hot path never waits on the store); a goroutine
// publishes the buffer in batches every FlushEvery or every FlushEvents lines.
type Sink struct {
	Logs *Service
	// FlushEvery and FlushEvents bound how long and how many lines wait (defaults
	// 20 ms and 256).
	FlushEvery  time.Duration
	FlushEvents int
	// MaxBuffered lines are held at most; lines beyond it are dropped (and
	// counted) rather than block a function (default 100,000).
	MaxBuffered int

	mu      sync.Mutex
	buf     []sinkLine
	dropped int
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

var _ invoke.LogSink = (*Sink)(nil)

type sinkLine struct {
	fn     *invoke.Function
	stream string
	at     int64
	line   []byte
}

// Start begins the flushing goroutine.
func (k *Sink) Start() {
	if k.FlushEvery <= 0 {
		k.FlushEvery = 20 * time.Millisecond
	}
	if k.FlushEvents <= 0 {
		k.FlushEvents = 256
	}
	if k.MaxBuffered <= 0 {
		k.MaxBuffered = 100000
	}
	k.kick = make(chan struct{}, 1)
	k.stop = make(chan struct{})
	k.done = make(chan struct{})
	go k.run()
}

// Append implements invoke.LogSink. It never blocks on I/O.
func (k *Sink) Append(fn *invoke.Function, stream string, at time.Time, line []byte) {
	// The hot path: one copy of the line, a lock held for an append. Lambda's
	// events keep the line's newline ("START RequestId: ... Version: $LATEST\n").
	line = truncate(line)
	if len(line) == maxEventBytes {
		line = line[:len(line)-1]
	}
	buf := make([]byte, len(line)+1)
	copy(buf, line)
	buf[len(line)] = '\n'
	l := sinkLine{fn: fn, stream: stream, at: at.UnixMilli(), line: buf}
	k.mu.Lock()
	if len(k.buf) >= k.MaxBuffered {
		k.dropped++
		k.mu.Unlock()
		return
	}
	k.buf = append(k.buf, l)
	full := len(k.buf) >= k.FlushEvents
	k.mu.Unlock()
	if full {
		select {
		case k.kick <- struct{}{}:
		default:
		}
	}
}

func (k *Sink) run() {
	defer close(k.done)
	t := time.NewTicker(k.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			k.flush()
			return
		case <-t.C:
		case <-k.kick:
		}
		k.flush()
	}
}

// Close flushes what is buffered and stops the goroutine.
func (k *Sink) Close(ctx context.Context) error {
	if k.stop == nil {
		return nil
	}
	close(k.stop)
	select {
	case <-k.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush publishes the buffer, stream by stream, in order.
func (k *Sink) flush() {
	k.mu.Lock()
	lines := k.buf
	k.buf = nil
	dropped := k.dropped
	k.dropped = 0
	k.mu.Unlock()
	if dropped > 0 {
		slog.Warn("logs: function log lines dropped, the sink fell behind", "lines", dropped)
	}
	if len(lines) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := k.Logs
	type target struct{ region, group, stream string }
	ready := map[target]bool{}
	evs := make([]pendingEvent, 0, len(lines))
	var targets []target // of each event in evs
	for _, l := range lines {
		group := l.fn.LogGroup
		if group == "" {
			group = "/aws/lambda/" + l.fn.Name
		}
		tg := target{l.fn.Region, group, l.stream}
		if !ready[tg] {
			if _, err := s.ensureStream(ctx, tg.region, tg.group, tg.stream, true); err != nil && !errors.Is(err, errStreamExists) {
				slog.Error("logs: cannot create log stream", "group", tg.group, "stream", tg.stream, "err", err)
				continue
			}
			ready[tg] = true
		}
		evs = append(evs, pendingEvent{subject: streamSubject(tg.region, tg.group, tg.stream), timestamp: l.at, message: l.line})
		targets = append(targets, tg)
	}
	ingest := s.Now().UnixMilli()
	if err := s.appendEvents(ctx, evs, ingest); err != nil {
		slog.Error("logs: cannot store function logs", "err", err)
		return
	}
	// Update the streams' figures, a run of consecutive events of one stream at a time.
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && targets[j] == targets[i] {
			j++
		}
		s.noteAppended(targets[i].region, targets[i].group, targets[i].stream, evs[i:j], ingest)
		i = j
	}
}
