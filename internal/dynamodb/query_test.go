package dynamodb

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// batchPut writes items 25 at a time.
func batchPut(t *testing.T, ts *testServer, table string, items []map[string]types.AttributeValue) {
	t.Helper()
	for len(items) > 0 {
		n := min(25, len(items))
		reqs := make([]types.WriteRequest, n)
		for i := range n {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: items[i]}}
		}
		out, err := ts.DB.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		if err != nil {
			t.Fatalf("BatchWriteItem: %v", err)
		}
		if len(out.UnprocessedItems) != 0 {
			t.Fatalf("UnprocessedItems = %v", out.UnprocessedItems)
		}
		items = items[n:]
	}
}

// seedRange puts items id "h", sk 0..9 into a rangeTable: lsk "l<9-sk>",
// g "G", gs sk, extra "e<sk>", other sk%2.
func seedRange(t *testing.T, ts *testServer, table string) {
	items := make([]map[string]types.AttributeValue, 10)
	for i := range items {
		items[i] = map[string]types.AttributeValue{
			"id": avS("h"), "sk": avN(fmt.Sprint(i)), "lsk": avS(fmt.Sprintf("l%d", 9-i)),
			"g": avS("G"), "gs": avN(fmt.Sprint(i)), "extra": avS(fmt.Sprintf("e%d", i)), "other": avN(fmt.Sprint(i % 2)),
		}
	}
	items = append(items, map[string]types.AttributeValue{"id": avS("other"), "sk": avN("1")})
	batchPut(t, ts, table, items)
}

func sks(t *testing.T, items []map[string]types.AttributeValue, attr string) string {
	t.Helper()
	var b []string
	for _, it := range items {
		switch v := it[attr].(type) {
		case *types.AttributeValueMemberN:
			b = append(b, v.Value)
		case *types.AttributeValueMemberS:
			b = append(b, v.Value)
		default:
			b = append(b, "-")
		}
	}
	return strings.Join(b, ",")
}

