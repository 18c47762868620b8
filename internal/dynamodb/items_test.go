package dynamodb

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Test helpers of the item operations' tests.

func avS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func avN(n string) types.AttributeValue { return &types.AttributeValueMemberN{Value: n} }

// createItemTable creates a table through the API and returns its name.
func createItemTable(t *testing.T, ts *testServer, in *dynamodb.CreateTableInput) string {
	t.Helper()
	if in.BillingMode == "" {
		in.BillingMode = types.BillingModePayPerRequest
	}
	if _, err := ts.DB.CreateTable(t.Context(), in); err != nil {
		t.Fatalf("CreateTable %s: %v", aws.ToString(in.TableName), err)
	}
	return aws.ToString(in.TableName)
}

func keyElem(name string, kt types.KeyType) types.KeySchemaElement {
	return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt}
}

func attrDef(name string, k types.ScalarAttributeType) types.AttributeDefinition {
	return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: k}
}

// hashTable is a table keyed by id (S).
func hashTable(t *testing.T, ts *testServer, name string) string {
	return createItemTable(t, ts, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		KeySchema:            []types.KeySchemaElement{keyElem("id", types.KeyTypeHash)},
		AttributeDefinitions: []types.AttributeDefinition{attrDef("id", types.ScalarAttributeTypeS)},
	})
}

// rangeTable is a table keyed by id (S) and sk (N), with a local index lsi on
// (id, lsk S, KEYS_ONLY) and a global index gsi on (g S, gs N, INCLUDE extra).
func rangeTable(t *testing.T, ts *testServer, name string) string {
	return createItemTable(t, ts, &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		KeySchema: []types.KeySchemaElement{keyElem("id", types.KeyTypeHash), keyElem("sk", types.KeyTypeRange)},
		AttributeDefinitions: []types.AttributeDefinition{
			attrDef("id", types.ScalarAttributeTypeS), attrDef("sk", types.ScalarAttributeTypeN),
			attrDef("lsk", types.ScalarAttributeTypeS), attrDef("g", types.ScalarAttributeTypeS), attrDef("gs", types.ScalarAttributeTypeN),
		},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
			IndexName:  aws.String("lsi"),
			KeySchema:  []types.KeySchemaElement{keyElem("id", types.KeyTypeHash), keyElem("lsk", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("gsi"),
			KeySchema:  []types.KeySchemaElement{keyElem("g", types.KeyTypeHash), keyElem("gs", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"extra"}},
		}},
	})
}

// expectAPIError fails unless err is the API error code with message msg
// (any message when msg is "").
func expectAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("err = %s: %q, want %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// marshalItem turns a Go map into an item.
func marshalItem(t *testing.T, v any) map[string]types.AttributeValue {
	t.Helper()
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func getItem(t *testing.T, ts *testServer, table string, key map[string]types.AttributeValue) map[string]any {
	t.Helper()
	out, err := ts.DB.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if out.Item == nil {
		return nil
	}
	var m map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPutGetDelete(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	tbl := hashTable(t, ts, "items")
	key := map[string]types.AttributeValue{"id": avS("a")}

	out, err := ts.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl),
		Item:         marshalItem(t, map[string]any{"id": "a", "n": 1.50, "tags": []string{"x"}, "m": map[string]any{"k": true}}),
		ReturnValues: types.ReturnValueAllOld, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes != nil {
		t.Errorf("ALL_OLD of a new item = %v, want none", out.Attributes)
	}
	if out.ConsumedCapacity == nil || aws.ToFloat64(out.ConsumedCapacity.CapacityUnits) != 1 || aws.ToString(out.ConsumedCapacity.TableName) != tbl {
		t.Errorf("ConsumedCapacity = %+v, want 1 unit of %s", out.ConsumedCapacity, tbl)
	}
	got := getItem(t, ts, tbl, key)
	if got["n"] != 1.5 || got["m"].(map[string]any)["k"] != true {
		t.Errorf("GetItem = %v", got)
	}

	// Numbers come back canonical.
	raw, err := ts.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tbl), Key: key, ProjectionExpression: aws.String("n")})
	if err != nil {
		t.Fatal(err)
	}
	if n := raw.Item["n"].(*types.AttributeValueMemberN).Value; n != "1.5" || len(raw.Item) != 1 {
		t.Errorf("projected item = %v (n %s), want only n = 1.5", raw.Item, n)
	}
	// Legacy AttributesToGet.
	raw, err = ts.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tbl), Key: key, AttributesToGet: []string{"id", "tags"}})
	if err != nil || len(raw.Item) != 2 || raw.Item["tags"] == nil {
		t.Errorf("AttributesToGet: %v %v", raw.Item, err)
	}

	// Replacing returns the old item.
	out, err = ts.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: marshalItem(t, map[string]any{"id": "a", "v": 2}), ReturnValues: types.ReturnValueAllOld})
	if err != nil || out.Attributes["n"] == nil {
		t.Fatalf("replace: %v %v", out, err)
	}
	if got := getItem(t, ts, tbl, key); got["n"] != nil || got["v"] != 2.0 {
		t.Errorf("after replace = %v", got)
	}

	del, err := ts.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tbl), Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil || del.Attributes["v"] == nil {
		t.Fatalf("delete: %v %v", del, err)
	}
	if got := getItem(t, ts, tbl, key); got != nil {
		t.Errorf("after delete = %v", got)
	}
	// Deleting what is not there is no error.
	if _, err := ts.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tbl), Key: key}); err != nil {
		t.Error(err)
	}
}

