package dynamodb

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// The DynamoDB Streams API. Each stream has one shard, which closes when the
// stream is turned off (or its table deleted). Sequence numbers are the
// store's record numbers as 21 decimal digits, so they order alike as strings
// and as numbers.

// streamOps is the Streams API's route table.
func (s *Service) streamOps(name string) op {
	switch name {
	case "ListStreams":
		return s.listStreams
	case "DescribeStream":
		return s.describeStream
	case "GetShardIterator":
		return s.getShardIterator
	case "GetRecords":
		return s.getRecords
	}
	return nil
}

// iteratorTTL is how long a shard iterator can be used.
const iteratorTTL = 15 * time.Minute

const maxGetRecords = 1000

// seqText is a sequence number as the API writes it.
func seqText(seq uint64) string { return fmt.Sprintf("%021d", seq) }

// parseSeq reads a sequence number (ok false unless it is 1 to 40 digits).
func parseSeq(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 40 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// streamARN is the ARN of a table's stream.
func (s *Service) streamARN(table, label string) string {
	return s.tableARN(table) + "/stream/" + label
}

// parseStreamARN returns the table and label a stream ARN names. As with
// tables, an ARN of any region or account names the server's stream.
func parseStreamARN(arn string) (table, label string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" {
		return "", "", false
	}
	res, ok := strings.CutPrefix(parts[5], "table/")
	if !ok {
		return "", "", false
	}
	table, label, ok = strings.Cut(res, "/stream/")
	return table, label, ok && table != "" && label != "" && !strings.Contains(label, "/")
}

// shardID is the id of a stream's one shard: "shardId-", 20 digits (the
// stream's creation time in milliseconds) and 8 hex digits of its identity.
func shardID(info *tablestore.StreamInfo) string {
	h := sha256.Sum256([]byte(info.Table + "/" + info.Label))
	return fmt.Sprintf("shardId-%020d-%s", info.Created.UnixMilli(), hex.EncodeToString(h[:4]))
}

// oldest is the number of the oldest record kept (Next when none is).
func oldest(info *tablestore.StreamInfo) uint64 {
	if info.First == 0 {
		return info.Next
	}
	return info.First
}

// stream loads the stream an ARN names, or the Streams API's errors.
func (s *Service) stream(ctx context.Context, arn string) (tablestore.StreamInfo, error) {
	table, label, ok := parseStreamARN(arn)
	if !ok {
		return tablestore.StreamInfo{}, errStreamNotFound(arn)
	}
	info, err := s.Store.Stream(ctx, table, label)
	if errors.Is(err, tablestore.ErrStreamNotFound) || errors.Is(err, tablestore.ErrTableNotFound) {
		return info, errStreamNotFound(arn)
	}
	return info, err
}

func (fe *fieldErrors) checkStreamARN(arn *string, field string, required bool) {
	if arn == nil {
		if required {
			fe.add(nil, field, notNull)
		}
		return
	}
	if len(*arn) < 37 {
		fe.add(*arn, field, minLen(37))
	} else if len(*arn) > 1024 {
		fe.add(*arn, field, maxLen(1024))
	}
}

// checkLength adds the violation of an optional member's length bounds.
func (fe *fieldErrors) checkLength(v *string, field string, lo, hi int) {
	if v == nil {
		return
	}
	if len(*v) < lo {
		fe.add(*v, field, minLen(lo))
	} else if len(*v) > hi {
		fe.add(*v, field, maxLen(hi))
	}
}

func (fe *fieldErrors) checkLimit(limit *int, max int) {
	if limit == nil {
		return
	}
	if *limit < 1 {
		fe.add(*limit, "limit", minValue(1))
	} else if *limit > max {
		fe.add(*limit, "limit", maxValue(max))
	}
}

// ---- ListStreams ----

type listStreamsInput struct {
	TableName               *string `json:"TableName"`
	Limit                   *int    `json:"Limit"`
	ExclusiveStartStreamArn *string `json:"ExclusiveStartStreamArn"`
}

type streamSummary struct {
	StreamArn   string `json:"StreamArn"`
	TableName   string `json:"TableName"`
	StreamLabel string `json:"StreamLabel"`
}