func TestQuery(t *testing.T) {
	ts := newTestServer(t)
	tbl := rangeTable(t, ts, "q_t")
	seedRange(t, ts, tbl)
	h := expression.Key("id").Equal(expression.Value("h"))
	query := func(kc expression.KeyConditionBuilder, mod func(*dynamodb.QueryInput)) *dynamodb.QueryOutput {
		t.Helper()
		e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
		if err != nil {
			t.Fatal(err)
		}
		in := &dynamodb.QueryInput{TableName: aws.String(tbl), KeyConditionExpression: e.KeyCondition(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
		if mod != nil {
			mod(in)
		}
		out, err := ts.DB.Query(t.Context(), in)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		return out
	}
	cases := []struct {
		name  string
		kc    expression.KeyConditionBuilder
		mod   func(*dynamodb.QueryInput)
		attr  string
		want  string
		count int32
	}{
		{"hash", h, nil, "sk", "0,1,2,3,4,5,6,7,8,9", 10},
		{"between", h.And(expression.Key("sk").Between(expression.Value(2), expression.Value(4))), nil, "sk", "2,3,4", 3},
		{"backward", h.And(expression.Key("sk").GreaterThan(expression.Value(6))), func(in *dynamodb.QueryInput) { in.ScanIndexForward = aws.Bool(false) }, "sk", "9,8,7", 3},
		{"lsi begins_with", h.And(expression.KeyBeginsWith(expression.Key("lsk"), "l")), func(in *dynamodb.QueryInput) {
			in.IndexName = aws.String("lsi")
			in.Limit = aws.Int32(3)
		}, "sk", "9,8,7", 3},
		{"gsi", expression.Key("g").Equal(expression.Value("G")).And(expression.Key("gs").LessThanEqual(expression.Value(1))),
			func(in *dynamodb.QueryInput) { in.IndexName = aws.String("gsi") }, "extra", "e0,e1", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := query(c.kc, c.mod)
			if got := sks(t, out.Items, c.attr); got != c.want || out.Count != c.count {
				t.Errorf("%s = %s (Count %d), want %s (%d)", c.attr, got, out.Count, c.want, c.count)
			}
		})
	}

	// Projections: a KEYS_ONLY local index holds the keys; ALL_ATTRIBUTES on
	// it reads the table; an INCLUDE global index holds what it includes.
	out := query(h.And(expression.Key("lsk").Equal(expression.Value("l0"))), func(in *dynamodb.QueryInput) { in.IndexName = aws.String("lsi") })
	if len(out.Items) != 1 || len(out.Items[0]) != 3 {
		t.Errorf("KEYS_ONLY lsi item = %v, want id, sk, lsk", out.Items)
	}
	out = query(h.And(expression.Key("lsk").Equal(expression.Value("l0"))), func(in *dynamodb.QueryInput) {
		in.IndexName, in.Select = aws.String("lsi"), types.SelectAllAttributes
	})
	if len(out.Items) != 1 || len(out.Items[0]) != 7 {
		t.Errorf("ALL_ATTRIBUTES lsi item = %v, want the whole item", out.Items)
	}
	out = query(expression.Key("g").Equal(expression.Value("G")), func(in *dynamodb.QueryInput) { in.IndexName = aws.String("gsi"); in.Limit = aws.Int32(1) })
	if len(out.Items) != 1 || out.Items[0]["other"] != nil || out.Items[0]["extra"] == nil || out.Items[0]["lsk"] != nil {
		t.Errorf("INCLUDE gsi item = %v", out.Items)
	}
	if lek := out.LastEvaluatedKey; len(lek) != 4 || lek["g"] == nil || lek["gs"] == nil || lek["id"] == nil || lek["sk"] == nil {
		t.Errorf("gsi LastEvaluatedKey = %v, want table and index keys", lek)
	}

	// Limit counts items read before the filter; Count after it.
	out = query(h, func(in *dynamodb.QueryInput) {
		in.Limit = aws.Int32(4)
		in.FilterExpression = aws.String("#other = :one") // OTHER is a reserved word
		in.ExpressionAttributeNames["#other"] = "other"
		in.ExpressionAttributeValues[":one"] = avN("1")
	})
	if out.ScannedCount != 4 || out.Count != 2 || sks(t, out.Items, "sk") != "1,3" || out.LastEvaluatedKey == nil {
		t.Errorf("filtered page: Count %d ScannedCount %d items %s LEK %v", out.Count, out.ScannedCount, sks(t, out.Items, "sk"), out.LastEvaluatedKey)
	}
	out = query(h, func(in *dynamodb.QueryInput) { in.Select = types.SelectCount })
	if out.Count != 10 || out.Items != nil {
		t.Errorf("COUNT: Count %d Items %v", out.Count, out.Items)
	}
	out = query(h, func(in *dynamodb.QueryInput) {
		in.ProjectionExpression = aws.String("extra")
		in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	})
	if len(out.Items) != 10 || len(out.Items[0]) != 1 || out.ConsumedCapacity == nil || aws.ToFloat64(out.ConsumedCapacity.CapacityUnits) != 0.5 {
		t.Errorf("projected query: %v, capacity %+v", out.Items, out.ConsumedCapacity)
	}

	// Paging with Limit: pages of 3 until no LastEvaluatedKey.
	var all []string
	var start map[string]types.AttributeValue
	pages := 0
	for {
		out := query(h, func(in *dynamodb.QueryInput) { in.Limit, in.ExclusiveStartKey = aws.Int32(3), start })
		pages++
		all = append(all, sks(t, out.Items, "sk"))
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if strings.Join(all, ",") != "0,1,2,3,4,5,6,7,8,9" || pages != 4 {
		t.Errorf("pages %d: %v", pages, all)
	}

	// Legacy KeyConditions and QueryFilter.
	lq, err := ts.DB.Query(t.Context(), &dynamodb.QueryInput{TableName: aws.String(tbl),
		KeyConditions: map[string]types.Condition{
			"id": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{avS("h")}},
			"sk": {ComparisonOperator: types.ComparisonOperatorGe, AttributeValueList: []types.AttributeValue{avN("5")}},
		},
		QueryFilter: map[string]types.Condition{"other": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{avN("0")}}},
	})
	if err != nil || sks(t, lq.Items, "sk") != "6,8" || lq.ScannedCount != 5 {
		t.Errorf("legacy query: %v %v", lq, err)
	}
}