func TestItemValidation(t *testing.T) {
	ts := newTestServer(t)
	hash := hashTable(t, ts, "h_t")
	rng := rangeTable(t, ts, "r_t")
	big := strings.Repeat("x", 400*1024)
	cases := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"missing key", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(hash), Item: map[string]types.AttributeValue{"x": avS("a")}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Missing the key id in the item"},
		{"key type", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(hash), Item: map[string]types.AttributeValue{"id": avN("1")}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N"},
		{"empty key", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(hash), Item: map[string]types.AttributeValue{"id": avS("")}})
			return err
		}, "ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id"},
		{"hash key size", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(hash), Item: map[string]types.AttributeValue{"id": avS(strings.Repeat("k", 2049))}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"},
		{"index key type", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(rng), Item: map[string]types.AttributeValue{"id": avS("a"), "sk": avN("1"), "g": avN("1")}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: gsi"},
		{"index key empty", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(rng), Item: map[string]types.AttributeValue{"id": avS("a"), "sk": avN("1"), "lsk": avS("")}})
			return err
		}, "ValidationException", "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: lsi, IndexKey: lsk"},
		{"item size", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(hash), Item: map[string]types.AttributeValue{"id": avS("a"), "big": avS(big)}})
			return err
		}, "ValidationException", "Item size has exceeded the maximum allowed size"},
		{"get key schema", func() error {
			_, err := ts.DB.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(rng), Key: map[string]types.AttributeValue{"id": avS("a")}})
			return err
		}, "ValidationException", "The provided key element does not match the schema"},
		{"get key kind", func() error {
			_, err := ts.DB.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(hash), Key: map[string]types.AttributeValue{"id": avN("1")}})
			return err
		}, "ValidationException", "The provided key element does not match the schema"},
		{"put return values", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(hash), Item: map[string]types.AttributeValue{"id": avS("a")}, ReturnValues: types.ReturnValueAllNew})
			return err
		}, "ValidationException", "ReturnValues can only be ALL_OLD or NONE"},
		{"delete return values", func() error {
			_, err := ts.DB.DeleteItem(t.Context(), &dynamodb.DeleteItemInput{TableName: aws.String(hash), Key: map[string]types.AttributeValue{"id": avS("a")}, ReturnValues: types.ReturnValueUpdatedOld})
			return err
		}, "ValidationException", "ReturnValues can only be ALL_OLD or NONE"},
		{"bad return values", func() error {
			_, err := ts.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(hash), Key: map[string]types.AttributeValue{"id": avS("a")}, ReturnValues: "BOGUS"})
			return err
		}, "ValidationException", "1 validation error detected: Value 'BOGUS' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"},
		{"mixed", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(hash), Item: map[string]types.AttributeValue{"id": avS("a")},
				Expected: map[string]types.ExpectedAttributeValue{"id": {Exists: aws.Bool(false)}}, ConditionExpression: aws.String("attribute_not_exists(id)")})
			return err
		}, "ValidationException", "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"},
		{"values without expression", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(hash), Item: map[string]types.AttributeValue{"id": avS("a")},
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": avS("x")}})
			return err
		}, "ValidationException", "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"},
		{"unused value", func() error {
			_, err := ts.DB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(hash), Item: map[string]types.AttributeValue{"id": avS("a")},
				ConditionExpression:       aws.String("attribute_not_exists(id)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": avS("x")}})
			return err
		}, "ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"},
		{"update key", func() error {
			_, err := ts.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(hash), Key: map[string]types.AttributeValue{"id": avS("a")},
				UpdateExpression: aws.String("SET id = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": avS("b")}})
			return err
		}, "ValidationException", "Cannot update attribute id. This attribute is part of the key"},
		{"legacy update key", func() error {
			_, err := ts.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(hash), Key: map[string]types.AttributeValue{"id": avS("a")},
				AttributeUpdates: map[string]types.AttributeValueUpdate{"id": {Action: types.AttributeActionPut, Value: avS("b")}}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key"},
		{"update index key type", func() error {
			_, err := ts.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(rng), Key: map[string]types.AttributeValue{"id": avS("a"), "sk": avN("1")},
				UpdateExpression: aws.String("SET gs = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": avS("b")}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key gs Expected: N Actual: S IndexName: gsi"},
		{"update size", func() error {
			_, err := ts.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(hash), Key: map[string]types.AttributeValue{"id": avS("big")},
				UpdateExpression: aws.String("SET b = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": avS(big)}})
			return err
		}, "ValidationException", "Item size to update has exceeded the maximum allowed size"},
		{"no table", func() error {
			_, err := ts.DB.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("nope"), Key: map[string]types.AttributeValue{"id": avS("a")}})
			return err
		}, "ResourceNotFoundException", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { expectAPIError(t, c.call(), c.code, c.msg) })
	}
	// Nothing of the refused writes was stored.
	if got := getItem(t, ts, hash, map[string]types.AttributeValue{"id": avS("a")}); got != nil {
		t.Errorf("refused writes stored %v", got)
	}
}

