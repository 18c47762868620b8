package dynamodb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/expr"
	"github.com/stratus-run/stratus/internal/dynamodb/partiql"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// PartiQL runs on the item operations: a SELECT is a GetItem when its WHERE
// names the whole primary key, a Query when it names the hash key, a Scan
// otherwise, its WHERE filtering what they read; INSERT is a PutItem that
// refuses an existing item; UPDATE and DELETE need the whole key and are
// conditional on their WHERE (so on the item existing).

const maxBatchStatements = 25

// errNoKeyCondition refuses an UPDATE or DELETE (or a batched or
// transactional SELECT) whose WHERE does not name the whole primary key.
// Wording unconfirmed.
var errNoKeyCondition = validation("Where clause does not contain a mandatory equality on all key attributes")

type executeStatementInput struct {
	Statement                           string       `json:"Statement"`
	Parameters                          []attr.Value `json:"Parameters"`
	ConsistentRead                      bool         `json:"ConsistentRead"`
	NextToken                           *string      `json:"NextToken"`
	ReturnConsumedCapacity              string       `json:"ReturnConsumedCapacity"`
	Limit                               *int64       `json:"Limit"`
	ReturnValuesOnConditionCheckFailure string       `json:"ReturnValuesOnConditionCheckFailure"`
}

type executeStatementOutput struct {
	Items            []attr.Item       `json:"Items"`
	NextToken        string            `json:"NextToken,omitempty"`
	LastEvaluatedKey attr.Item         `json:"LastEvaluatedKey,omitempty"`
	ConsumedCapacity *consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

func (s *Service) executeStatement(ctx context.Context, r *http.Request) (any, error) {
	var in executeStatementInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Statement == "" {
		return nil, validation("1 validation error detected: Value null at 'statement' failed to satisfy constraint: Member must not be null")
	}
	if in.Limit != nil && *in.Limit < 1 {
		return nil, awsproto.Validation(*in.Limit, "limit", "Member must have value greater than or equal to 1")
	}
	if err := checkEnum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return nil, err
	}
	if err := checkEnum(in.ReturnValuesOnConditionCheckFailure, "returnValuesOnConditionCheckFailure", onFailureEnum); err != nil {
		return nil, err
	}
	st, err := partiql.Parse(in.Statement, in.Parameters)
	if err != nil {
		return nil, err
	}
	if st.Kind == partiql.Select {
		return s.selectStatement(ctx, st, &in)
	}
	t, err := s.itemTable(ctx, st.Table)
	if err != nil {
		return nil, err
	}
	a, err := statementAction(&t, st, in.ReturnValuesOnConditionCheckFailure == "ALL_OLD")
	if err != nil {
		return nil, err
	}
	if err := s.write(ctx, a); err != nil {
		return nil, err
	}
	out := executeStatementOutput{Items: []attr.Item{}}
	if it := returning(st, a); it != nil {
		out.Items = append(out.Items, it)
	}
	m := newMeter(&t, in.ReturnConsumedCapacity)
	m.addWrite(&t, a.old, a.new, 1)
	out.ConsumedCapacity = m.out()
	return out, nil
}

// statementAction turns an INSERT, UPDATE or DELETE into an action.
func statementAction(t *tablestore.Table, st *partiql.Statement, returnOld bool) (*action, error) {
	p := expr.NewParams(st.Names, st.Values)
	a := &action{t: t, returnOld: returnOld}
	var err error
	if st.Kind == partiql.Insert {
		if a.key, err = checkItem(t, st.Item); err != nil {
			return nil, err
		}
		a.kind, a.item, a.insert = actPut, st.Item, true
		return a, nil
	}
	if a.key, err = statementKey(t, st); err != nil {
		return nil, err
	}
	if st.Where != "" {
		if a.cond, err = expr.ParseCondition("ConditionExpression", st.Where, p); err != nil {
			return nil, err
		}
	}
	switch st.Kind {
	case partiql.Update:
		a.kind = actUpdate
		if st.Update != "" {
			if a.upd, err = buildUpdate(t, &st.Update, nil, p); err != nil {
				return nil, err
			}
		}
	case partiql.Delete:
		a.kind = actDelete
	default:
		return nil, validation("Statement wasn't well formed, can't be processed: unsupported statement")
	}
	return a, nil
}

// statementKey is the primary key a statement's WHERE names by equality.
func statementKey(t *tablestore.Table, st *partiql.Statement) (attr.Item, error) {
	names, _ := keyAttrs(t.Key)
	key := make(attr.Item, len(names))
	for _, n := range names {
		v, ok := st.Equal[n]
		if !ok {
			return nil, errNoKeyCondition
		}
		key[n] = v
	}
	if err := checkKey(t, key); err != nil {
		return nil, err
	}
	return key, nil
}