func TestQueryErrors(t *testing.T) {
	ts := newTestServer(t)
	tbl := rangeTable(t, ts, "qe_t")
	vals := func(kv ...string) map[string]types.AttributeValue {
		m := map[string]types.AttributeValue{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = avS(kv[i+1])
		}
		return m
	}
	cases := []struct {
		name string
		in   dynamodb.QueryInput
		msg  string
	}{
		{"missed hash", dynamodb.QueryInput{KeyConditionExpression: aws.String("lsk = :a"), ExpressionAttributeValues: vals(":a", "x")},
			"Query condition missed key schema element: sk"},
		{"missed hash only", dynamodb.QueryInput{KeyConditionExpression: aws.String("sk = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": avN("1")}},
			"Query condition missed key schema element: id"},
		{"hash not equal", dynamodb.QueryInput{KeyConditionExpression: aws.String("id > :a"), ExpressionAttributeValues: vals(":a", "x")},
			"Query key condition not supported"},
		{"filter on key", dynamodb.QueryInput{KeyConditionExpression: aws.String("id = :a"), FilterExpression: aws.String("sk > :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":a": avS("x"), ":n": avN("1")}},
			"Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"},
		{"mixed", dynamodb.QueryInput{KeyConditionExpression: aws.String("id = :a"), ExpressionAttributeValues: vals(":a", "x"),
			QueryFilter: map[string]types.Condition{"x": {ComparisonOperator: types.ComparisonOperatorNull}}},
			"Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}"},
		{"no index", dynamodb.QueryInput{IndexName: aws.String("nope"), KeyConditionExpression: aws.String("id = :a"), ExpressionAttributeValues: vals(":a", "x")},
			"The table does not have the specified index: nope"},
		{"consistent gsi", dynamodb.QueryInput{IndexName: aws.String("gsi"), ConsistentRead: aws.Bool(true), KeyConditionExpression: aws.String("g = :a"), ExpressionAttributeValues: vals(":a", "x")},
			"Consistent reads are not supported on global secondary indexes"},
		{"all attributes gsi", dynamodb.QueryInput{IndexName: aws.String("gsi"), Select: types.SelectAllAttributes, KeyConditionExpression: aws.String("g = :a"), ExpressionAttributeValues: vals(":a", "x")},
			"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index gsi because its projection type is not ALL"},
		{"count with projection", dynamodb.QueryInput{Select: types.SelectCount, ProjectionExpression: aws.String("extra"), KeyConditionExpression: aws.String("id = :a"), ExpressionAttributeValues: vals(":a", "x")},
			"1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count"},
		{"limit", dynamodb.QueryInput{Limit: aws.Int32(0), KeyConditionExpression: aws.String("id = :a"), ExpressionAttributeValues: vals(":a", "x")},
			"1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"start key", dynamodb.QueryInput{KeyConditionExpression: aws.String("id = :a"), ExpressionAttributeValues: vals(":a", "x"), ExclusiveStartKey: vals("id", "x")},
			"The provided starting key is invalid: The provided key element does not match the schema"},
		{"value type", dynamodb.QueryInput{KeyConditionExpression: aws.String("id = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": avN("1")}},
			"One or more parameter values were invalid: Condition parameter type does not match schema type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.TableName = aws.String(tbl)
			_, err := ts.DB.Query(t.Context(), &in)
			expectAPIError(t, err, "ValidationException", c.msg)
		})
	}
}

// kilobyteItems returns n items of about 1 KB, keyed as keyed(i) says.
func kilobyteItems(n int, keyed func(i int) map[string]types.AttributeValue) []map[string]types.AttributeValue {
	pad := strings.Repeat("p", 1000)
	items := make([]map[string]types.AttributeValue, n)
	for i := range items {
		it := keyed(i)
		it["pad"] = avS(pad)
		items[i] = it
	}
	return items
}

func TestQueryPages1MB(t *testing.T) {
	ts := newTestServer(t)
	tbl := rangeTable(t, ts, "big")
	batchPut(t, ts, tbl, kilobyteItems(2000, func(i int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"id": avS("h"), "sk": avN(fmt.Sprint(i))}
	}))
	var start map[string]types.AttributeValue
	total, pages := 0, 0
	for {
		out, err := ts.DB.Query(t.Context(), &dynamodb.QueryInput{TableName: aws.String(tbl), KeyConditionExpression: aws.String("id = :h"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":h": avS("h")}, ExclusiveStartKey: start, ConsistentRead: aws.Bool(true),
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if pages == 1 {
			if len(out.Items) < 900 || len(out.Items) > 1100 || out.LastEvaluatedKey == nil {
				t.Fatalf("first page: %d items, LEK %v; want about 1 MB", len(out.Items), out.LastEvaluatedKey)
			}
			if cu := aws.ToFloat64(out.ConsumedCapacity.CapacityUnits); cu < 250 || cu > 257 {
				t.Errorf("first page consumed %v units, want 1 MB / 4 KB", cu)
			}
		}
		if want := fmt.Sprint(total); sks(t, out.Items[:1], "sk") != want {
			t.Fatalf("page %d starts at %s, want %s", pages, sks(t, out.Items[:1], "sk"), want)
		}
		total += len(out.Items)
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	if total != 2000 || pages != 2 {
		t.Errorf("read %d items in %d pages, want 2000 in 2", total, pages)
	}
}
