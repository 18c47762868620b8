package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func ddbClient(url string, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, opts...)
}

func streamsClient(url string) *dynamodbstreams.Client {
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// recorderHandler is a Python function that writes every stream record it gets
// into the table "sink" (keyed by the item's key and the record's sequence
// number) and appends the sequence number to the key's list in "arrivals", so
// the test sees both what arrived and in which order.
const recorderHandler = `import boto3

ddb = boto3.client("dynamodb")


def lambda_handler(event, context):
    for r in event["Records"]:
        d = r["dynamodb"]
        key = d["Keys"]["pk"]["S"]
        seq = d["SequenceNumber"]
        item = {"key": {"S": key}, "seq": {"S": seq}, "event": {"S": r["eventName"]}}
        if "n" in d.get("NewImage", {}):
            item["n"] = d["NewImage"]["n"]
        if "n" in d.get("OldImage", {}):
            item["old"] = d["OldImage"]["n"]
        ddb.put_item(TableName="sink", Item=item)
        ddb.update_item(
            TableName="arrivals",
            Key={"key": {"S": key}},
            UpdateExpression="SET seqs = list_append(if_not_exists(seqs, :none), :seq)",
            ExpressionAttributeValues={":none": {"L": []}, ":seq": {"L": [{"S": seq}]}},
        )
    return {}
`

func createTable(t *testing.T, c *dynamodb.Client, name string, stream bool, keys ...string) *ddbtypes.TableDescription {
	t.Helper()
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest}
	for i, k := range keys {
		kt := ddbtypes.KeyTypeHash
		if i == 1 {
			kt = ddbtypes.KeyTypeRange
		}
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(k), KeyType: kt})
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String(k), AttributeType: ddbtypes.ScalarAttributeTypeS})
	}
	if stream {
		in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages}
	}
	out, err := c.CreateTable(context.Background(), in)
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	return out.TableDescription
}

