package dynamodb

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/expr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Transaction limits: 100 actions, 4 MB of items.
const (
	maxTxItems = 100
	maxTxSize  = 4 << 20
	// idemWindow is how long a ClientRequestToken is remembered.
	idemWindow = 10 * time.Minute
)

// errTxTooMany refuses more than 100 actions. DynamoDB renders the list's
// value in Java's form, which is not reproduced here.
func errTxTooMany(n int) *awsproto.Error {
	return awsproto.Validation(fmt.Sprintf("[%d items]", n), "transactItems", "Member must have length less than or equal to 100")
}

// ---- TransactWriteItems ----

// txAction is one of ConditionCheck, Put, Update or Delete.
type txAction struct {
	TableName                           string    `json:"TableName"`
	Key                                 attr.Item `json:"Key,omitempty"`
	Item                                attr.Item `json:"Item,omitempty"`
	UpdateExpression                    *string   `json:"UpdateExpression,omitempty"`
	ConditionExpression                 *string   `json:"ConditionExpression,omitempty"`
	ReturnValuesOnConditionCheckFailure string    `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
	placeholders
}

type transactWriteItem struct {
	ConditionCheck *txAction `json:"ConditionCheck,omitempty"`
	Put            *txAction `json:"Put,omitempty"`
	Update         *txAction `json:"Update,omitempty"`
	Delete         *txAction `json:"Delete,omitempty"`
}

type transactWriteInput struct {
	TransactItems               []transactWriteItem `json:"TransactItems"`
	ClientRequestToken          string              `json:"ClientRequestToken,omitempty"`
	ReturnConsumedCapacity      string              `json:"ReturnConsumedCapacity,omitempty"`
	ReturnItemCollectionMetrics string              `json:"ReturnItemCollectionMetrics,omitempty"`
}

type transactWriteOutput struct {
	ConsumedCapacity      []*consumedCapacity             `json:"ConsumedCapacity,omitempty"`
	ItemCollectionMetrics map[string][]*collectionMetrics `json:"ItemCollectionMetrics,omitempty"`
}

func (s *Service) transactWriteItems(ctx context.Context, r *http.Request) (any, error) {
	var in transactWriteInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.TransactItems == nil {
		return nil, validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null")
	}
	if len(in.TransactItems) == 0 {
		return nil, awsproto.Validation("[]", "transactItems", "Member must have length greater than or equal to 1")
	}
	if len(in.TransactItems) > maxTxItems {
		return nil, errTxTooMany(len(in.TransactItems))
	}
	if err := checkEnum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return nil, err
	}
	if err := checkEnum(in.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", metricsEnum); err != nil {
		return nil, err
	}
	run := func() (any, error) {
		actions, err := s.txActions(ctx, in.TransactItems)
		if err != nil {
			return nil, err
		}
		if err := s.commit(ctx, actions); err != nil {
			return nil, err
		}
		out := transactWriteOutput{}
		ms := newMeters(in.ReturnConsumedCapacity)
		for _, a := range actions {
			m := ms.of(a.t)
			if a.kind == actCheck {
				m.addRead(nil, itemSize(a.old), true, 2)
				continue
			}
			m.addWrite(a.t, a.old, a.new, 2)
			if cm := collectionMetricsOf(a.t, in.ReturnItemCollectionMetrics, a.key); cm != nil {
				if out.ItemCollectionMetrics == nil {
					out.ItemCollectionMetrics = map[string][]*collectionMetrics{}
				}
				out.ItemCollectionMetrics[a.t.Name] = append(out.ItemCollectionMetrics[a.t.Name], cm)
			}
		}
		out.ConsumedCapacity = ms.out()
		return out, nil
	}
	if in.ClientRequestToken == "" {
		return run()
	}
	fingerprint, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return s.idem.do(in.ClientRequestToken, fingerprint, run)
}

// txActions turns a TransactWriteItems request into actions, refusing what
// DynamoDB refuses before running any (a ValidationException, not a
// cancellation).
func (s *Service) txActions(ctx context.Context, items []transactWriteItem) ([]*action, error) {
	tables := map[string]*tablestore.Table{}
	seen := map[string]bool{}
	var size int64
	actions := make([]*action, 0, len(items))
	for i, ti := range items {
		var ta *txAction
		kind, n := 0, 0
		for k, x := range []*txAction{ti.ConditionCheck, ti.Put, ti.Update, ti.Delete} {
			if x != nil {
				ta, kind = x, []int{actCheck, actPut, actUpdate, actDelete}[k]
				n++
			}
		}
		if n != 1 {
			// Wording from public emulators; unconfirmed against DynamoDB.
			return nil, validation("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		field := fmt.Sprintf("transactItems.%d.member.%s", i+1, []string{"put", "update", "delete", "conditionCheck"}[kind])
		if ta.TableName == "" {
			return nil, validation("1 validation error detected: Value null at '" + field + ".tableName' failed to satisfy constraint: Member must not be null")
		}
		if err := checkEnum(ta.ReturnValuesOnConditionCheckFailure, field+".returnValuesOnConditionCheckFailure", onFailureEnum); err != nil {
			return nil, err
		}
		if kind == actCheck && ta.ConditionExpression == nil {
			return nil, validation("1 validation error detected: Value null at '" + field + ".conditionExpression' failed to satisfy constraint: Member must not be null")
		}
		if kind == actUpdate && ta.UpdateExpression == nil {
			return nil, validation("1 validation error detected: Value null at '" + field + ".updateExpression' failed to satisfy constraint: Member must not be null")
		}
		t, err := s.txTable(ctx, tables, ta.TableName)
		if err != nil {
			return nil, err
		}
		a, err := txAct(t, kind, ta)
		if err != nil {
			return nil, err
		}
		id := keyID(t.Name, t.Key, a.key)
		if seen[id] {
			return nil, errTxDup
		}
		seen[id] = true
		if a.item != nil {
			size += attr.ItemSize(a.item)
		}
		actions = append(actions, a)
	}
	if size > maxTxSize {
		// Unconfirmed wording.
		return nil, validation("Transaction request size exceeds the maximum allowed size of 4 MB")
	}
	return actions, nil
}

// txAct builds one transaction action against its table.
func txAct(t *tablestore.Table, kind int, ta *txAction) (*action, error) {
	valueExpr := ta.ConditionExpression != nil || ta.UpdateExpression != nil
	null := "ConditionExpression is null"
	if kind == actUpdate {
		null = "UpdateExpression and ConditionExpression are null"
	}
	if err := ta.placeholders.checkUse(valueExpr, valueExpr, null); err != nil {
		return nil, err
	}
	p := ta.params()
	a := &action{t: t, kind: kind, returnOld: ta.ReturnValuesOnConditionCheckFailure == "ALL_OLD"}
	var err error
	if kind == actUpdate {
		if a.upd, err = buildUpdate(t, ta.UpdateExpression, nil, p); err != nil {
			return nil, err
		}
	}
	if a.cond, err = buildCondition(ta.ConditionExpression, &legacyCondition{}, p); err != nil {
		return nil, err
	}
	if err := p.Unused(); err != nil {
		return nil, err
	}
	if kind == actPut {
		if a.key, err = checkItem(t, ta.Item); err != nil {
			return nil, err
		}
		a.item = ta.Item
		return a, nil
	}
	if err := checkKey(t, ta.Key); err != nil {
		return nil, err
	}
	a.key = ta.Key
	return a, nil
}

// commit runs actions in one Write: all or nothing. When any action fails it
// returns TransactionCanceledException with every action's reason.
func (s *Service) commit(ctx context.Context, actions []*action) error {
	ops := make([]tablestore.Op, len(actions))
	for i, a := range actions {
		ops[i] = a.op()
	}
	err := s.Store.Write(ctx, ops)
	if err == nil {
		return nil
	}
	reasons := make([]txReason, len(actions))
	failed := false
	for i, a := range actions {
		reasons[i] = reasonOf(a)
		failed = failed || reasons[i].Code != "None"
	}
	if !failed {
		return err // the store failed, not an action
	}
	return errTxCanceled(reasons)
}

// reasonOf is an action's CancellationReasons entry.
func reasonOf(a *action) txReason {
	if a.err == nil {
		return txReason{Code: "None"}
	}
	if isCondFailed(a.err) {
		r := txReason{Code: "ConditionalCheckFailed", Message: errConditionalCheck.Message}
		if a.returnOld {
			r.Item = a.old
		}
		return r
	}
	if errors.Is(a.err, errDuplicateItem) {
		return txReason{Code: "DuplicateItem", Message: errDuplicateItem.Message}
	}
	return txReason{Code: "ValidationError", Message: awsproto.As(a.err).Message}
}

// ---- TransactGetItems ----

type txGet struct {
	TableName                string            `json:"TableName"`
	Key                      attr.Item         `json:"Key"`
	ProjectionExpression     *string           `json:"ProjectionExpression"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
}

