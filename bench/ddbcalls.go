package bench

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ddbItem is the item number i under hash key pk: sk is i in ten digits, and
// a string attribute pads the item to about size bytes.
func ddbItem(pk string, i, size int) map[string]types.AttributeValue {
	sk := fmt.Sprintf("%010d", i)
	pad := max(0, size-len(pk)-len(sk)-len("pk")-len("sk")-len("data")-len("n")-4)
	return map[string]types.AttributeValue{
		"pk":   &types.AttributeValueMemberS{Value: pk},
		"sk":   &types.AttributeValueMemberS{Value: sk},
		"n":    &types.AttributeValueMemberN{Value: fmt.Sprint(i)},
		"data": &types.AttributeValueMemberS{Value: strings.Repeat("x", pad)},
	}
}

// DDBPutCaller writes items under pk with ever new range keys, each of about
// size bytes.
func DDBPutCaller(c *dynamodb.Client, table, pk string, size int) Caller {
	var next atomic.Int64
	return func(ctx context.Context) error {
		i := int(next.Add(1) - 1)
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: ddbItem(pk, i, size)})
		return err
	}
}

// DDBGetCaller reads the keys items under pk that DDBPutCaller wrote, in
// turn, and checks that each is whole.
func DDBGetCaller(c *dynamodb.Client, table, pk string, keys, size int) Caller {
	var next atomic.Int64
	return func(ctx context.Context) error {
		i := int(next.Add(1)-1) % keys
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk},
			"sk": &types.AttributeValueMemberS{Value: fmt.Sprintf("%010d", i)},
		}})
		if err != nil {
			return err
		}
		n, ok := out.Item["n"].(*types.AttributeValueMemberN)
		d, ok2 := out.Item["data"].(*types.AttributeValueMemberS)
		want := ddbItem(pk, i, size)["data"].(*types.AttributeValueMemberS).Value
		if !ok || !ok2 || n.Value != fmt.Sprint(i) || d.Value != want {
			return fmt.Errorf("bench: GetItem %s/%d: wrong item", pk, i)
		}
		return nil
	}
}

// DDBQueryCaller queries all items items under pk in one page and checks
// their count and order.
func DDBQueryCaller(c *dynamodb.Client, table, pk string, items int) Caller {
	return func(ctx context.Context) error {
		out, err := c.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(table),
			KeyConditionExpression:    aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		})
		if err != nil {
			return err
		}
		if int(out.Count) != items || len(out.Items) != items {
			return fmt.Errorf("bench: Query %s: %d items, want %d", pk, out.Count, items)
		}
		last, ok := out.Items[items-1]["sk"].(*types.AttributeValueMemberS)
		if !ok || last.Value != fmt.Sprintf("%010d", items-1) {
			return fmt.Errorf("bench: Query %s: items out of order", pk)
		}
		return nil
	}
}