func (s *Service) listStreams(ctx context.Context, r *http.Request) (any, error) {
	var in listStreamsInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var fe fieldErrors
	fe.checkName(in.TableName, "tableName", false)
	fe.checkLimit(in.Limit, 100)
	fe.checkStreamARN(in.ExclusiveStartStreamArn, "exclusiveStartStreamArn", false)
	if err := fe.err(); err != nil {
		return nil, err
	}
	table := ""
	if in.TableName != nil {
		table = *in.TableName
	}
	infos, err := s.Store.Streams(ctx, table)
	if err != nil && !errors.Is(err, tablestore.ErrTableNotFound) {
		return nil, err
	}
	if table != "" && len(infos) == 0 {
		if _, err := s.table(ctx, table); err != nil {
			return nil, err
		}
	}
	out := struct {
		Streams                []streamSummary `json:"Streams"`
		LastEvaluatedStreamArn string          `json:"LastEvaluatedStreamArn,omitempty"`
	}{Streams: []streamSummary{}}
	for _, info := range infos {
		out.Streams = append(out.Streams, streamSummary{s.streamARN(info.Table, info.Label), info.Table, info.Label})
	}
	if in.ExclusiveStartStreamArn != nil {
		i := slices.IndexFunc(out.Streams, func(x streamSummary) bool { return x.StreamArn == *in.ExclusiveStartStreamArn })
		out.Streams = out.Streams[i+1:] // i is -1 when absent: everything
	}
	limit := 100
	if in.Limit != nil {
		limit = *in.Limit
	}
	if len(out.Streams) > limit {
		out.Streams = out.Streams[:limit]
		out.LastEvaluatedStreamArn = out.Streams[limit-1].StreamArn
	}
	return out, nil
}

// ---- DescribeStream ----

type describeStreamInput struct {
	StreamArn             *string `json:"StreamArn"`
	Limit                 *int    `json:"Limit"`
	ExclusiveStartShardId *string `json:"ExclusiveStartShardId"`
}

type sequenceRange struct {
	StartingSequenceNumber string `json:"StartingSequenceNumber,omitempty"`
	EndingSequenceNumber   string `json:"EndingSequenceNumber,omitempty"`
}

type shardOut struct {
	ShardId             string        `json:"ShardId"`
	SequenceNumberRange sequenceRange `json:"SequenceNumberRange"`
	ParentShardId       string        `json:"ParentShardId,omitempty"`
}

type streamDescription struct {
	StreamArn               string         `json:"StreamArn"`
	StreamLabel             string         `json:"StreamLabel"`
	StreamStatus            string         `json:"StreamStatus"`
	StreamViewType          string         `json:"StreamViewType"`
	CreationRequestDateTime epoch          `json:"CreationRequestDateTime"`
	TableName               string         `json:"TableName"`
	KeySchema               []keySchemaOut `json:"KeySchema"`
	Shards                  []shardOut     `json:"Shards"`
	LastEvaluatedShardId    string         `json:"LastEvaluatedShardId,omitempty"`
}

// shardRange is the sequence numbers of a stream's shard: from its oldest
// kept record, to its last one once the shard is closed.
func shardRange(info *tablestore.StreamInfo) sequenceRange {
	r := sequenceRange{StartingSequenceNumber: seqText(oldest(info))}
	if !info.Enabled {
		end := info.Last
		if end == 0 {
			end = oldest(info)
		}
		r.EndingSequenceNumber = seqText(end)
	}
	return r
}

func (s *Service) describeStream(ctx context.Context, r *http.Request) (any, error) {
	var in describeStreamInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var fe fieldErrors
	fe.checkStreamARN(in.StreamArn, "streamArn", true)
	fe.checkLimit(in.Limit, 100)
	fe.checkLength(in.ExclusiveStartShardId, "exclusiveStartShardId", 28, 65)
	if err := fe.err(); err != nil {
		return nil, err
	}
	info, err := s.stream(ctx, *in.StreamArn)
	if err != nil {
		return nil, err
	}
	d := streamDescription{
		StreamArn:               s.streamARN(info.Table, info.Label),
		StreamLabel:             info.Label,
		StreamStatus:            "ENABLED",
		StreamViewType:          info.ViewType,
		CreationRequestDateTime: epoch(info.Created),
		TableName:               info.Table,
		KeySchema:               keySchemaWire(info.Key),
		Shards:                  []shardOut{},
	}
	if !info.Enabled {
		d.StreamStatus = "DISABLED"
	}
	id := shardID(&info)
	if in.ExclusiveStartShardId == nil || *in.ExclusiveStartShardId < id {
		d.Shards = append(d.Shards, shardOut{ShardId: id, SequenceNumberRange: shardRange(&info)})
	}
	return map[string]any{"StreamDescription": d}, nil
}

// ---- GetShardIterator ----

type getShardIteratorInput struct {
	StreamArn         *string `json:"StreamArn"`
	ShardId           *string `json:"ShardId"`
	ShardIteratorType string  `json:"ShardIteratorType"`
	SequenceNumber    *string `json:"SequenceNumber"`
}