// TestDynamoDBStreamToFunction is the seed's "DynamoDB table changes trigger a
// function" end to end: a table with NEW_AND_OLD_IMAGES, an event source mapping
// to a Python function that writes what it receives to other tables, and 1,000
// puts, updates and deletes on 50 keys, with the server killed (SIGKILL) in the
// middle and restarted on the same data. Every change in the table's stream
// reaches the function, each key's changes in order (a batch may come again
// after the kill: at least once), and every acknowledged write is in the stream.
func TestDynamoDBStreamToFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	skipWithoutPython(t)
	skipWithoutBoto3(t)
	t.Parallel()
	ctx := context.Background()
	bin := serverBinary(t, t.TempDir())
	dataDir := t.TempDir()
	sp := startServerProcess(t, bin, dataDir)
	db := ddbClient(sp.URL)
	src := createTable(t, db, "source", true, "pk")
	createTable(t, db, "sink", false, "key", "seq")
	createTable(t, db, "arrivals", false, "key")

	lc := sp.client()
	createPyFn(t, lc, "recorder", map[string]string{"lambda_function.py": recorderHandler}, func(in *lambda.CreateFunctionInput) {
		in.Timeout = aws.Int32(60)
	})
	if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: src.LatestStreamArn, FunctionName: aws.String("recorder"),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(100),
	}); err != nil {
		t.Fatal(err)
	}

	// Each of 4 writers owns the keys k ≡ g (mod 4) and goes through their ops
	// in turn: op j on a key sets n to j (a put or an update), or deletes it.
	const keys, opsPerKey = 50, 20
	owned := func(g int) []string {
		var ks []string
		for k := g; k < keys; k += 4 {
			ks = append(ks, fmt.Sprintf("key-%02d", k))
		}
		return ks
	}
	var next [4]int // the next op of each writer, kept across the restart
	do := func(c *dynamodb.Client, g int) (string, bool, error) {
		ks := owned(g)
		if next[g] >= len(ks)*opsPerKey {
			return "", true, nil
		}
		key, j := ks[next[g]%len(ks)], next[g]/len(ks)
		pk := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: key}}
		n := &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(j)}
		var err error
		switch {
		case j%7 == 6:
			_, err = c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("source"), Key: pk})
		case j%2 == 0:
			_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("source"),
				Item: map[string]ddbtypes.AttributeValue{"pk": pk["pk"], "n": n, "pad": &ddbtypes.AttributeValueMemberS{Value: strings.Repeat("x", 200)}}})
		default:
			_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("source"), Key: pk,
				UpdateExpression: aws.String("SET n = :n"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":n": n}})
		}
		if err != nil {
			return "", false, err
		}
		next[g]++
		return fmt.Sprintf("%s#%d", key, j), false, nil
	}
	noRetry := ddbClient(sp.URL, func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} })
	acked := acceptUntilKilled(t, sp, 400, "write", func(g, _ int) (string, bool) {
		op, finished, err := do(noRetry, g)
		if finished || err != nil {
			time.Sleep(5 * time.Millisecond)
			return "", false
		}
		return op, true
	})
	t.Logf("%d writes acknowledged before the kill", len(acked))

	sp = startServerProcess(t, bin, dataDir)
	db = ddbClient(sp.URL)
	for g := range 4 {
		for {
			op, finished, err := do(db, g)
			if err != nil {
				t.Fatalf("write after the restart: %v", err)
			}
			if finished {
				break
			}
			acked = append(acked, op)
		}
	}

	// The stream is the truth of what changed: read it whole.
	type change struct{ key, event, n string }
	stream := map[string]change{} // by sequence number
	perKey := map[string][]string{}
	sc := streamsClient(sp.URL)
	desc, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: src.LatestStreamArn})
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range desc.StreamDescription.Shards {
		it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: src.LatestStreamArn,
			ShardId: sh.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for iter := it.ShardIterator; iter != nil; {
			out, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				d := r.Dynamodb
				key := d.Keys["pk"].(*streamtypes.AttributeValueMemberS).Value
				c := change{key: key, event: string(r.EventName)}
				if v, ok := d.NewImage["n"].(*streamtypes.AttributeValueMemberN); ok {
					c.n = v.Value
				}
				stream[*d.SequenceNumber] = c
				perKey[key] = append(perKey[key], *d.SequenceNumber)
			}
			if len(out.Records) == 0 {
				break // an open shard: everything written so far was read
			}
			iter = out.NextShardIterator
		}
	}
	// Every acknowledged put or update is in the stream.
	inStream := map[string]bool{}
	for _, c := range stream {
		if c.n != "" {
			inStream[c.key+"#"+c.n] = true
		}
	}
	for _, op := range acked {
		key, j, _ := strings.Cut(op, "#")
		if jn, _ := strconv.Atoi(j); jn%7 != 6 && !inStream[op] {
			t.Errorf("acknowledged write %s (n=%s) is not in the stream", key, j)
		}
	}
	t.Logf("%d acknowledged writes, %d stream records", len(acked), len(stream))

	// Everything in the stream reaches the function, in order per key.
	deadline := time.Now().Add(120 * time.Second)
	for {
		sink := map[string]string{}
		p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String("sink")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				sink[it["seq"].(*ddbtypes.AttributeValueMemberS).Value] = it["event"].(*ddbtypes.AttributeValueMemberS).Value
			}
		}
		missing := 0
		for seq, c := range stream {
			switch ev, ok := sink[seq]; {
			case !ok:
				missing++
			case ev != c.event:
				t.Fatalf("record %s reached the function as %s, is %s in the stream", seq, ev, c.event)
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d stream records never reached the function", missing, len(stream))
		}
		time.Sleep(250 * time.Millisecond)
	}
	replayed := 0
	for key, want := range perKey {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("arrivals"),
			Key: map[string]ddbtypes.AttributeValue{"key": &ddbtypes.AttributeValueMemberS{Value: key}}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		seen := map[string]bool{}
		for _, v := range out.Item["seqs"].(*ddbtypes.AttributeValueMemberL).Value {
			seq := v.(*ddbtypes.AttributeValueMemberS).Value
			if seen[seq] {
				replayed++
				continue
			}
			seen[seq] = true
			got = append(got, seq)
		}
		if !sort.StringsAreSorted(want) {
			t.Fatalf("%s: the stream's sequence numbers do not increase: %v", key, want)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: first arrivals in the order\n%v\nthe stream has\n%v", key, got, want)
		}
	}
	t.Logf("every record arrived, in order per key (%d delivered again after the kill)", replayed)
}

// poisonHandler fails any batch holding an item marked poison, and otherwise
// counts the records it got in the table "seen".
const poisonHandler = `import boto3

ddb = boto3.client("dynamodb")


def lambda_handler(event, context):
    for r in event["Records"]:
        if r["dynamodb"].get("NewImage", {}).get("poison", {}).get("BOOL"):
            raise Exception("poisoned record " + r["dynamodb"]["SequenceNumber"])
    for r in event["Records"]:
        ddb.put_item(TableName="seen", Item={"key": r["dynamodb"]["Keys"]["pk"]})
    return {}
`

