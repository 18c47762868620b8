package dynamodb

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// scanAll pages through a scan, returning every item and the page count.
func scanAll(t *testing.T, ts *testServer, in dynamodb.ScanInput) ([]map[string]types.AttributeValue, int) {
	t.Helper()
	var items []map[string]types.AttributeValue
	pages := 0
	for {
		out, err := ts.DB.Scan(t.Context(), &in)
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		pages++
		items = append(items, out.Items...)
		if out.LastEvaluatedKey == nil {
			return items, pages
		}
		if pages > 100 {
			t.Fatal("scan does not end")
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func TestScan(t *testing.T) {
	ts := newTestServer(t)
	tbl := hashTable(t, ts, "scan")
	batchPut(t, ts, tbl, kilobyteItems(2000, func(i int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"id": avS(fmt.Sprintf("k%04d", i)), "n": avN(fmt.Sprint(i))}
	}))
	distinct := func(items []map[string]types.AttributeValue) int {
		seen := map[string]bool{}
		for _, it := range items {
			seen[it["id"].(*types.AttributeValueMemberS).Value] = true
		}
		return len(seen)
	}

	// 1 MB pages.
	items, pages := scanAll(t, ts, dynamodb.ScanInput{TableName: aws.String(tbl)})
	if len(items) != 2000 || distinct(items) != 2000 || pages != 2 {
		t.Errorf("whole scan: %d items (%d distinct) in %d pages, want 2000 in 2", len(items), distinct(items), pages)
	}
	// Limit pages.
	items, pages = scanAll(t, ts, dynamodb.ScanInput{TableName: aws.String(tbl), Limit: aws.Int32(700), ProjectionExpression: aws.String("id")})
	if len(items) != 2000 || pages != 3 || len(items[0]) != 1 {
		t.Errorf("Limit 700: %d items in %d pages", len(items), pages)
	}
	// Parallel segments split the items.
	total := map[string]bool{}
	for seg := range int32(4) {
		items, _ := scanAll(t, ts, dynamodb.ScanInput{TableName: aws.String(tbl), Segment: aws.Int32(seg), TotalSegments: aws.Int32(4), Limit: aws.Int32(400)})
		for _, it := range items {
			id := it["id"].(*types.AttributeValueMemberS).Value
			if total[id] {
				t.Fatalf("%s in two segments", id)
			}
			total[id] = true
		}
	}
	if len(total) != 2000 {
		t.Errorf("segments found %d items, want 2000", len(total))
	}
	// Filters: expression and legacy.
	out, err := ts.DB.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(tbl), FilterExpression: aws.String("n < :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": avN("10")}, Select: types.SelectCount, Limit: aws.Int32(1000)})
	if err != nil || out.ScannedCount != 1000 || out.Count > 10 || out.Items != nil {
		t.Errorf("filtered count: %+v %v", out, err)
	}
	items, _ = scanAll(t, ts, dynamodb.ScanInput{TableName: aws.String(tbl),
		ScanFilter: map[string]types.Condition{"n": {ComparisonOperator: types.ComparisonOperatorBetween, AttributeValueList: []types.AttributeValue{avN("5"), avN("9")}}}})
	if len(items) != 5 {
		t.Errorf("ScanFilter BETWEEN 5 AND 9: %d items", len(items))
	}
}

func TestScanErrors(t *testing.T) {
	ts := newTestServer(t)
	tbl := rangeTable(t, ts, "se_t")
	cases := []struct {
		name string
		in   dynamodb.ScanInput
		msg  string
	}{
		{"segment alone", dynamodb.ScanInput{Segment: aws.Int32(0)},
			"The TotalSegments parameter is required but was not present in the request when Segment parameter is present"},
		{"total alone", dynamodb.ScanInput{TotalSegments: aws.Int32(4)},
			"The Segment parameter is required but was not present in the request when parameter TotalSegments is present"},
		{"segment too big", dynamodb.ScanInput{Segment: aws.Int32(5), TotalSegments: aws.Int32(5)},
			"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 5 is not less than TotalSegments: 5"},
		{"limit", dynamodb.ScanInput{Limit: aws.Int32(0)},
			"1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"count with projection", dynamodb.ScanInput{Select: types.SelectCount, ProjectionExpression: aws.String("extra")},
			"Cannot specify the ProjectionExpression when choosing to get only the Count"},
		{"values without filter", dynamodb.ScanInput{ExpressionAttributeValues: map[string]types.AttributeValue{":a": avS("x")}},
			"ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"},
		{"all attributes gsi", dynamodb.ScanInput{IndexName: aws.String("gsi"), Select: types.SelectAllAttributes},
			"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index gsi because its projection type is not ALL"},
		{"consistent gsi", dynamodb.ScanInput{IndexName: aws.String("gsi"), ConsistentRead: aws.Bool(true)},
			"Consistent reads are not supported on global secondary indexes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.TableName = aws.String(tbl)
			_, err := ts.DB.Scan(t.Context(), &in)
			expectAPIError(t, err, "ValidationException", c.msg)
		})
	}
}

func TestScanIndex(t *testing.T) {
	ts := newTestServer(t)
	tbl := rangeTable(t, ts, "si_t")
	seedRange(t, ts, tbl)
	// Only items with the index's key attributes are in it.
	items, _ := scanAll(t, ts, dynamodb.ScanInput{TableName: aws.String(tbl), IndexName: aws.String("gsi")})
	if len(items) != 10 || items[0]["other"] != nil {
		t.Errorf("gsi scan: %d items, first %v", len(items), items[0])
	}
	items, _ = scanAll(t, ts, dynamodb.ScanInput{TableName: aws.String(tbl), IndexName: aws.String("lsi"), Limit: aws.Int32(3)})
	if len(items) != 10 {
		t.Errorf("lsi scan: %d items", len(items))
	}
}