type transactGetInput struct {
	TransactItems []struct {
		Get *txGet `json:"Get"`
	} `json:"TransactItems"`
	ReturnConsumedCapacity string `json:"ReturnConsumedCapacity"`
}

type itemResponse struct {
	Item attr.Item `json:"Item,omitempty"`
}

type transactGetOutput struct {
	Responses        []itemResponse      `json:"Responses"`
	ConsumedCapacity []*consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

func (s *Service) transactGetItems(ctx context.Context, r *http.Request) (any, error) {
	var in transactGetInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.TransactItems) == 0 {
		return nil, awsproto.Validation("[]", "transactItems", "Member must have length greater than or equal to 1")
	}
	if len(in.TransactItems) > maxTxItems {
		return nil, errTxTooMany(len(in.TransactItems))
	}
	if err := checkEnum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return nil, err
	}
	gets := make([]snapGet, len(in.TransactItems))
	byName := map[string]*tablestore.Table{}
	for i, ti := range in.TransactItems {
		g := ti.Get
		if g == nil {
			return nil, validation(fmt.Sprintf("1 validation error detected: Value null at 'transactItems.%d.member.get' failed to satisfy constraint: Member must not be null", i+1))
		}
		ph := placeholders{ExpressionAttributeNames: g.ExpressionAttributeNames}
		if err := ph.checkUse(g.ProjectionExpression != nil, false, ""); err != nil {
			return nil, err
		}
		p := ph.params()
		pr, err := buildProjection(g.ProjectionExpression, nil, p)
		if err != nil {
			return nil, err
		}
		if err := p.Unused(); err != nil {
			return nil, err
		}
		t, err := s.txTable(ctx, byName, g.TableName)
		if err != nil {
			return nil, err
		}
		if err := checkKey(t, g.Key); err != nil {
			return nil, err
		}
		gets[i] = snapGet{t: t, key: g.Key, pr: pr}
	}
	items, err := s.snapshot(ctx, gets)
	if err != nil {
		return nil, err
	}
	out := transactGetOutput{Responses: make([]itemResponse, len(items))}
	ms := newMeters(in.ReturnConsumedCapacity)
	for i, it := range items {
		ms.of(gets[i].t).addRead(nil, itemSize(it.whole), true, 2)
		out.Responses[i] = itemResponse{Item: it.projected}
	}
	out.ConsumedCapacity = ms.out()
	return out, nil
}