func TestConditionalWrites(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	tbl := hashTable(t, ts, "cond")
	key := map[string]types.AttributeValue{"id": avS("a")}
	put := func(cond expression.ConditionBuilder, item map[string]any, rv types.ReturnValuesOnConditionCheckFailure) error {
		e, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			t.Fatal(err)
		}
		_, err = ts.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: marshalItem(t, item),
			ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ReturnValuesOnConditionCheckFailure: rv})
		return err
	}
	notExists := expression.AttributeNotExists(expression.Name("id"))
	if err := put(notExists, map[string]any{"id": "a", "v": 1}, ""); err != nil {
		t.Fatal(err)
	}
	err := put(notExists, map[string]any{"id": "a", "v": 2}, types.ReturnValuesOnConditionCheckFailureAllOld)
	expectAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || ccf.Item["v"] == nil {
		t.Errorf("ALL_OLD on failure: Item = %v", ccf)
	}
	if err := put(expression.Name("v").Equal(expression.Value(1)), map[string]any{"id": "a", "v": 3}, ""); err != nil {
		t.Errorf("matching condition: %v", err)
	}
	if got := getItem(t, ts, tbl, key); got["v"] != 3.0 {
		t.Errorf("v = %v, want 3", got["v"])
	}

	// Legacy Expected.
	_, err = ts.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: marshalItem(t, map[string]any{"id": "a", "v": 4}),
		Expected: map[string]types.ExpectedAttributeValue{"v": {Value: avN("9")}}})
	expectAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	_, err = ts.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: marshalItem(t, map[string]any{"id": "a", "v": 4}),
		Expected: map[string]types.ExpectedAttributeValue{"v": {Value: avN("3")}}})
	if err != nil {
		t.Errorf("legacy Expected that holds: %v", err)
	}

	// A conditional delete.
	_, err = ts.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tbl), Key: key,
		ConditionExpression: aws.String("v > :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": avN("10")}})
	expectAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	if got := getItem(t, ts, tbl, key); got == nil {
		t.Fatal("failed conditional delete deleted")
	}
	_, err = ts.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tbl), Key: key,
		ConditionExpression: aws.String("v < :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": avN("10")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := getItem(t, ts, tbl, key); got != nil {
		t.Errorf("after conditional delete = %v", got)
	}
}

