package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// StreamSource returns the table streams as an eventsource.Streams, for
// Lambda event source mappings: source ARNs are stream ARNs (a table's
// LatestStreamArn), each with the one shard DescribeStream shows.
func (s *Service) StreamSource() eventsource.Streams { return streamSource{s} }

type streamSource struct{ s *Service }

var _ eventsource.Streams = streamSource{}

// info loads a source's stream, and checks shard when not "".
func (src streamSource) info(ctx context.Context, arn, shard string) (tablestore.StreamInfo, error) {
	table, label, ok := parseStreamARN(arn)
	if !ok {
		return tablestore.StreamInfo{}, fmt.Errorf("%w: %s", eventsource.ErrNotFound, arn)
	}
	info, err := src.s.Store.Stream(ctx, table, label)
	if errors.Is(err, tablestore.ErrStreamNotFound) || errors.Is(err, tablestore.ErrTableNotFound) {
		return info, fmt.Errorf("%w: %s", eventsource.ErrNotFound, arn)
	}
	if err != nil {
		return info, err
	}
	if shard != "" && shard != shardID(&info) {
		return info, fmt.Errorf("%w: %s shard %s", eventsource.ErrNotFound, arn, shard)
	}
	return info, nil
}

// Shards implements eventsource.Streams.
func (src streamSource) Shards(ctx context.Context, sourceARN string) ([]eventsource.Shard, error) {
	info, err := src.info(ctx, sourceARN, "")
	if err != nil {
		return nil, err
	}
	r := shardRange(&info)
	return []eventsource.Shard{{ID: shardID(&info), StartSeq: r.StartingSequenceNumber, EndSeq: r.EndingSequenceNumber}}, nil
}

// from is the position after sequence number after ("" for the start).
func from(after string) (uint64, error) {
	if after == "" {
		return 0, nil
	}
	n, ok := parseSeq(after)
	if !ok {
		return 0, fmt.Errorf("dynamodb: bad sequence number %q", after)
	}
	return n + 1, nil
}

// Read implements eventsource.Streams.
func (src streamSource) Read(ctx context.Context, sourceARN, shardID, after string, limit int) ([]eventsource.Record, bool, error) {
	info, err := src.info(ctx, sourceARN, shardID)
	if err != nil {
		return nil, false, err
	}
	pos, err := from(after)
	if err != nil {
		return nil, false, err
	}
	recs, _, done, err := src.s.readShard(ctx, &info, pos, limit)
	if errors.Is(err, tablestore.ErrTrimmed) {
		return nil, false, fmt.Errorf("%w: %s after %s", eventsource.ErrTrimmed, sourceARN, after)
	}
	if err != nil {
		return nil, false, err
	}
	out := make([]eventsource.Record, 0, len(recs))
	for i := range recs {
		rec := &recs[i]
		b, err := json.Marshal(src.s.record(&info, rec, true))
		if err != nil {
			return nil, false, err
		}
		out = append(out, eventsource.Record{
			Seq:          seqText(rec.Seq),
			Time:         rec.Time,
			Data:         b,
			PartitionKey: partitionKey(info.Key, rec.Keys),
			Size:         len(b),
		})
	}
	return out, done && len(out) == 0, nil
}

// partitionKey is an item key's order-preserving encoding.
func partitionKey(k tablestore.KeySchema, key attr.Item) string {
	b := attr.AppendKey(nil, key[k.Hash])
	if k.Range != "" {
		b = attr.AppendKey(b, key[k.Range])
	}
	return string(b)
}

// Latest implements eventsource.Streams.
func (src streamSource) Latest(ctx context.Context, sourceARN, shardID string) (string, error) {
	info, err := src.info(ctx, sourceARN, shardID)
	if err != nil {
		return "", err
	}
	if info.Next == 0 {
		return "", nil
	}
	return seqText(info.Next - 1), nil
}

// closedCheck is how often Wait looks whether the shard closed, which the
// store's WaitStream does not report.
const closedCheck = time.Second

// Wait implements eventsource.Streams.
func (src streamSource) Wait(ctx context.Context, sourceARN, shardID, after string) error {
	pos, err := from(after)
	if err != nil {
		return err
	}
	for {
		info, err := src.info(ctx, sourceARN, shardID)
		if err != nil {
			return err
		}
		if !info.Enabled || info.Last >= max(pos, 1) {
			return nil
		}
		wctx, cancel := context.WithTimeout(ctx, closedCheck)
		err = src.s.Store.WaitStream(wctx, info.Table, info.Label, pos)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
}
