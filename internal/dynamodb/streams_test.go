package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// streamTable creates a table keyed by id with a stream of viewType and
// returns the stream's ARN.
func streamTable(t *testing.T, ts *testServer, name string, viewType types.StreamViewType) string {
	t.Helper()
	d := simpleTable(t, ts, name, &dynamodb.CreateTableInput{
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: viewType},
	})
	if aws.ToString(d.LatestStreamArn) == "" {
		t.Fatal("no LatestStreamArn")
	}
	return aws.ToString(d.LatestStreamArn)
}

// writeThree puts, changes and deletes item "k".
func writeThree(t *testing.T, ts *testServer, table string) {
	storePut(t, ts, table, attr.Item{"id": attr.Str("k"), "v": attr.Str("one")})
	storePut(t, ts, table, attr.Item{"id": attr.Str("k"), "v": attr.Str("two")})
	storeDelete(t, ts, table, "k")
}

// shardOf returns a stream's one shard.
func shardOf(t *testing.T, ts *testServer, arn string) stypes.Shard {
	t.Helper()
	out, err := ts.Streams.DescribeStream(t.Context(), &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.StreamDescription.Shards) != 1 {
		t.Fatalf("shards = %+v", out.StreamDescription.Shards)
	}
	return out.StreamDescription.Shards[0]
}

func iteratorOf(t *testing.T, ts *testServer, arn string, typ stypes.ShardIteratorType, seq string) string {
	t.Helper()
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: shardOf(t, ts, arn).ShardId, ShardIteratorType: typ}
	if seq != "" {
		in.SequenceNumber = aws.String(seq)
	}
	out, err := ts.Streams.GetShardIterator(t.Context(), in)
	if err != nil {
		t.Fatalf("GetShardIterator %s: %v", typ, err)
	}
	return aws.ToString(out.ShardIterator)
}

func sval(v stypes.AttributeValue) string {
	if s, ok := v.(*stypes.AttributeValueMemberS); ok {
		return s.Value
	}
	return "?"
}

func TestStreamRecordsPerViewType(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		view     types.StreamViewType
		old, new bool
	}{
		{types.StreamViewTypeKeysOnly, false, false},
		{types.StreamViewTypeNewImage, false, true},
		{types.StreamViewTypeOldImage, true, false},
		{types.StreamViewTypeNewAndOldImages, true, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.view), func(t *testing.T) {
			table := "V" + strings.ReplaceAll(string(tt.view), "_", "")
			arn := streamTable(t, ts, table, tt.view)
			writeThree(t, ts, table)
			out, err := ts.Streams.GetRecords(t.Context(), &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(iteratorOf(t, ts, arn, stypes.ShardIteratorTypeTrimHorizon, ""))})
			if err != nil {
				t.Fatal(err)
			}
			if out.NextShardIterator == nil {
				t.Error("NextShardIterator nil on an open shard")
			}
			var events []string
			prev := ""
			for i, r := range out.Records {
				events = append(events, string(r.EventName))
				if aws.ToString(r.EventVersion) != "1.1" || aws.ToString(r.EventSource) != "aws:dynamodb" || aws.ToString(r.AwsRegion) != "us-east-1" ||
					!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(aws.ToString(r.EventID)) || r.UserIdentity != nil {
					t.Errorf("record %d envelope = %+v", i, r)
				}
				d := r.Dynamodb
				seq := aws.ToString(d.SequenceNumber)
				if len(seq) != 21 || seq <= prev {
					t.Errorf("record %d SequenceNumber %q after %q", i, seq, prev)
				}
				prev = seq
				if d.StreamViewType != stypes.StreamViewType(tt.view) || aws.ToInt64(d.SizeBytes) <= 0 || d.ApproximateCreationDateTime == nil ||
					time.Since(*d.ApproximateCreationDateTime) > time.Minute {
					t.Errorf("record %d = %+v", i, d)
				}
				if len(d.Keys) != 1 || sval(d.Keys["id"]) != "k" {
					t.Errorf("record %d Keys = %v", i, d.Keys)
				}
				wantNew := tt.new && r.EventName != stypes.OperationTypeRemove
				wantOld := tt.old && r.EventName != stypes.OperationTypeInsert
				if (d.NewImage != nil) != wantNew || (d.OldImage != nil) != wantOld {
					t.Errorf("record %d (%s): new %v old %v", i, r.EventName, d.NewImage, d.OldImage)
				}
				if r.EventName == stypes.OperationTypeModify && wantOld && sval(d.OldImage["v"]) != "one" {
					t.Errorf("MODIFY old image = %v", d.OldImage)
				}
				if r.EventName == stypes.OperationTypeModify && wantNew && sval(d.NewImage["v"]) != "two" {
					t.Errorf("MODIFY new image = %v", d.NewImage)
				}
			}
			if !slices.Equal(events, []string{"INSERT", "MODIFY", "REMOVE"}) {
				t.Errorf("events = %v", events)
			}
		})
	}
}

