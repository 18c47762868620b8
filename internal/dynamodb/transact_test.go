package dynamodb

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestTransactWrite(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	a := hashTable(t, ts, "ta_t")
	b := hashTable(t, ts, "tb_t")
	key := func(id string) map[string]types.AttributeValue { return map[string]types.AttributeValue{"id": avS(id)} }
	if _, err := ts.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(a), Item: map[string]types.AttributeValue{"id": avS("gone"), "v": avN("1")}}); err != nil {
		t.Fatal(err)
	}
	out, err := ts.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(a), Item: map[string]types.AttributeValue{"id": avS("p"), "v": avN("1")}, ConditionExpression: aws.String("attribute_not_exists(id)")}},
		{Update: &types.Update{TableName: aws.String(b), Key: key("u"), UpdateExpression: aws.String("ADD n :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": avN("1")}}},
		{Delete: &types.Delete{TableName: aws.String(a), Key: key("gone")}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(b), Key: key("c"), ConditionExpression: aws.String("attribute_not_exists(id)")}},
	}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ConsumedCapacity) != 2 {
		t.Errorf("ConsumedCapacity = %v", out.ConsumedCapacity)
	}
	for _, c := range out.ConsumedCapacity {
		if aws.ToFloat64(c.CapacityUnits) != 4 { // two actions per table, each twice a unit
			t.Errorf("%s consumed %v, want 4", aws.ToString(c.TableName), aws.ToFloat64(c.CapacityUnits))
		}
	}
	if getItem(t, ts, a, key("p")) == nil || getItem(t, ts, b, key("u"))["n"] != 1.0 || getItem(t, ts, a, key("gone")) != nil {
		t.Error("transaction not applied")
	}

	// A failed condition cancels everything, with a reason per action.
	_, err = ts.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(b), Key: key("u"), UpdateExpression: aws.String("ADD n :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": avN("1")}}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(a), Key: key("p"), ConditionExpression: aws.String("v = :two"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":two": avN("2")}, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
	}})
	expectAPIError(t, err, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]")
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 {
		t.Fatalf("CancellationReasons: %v", err)
	}
	r0, r1 := tce.CancellationReasons[0], tce.CancellationReasons[1]
	if aws.ToString(r0.Code) != "None" || aws.ToString(r1.Code) != "ConditionalCheckFailed" ||
		aws.ToString(r1.Message) != "The conditional request failed" || r1.Item["v"] == nil {
		t.Errorf("reasons = %+v, %+v", r0, r1)
	}
	if getItem(t, ts, b, key("u"))["n"] != 1.0 {
		t.Error("cancelled transaction wrote")
	}

	// An update that fails on the item (an operand it lacks) is a
	// ValidationError reason; one that fails to parse is refused outright.
	_, err = ts.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(a), Key: key("p"), UpdateExpression: aws.String("SET v = nope + :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": avN("1")}}},
	}})
	if !errors.As(err, &tce) || aws.ToString(tce.CancellationReasons[0].Code) != "ValidationError" {
		t.Errorf("update of a missing operand: %v", err)
	}
	_, err = ts.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(a), Key: key("p"), UpdateExpression: aws.String("ADD v :s"), ExpressionAttributeValues: map[string]types.AttributeValue{":s": avS("x")}}},
	}})
	wantAPIError(t, err, "ValidationException", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING")
}