func TestUpdateItem(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	tbl := hashTable(t, ts, "upd")
	key := map[string]types.AttributeValue{"id": avS("a")}
	upd := func(u expression.UpdateBuilder, rv types.ReturnValue) map[string]any {
		t.Helper()
		e, err := expression.NewBuilder().WithUpdate(u).Build()
		if err != nil {
			t.Fatal(err)
		}
		out, err := ts.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tbl), Key: key, UpdateExpression: e.Update(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ReturnValues: rv})
		if err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}
		var m map[string]any
		if err := attributevalue.UnmarshalMap(out.Attributes, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// A missing item is created.
	got := upd(expression.Set(expression.Name("n"), expression.Value(1)).Set(expression.Name("s"), expression.Value("x")), types.ReturnValueAllNew)
	if got["id"] != "a" || got["n"] != 1.0 || got["s"] != "x" {
		t.Errorf("ALL_NEW = %v", got)
	}
	got = upd(expression.Add(expression.Name("n"), expression.Value(2)), types.ReturnValueUpdatedNew)
	if len(got) != 1 || got["n"] != 3.0 {
		t.Errorf("UPDATED_NEW = %v, want {n: 3}", got)
	}
	got = upd(expression.Set(expression.Name("n"), expression.Value(10)), types.ReturnValueUpdatedOld)
	if len(got) != 1 || got["n"] != 3.0 {
		t.Errorf("UPDATED_OLD = %v, want {n: 3}", got)
	}
	got = upd(expression.Remove(expression.Name("s")), types.ReturnValueAllOld)
	if got["s"] != "x" {
		t.Errorf("ALL_OLD = %v", got)
	}
	if got := getItem(t, ts, tbl, key); got["s"] != nil || got["n"] != 10.0 {
		t.Errorf("item = %v", got)
	}

	// A failing condition creates nothing.
	other := map[string]types.AttributeValue{"id": avS("b")}
	_, err := ts.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tbl), Key: other,
		UpdateExpression: aws.String("SET n = :one"), ConditionExpression: aws.String("attribute_exists(id)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": avN("1")}})
	expectAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	if got := getItem(t, ts, tbl, other); got != nil {
		t.Errorf("failed conditional update created %v", got)
	}

	// Legacy AttributeUpdates.
	_, err = ts.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tbl), Key: key,
		AttributeUpdates: map[string]types.AttributeValueUpdate{"n": {Action: types.AttributeActionAdd, Value: avN("5")}, "t": {Action: types.AttributeActionPut, Value: avS("y")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := getItem(t, ts, tbl, key); got["n"] != 15.0 || got["t"] != "y" {
		t.Errorf("after AttributeUpdates = %v", got)
	}
}

// TestUpdateItemValidatesBeforeTheTable: DynamoDB refuses a malformed update
// before it looks the table up, so a missing table does not hide the error.
func TestUpdateItemValidatesBeforeTheTable(t *testing.T) {
	ts := newTestServer(t)
	_, err := ts.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String("missing"),
		Key: map[string]types.AttributeValue{"id": avS("x")}, UpdateExpression: aws.String("SET a = ")})
	wantAPIError(t, err, "ValidationException", `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "="`)
	_, err = ts.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String("missing"),
		Key: map[string]types.AttributeValue{"id": avS("x")}, UpdateExpression: aws.String("SET a = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": avS("x")}})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found")
}