func TestStreamRecordWireShape(t *testing.T) {
	ts := newTestServer(t)
	arn := streamTable(t, ts, "Wire", types.StreamViewTypeNewAndOldImages)
	storePut(t, ts, "Wire", attr.Item{"id": attr.Str("k"), "n": num(t, "7")})
	it := iteratorOf(t, ts, arn, stypes.ShardIteratorTypeTrimHorizon, "")
	status, m := rawCall(t, ts, "DynamoDBStreams_20120810.GetRecords", map[string]string{"ShardIterator": it})
	if status != 200 {
		t.Fatalf("%d %v", status, m)
	}
	recs := m["Records"].([]any)
	if len(recs) != 1 {
		t.Fatalf("records = %v", recs)
	}
	rec := recs[0].(map[string]any)
	if got := keysOf(rec); !slices.Equal(got, []string{"awsRegion", "dynamodb", "eventID", "eventName", "eventSource", "eventVersion"}) {
		t.Errorf("record members = %v", got)
	}
	d := rec["dynamodb"].(map[string]any)
	if got := keysOf(d); !slices.Equal(got, []string{"ApproximateCreationDateTime", "Keys", "NewImage", "SequenceNumber", "SizeBytes", "StreamViewType"}) {
		t.Errorf("dynamodb members = %v", got)
	}
	img, _ := json.Marshal(d["NewImage"])
	if string(img) != `{"id":{"S":"k"},"n":{"N":"7"}}` {
		t.Errorf("NewImage = %s", img)
	}
}