// returning is what a statement's RETURNING clause asks for after a.
func returning(st *partiql.Statement, a *action) attr.Item {
	switch st.Returning {
	case "ALL_OLD":
		return a.old
	case "ALL_NEW":
		return a.new
	case "UPDATED_OLD", "MODIFIED_OLD":
		if a.upd != nil && a.old != nil {
			return a.upd.Updated(a.old)
		}
	case "UPDATED_NEW", "MODIFIED_NEW":
		if a.upd != nil && a.new != nil {
			return a.upd.Updated(a.new)
		}
	}
	return nil
}

// selectStatement runs a SELECT as a GetItem, Query or Scan page.
func (s *Service) selectStatement(ctx context.Context, st *partiql.Statement, in *executeStatementInput) (any, error) {
	t, err := s.itemTable(ctx, st.Table)
	if err != nil {
		return nil, err
	}
	rd, err := selectReader(&t, st, in.ConsistentRead)
	if err != nil {
		return nil, err
	}
	rd.meter = newMeter(&t, in.ReturnConsumedCapacity)
	if in.Limit != nil {
		rd.limit = *in.Limit
	}
	var start attr.Item
	if in.NextToken != nil {
		if start, err = decodeNextToken(*in.NextToken); err != nil {
			return nil, err
		}
		if err := checkStartKey(rd.t, rd.ix, start); err != nil {
			return nil, err
		}
	}
	ks := t.Key
	if rd.ix != nil {
		ks = rd.ix.Key
	}
	visit, done := rd.visit()
	hash, byHash := st.Equal[ks.Hash]
	rangeV, byRange := st.Equal[ks.Range]
	switch {
	case byHash && hash.Kind != ks.HashKind:
		// No item can match: a page with nothing in it.
	case byHash && rd.ix == nil && (ks.Range == "" || byRange):
		key := attr.Item{ks.Hash: hash}
		if ks.Range != "" {
			key[ks.Range] = rangeV
		}
		if checkKey(&t, key) != nil || start != nil {
			break
		}
		it, err := s.Store.Get(ctx, t.Name, key)
		if err != nil {
			return nil, err
		}
		if it != nil {
			visit(it)
		}
	case byHash:
		q := tablestore.Query{Table: t.Name, Index: st.Index, Hash: hash, Backward: st.Descending, Start: start}
		if byRange {
			q.Range = &tablestore.Range{Op: "=", Values: [2]attr.Value{rangeV}}
		} else if rc, ok := st.Range[ks.Range]; ok && ks.Range != "" {
			q.Range = &tablestore.Range{Op: rc.Op}
			copy(q.Range.Values[:], rc.Values)
		}
		if err := s.Store.Query(ctx, q, visit); err != nil {
			return nil, err
		}
	default:
		if err := s.Store.Scan(ctx, tablestore.Scan{Table: t.Name, Index: st.Index, Start: start}, visit); err != nil {
			return nil, err
		}
	}
	page := done()
	out := executeStatementOutput{Items: *page.Items, LastEvaluatedKey: page.LastEvaluatedKey, ConsumedCapacity: page.ConsumedCapacity}
	if page.LastEvaluatedKey != nil {
		out.NextToken = encodeNextToken(page.LastEvaluatedKey)
	}
	return out, nil
}

// selectReader plans a SELECT's reads: its index, projection and WHERE.
func selectReader(t *tablestore.Table, st *partiql.Statement, consistent bool) (*reader, error) {
	rd := &reader{t: t, sel: "ALL_ATTRIBUTES", consistent: consistent}
	if st.Index != "" {
		ix, ok := t.Index(st.Index)
		if !ok {
			return nil, errIndexNotFound(st.Index)
		}
		if ix.Global && consistent {
			return nil, errGSIConsistent
		}
		rd.ix = ix
	}
	p := expr.NewParams(st.Names, st.Values)
	var err error
	if st.Where != "" {
		if rd.filter, err = expr.ParseCondition("ConditionExpression", st.Where, p); err != nil {
			return nil, err
		}
	}
	if st.Projection != "" {
		if rd.pr, err = expr.ParseProjection(st.Projection, p); err != nil {
			return nil, err
		}
		rd.sel = "SPECIFIC_ATTRIBUTES"
	}
	return rd, nil
}

// NextToken is the page's LastEvaluatedKey, opaque to the caller.
func encodeNextToken(key attr.Item) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeNextToken(tok string) (attr.Item, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	var key attr.Item
	if err == nil {
		err = json.Unmarshal(b, &key)
	}
	if err != nil || len(key) == 0 {
		// Wording unconfirmed.
		return nil, validation("The provided NextToken is invalid")
	}
	return key, nil
}