var iteratorTypes = []string{"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"}

// iterator is what a shard iterator holds: the stream, the next record to
// read (0: the oldest kept), and when the iterator was made.
type iterator struct {
	Table   string `json:"t"`
	Label   string `json:"l"`
	From    uint64 `json:"f"`
	Created int64  `json:"c"` // Unix milliseconds
}

// iteratorSep parts an iterator's stream ARN, kept for readability as AWS
// does, from its opaque state.
const iteratorSep = "|1|"

func (s *Service) encodeIterator(it iterator) string {
	b, _ := json.Marshal(it)
	return s.streamARN(it.Table, it.Label) + iteratorSep + base64.RawURLEncoding.EncodeToString(b)
}

func decodeIterator(text string) (iterator, bool) {
	var it iterator
	_, state, ok := strings.Cut(text, iteratorSep)
	if !ok {
		return it, false
	}
	b, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil || json.Unmarshal(b, &it) != nil || it.Table == "" || it.Label == "" {
		return it, false
	}
	return it, true
}

func (s *Service) getShardIterator(ctx context.Context, r *http.Request) (any, error) {
	var in getShardIteratorInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var fe fieldErrors
	fe.checkStreamARN(in.StreamArn, "streamArn", true)
	if in.ShardId == nil {
		fe.add(nil, "shardId", notNull)
	} else if len(*in.ShardId) < 28 {
		fe.add(*in.ShardId, "shardId", minLen(28))
	} else if len(*in.ShardId) > 65 {
		fe.add(*in.ShardId, "shardId", maxLen(65))
	}
	if in.ShardIteratorType == "" {
		fe.add(nil, "shardIteratorType", notNull)
	} else if !slices.Contains(iteratorTypes, in.ShardIteratorType) {
		fe.add(in.ShardIteratorType, "shardIteratorType", enumSet(setText(iteratorTypes)))
	}
	fe.checkLength(in.SequenceNumber, "sequenceNumber", 21, 40)
	if err := fe.err(); err != nil {
		return nil, err
	}
	info, err := s.stream(ctx, *in.StreamArn)
	if err != nil {
		return nil, err
	}
	if *in.ShardId != shardID(&info) {
		return nil, errShardNotFound(*in.StreamArn, *in.ShardId)
	}
	it := iterator{Table: info.Table, Label: info.Label, Created: s.Now().UnixMilli()}
	switch in.ShardIteratorType {
	case "TRIM_HORIZON":
		it.From = 0
	case "LATEST":
		it.From = info.Next
	default:
		if in.SequenceNumber == nil {
			// Unconfirmed wording: AWS's reference only says the member is
			// needed for these types.
			return nil, validation("A sequence number is required for ShardIteratorType " + in.ShardIteratorType)
		}
		n, ok := parseSeq(*in.SequenceNumber)
		if !ok {
			return nil, validation("Invalid SequenceNumber: " + *in.SequenceNumber)
		}
		if n < oldest(&info) {
			return nil, errTrimmedData
		}
		it.From = n
		if in.ShardIteratorType == "AFTER_SEQUENCE_NUMBER" {
			it.From = n + 1
		}
	}
	return map[string]string{"ShardIterator": s.encodeIterator(it)}, nil
}

// ---- GetRecords ----

type getRecordsInput struct {
	ShardIterator *string `json:"ShardIterator"`
	Limit         *int    `json:"Limit"`
}

// streamData is a record's "dynamodb" member.
type streamData struct {
	ApproximateCreationDateTime int64     `json:"ApproximateCreationDateTime"`
	Keys                        attr.Item `json:"Keys"`
	NewImage                    attr.Item `json:"NewImage,omitempty"`
	OldImage                    attr.Item `json:"OldImage,omitempty"`
	SequenceNumber              string    `json:"SequenceNumber"`
	SizeBytes                   int64     `json:"SizeBytes"`
	StreamViewType              string    `json:"StreamViewType"`
}

// apiIdentity is userIdentity as the Streams API spells it.
type apiIdentity struct {
	PrincipalId string `json:"PrincipalId"`
	Type        string `json:"Type"`
}

// eventIdentity is userIdentity as Lambda's events spell it.
type eventIdentity struct {
	Type        string `json:"type"`
	PrincipalId string `json:"principalId"`
}