func TestListAndDescribeStreams(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	a := streamTable(t, ts, "SAtab", types.StreamViewTypeKeysOnly)
	b := streamTable(t, ts, "SBtab", types.StreamViewTypeNewImage)
	simpleTable(t, ts, "SCtab", nil)

	out, err := ts.Streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, s := range out.Streams {
		arns = append(arns, aws.ToString(s.StreamArn))
	}
	if len(arns) != 2 || !slices.Contains(arns, a) || !slices.Contains(arns, b) {
		t.Errorf("ListStreams = %v", arns)
	}
	page, err := ts.Streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{Limit: aws.Int32(1)})
	if err != nil || len(page.Streams) != 1 || aws.ToString(page.LastEvaluatedStreamArn) != aws.ToString(page.Streams[0].StreamArn) {
		t.Fatalf("page 1 = %+v, %v", page, err)
	}
	page2, err := ts.Streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{Limit: aws.Int32(1), ExclusiveStartStreamArn: page.LastEvaluatedStreamArn})
	if err != nil || len(page2.Streams) != 1 || page2.Streams[0].StreamArn == page.Streams[0].StreamArn || page2.LastEvaluatedStreamArn != nil {
		t.Fatalf("page 2 = %+v, %v", page2, err)
	}
	one, err := ts.Streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String("SAtab")})
	if err != nil || len(one.Streams) != 1 || aws.ToString(one.Streams[0].StreamArn) != a || aws.ToString(one.Streams[0].TableName) != "SAtab" {
		t.Errorf("ListStreams SA = %+v, %v", one, err)
	}

	storePut(t, ts, "SAtab", attr.Item{"id": attr.Str("x")})
	ds, err := ts.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(a)})
	if err != nil {
		t.Fatal(err)
	}
	d := ds.StreamDescription
	if d.StreamStatus != stypes.StreamStatusEnabled || d.StreamViewType != stypes.StreamViewTypeKeysOnly || aws.ToString(d.TableName) != "SAtab" ||
		d.CreationRequestDateTime == nil || len(d.KeySchema) != 1 || aws.ToString(d.KeySchema[0].AttributeName) != "id" ||
		!strings.HasSuffix(a, "/stream/"+aws.ToString(d.StreamLabel)) || d.LastEvaluatedShardId != nil {
		t.Errorf("StreamDescription = %+v", d)
	}
	sh := d.Shards[0]
	if !regexp.MustCompile(`^shardId-\d{20}-[0-9a-f]{8}$`).MatchString(aws.ToString(sh.ShardId)) ||
		aws.ToString(sh.SequenceNumberRange.StartingSequenceNumber) == "" || sh.SequenceNumberRange.EndingSequenceNumber != nil {
		t.Errorf("shard = %+v %+v", sh, sh.SequenceNumberRange)
	}

	missing := strings.Replace(a, "table/SAtab/", "table/SZtab/", 1)
	_, err = ts.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(missing)})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found: Stream: "+missing+" not found")

	// Turning the stream off closes its shard.
	if _, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("SAtab"), StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	ds, _ = ts.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(a)})
	if ds.StreamDescription.StreamStatus != stypes.StreamStatusDisabled || ds.StreamDescription.Shards[0].SequenceNumberRange.EndingSequenceNumber == nil {
		t.Errorf("disabled stream = %+v", ds.StreamDescription)
	}
	// A closed shard read to its end has no next iterator.
	it := aws.String(iteratorOf(t, ts, a, stypes.ShardIteratorTypeTrimHorizon, ""))
	var got int
	for range 3 {
		out, err := ts.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it})
		if err != nil {
			t.Fatal(err)
		}
		got += len(out.Records)
		if it = out.NextShardIterator; it == nil {
			break
		}
	}
	if it != nil || got != 1 {
		t.Errorf("closed shard: %d records, next %v", got, it)
	}
}

