package dynamodb

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestConcurrentConditionalIncrements: optimistic increments, each
// conditional on the value it read, never lose an update.
func TestConcurrentConditionalIncrements(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	tbl := hashTable(t, ts, "counter")
	key := map[string]types.AttributeValue{"id": avS("c")}
	if _, err := ts.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: map[string]types.AttributeValue{"id": avS("c"), "n": avN("0")}}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < each; {
				got, err := ts.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tbl), Key: key, ConsistentRead: aws.Bool(true)})
				if err != nil {
					errs <- err
					return
				}
				prev := got.Item["n"].(*types.AttributeValueMemberN).Value
				_, err = ts.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tbl), Key: key,
					UpdateExpression: aws.String("SET n = n + :one"), ConditionExpression: aws.String("n = :prev"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":one": avN("1"), ":prev": avN(prev)}})
				var ccf *types.ConditionalCheckFailedException
				switch {
				case err == nil:
					done++
				case errors.As(err, &ccf):
					// Another worker got there first: read again.
				default:
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := getItem(t, ts, tbl, key)["n"]; n != float64(workers*each) {
		t.Errorf("n = %v, want %d", n, workers*each)
	}
}

// TestConcurrentTransfers: transactions moving amounts between accounts,
// each conditional on the source's balance, keep the total and never
// overdraw, however they interleave.
func TestConcurrentTransfers(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	tbl := hashTable(t, ts, "accounts")
	const accounts, start = 4, 100
	for i := range accounts {
		if _, err := ts.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl),
			Item: map[string]types.AttributeValue{"id": avS(fmt.Sprint(i)), "bal": avN(fmt.Sprint(start))}}); err != nil {
			t.Fatal(err)
		}
	}
	const workers, each = 8, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed, cancelled := 0, 0
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				from, to := (w+i)%accounts, (w+2*i+1)%accounts
				if from == to {
					to = (to + 1) % accounts
				}
				amt := avN(strconv.Itoa(7 + i%20))
				_, err := ts.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
					{Update: &types.Update{TableName: aws.String(tbl), Key: map[string]types.AttributeValue{"id": avS(fmt.Sprint(from))},
						UpdateExpression: aws.String("SET bal = bal - :a"), ConditionExpression: aws.String("bal >= :a"),
						ExpressionAttributeValues: map[string]types.AttributeValue{":a": amt}}},
					{Update: &types.Update{TableName: aws.String(tbl), Key: map[string]types.AttributeValue{"id": avS(fmt.Sprint(to))},
						UpdateExpression: aws.String("SET bal = bal + :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": amt}}},
				}})
				var tce *types.TransactionCanceledException
				mu.Lock()
				switch {
				case err == nil:
					committed++
				case errors.As(err, &tce):
					cancelled++
				default:
					mu.Unlock()
					errs <- err
					return
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0.0
	for i := range accounts {
		bal := getItem(t, ts, tbl, map[string]types.AttributeValue{"id": avS(fmt.Sprint(i))})["bal"].(float64)
		if bal < 0 {
			t.Errorf("account %d overdrawn: %v", i, bal)
		}
		total += bal
	}
	if total != accounts*start {
		t.Errorf("total = %v, want %d (committed %d, cancelled %d)", total, accounts*start, committed, cancelled)
	}
	if committed == 0 {
		t.Error("no transfer committed")
	}
}
