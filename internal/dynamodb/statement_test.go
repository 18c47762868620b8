package dynamodb

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestExecuteStatement(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	tbl := rangeTable(t, ts, "pqt")
	exec := func(stmt string, params ...types.AttributeValue) (*dynamodb.ExecuteStatementOutput, error) {
		return ts.DB.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt), Parameters: params})
	}
	for i := range 5 {
		if _, err := exec(`INSERT INTO "pqt" VALUE {'id': ?, 'sk': ?, 'v': ?}`, avS("h"), avN(fmt.Sprint(i)), avS(fmt.Sprint("v", i))); err != nil {
			t.Fatalf("INSERT: %v", err)
		}
	}
	_, err := exec(`INSERT INTO "pqt" VALUE {'id': ?, 'sk': ?}`, avS("h"), avN("0"))
	expectAPIError(t, err, "DuplicateItemException", "Duplicate primary key exists in table")

	// By the whole key, by the hash key (a query), by neither (a scan).
	out, err := exec(`SELECT v FROM "pqt" WHERE id = ? AND sk = ?`, avS("h"), avN("3"))
	if err != nil || len(out.Items) != 1 || sks(t, out.Items, "v") != "v3" || len(out.Items[0]) != 1 {
		t.Errorf("SELECT by key: %v %v", out, err)
	}
	out, err = exec(`SELECT * FROM "pqt" WHERE id = ? AND sk >= ?`, avS("h"), avN("2"))
	if err != nil || sks(t, out.Items, "sk") != "2,3,4" {
		t.Errorf("SELECT by hash and range: %v %v", out, err)
	}
	out, err = exec(`SELECT * FROM "pqt" WHERE v = ?`, avS("v1"))
	if err != nil || sks(t, out.Items, "sk") != "1" {
		t.Errorf("SELECT by scan: %v %v", out, err)
	}
	// Paging with Limit and NextToken.
	var got []string
	var next *string
	for pages := 0; ; pages++ {
		out, err := ts.DB.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT sk FROM "pqt" WHERE id = ?`),
			Parameters: []types.AttributeValue{avS("h")}, Limit: aws.Int32(2), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, sks(t, out.Items, "sk"))
		if next = out.NextToken; next == nil {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if fmt.Sprint(got) != "[0,1 2,3 4]" {
		t.Errorf("pages = %v", got)
	}

	// UPDATE and DELETE need the item and their WHERE to hold.
	out, err = exec(`UPDATE "pqt" SET v = ? WHERE id = ? AND sk = ? RETURNING ALL NEW *`, avS("new"), avS("h"), avN("1"))
	if err != nil || len(out.Items) != 1 || sks(t, out.Items, "v") != "new" {
		t.Errorf("UPDATE RETURNING: %v %v", out, err)
	}
	_, err = exec(`UPDATE "pqt" SET v = ? WHERE id = ? AND sk = ?`, avS("x"), avS("h"), avN("99"))
	expectAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	if got := getItem(t, ts, tbl, map[string]types.AttributeValue{"id": avS("h"), "sk": avN("99")}); got != nil {
		t.Errorf("UPDATE of a missing item created %v", got)
	}
	_, err = exec(`DELETE FROM "pqt" WHERE id = ? AND sk = ? AND v = ?`, avS("h"), avN("2"), avS("nope"))
	expectAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	if _, err := exec(`DELETE FROM "pqt" WHERE id = ? AND sk = ?`, avS("h"), avN("2")); err != nil {
		t.Fatal(err)
	}
	if got := getItem(t, ts, tbl, map[string]types.AttributeValue{"id": avS("h"), "sk": avN("2")}); got != nil {
		t.Errorf("after DELETE = %v", got)
	}
	_, err = exec(`UPDATE "pqt" SET v = ? WHERE id = ?`, avS("x"), avS("h"))
	expectAPIError(t, err, "ValidationException", "")
}

func TestBatchExecuteStatement(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	hashTable(t, ts, "pbt")
	stmt := func(s string, params ...types.AttributeValue) types.BatchStatementRequest {
		return types.BatchStatementRequest{Statement: aws.String(s), Parameters: params}
	}
	out, err := ts.DB.BatchExecuteStatement(ctx, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		stmt(`INSERT INTO "pbt" VALUE {'id': ?, 'v': ?}`, avS("a"), avN("1")),
		stmt(`INSERT INTO "pbt" VALUE {'id': ?, 'v': ?}`, avS("b"), avN("2")),
		stmt(`INSERT INTO "pbt" VALUE {'id': ?}`, avS("a")),
		stmt(`UPDATE "pbt" SET v = ? WHERE id = ?`, avN("9"), avS("missing")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	codes := ""
	for _, r := range out.Responses {
		if r.Error == nil {
			codes += "ok,"
		} else {
			codes += string(r.Error.Code) + ","
		}
	}
	if codes != "ok,ok,DuplicateItem,ConditionalCheckFailed," {
		t.Errorf("responses = %s", codes)
	}
	rout, err := ts.DB.BatchExecuteStatement(ctx, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		stmt(`SELECT * FROM "pbt" WHERE id = ?`, avS("a")),
		stmt(`SELECT * FROM "pbt" WHERE id = ?`, avS("zz")),
		stmt(`SELECT * FROM "nope" WHERE id = ?`, avS("a")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := rout.Responses; len(r) != 3 || sks(t, []map[string]types.AttributeValue{r[0].Item}, "v") != "1" || r[1].Item != nil ||
		r[2].Error == nil || r[2].Error.Code != types.BatchStatementErrorCodeEnumResourceNotFound {
		t.Errorf("read responses = %+v", r)
	}
}

func TestExecuteTransaction(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	tbl := hashTable(t, ts, "ptt")
	st := func(s string, params ...types.AttributeValue) types.ParameterizedStatement {
		return types.ParameterizedStatement{Statement: aws.String(s), Parameters: params}
	}
	_, err := ts.DB.ExecuteTransaction(ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		st(`INSERT INTO "ptt" VALUE {'id': ?, 'n': ?}`, avS("a"), avN("1")),
		st(`INSERT INTO "ptt" VALUE {'id': ?, 'n': ?}`, avS("b"), avN("2")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.DB.ExecuteTransaction(ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		st(`UPDATE "ptt" SET n = n + ? WHERE id = ?`, avN("10"), avS("a")),
		st(`INSERT INTO "ptt" VALUE {'id': ?}`, avS("b")),
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 || aws.ToString(tce.CancellationReasons[1].Code) != "DuplicateItem" ||
		aws.ToString(tce.CancellationReasons[0].Code) != "None" {
		t.Fatalf("cancelled transaction: %v", err)
	}
	if n := getItem(t, ts, tbl, map[string]types.AttributeValue{"id": avS("a")})["n"]; n != 1.0 {
		t.Errorf("n = %v after a cancelled transaction, want 1", n)
	}
	out, err := ts.DB.ExecuteTransaction(ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		st(`SELECT n FROM "ptt" WHERE id = ?`, avS("a")),
		st(`SELECT n FROM "ptt" WHERE id = ?`, avS("b")),
	}})
	if err != nil || len(out.Responses) != 2 || sks(t, []map[string]types.AttributeValue{out.Responses[0].Item, out.Responses[1].Item}, "n") != "1,2" {
		t.Errorf("read transaction: %+v %v", out, err)
	}
}
