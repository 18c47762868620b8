package esm

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/store"
)

// streamPoller polls one mapping's stream (DynamoDB Streams, Kinesis): one
// worker per shard, parents finished before their children, each reading its
// shard in order from its checkpoint, batching, filtering, and settling each
// batch with the deliverer before checkpointing past it. After a crash a shard
// resumes at its checkpoint: at least once, in order.
type streamPoller struct {
	s       *Service
	p       *poller
	rec     record
	streams eventsource.Streams
	filters *filters
}

// run polls until the poller is stopped or ctx ends, then waits for its shard
// workers to settle what they are invoking.
func (sp *streamPoller) run(ctx context.Context) {
	stop := sp.p.stopCh
	sp.filters = compileFilters(sp.rec.Filters)
	for {
		err := sp.initialize(ctx)
		if err == nil {
			break
		}
		slog.Warn("esm: cannot set starting positions", "uuid", sp.rec.UUID, "err", err)
		if !sleep(ctx, stop, sp.s.ShardRefresh) {
			return
		}
	}
	type ended struct {
		id       string
		finished bool
	}
	endedCh := make(chan ended)
	finished := map[string]bool{}
	running := map[string]bool{}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		shards, err := sp.streams.Shards(ctx, sp.rec.EventSourceArn)
		if err != nil && ctx.Err() == nil {
			slog.Warn("esm: cannot list shards", "uuid", sp.rec.UUID, "source", sp.rec.EventSourceArn, "err", err)
			sp.s.results.Store(sp.rec.UUID, "PROBLEM: Stream not found")
		}
		listed := map[string]bool{}
		for _, sh := range shards {
			listed[sh.ID] = true
		}
		for _, sh := range shards {
			if finished[sh.ID] || running[sh.ID] || (sh.Parent != "" && listed[sh.Parent] && !finished[sh.Parent]) {
				continue
			}
			cur, err := sp.s.loadCursor(ctx, sp.rec.UUID, sh.ID)
			if err != nil {
				continue
			}
			if cur.cp.Done {
				finished[sh.ID] = true
				continue
			}
			running[sh.ID] = true
			wg.Add(1)
			go func(sh eventsource.Shard) {
				defer wg.Done()
				ok := sp.shard(ctx, stop, sh, cur)
				select {
				case endedCh <- ended{sh.ID, ok}:
				case <-stop:
				case <-ctx.Done():
				}
			}(sh)
		}
		t := time.NewTimer(sp.s.ShardRefresh)
		select {
		case e := <-endedCh:
			delete(running, e.id)
			finished[e.id] = e.finished
		case <-t.C:
		case <-stop:
		case <-ctx.Done():
		}
		t.Stop()
		if stopped(stop) || ctx.Err() != nil {
			return
		}
	}
}

// initialize sets the mapping's starting positions once: under LATEST every
// open shard's checkpoint is its latest position and every closed shard is
// done; otherwise shards are read from their start (AT_TIMESTAMP then skips
// the older records). Shards found later are always read from their start.
func (sp *streamPoller) initialize(ctx context.Context) error {
	key := initKey(sp.rec.UUID)
	if _, _, err := sp.s.checkpoints.Get(ctx, key); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if sp.rec.StartingPosition == posLatest {
		shards, err := sp.streams.Shards(ctx, sp.rec.EventSourceArn)
		if err != nil {
			return err
		}
		for _, sh := range shards {
			cur, err := sp.s.loadCursor(ctx, sp.rec.UUID, sh.ID)
			if err != nil {
				return err
			}
			if cur.rev != 0 {
				continue
			}
			cp := checkpoint{Done: true}
			if sh.EndSeq == "" {
				if cp.Seq, err = sp.streams.Latest(ctx, sp.rec.EventSourceArn, sh.ID); err != nil {
					return err
				}
				cp.Done = false
			}
			if err := cur.save(ctx, cp); err != nil {
				return err
			}
		}
	}
	if _, err := sp.s.checkpoints.Create(ctx, key, checkpoint{Done: true}); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	return nil
}

// shard reads one shard from its checkpoint until it is finished (true) or the
// poller stops (false; also after an error, which the caller retries).
func (sp *streamPoller) shard(ctx context.Context, stop <-chan struct{}, sh eventsource.Shard, cur *cursor) bool {
	stopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-stopCtx.Done():
		}
	}()
	d := &deliverer{s: sp.s, rec: sp.rec, info: sp.batchInfo(sh.ID)}
	pos := cur.cp.Seq
	for {
		recs, done, err := sp.fetch(ctx, stopCtx, sh.ID, pos)
		if errors.Is(err, eventsource.ErrTrimmed) && pos != "" {
			slog.Warn("esm: checkpoint older than the records kept; resuming at the oldest", "uuid", sp.rec.UUID, "shard", sh.ID)
			pos = ""
			continue
		}
		if stopCtx.Err() != nil {
			return false
		}
		if err != nil {
			slog.Warn("esm: cannot read shard", "uuid", sp.rec.UUID, "shard", sh.ID, "err", err)
			sleep(ctx, stop, sp.s.ThrottleDelay)
			return false
		}
		if len(recs) == 0 {
			if done {
				if err := cur.save(ctx, checkpoint{Seq: pos, Done: true}); err != nil {
					return false
				}
				return true
			}
			continue
		}
		last := recs[len(recs)-1].Seq
		if !sp.deliver(ctx, stop, d, cur, sp.keep(recs)) {
			return false
		}
		if err := cur.save(ctx, checkpoint{Seq: last}); err != nil {
			slog.Warn("esm: cannot checkpoint", "uuid", sp.rec.UUID, "shard", sh.ID, "err", err)
			return false
		}
		pos = last
	}
}