// ---- BatchExecuteStatement ----

type batchStatement struct {
	Statement                           string       `json:"Statement"`
	Parameters                          []attr.Value `json:"Parameters"`
	ConsistentRead                      bool         `json:"ConsistentRead"`
	ReturnValuesOnConditionCheckFailure string       `json:"ReturnValuesOnConditionCheckFailure"`
}

type batchStatementError struct {
	Code    string    `json:"Code"`
	Message string    `json:"Message"`
	Item    attr.Item `json:"Item,omitempty"`
}

type batchStatementResponse struct {
	TableName string               `json:"TableName,omitempty"`
	Item      attr.Item            `json:"Item,omitempty"`
	Error     *batchStatementError `json:"Error,omitempty"`
}

type batchExecuteInput struct {
	Statements             []batchStatement `json:"Statements"`
	ReturnConsumedCapacity string           `json:"ReturnConsumedCapacity"`
}

type batchExecuteOutput struct {
	Responses        []batchStatementResponse `json:"Responses"`
	ConsumedCapacity []*consumedCapacity      `json:"ConsumedCapacity,omitempty"`
}

// statementError is a batched statement's Error for err.
func statementError(err error, returnOld bool, old attr.Item) *batchStatementError {
	e := awsproto.As(err)
	be := &batchStatementError{Code: "InternalServerError", Message: e.Message}
	switch {
	case isCondFailed(err):
		be.Code = "ConditionalCheckFailed"
		if returnOld {
			be.Item = old
		}
	case errors.Is(err, errDuplicateItem):
		be.Code = "DuplicateItem"
	case e.Code == "ResourceNotFoundException":
		be.Code = "ResourceNotFound"
	case e.Code == "ValidationException":
		be.Code = "ValidationError"
	}
	return be
}

func (s *Service) batchExecuteStatement(ctx context.Context, r *http.Request) (any, error) {
	var in batchExecuteInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.Statements) == 0 {
		return nil, awsproto.Validation("[]", "statements", "Member must have length greater than or equal to 1")
	}
	if len(in.Statements) > maxBatchStatements {
		return nil, awsproto.Validation(fmt.Sprintf("[%d statements]", len(in.Statements)), "statements", "Member must have length less than or equal to 25")
	}
	if err := checkEnum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return nil, err
	}
	out := batchExecuteOutput{Responses: make([]batchStatementResponse, len(in.Statements))}
	ms := newMeters(in.ReturnConsumedCapacity)
	reads, writes := 0, 0
	for i := range in.Statements {
		bs := &in.Statements[i]
		res := &out.Responses[i]
		st, err := partiql.Parse(bs.Statement, bs.Parameters)
		if err != nil {
			res.Error = statementError(err, false, nil)
			continue
		}
		if st.Kind == partiql.Select {
			reads++
		} else {
			writes++
		}
		if reads > 0 && writes > 0 {
			// DynamoDB requires a batch of all reads or all writes; wording unconfirmed.
			return nil, validation("Statements in a batch must all be reads or all be writes")
		}
		res.TableName = st.Table
		t, err := s.itemTable(ctx, st.Table)
		if err != nil {
			res.Error = statementError(err, false, nil)
			continue
		}
		if st.Kind == partiql.Select {
			it, err := s.getStatement(ctx, &t, st, bs.ConsistentRead)
			if err != nil {
				res.Error = statementError(err, false, nil)
				continue
			}
			ms.of(&t).addRead(nil, itemSize(it.whole), bs.ConsistentRead, 1)
			res.Item = it.projected
			continue
		}
		returnOld := bs.ReturnValuesOnConditionCheckFailure == "ALL_OLD"
		a, err := statementAction(&t, st, returnOld)
		if err != nil {
			res.Error = statementError(err, false, nil)
			continue
		}
		if err := s.write(ctx, a); err != nil {
			res.Error = statementError(err, returnOld, a.old)
			continue
		}
		ms.of(&t).addWrite(&t, a.old, a.new, 1)
	}
	out.ConsumedCapacity = ms.out()
	return out, nil
}

// getStatement runs a SELECT that names a whole primary key, as batches and
// transactions require of their reads.
func (s *Service) getStatement(ctx context.Context, t *tablestore.Table, st *partiql.Statement, consistent bool) (gotItem, error) {
	g, err := snapStatement(t, st)
	if err != nil {
		return gotItem{}, err
	}
	if consistent && st.Index != "" {
		return gotItem{}, errGSIConsistent
	}
	it, err := s.Store.Get(ctx, t.Name, g.key)
	if err != nil || it == nil {
		return gotItem{}, err
	}
	out := gotItem{whole: it}
	if g.where == nil || g.where.Eval(it) {
		out.projected = projectItem(g.pr, it)
	}
	return out, nil
}