// failureHandler keeps every on-failure invocation record it is sent.
const failureHandler = `import json
import boto3

ddb = boto3.client("dynamodb")


def lambda_handler(event, context):
    info = event["DDBStreamBatchInfo"]
    ddb.put_item(TableName="failures", Item={
        "key": {"S": info["startSequenceNumber"]},
        "record": {"S": json.dumps(event)},
    })
    return {}
`

// TestDynamoDBPoisonedRecordIsIsolated: with BisectBatchOnFunctionError, a batch
// failing because of one record is split until that record alone fails; it goes
// to the on-failure destination with AWS's invocation record, and every other
// record is processed.
func TestDynamoDBPoisonedRecordIsIsolated(t *testing.T) {
	skipWithoutPython(t)
	skipWithoutBoto3(t)
	t.Parallel()
	ctx := context.Background()
	ts := startServer(t, "")
	db := ddbClient(ts.URL)
	src := createTable(t, db, "poisoned", true, "pk")
	createTable(t, db, "seen", false, "key")
	createTable(t, db, "failures", false, "key")
	lc := ts.lambdaClient()
	createPyFn(t, lc, "picky", map[string]string{"lambda_function.py": poisonHandler}, func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(30) })
	dest := createPyFn(t, lc, "on-failure", map[string]string{"lambda_function.py": failureHandler}, func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(30) })

	// Written before the mapping exists, read from the horizon: one batch of 16.
	const items, poisoned = 16, 11
	for i := range items {
		item := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("item-%02d", i)}}
		if i == poisoned {
			item["poison"] = &ddbtypes.AttributeValueMemberBOOL{Value: true}
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("poisoned"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: src.LatestStreamArn, FunctionName: aws.String("picky"),
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(items),
		BisectBatchOnFunctionError: aws.Bool(true), MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: dest.FunctionArn}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToBool(m.BisectBatchOnFunctionError) != true || aws.ToInt32(m.MaximumRetryAttempts) != 1 || aws.ToInt32(m.BatchSize) != items {
		t.Errorf("mapping answered %+v", m)
	}

	deadline := time.Now().Add(60 * time.Second)
	var failures []map[string]ddbtypes.AttributeValue
	var seen int32
	for {
		f, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("failures"), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		s, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("seen"), Select: ddbtypes.SelectCount, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		failures, seen = f.Items, s.Count
		if len(failures) >= 1 && seen == items-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: %d failure records, %d of %d good records processed", len(failures), seen, items-1)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a second failure record would be a defect
	f, _ := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("failures"), ConsistentRead: aws.Bool(true)})
	if len(f.Items) != 1 {
		t.Fatalf("%d failure records, want the poisoned one alone", len(f.Items))
	}
	var rec struct {
		RequestContext struct {
			FunctionArn, Condition string
			ApproximateInvokeCount int
		}
		ResponseContext struct {
			StatusCode    int
			FunctionError string
		}
		Version            string
		DDBStreamBatchInfo struct {
			ShardID                                string `json:"shardId"`
			StartSequenceNumber, EndSequenceNumber string
			BatchSize                              int
			StreamArn                              string
		}
	}
	raw := f.Items[0]["record"].(*ddbtypes.AttributeValueMemberS).Value
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		t.Fatal(err)
	}
	bi := rec.DDBStreamBatchInfo
	if bi.BatchSize != 1 || bi.StartSequenceNumber != bi.EndSequenceNumber || bi.StreamArn != aws.ToString(src.LatestStreamArn) ||
		rec.RequestContext.Condition != "RetryAttemptsExhausted" || rec.ResponseContext.FunctionError != "Unhandled" || rec.Version != "1.0" {
		t.Errorf("on-failure record: %s", raw)
	}
	// The isolated record is the poisoned one.
	var poisonSeq string
	sc := streamsClient(ts.URL)
	desc, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: src.LatestStreamArn})
	if err != nil {
		t.Fatal(err)
	}
	it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: src.LatestStreamArn,
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs.Records {
		if _, ok := r.Dynamodb.NewImage["poison"]; ok {
			poisonSeq = *r.Dynamodb.SequenceNumber
		}
	}
	if poisonSeq == "" || bi.StartSequenceNumber != poisonSeq {
		t.Errorf("isolated record %s, the poisoned one is %s", bi.StartSequenceNumber, poisonSeq)
	}
	var nf *ddbtypes.ResourceNotFoundException
	if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("nope")}); !errors.As(err, &nf) {
		t.Errorf("DescribeTable of a missing table: %v", err)
	}
}