// streamRecord is one record, as GetRecords answers it and (with
// eventSourceARN, and userIdentity spelled in lower case) as Lambda puts it
// in an event.
type streamRecord struct {
	EventID        string     `json:"eventID"`
	EventName      string     `json:"eventName"`
	EventVersion   string     `json:"eventVersion"`
	EventSource    string     `json:"eventSource"`
	AwsRegion      string     `json:"awsRegion"`
	Dynamodb       streamData `json:"dynamodb"`
	EventSourceARN string     `json:"eventSourceARN,omitempty"`
	UserIdentity   any        `json:"userIdentity,omitempty"`
}

// record shapes one stored record of a stream; forEvent shapes it for a
// Lambda event.
func (s *Service) record(info *tablestore.StreamInfo, rec *tablestore.StreamRecord, forEvent bool) streamRecord {
	h := sha256.Sum256([]byte(info.Table + "/" + info.Label + "/" + seqText(rec.Seq)))
	out := streamRecord{
		EventID:      hex.EncodeToString(h[:16]),
		EventName:    rec.Event,
		EventVersion: "1.1",
		EventSource:  "aws:dynamodb",
		AwsRegion:    s.Region,
		Dynamodb: streamData{
			ApproximateCreationDateTime: rec.Time.Unix(),
			Keys:                        rec.Keys,
			NewImage:                    rec.New,
			OldImage:                    rec.Old,
			SequenceNumber:              seqText(rec.Seq),
			SizeBytes:                   rec.Size,
			StreamViewType:              info.ViewType,
		},
	}
	if forEvent {
		out.EventSourceARN = s.streamARN(info.Table, info.Label)
	}
	if id := rec.Identity; id != nil {
		if forEvent {
			out.UserIdentity = eventIdentity{Type: id.Type, PrincipalId: id.PrincipalID}
		} else {
			out.UserIdentity = apiIdentity{Type: id.Type, PrincipalId: id.PrincipalID}
		}
	}
	return out
}

// readShard reads up to limit records from position from on and returns them
// with the position after them and whether the shard is closed and read to
// its end.
func (s *Service) readShard(ctx context.Context, info *tablestore.StreamInfo, from uint64, limit int) ([]tablestore.StreamRecord, uint64, bool, error) {
	recs, err := s.Store.ReadStream(ctx, info.Table, info.Label, from, limit)
	if err != nil {
		return nil, from, false, err
	}
	next := from
	if len(recs) > 0 {
		next = recs[len(recs)-1].Seq + 1
	}
	// Closed and read to the end: nothing after next, and nothing more comes.
	done := !info.Enabled && (info.Last == 0 || next > info.Last)
	return recs, next, done, nil
}

func (s *Service) getRecords(ctx context.Context, r *http.Request) (any, error) {
	var in getRecordsInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var fe fieldErrors
	if in.ShardIterator == nil {
		fe.add(nil, "shardIterator", notNull)
	} else if len(*in.ShardIterator) < 1 {
		fe.add(*in.ShardIterator, "shardIterator", minLen(1))
	} else if len(*in.ShardIterator) > 2048 {
		fe.add(*in.ShardIterator, "shardIterator", maxLen(2048))
	}
	fe.checkLimit(in.Limit, maxGetRecords)
	if err := fe.err(); err != nil {
		return nil, err
	}
	it, ok := decodeIterator(*in.ShardIterator)
	if !ok {
		return nil, errBadIterator
	}
	now := s.Now()
	if now.Sub(time.UnixMilli(it.Created)) > iteratorTTL {
		return nil, errExpiredIterator
	}
	info, err := s.Store.Stream(ctx, it.Table, it.Label)
	if errors.Is(err, tablestore.ErrStreamNotFound) || errors.Is(err, tablestore.ErrTableNotFound) {
		return nil, errStreamNotFound(s.streamARN(it.Table, it.Label))
	}
	if err != nil {
		return nil, err
	}
	limit := maxGetRecords
	if in.Limit != nil {
		limit = *in.Limit
	}
	recs, next, done, err := s.readShard(ctx, &info, it.From, limit)
	if errors.Is(err, tablestore.ErrTrimmed) {
		return nil, errTrimmedData
	}
	if err != nil {
		return nil, err
	}
	out := struct {
		Records           []streamRecord `json:"Records"`
		NextShardIterator *string        `json:"NextShardIterator,omitempty"`
	}{Records: make([]streamRecord, 0, len(recs))}
	for i := range recs {
		out.Records = append(out.Records, s.record(&info, &recs[i], false))
	}
	if !done {
		n := s.encodeIterator(iterator{Table: it.Table, Label: it.Label, From: next, Created: now.UnixMilli()})
		out.NextShardIterator = &n
	}
	return out, nil
}
