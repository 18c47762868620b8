package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDynamoDBAWSCLI is a table's life through Debian's aws CLI: create with a
// GSI and a stream, the table-exists waiter, items with conditions and
// updates, a paginated query and scan, TTL, tags, delete and the
// table-not-exists waiter. Each call costs most of a second, so it is one
// journey.
func TestDynamoDBAWSCLI(t *testing.T) {
	aws := awsCLIv2(t)
	t.Parallel()
	ts := startServer(t, "")
	run, _, env := awsCLIRunner(t, aws, ts)

	created := run("dynamodb", "create-table", "--table-name", "Music",
		"--attribute-definitions", "AttributeName=Artist,AttributeType=S", "AttributeName=Song,AttributeType=S", "AttributeName=Year,AttributeType=N",
		"--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=Song,KeyType=RANGE",
		"--global-secondary-indexes", `[{"IndexName":"ByYear","KeySchema":[{"AttributeName":"Year","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]`,
		"--billing-mode", "PAY_PER_REQUEST", "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES",
		"--tags", "Key=team,Value=audio")
	desc := created["TableDescription"].(map[string]any)
	if desc["TableArn"] != "arn:aws:dynamodb:us-east-1:000000000000:table/Music" || desc["LatestStreamArn"] == nil {
		t.Errorf("create-table: %v", desc)
	}
	run("dynamodb", "wait", "table-exists", "--table-name", "Music")

	for _, it := range []string{
		`{"Artist":{"S":"Acme"},"Song":{"S":"One"},"Year":{"N":"1999"},"Plays":{"N":"1"}}`,
		`{"Artist":{"S":"Acme"},"Song":{"S":"Two"},"Year":{"N":"2001"}}`,
		`{"Artist":{"S":"Acme"},"Song":{"S":"Three"},"Year":{"N":"1999"}}`,
	} {
		run("dynamodb", "put-item", "--table-name", "Music", "--item", it)
	}
	up := run("dynamodb", "update-item", "--table-name", "Music", "--key", `{"Artist":{"S":"Acme"},"Song":{"S":"One"}}`,
		"--update-expression", "SET Plays = Plays + :one, Tags = list_append(if_not_exists(Tags, :empty), :t)",
		"--condition-expression", "attribute_exists(Artist)",
		"--expression-attribute-values", `{":one":{"N":"1"},":empty":{"L":[]},":t":{"L":[{"S":"rock"}]}}`,
		"--return-values", "UPDATED_NEW")
	if got := up["Attributes"].(map[string]any); got["Plays"].(map[string]any)["N"] != "2" || got["Tags"] == nil || got["Year"] != nil {
		t.Errorf("update-item UPDATED_NEW: %v", got)
	}

	// A failed condition exits 254 with DynamoDB's error.
	cmd := exec.Command(aws, "--endpoint-url", ts.URL, "dynamodb", "put-item", "--table-name", "Music",
		"--item", `{"Artist":{"S":"Acme"},"Song":{"S":"One"}}`, "--condition-expression", "attribute_not_exists(Artist)")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 254 ||
		!strings.Contains(string(out), "An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: The conditional request failed") {
		t.Errorf("conditional put: %v\n%s", err, out)
	}

	// The CLI pages by itself: --page-size 1 makes three requests for three items.
	q := run("dynamodb", "query", "--table-name", "Music", "--key-condition-expression", "Artist = :a AND begins_with(Song, :t)",
		"--expression-attribute-values", `{":a":{"S":"Acme"},":t":{"S":"T"}}`, "--page-size", "1")
	if q["Count"].(float64) != 2 || len(q["Items"].([]any)) != 2 {
		t.Errorf("query: %v", q)
	}
	byYear := run("dynamodb", "query", "--table-name", "Music", "--index-name", "ByYear",
		"--key-condition-expression", "#y = :y", "--expression-attribute-names", `{"#y":"Year"}`,
		"--expression-attribute-values", `{":y":{"N":"1999"}}`, "--select", "COUNT")
	if byYear["Count"].(float64) != 2 {
		t.Errorf("query ByYear: %v", byYear)
	}
	sc := run("dynamodb", "scan", "--table-name", "Music", "--filter-expression", "#y > :y",
		"--expression-attribute-names", `{"#y":"Year"}`, "--expression-attribute-values", `{":y":{"N":"2000"}}`, "--page-size", "1")
	if sc["Count"].(float64) != 1 || sc["ScannedCount"].(float64) != 3 {
		t.Errorf("scan: %v", sc)
	}

	run("dynamodb", "update-time-to-live", "--table-name", "Music", "--time-to-live-specification", "Enabled=true,AttributeName=Expires")
	ttl := run("dynamodb", "describe-time-to-live", "--table-name", "Music")["TimeToLiveDescription"].(map[string]any)
	if ttl["TimeToLiveStatus"] != "ENABLED" || ttl["AttributeName"] != "Expires" {
		t.Errorf("describe-time-to-live: %v", ttl)
	}
	tags := run("dynamodb", "list-tags-of-resource", "--resource-arn", "arn:aws:dynamodb:us-east-1:000000000000:table/Music")
	if tl := tags["Tags"].([]any); len(tl) != 1 || tl[0].(map[string]any)["Key"] != "team" {
		t.Errorf("list-tags-of-resource: %v", tags)
	}
	streams := run("dynamodbstreams", "list-streams", "--table-name", "Music")
	if len(streams["Streams"].([]any)) != 1 {
		t.Errorf("list-streams: %v", streams)
	}
	if names := run("dynamodb", "list-tables")["TableNames"].([]any); len(names) != 1 || names[0] != "Music" {
		t.Errorf("list-tables: %v", names)
	}
	run("dynamodb", "delete-table", "--table-name", "Music")
	run("dynamodb", "wait", "table-not-exists", "--table-name", "Music")
}