// txTable looks up a table of a transaction once, answering a missing one as
// transactions do (ResourceNotFoundException without its name).
func (s *Service) txTable(ctx context.Context, byName map[string]*tablestore.Table, name string) (*tablestore.Table, error) {
	if t := byName[name]; t != nil {
		return t, nil
	}
	t, err := s.Store.Table(ctx, name)
	if errors.Is(err, tablestore.ErrTableNotFound) {
		return nil, errResourceNotFound
	}
	if err != nil {
		return nil, err
	}
	byName[name] = &t
	return &t, nil
}

// snapGet is one read of a snapshot: a checked key, its projection, and
// (PartiQL) a condition the item must meet to be returned.
type snapGet struct {
	t     *tablestore.Table
	key   attr.Item
	pr    *expr.Projection
	where *expr.Condition
}

// gotItem is one item a snapshot read: whole (for capacity) and as projected.
type gotItem struct{ whole, projected attr.Item }

// snapshot reads items at one instant: each is read inside one store Write
// whose every op leaves its item unchanged, so no write lands between them.
// Two reads of one item are refused, as DynamoDB refuses them.
func (s *Service) snapshot(ctx context.Context, gets []snapGet) ([]gotItem, error) {
	seen := map[string]bool{}
	out := make([]gotItem, len(gets))
	ops := make([]tablestore.Op, len(gets))
	for i, g := range gets {
		id := keyID(g.t.Name, g.t.Key, g.key)
		if seen[id] {
			return nil, errTxDup
		}
		seen[id] = true
		ops[i] = tablestore.Op{Table: g.t.Name, Key: g.key, Apply: func(cur attr.Item) (attr.Item, error) {
			out[i].whole = cur
			if cur != nil && (g.where == nil || g.where.Eval(cur)) {
				out[i].projected = projectItem(g.pr, cur)
			}
			return nil, tablestore.ErrNoChange
		}}
	}
	if err := s.Store.Write(ctx, ops); err != nil {
		return nil, err
	}
	return out, nil
}