// snapStatement turns a SELECT of one item into a snapshot read.
func snapStatement(t *tablestore.Table, st *partiql.Statement) (snapGet, error) {
	if st.Index != "" {
		return snapGet{}, errNoKeyCondition
	}
	key, err := statementKey(t, st)
	if err != nil {
		return snapGet{}, err
	}
	rd, err := selectReader(t, st, false)
	if err != nil {
		return snapGet{}, err
	}
	return snapGet{t: t, key: key, pr: rd.pr, where: rd.filter}, nil
}

// ---- ExecuteTransaction ----

type transactStatement struct {
	Statement                           string       `json:"Statement"`
	Parameters                          []attr.Value `json:"Parameters,omitempty"`
	ReturnValuesOnConditionCheckFailure string       `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
}

type executeTransactionInput struct {
	TransactStatements     []transactStatement `json:"TransactStatements"`
	ClientRequestToken     string              `json:"ClientRequestToken,omitempty"`
	ReturnConsumedCapacity string              `json:"ReturnConsumedCapacity,omitempty"`
}

type executeTransactionOutput struct {
	Responses        []itemResponse      `json:"Responses,omitempty"`
	ConsumedCapacity []*consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

func (s *Service) executeTransaction(ctx context.Context, r *http.Request) (any, error) {
	var in executeTransactionInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.TransactStatements) == 0 {
		return nil, awsproto.Validation("[]", "transactStatements", "Member must have length greater than or equal to 1")
	}
	if len(in.TransactStatements) > maxTxItems {
		return nil, awsproto.Validation(fmt.Sprintf("[%d statements]", len(in.TransactStatements)), "transactStatements", "Member must have length less than or equal to 100")
	}
	if err := checkEnum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return nil, err
	}
	run := func() (any, error) { return s.runTransaction(ctx, &in) }
	if in.ClientRequestToken == "" {
		return run()
	}
	fingerprint, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return s.idem.do("partiql\x00"+in.ClientRequestToken, fingerprint, run)
}

func (s *Service) runTransaction(ctx context.Context, in *executeTransactionInput) (any, error) {
	stmts := make([]*partiql.Statement, len(in.TransactStatements))
	reads := 0
	for i, ts := range in.TransactStatements {
		st, err := partiql.Parse(ts.Statement, ts.Parameters)
		if err != nil {
			return nil, err
		}
		stmts[i] = st
		if st.Kind == partiql.Select {
			reads++
		}
	}
	if reads != 0 && reads != len(stmts) {
		// DynamoDB runs a transaction of all reads or all writes; wording unconfirmed.
		return nil, validation("Transaction must contain either all reads or all writes")
	}
	byName := map[string]*tablestore.Table{}
	ms := newMeters(in.ReturnConsumedCapacity)
	if reads > 0 {
		gets := make([]snapGet, len(stmts))
		for i, st := range stmts {
			t, err := s.txTable(ctx, byName, st.Table)
			if err != nil {
				return nil, err
			}
			if gets[i], err = snapStatement(t, st); err != nil {
				return nil, err
			}
		}
		items, err := s.snapshot(ctx, gets)
		if err != nil {
			return nil, err
		}
		out := executeTransactionOutput{Responses: make([]itemResponse, len(items))}
		for i, it := range items {
			ms.of(gets[i].t).addRead(nil, itemSize(it.whole), true, 2)
			out.Responses[i] = itemResponse{Item: it.projected}
		}
		out.ConsumedCapacity = ms.out()
		return out, nil
	}
	actions := make([]*action, len(stmts))
	seen := map[string]bool{}
	for i, st := range stmts {
		t, err := s.txTable(ctx, byName, st.Table)
		if err != nil {
			return nil, err
		}
		a, err := statementAction(t, st, in.TransactStatements[i].ReturnValuesOnConditionCheckFailure == "ALL_OLD")
		if err != nil {
			return nil, err
		}
		id := keyID(t.Name, t.Key, a.key)
		if seen[id] {
			return nil, errTxDup
		}
		seen[id] = true
		actions[i] = a
	}
	if err := s.commit(ctx, actions); err != nil {
		return nil, err
	}
	for _, a := range actions {
		ms.of(a.t).addWrite(a.t, a.old, a.new, 2)
	}
	return executeTransactionOutput{ConsumedCapacity: ms.out()}, nil
}
