package dynamodb

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestBatchWriteGet(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	a := hashTable(t, ts, "ba_t")
	b := rangeTable(t, ts, "bb_t")
	var ra, rb []types.WriteRequest
	for i := range 15 {
		ra = append(ra, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"id": avS(fmt.Sprint(i)), "v": avN(fmt.Sprint(i))}}})
	}
	for i := range 10 {
		rb = append(rb, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"id": avS("h"), "sk": avN(fmt.Sprint(i)), "lsk": avS("x")}}})
	}
	wout, err := ts.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{a: ra, b: rb},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal, ReturnItemCollectionMetrics: types.ReturnItemCollectionMetricsSize})
	if err != nil {
		t.Fatal(err)
	}
	if wout.UnprocessedItems == nil || len(wout.UnprocessedItems) != 0 {
		t.Errorf("UnprocessedItems = %v, want {}", wout.UnprocessedItems)
	}
	if len(wout.ConsumedCapacity) != 2 || len(wout.ItemCollectionMetrics[b]) != 10 || wout.ItemCollectionMetrics[a] != nil {
		t.Errorf("capacity %v, metrics %v", wout.ConsumedCapacity, wout.ItemCollectionMetrics)
	}
	// Deletes, and a put, in one batch.
	_, err = ts.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{a: {
		{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"id": avS("0")}}},
		{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"id": avS("1")}}},
		{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"id": avS("2"), "v": avN("200")}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}

	gout, err := ts.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		a: {Keys: []map[string]types.AttributeValue{{"id": avS("0")}, {"id": avS("2")}, {"id": avS("3")}}, ProjectionExpression: aws.String("#v"),
			ExpressionAttributeNames: map[string]string{"#v": "v"}},
		b: {Keys: []map[string]types.AttributeValue{{"id": avS("h"), "sk": avN("4")}}, ConsistentRead: aws.Bool(true)},
	}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if got := sks(t, gout.Responses[a], "v"); got != "200,3" && got != "3,200" {
		t.Errorf("table a responses v = %s, want 200 and 3", got)
	}
	if len(gout.Responses[a][0]) != 1 {
		t.Errorf("projection not applied: %v", gout.Responses[a][0])
	}
	if len(gout.Responses[b]) != 1 || sks(t, gout.Responses[b], "sk") != "4" {
		t.Errorf("table b responses = %v", gout.Responses[b])
	}
	if gout.UnprocessedKeys == nil || len(gout.UnprocessedKeys) != 0 {
		t.Errorf("UnprocessedKeys = %v, want {}", gout.UnprocessedKeys)
	}
	if len(gout.ConsumedCapacity) != 2 {
		t.Errorf("ConsumedCapacity = %v", gout.ConsumedCapacity)
	}
	for _, c := range gout.ConsumedCapacity {
		want := 1.5 // three eventually consistent reads
		if aws.ToString(c.TableName) == b {
			want = 1
		}
		if aws.ToFloat64(c.CapacityUnits) != want {
			t.Errorf("%s consumed %v, want %v", aws.ToString(c.TableName), aws.ToFloat64(c.CapacityUnits), want)
		}
	}
}

func TestBatchErrors(t *testing.T) {
	ts := newTestServer(t)
	a := hashTable(t, ts, "be_t")
	keys := func(n int) []map[string]types.AttributeValue {
		out := make([]map[string]types.AttributeValue, n)
		for i := range out {
			out[i] = map[string]types.AttributeValue{"id": avS(fmt.Sprint(i))}
		}
		return out
	}
	puts := func(n int) []types.WriteRequest {
		out := make([]types.WriteRequest, n)
		for i := range out {
			out[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"id": avS(fmt.Sprint(i))}}}
		}
		return out
	}
	cases := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"get too many", func() error {
			_, err := ts.DB.BatchGetItem(t.Context(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{a: {Keys: keys(101)}}})
			return err
		}, "ValidationException", "Too many items requested for the BatchGetItem call"},
		{"get duplicates", func() error {
			k := keys(2)
			k[1] = k[0]
			_, err := ts.DB.BatchGetItem(t.Context(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{a: {Keys: k}}})
			return err
		}, "ValidationException", "Provided list of item keys contains duplicates"},
		{"get key schema", func() error {
			_, err := ts.DB.BatchGetItem(t.Context(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{a: {Keys: []map[string]types.AttributeValue{{"x": avS("1")}}}}})
			return err
		}, "ValidationException", "The provided key element does not match the schema"},
		{"get missing table", func() error {
			_, err := ts.DB.BatchGetItem(t.Context(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"nope": {Keys: keys(1)}}})
			return err
		}, "ResourceNotFoundException", "Requested resource not found"},
		{"write too many", func() error {
			_, err := ts.DB.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{a: puts(26)}})
			return err
		}, "ValidationException", ""},
		{"write duplicates", func() error {
			p := puts(2)
			p = append(p, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"id": avS("1")}}})
			_, err := ts.DB.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{a: p}})
			return err
		}, "ValidationException", "Provided list of item keys contains duplicates"},
		{"write bad item", func() error {
			p := puts(2)
			p[1].PutRequest.Item = map[string]types.AttributeValue{"id": avN("1")}
			_, err := ts.DB.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{a: p}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { expectAPIError(t, c.call(), c.code, c.msg) })
	}
	// The refused batches wrote nothing.
	if got := getItem(t, ts, a, map[string]types.AttributeValue{"id": avS("0")}); got != nil {
		t.Errorf("refused batch wrote %v", got)
	}
}