// ---- ClientRequestToken idempotency ----

// idempotency remembers the answers of successful TransactWriteItems (and
// ExecuteTransaction) requests by ClientRequestToken for 10 minutes.
// Requests with one token run one at a time, so a retry racing its original
// waits for it instead of writing twice.
type idempotency struct {
	now func() time.Time
	// mu guards tokens, swept and each entry's users; it is never held
	// while a request runs, nor together with an entry's mu.
	mu     sync.Mutex
	tokens map[string]*idemEntry
	swept  time.Time
}

type idemEntry struct {
	users int        // requests holding or waiting for mu; guarded by idempotency.mu
	mu    sync.Mutex // held while a request with this token runs
	at    time.Time
	sum   [sha256.Size]byte
	out   any
	done  bool
}

func newIdempotency(now func() time.Time) *idempotency {
	return &idempotency{now: now, tokens: map[string]*idemEntry{}}
}

// do answers a request with token and fingerprint: within the window, the
// answer its first success gave (without running it again) when the
// fingerprint matches, IdempotentParameterMismatchException when it does
// not; otherwise run's answer, remembered when it succeeds.
func (id *idempotency) do(token string, fingerprint []byte, run func() (any, error)) (any, error) {
	sum := sha256.Sum256(fingerprint)
	id.mu.Lock()
	now := id.now()
	if now.Sub(id.swept) > time.Minute {
		for k, e := range id.tokens {
			if e.users == 0 && (!e.done || now.Sub(e.at) > idemWindow) {
				delete(id.tokens, k)
			}
		}
		id.swept = now
	}
	e := id.tokens[token]
	if e == nil {
		e = &idemEntry{}
		id.tokens[token] = e
	}
	e.users++
	id.mu.Unlock()
	defer func() {
		id.mu.Lock()
		e.users--
		id.mu.Unlock()
	}()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done && id.now().Sub(e.at) <= idemWindow {
		if e.sum != sum {
			return nil, errIdempotentMismatch
		}
		return e.out, nil
	}
	out, err := run()
	if err != nil {
		return nil, err
	}
	e.at, e.sum, e.out, e.done = id.now(), sum, out, true
	return out, nil
}