func TestShardIterators(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	arn := streamTable(t, ts, "Its", types.StreamViewTypeKeysOnly)
	for _, id := range []string{"a", "b", "c"} {
		storePut(t, ts, "Its", attr.Item{"id": attr.Str(id)})
	}
	read := func(it string, limit int32) ([]string, []string, *string) {
		t.Helper()
		in := &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(it)}
		if limit > 0 {
			in.Limit = aws.Int32(limit)
		}
		out, err := ts.Streams.GetRecords(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var ids, seqs []string
		for _, r := range out.Records {
			ids = append(ids, sval(r.Dynamodb.Keys["id"]))
			seqs = append(seqs, aws.ToString(r.Dynamodb.SequenceNumber))
		}
		return ids, seqs, out.NextShardIterator
	}
	ids, seqs, next := read(iteratorOf(t, ts, arn, stypes.ShardIteratorTypeTrimHorizon, ""), 2)
	if !slices.Equal(ids, []string{"a", "b"}) || next == nil {
		t.Fatalf("first page = %v", ids)
	}
	if ids, _, _ := read(*next, 0); !slices.Equal(ids, []string{"c"}) {
		t.Errorf("second page = %v", ids)
	}
	if ids, _, _ := read(iteratorOf(t, ts, arn, stypes.ShardIteratorTypeAtSequenceNumber, seqs[1]), 0); !slices.Equal(ids, []string{"b", "c"}) {
		t.Errorf("AT_SEQUENCE_NUMBER = %v", ids)
	}
	if ids, _, _ := read(iteratorOf(t, ts, arn, stypes.ShardIteratorTypeAfterSequenceNumber, seqs[1]), 0); !slices.Equal(ids, []string{"c"}) {
		t.Errorf("AFTER_SEQUENCE_NUMBER = %v", ids)
	}
	latest := iteratorOf(t, ts, arn, stypes.ShardIteratorTypeLatest, "")
	if ids, _, next := read(latest, 0); len(ids) != 0 || next == nil {
		t.Errorf("LATEST before a write = %v", ids)
	}
	storePut(t, ts, "Its", attr.Item{"id": attr.Str("d")})
	if ids, _, _ := read(latest, 0); !slices.Equal(ids, []string{"d"}) {
		t.Errorf("LATEST after a write = %v", ids)
	}

	// Iterators expire after 15 minutes.
	old := iteratorOf(t, ts, arn, stypes.ShardIteratorTypeTrimHorizon, "")
	ts.Clock.Advance(16 * time.Minute)
	_, err := ts.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(old)})
	wantAPIError(t, err, "ExpiredIteratorException", "")
	var expired *stypes.ExpiredIteratorException
	if !errors.As(err, &expired) {
		t.Errorf("err %T is not the SDK's ExpiredIteratorException", err)
	}
	_, err = ts.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("garbage")})
	wantAPIError(t, err, "ValidationException", "Invalid ShardIterator")

	// Records older than the retention are trimmed.
	at := iteratorOf(t, ts, arn, stypes.ShardIteratorTypeAtSequenceNumber, seqs[0])
	if err := ts.Svc.Store.TrimStreams(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err = ts.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(at)})
	wantAPIError(t, err, "TrimmedDataAccessException", "")
	_, err = ts.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: shardOf(t, ts, arn).ShardId,
		ShardIteratorType: stypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: aws.String(seqs[0])})
	wantAPIError(t, err, "TrimmedDataAccessException", "")
	if ids, _, next := read(iteratorOf(t, ts, arn, stypes.ShardIteratorTypeTrimHorizon, ""), 0); len(ids) != 0 || next == nil {
		t.Errorf("TRIM_HORIZON after trimming = %v", ids)
	}

	_, err = ts.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn),
		ShardId: aws.String("shardId-00000000000000000000-00000000"), ShardIteratorType: stypes.ShardIteratorTypeLatest})
	wantAPIError(t, err, "ResourceNotFoundException", "")
	_, err = ts.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(latest), Limit: aws.Int32(1001)})
	wantAPIError(t, err, "ValidationException", "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000")
}