func TestTransactErrors(t *testing.T) {
	ts := newTestServer(t)
	a := hashTable(t, ts, "te_t")
	key := map[string]types.AttributeValue{"id": avS("x")}
	many := make([]types.TransactWriteItem, 101)
	for i := range many {
		many[i] = types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(a), Key: map[string]types.AttributeValue{"id": avS(fmt.Sprint(i))}}}
	}
	cases := []struct {
		name      string
		items     []types.TransactWriteItem
		code, msg string
	}{
		{"one item twice", []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: aws.String(a), Key: key}},
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String(a), Key: key, ConditionExpression: aws.String("attribute_exists(id)")}},
		}, "ValidationException", "Transaction request cannot include multiple operations on one item"},
		{"too many", many, "ValidationException", ""},
		{"missing table", []types.TransactWriteItem{{Delete: &types.Delete{TableName: aws.String("nope"), Key: key}}},
			"ResourceNotFoundException", "Requested resource not found"},
		{"key schema", []types.TransactWriteItem{{Delete: &types.Delete{TableName: aws.String(a), Key: map[string]types.AttributeValue{"id": avN("1")}}}},
			"ValidationException", "The provided key element does not match the schema"},
		{"update key", []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(a), Key: key, UpdateExpression: aws.String("REMOVE id")}}},
			"ValidationException", "Cannot update attribute id. This attribute is part of the key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ts.DB.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: c.items})
			expectAPIError(t, err, c.code, c.msg)
		})
	}
}

func TestTransactIdempotency(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	a := hashTable(t, ts, "ti_t")
	key := map[string]types.AttributeValue{"id": avS("c")}
	incr := func(token, by string) error {
		_, err := ts.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(token), TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(a), Key: key, UpdateExpression: aws.String("ADD n :by"), ExpressionAttributeValues: map[string]types.AttributeValue{":by": avN(by)}}},
		}})
		return err
	}
	n := func() any { return getItem(t, ts, a, key)["n"] }
	for range 3 {
		if err := incr("token-1", "1"); err != nil {
			t.Fatal(err)
		}
	}
	if n() != 1.0 {
		t.Errorf("n = %v after three sends of one token, want 1", n())
	}
	expectAPIError(t, incr("token-1", "5"), "IdempotentParameterMismatchException", "")
	if err := incr("token-2", "1"); err != nil || n() != 2.0 {
		t.Errorf("a new token: n = %v, %v", n(), err)
	}
	// After ten minutes the token is forgotten.
	ts.Clock.Advance(11 * time.Minute)
	if err := incr("token-1", "5"); err != nil || n() != 7.0 {
		t.Errorf("expired token: n = %v, %v", n(), err)
	}
	// A cancelled transaction is not remembered: its retry runs again.
	cond := func(token string) error {
		_, err := ts.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(token), TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(a), Item: map[string]types.AttributeValue{"id": avS("once")}, ConditionExpression: aws.String("attribute_not_exists(id)")}},
		}})
		return err
	}
	if err := cond("t3"); err != nil {
		t.Fatal(err)
	}
	if err := cond("t4"); err == nil {
		t.Error("second put of an existing item succeeded")
	}
	expectAPIError(t, cond("t4"), "TransactionCanceledException", "")
	if err := cond("t3"); err != nil {
		t.Errorf("replay of a successful token: %v", err)
	}
}

func TestTransactGet(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	a := hashTable(t, ts, "tg_t")
	for _, id := range []string{"x", "y"} {
		if _, err := ts.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(a), Item: map[string]types.AttributeValue{"id": avS(id), "v": avS(id + "v"), "w": avN("1")}}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(id string) types.TransactGetItem {
		return types.TransactGetItem{Get: &types.Get{TableName: aws.String(a), Key: map[string]types.AttributeValue{"id": avS(id)}, ProjectionExpression: aws.String("v")}}
	}
	out, err := ts.DB.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{get("x"), get("none"), get("y")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Responses) != 3 || sks(t, []map[string]types.AttributeValue{out.Responses[0].Item, out.Responses[1].Item, out.Responses[2].Item}, "v") != "xv,-,yv" ||
		len(out.Responses[0].Item) != 1 {
		t.Errorf("Responses = %+v", out.Responses)
	}
	if len(out.ConsumedCapacity) != 1 || aws.ToFloat64(out.ConsumedCapacity[0].CapacityUnits) != 6 {
		t.Errorf("ConsumedCapacity = %+v, want 6 units", out.ConsumedCapacity)
	}
	_, err = ts.DB.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{get("x"), get("x")}})
	expectAPIError(t, err, "ValidationException", "Transaction request cannot include multiple operations on one item")
}