// boto3Tables runs with Debian's python3-boto3: the resource API (Table,
// batch_writer, conditions from boto3.dynamodb.conditions, Decimal numbers),
// the client API with a paginator, and a transaction's cancellation reasons.
const boto3Tables = `
import sys
from decimal import Decimal
import boto3, botocore
from boto3.dynamodb.conditions import Key, Attr

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
ddb = boto3.resource("dynamodb", **kw)
client = boto3.client("dynamodb", **kw)

table = ddb.create_table(TableName="orders",
    KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "order", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"}, {"AttributeName": "order", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST")
table.wait_until_exists()
table.reload()
assert table.table_status == "ACTIVE", table.table_status

with table.batch_writer() as batch:
    for i in range(60):
        batch.put_item(Item={"customer": "c%d" % (i % 3), "order": i, "total": Decimal("%d.25" % i),
                             "items": ["a", "b"], "meta": {"gift": i % 2 == 0}, "tags": {"x", "y"}})

got = table.get_item(Key={"customer": "c0", "order": 3}, ConsistentRead=True)["Item"]
assert got["total"] == Decimal("3.25") and got["meta"] == {"gift": False} and got["tags"] == {"x", "y"}, got

resp = table.query(KeyConditionExpression=Key("customer").eq("c1") & Key("order").between(10, 30),
                   FilterExpression=Attr("total").gt(Decimal("15")) & Attr("meta.gift").eq(True),
                   ScanIndexForward=False)
orders = [int(it["order"]) for it in resp["Items"]]
want = [o for o in range(30, 9, -1) if o % 3 == 1 and o >= 15 and o % 2 == 0]
assert orders == want, (orders, want)

# TOTAL is a reserved word: it needs a placeholder, as on AWS.
table.update_item(Key={"customer": "c0", "order": 0}, UpdateExpression="ADD tags :t REMOVE meta SET #total = #total + :d",
                  ExpressionAttributeNames={"#total": "total"}, ExpressionAttributeValues={":t": {"z"}, ":d": Decimal("0.75")})
it = table.get_item(Key={"customer": "c0", "order": 0})["Item"]
assert it["tags"] == {"x", "y", "z"} and "meta" not in it and it["total"] == Decimal("1"), it

try:
    table.delete_item(Key={"customer": "c0", "order": 0}, ConditionExpression=Attr("total").lt(0))
    raise SystemExit("conditional delete succeeded")
except client.exceptions.ConditionalCheckFailedException as e:
    assert e.response["Error"]["Message"] == "The conditional request failed", e.response

pages = client.get_paginator("scan").paginate(TableName="orders", PaginationConfig={"PageSize": 7})
assert sum(p["Count"] for p in pages) == 60

try:
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": "orders", "Item": {"customer": {"S": "c9"}, "order": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "orders", "Key": {"customer": {"S": "c1"}, "order": {"N": "1"}},
                            "ConditionExpression": "attribute_not_exists(customer)"}}])
    raise SystemExit("transaction succeeded")
except client.exceptions.TransactionCanceledException as e:
    reasons = [r["Code"] for r in e.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed"], e.response
assert "Item" not in table.get_item(Key={"customer": "c9", "order": 1})

try:
    ddb.Table("missing").get_item(Key={"customer": "x", "order": 1})
    raise SystemExit("get_item on a missing table succeeded")
except client.exceptions.ResourceNotFoundException as e:
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
print("ok")
`

// TestDynamoDBBoto3 checks DynamoDB through boto3 as Python code uses it.
func TestDynamoDBBoto3(t *testing.T) {
	skipWithoutBoto3(t)
	t.Parallel()
	ts := startServer(t, "")
	dir := t.TempDir()
	script := filepath.Join(dir, "tables.py")
	if err := os.WriteFile(script, []byte(boto3Tables), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", script, ts.URL)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