func TestStreamSource(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	arn := streamTable(t, ts, "Esm", types.StreamViewTypeNewAndOldImages)
	src := ts.Svc.StreamSource()

	shards, err := src.Shards(ctx, arn)
	if err != nil || len(shards) != 1 || shards[0].EndSeq != "" {
		t.Fatalf("Shards = %+v, %v", shards, err)
	}
	shard := shards[0].ID
	if want := aws.ToString(shardOf(t, ts, arn).ShardId); shard != want {
		t.Errorf("shard %s, DescribeStream says %s", shard, want)
	}
	if _, err := src.Shards(ctx, strings.Replace(arn, "table/Esm/", "table/Nope/", 1)); !errors.Is(err, eventsource.ErrNotFound) {
		t.Errorf("Shards of a missing stream: %v", err)
	}
	latest, err := src.Latest(ctx, arn, shard)
	if err != nil {
		t.Fatal(err)
	}

	// Wait wakes when a record arrives.
	woke := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		woke <- src.Wait(wctx, arn, shard, latest)
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-woke:
		t.Fatalf("Wait returned before any record: %v", err)
	default:
	}
	writeThree(t, ts, "Esm")
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Wait did not wake on a write")
	}

	recs, done, err := src.Read(ctx, arn, shard, latest, 2)
	if err != nil || done || len(recs) != 2 {
		t.Fatalf("Read = %d records, done %v, %v", len(recs), done, err)
	}
	rest, _, err := src.Read(ctx, arn, shard, recs[1].Seq, 10)
	if err != nil || len(rest) != 1 {
		t.Fatalf("Read after = %d, %v", len(rest), err)
	}
	all := append(recs, rest...)
	var names []string
	for i, r := range all {
		var ev map[string]any
		if err := json.Unmarshal(r.Data, &ev); err != nil {
			t.Fatal(err)
		}
		names = append(names, ev["eventName"].(string))
		if ev["eventSourceARN"] != arn || ev["eventVersion"] != "1.1" || ev["eventSource"] != "aws:dynamodb" || r.Size != len(r.Data) {
			t.Errorf("record %d = %s", i, r.Data)
		}
		if d := ev["dynamodb"].(map[string]any); d["SequenceNumber"] != r.Seq {
			t.Errorf("record %d Seq %s, data %v", i, r.Seq, d["SequenceNumber"])
		}
		if i > 0 && (r.Seq <= all[i-1].Seq || r.PartitionKey != all[0].PartitionKey) {
			t.Errorf("record %d out of order or other partition", i)
		}
		if time.Since(r.Time) > time.Minute {
			t.Errorf("record %d Time %v", i, r.Time)
		}
	}
	if !slices.Equal(names, []string{"INSERT", "MODIFY", "REMOVE"}) {
		t.Errorf("events = %v", names)
	}
	if l, _ := src.Latest(ctx, arn, shard); l != all[2].Seq {
		t.Errorf("Latest = %s, want %s", l, all[2].Seq)
	}
	// Wait returns at once when a record after the position is there.
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := src.Wait(wctx, arn, shard, recs[0].Seq); err != nil {
		t.Errorf("Wait with records pending: %v", err)
	}

	// Closing the shard: Read reports done once everything is read, and
	// Wait returns at once.
	if _, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Esm"), StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	if shards, _ := src.Shards(ctx, arn); shards[0].EndSeq != all[2].Seq {
		t.Errorf("closed shard EndSeq = %q, want %s", shards[0].EndSeq, all[2].Seq)
	}
	if recs, done, err := src.Read(ctx, arn, shard, all[2].Seq, 10); err != nil || len(recs) != 0 || !done {
		t.Errorf("Read at the end of a closed shard = %d, %v, %v", len(recs), done, err)
	}
	if recs, done, _ := src.Read(ctx, arn, shard, "", 10); len(recs) != 3 || done {
		t.Errorf("Read of a closed shard from its start = %d, done %v", len(recs), done)
	}
	if err := src.Wait(wctx, arn, shard, all[2].Seq); err != nil {
		t.Errorf("Wait on a closed shard: %v", err)
	}

	// Positions older than the records kept are ErrTrimmed.
	arn2 := streamTable(t, ts, "Esm2", types.StreamViewTypeKeysOnly)
	storePut(t, ts, "Esm2", attr.Item{"id": attr.Str("a")})
	storePut(t, ts, "Esm2", attr.Item{"id": attr.Str("b")})
	recs2, _, err := src.Read(ctx, arn2, aws.ToString(shardOf(t, ts, arn2).ShardId), "", 10)
	if err != nil || len(recs2) != 2 {
		t.Fatalf("Read Esm2 = %d, %v", len(recs2), err)
	}
	if err := ts.Svc.Store.TrimStreams(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	shard2 := aws.ToString(shardOf(t, ts, arn2).ShardId)
	if _, _, err := src.Read(ctx, arn2, shard2, recs2[0].Seq, 10); !errors.Is(err, eventsource.ErrTrimmed) {
		t.Errorf("Read of trimmed records: %v, want ErrTrimmed", err)
	}
	if recs, _, err := src.Read(ctx, arn2, shard2, "", 10); err != nil || len(recs) != 0 {
		t.Errorf("Read from the start after trimming = %d, %v", len(recs), err)
	}
}

// FuzzIterator checks that any text decodes without panicking and that an
// encoded iterator decodes to itself.
func FuzzIterator(f *testing.F) {
	s := &Service{Region: "us-east-1", Account: "000000000000"}
	f.Add("Tbl", "2024-01-01T00:00:00.000", uint64(5), int64(1700000000000), "garbage|1|e30")
	f.Fuzz(func(t *testing.T, table, label string, from uint64, created int64, text string) {
		decodeIterator(text)
		parseStreamARN(text)
		if table == "" || label == "" {
			return
		}
		it := iterator{Table: table, Label: label, From: from, Created: created}
		got, ok := decodeIterator(s.encodeIterator(it))
		if !ok || got != it {
			t.Fatalf("round trip of %+v = %+v, %v", it, got, ok)
		}
	})
}