// fetch returns the next records of a shard after pos: up to BatchSize for
// each of the ParallelizationFactor lanes, waiting (without polling) for the
// first one and then up to MaximumBatchingWindowInSeconds for more, within
// the payload limit. It returns no records once wctx ends.
func (sp *streamPoller) fetch(ctx, wctx context.Context, shard, pos string) ([]eventsource.Record, bool, error) {
	arn := sp.rec.EventSourceArn
	limit := sp.rec.BatchSize * max(1, sp.rec.ParallelizationFactor)
	var recs []eventsource.Record
	var done bool
	for {
		var err error
		recs, done, err = sp.streams.Read(ctx, arn, shard, pos, limit)
		if err != nil || done || len(recs) > 0 {
			if err != nil || len(recs) == 0 {
				return recs, done, err
			}
			break
		}
		if err := sp.streams.Wait(wctx, arn, shard, pos); err != nil {
			if wctx.Err() != nil {
				return nil, false, nil
			}
			return nil, false, err
		}
	}
	window := time.Duration(sp.rec.MaxBatchingWindow) * sp.s.Second
	if window <= 0 || done {
		return recs, done, nil
	}
	deadline := time.Now().Add(window)
	size := 0
	for i := range recs {
		size += len(recs[i].Data)
	}
	for len(recs) < limit && size < maxPayload && time.Now().Before(deadline) {
		dctx, cancel := context.WithDeadline(wctx, deadline)
		err := sp.streams.Wait(dctx, arn, shard, recs[len(recs)-1].Seq)
		cancel()
		if err != nil || !time.Now().Before(deadline) {
			break
		}
		more, d, err := sp.streams.Read(ctx, arn, shard, recs[len(recs)-1].Seq, limit-len(recs))
		if err != nil {
			break
		}
		for i := range more {
			size += len(more[i].Data)
		}
		recs = append(recs, more...)
		if d {
			done = true
			break
		}
	}
	return recs, done, nil
}

// keep drops the records a mapping does not deliver: those before an
// AT_TIMESTAMP start and those no filter matches.
func (sp *streamPoller) keep(recs []eventsource.Record) []eventsource.Record {
	out := make([]eventsource.Record, 0, len(recs))
	for _, r := range recs {
		if ts := sp.rec.StartingPositionTimestamp; ts != nil && r.Time.Before(*ts) {
			continue
		}
		if !sp.filters.match(r.Data) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// deliver settles a fetch's kept records. Under a ParallelizationFactor of N
// they are dealt into N lanes by partition key, so one key's records stay in
// one lane and in order, and the lanes are settled concurrently. With one lane
// the checkpoint follows each settled batch; with several, the shard's
// checkpoint moves only once every lane is settled.
func (sp *streamPoller) deliver(ctx context.Context, stop <-chan struct{}, d *deliverer, cur *cursor, kept []eventsource.Record) bool {
	n := sp.rec.ParallelizationFactor
	if n <= 1 {
		return sp.lane(ctx, stop, d, kept, func(seq string) {
			if err := cur.save(ctx, checkpoint{Seq: seq}); err != nil {
				slog.Warn("esm: cannot checkpoint", "uuid", sp.rec.UUID, "err", err)
			}
		})
	}
	lanes := make([][]eventsource.Record, n)
	for _, r := range kept {
		i := laneOf(r.PartitionKey, n)
		lanes[i] = append(lanes[i], r)
	}
	var wg sync.WaitGroup
	var ok atomic.Bool
	ok.Store(true)
	for _, l := range lanes {
		if len(l) == 0 {
			continue
		}
		wg.Add(1)
		go func(l []eventsource.Record) {
			defer wg.Done()
			if !sp.lane(ctx, stop, d, l, nil) {
				ok.Store(false)
			}
		}(l)
	}
	wg.Wait()
	return ok.Load()
}

// laneOf is the lane of a partition key among n.
func laneOf(key string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// lane settles one lane's records in order, in batches of at most BatchSize
// records and maxPayload bytes; progress, when set, learns the sequence
// number of each last settled record.
func (sp *streamPoller) lane(ctx context.Context, stop <-chan struct{}, d *deliverer, recs []eventsource.Record, progress func(seq string)) bool {
	for len(recs) > 0 {
		k, size := 0, 0
		for k < len(recs) && k < sp.rec.BatchSize {
			if k > 0 && eventSize(k+1, size+len(recs[k].Data)) > maxPayload {
				break
			}
			size += len(recs[k].Data)
			k++
		}
		batch := recs[:k]
		if !d.settle(ctx, stop, batch, func(m int) {
			if progress != nil && m > 0 {
				progress(batch[m-1].Seq)
			}
		}) {
			return false
		}
		recs = recs[k:]
	}
	return true
}

// streamBatchInfo is the DDBStreamBatchInfo (KinesisBatchInfo) of an
// on-failure record.
type streamBatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamArn                       string `json:"streamArn"`
}

func (sp *streamPoller) batchInfo(shard string) batchInfo {
	name := "KinesisBatchInfo"
	if sourceService(sp.rec.EventSourceArn) == "dynamodb" {
		name = "DDBStreamBatchInfo"
	}
	return func(recs []eventsource.Record) (string, any) {
		first, last := recs[0], recs[len(recs)-1]
		return name, streamBatchInfo{
			ShardID: shard, StartSequenceNumber: first.Seq, EndSequenceNumber: last.Seq,
			ApproximateArrivalOfFirstRecord: first.Time.UTC().Format(timeLayout),
			ApproximateArrivalOfLastRecord:  last.Time.UTC().Format(timeLayout),
			BatchSize:                       len(recs), StreamArn: sp.rec.EventSourceArn,
		}
	}
}
