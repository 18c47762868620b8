package dynamodb

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/expr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// itemOps is the item operations' part of the route table.
func (s *Service) itemOps(name string) op {
	switch name {
	case "PutItem":
		return s.putItem
	case "GetItem":
		return s.getItem
	case "UpdateItem":
		return s.updateItem
	case "DeleteItem":
		return s.deleteItem
	case "Query":
		return s.query
	case "Scan":
		return s.scan
	case "BatchGetItem":
		return s.batchGetItem
	case "BatchWriteItem":
		return s.batchWriteItem
	case "TransactWriteItems":
		return s.transactWriteItems
	case "TransactGetItems":
		return s.transactGetItems
	case "ExecuteStatement":
		return s.executeStatement
	case "BatchExecuteStatement":
		return s.batchExecuteStatement
	case "ExecuteTransaction":
		return s.executeTransaction
	}
	return nil
}

// placeholders are a request's ExpressionAttributeNames and Values.
type placeholders struct {
	ExpressionAttributeNames  map[string]string     `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues map[string]attr.Value `json:"ExpressionAttributeValues"`
}

func (ph *placeholders) params() *expr.Params {
	return expr.NewParams(ph.ExpressionAttributeNames, ph.ExpressionAttributeValues)
}

// checkUse refuses placeholders given without an expression to use them in:
// names need some expression, values one of the value-bearing ones (null
// names them, as DynamoDB's message does: "ConditionExpression is null").
func (ph *placeholders) checkUse(anyExpr, valueExpr bool, null string) error {
	if ph.ExpressionAttributeNames != nil && !anyExpr {
		return validation("ExpressionAttributeNames can only be specified when using expressions")
	}
	if ph.ExpressionAttributeValues != nil && !valueExpr {
		return validation("ExpressionAttributeValues can only be specified when using expressions: " + null)
	}
	return nil
}

// present lists the names whose flag is set, for errMixed.
func presentParams(pairs ...any) []string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1].(bool) {
			out = append(out, pairs[i].(string))
		}
	}
	return out
}

// checkMixed refuses legacy parameters beside expression ones.
func checkMixed(legacy, expression []string) error {
	if len(legacy) > 0 && len(expression) > 0 {
		return errMixed(legacy, expression)
	}
	return nil
}

// Enums of the item operations.
var (
	returnValuesEnum = []string{"ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"}
	capacityEnum     = []string{"INDEXES", "TOTAL", "NONE"}
	metricsEnum      = []string{"SIZE", "NONE"}
	onFailureEnum    = []string{"ALL_OLD", "NONE"}
	conditionalEnum  = []string{"AND", "OR"}
	selectEnum       = []string{"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"}
)

func checkEnum(v, field string, set []string) error {
	if v == "" || slices.Contains(set, v) {
		return nil
	}
	return errEnum(v, field, set)
}

// common are the members every item write shares.
type common struct {
	TableName                           string `json:"TableName"`
	ReturnConsumedCapacity              string `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         string `json:"ReturnItemCollectionMetrics"`
	ReturnValuesOnConditionCheckFailure string `json:"ReturnValuesOnConditionCheckFailure"`
}

func (c *common) check() error {
	if c.TableName == "" {
		return errTableNameNull
	}
	if err := checkEnum(c.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return err
	}
	if err := checkEnum(c.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", metricsEnum); err != nil {
		return err
	}
	return checkEnum(c.ReturnValuesOnConditionCheckFailure, "returnValuesOnConditionCheckFailure", onFailureEnum)
}

var errTableNameNull = validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")

// legacyCondition are the pre-expression condition members of a write.
type legacyCondition struct {
	Expected            map[string]expr.Expected `json:"Expected"`
	ConditionalOperator string                   `json:"ConditionalOperator"`
}

// condition builds a write's condition from ConditionExpression or Expected
// (nil when there is none).
func buildCondition(ce *string, lc *legacyCondition, p *expr.Params) (*expr.Condition, error) {
	if ce != nil {
		return expr.ParseCondition("ConditionExpression", *ce, p)
	}
	if err := checkEnum(lc.ConditionalOperator, "conditionalOperator", conditionalEnum); err != nil {
		return nil, err
	}
	if len(lc.Expected) > 0 {
		return expr.FromExpected(lc.Expected, lc.ConditionalOperator)
	}
	return nil, nil
}

// The kinds of item write.
const (
	actPut = iota
	actUpdate
	actDelete
	actCheck
)

// action is one item write (PutItem, UpdateItem, DeleteItem, or one of a
// batch or transaction), decided by apply inside the store's Write from the
// item as it is then: that is what makes conditions atomic.
type action struct {
	t    *tablestore.Table
	key  attr.Item
	kind int
	item attr.Item // actPut: the new item
	cond *expr.Condition
	upd  *expr.Update // actUpdate: nil for an update that only names the key
	// returnOld puts the current item in a failed condition's error
	// (ReturnValuesOnConditionCheckFailure ALL_OLD).
	returnOld bool
	// insert refuses an item that exists (PartiQL INSERT): DuplicateItemException.
	insert bool

	// Set by apply: the item before and after (nil when absent), and why it failed.
	old, new attr.Item
	err      error
}

// op returns the action as a store write.
func (a *action) op() tablestore.Op {
	return tablestore.Op{Table: a.t.Name, Key: a.key, Apply: a.apply}
}

func (a *action) apply(cur attr.Item) (attr.Item, error) {
	a.old, a.new, a.err = cur, cur, nil
	if a.insert && cur != nil {
		a.err = errDuplicateItem
		return nil, a.err
	}
	if a.cond != nil && !a.cond.Eval(cur) {
		var it attr.Item
		if a.returnOld {
			it = cur
		}
		a.err = errConditionFailed(it)
		return nil, a.err
	}
	switch a.kind {
	case actCheck:
		return nil, tablestore.ErrNoChange
	case actDelete:
		a.new = nil
		if cur == nil {
			return nil, tablestore.ErrNoChange
		}
		return nil, nil
	case actPut:
		a.new = a.item
	case actUpdate:
		next := cur.Clone()
		if cur == nil {
			next = a.key.Clone()
		}
		if a.upd != nil {
			var err error
			if next, err = a.upd.Apply(next); err != nil {
				a.err = err
				return nil, err
			}
		}
		if err := checkIndexKeys(a.t, next); err != nil {
			a.err = err
			return nil, err
		}
		if attr.ItemSize(next) > attr.MaxItemSize {
			a.err = errUpdateSize
			return nil, a.err
		}
		a.new = next
	}
	if cur != nil && sameItem(cur, a.new) {
		return nil, tablestore.ErrNoChange
	}
	return a.new, nil
}

// write runs one action in its own Write and returns the action's own error
// when it failed.
func (s *Service) write(ctx context.Context, a *action) error {
	err := s.Store.Write(ctx, []tablestore.Op{a.op()})
	if a.err != nil {
		return a.err
	}
	return err
}

// collectionMetrics is ItemCollectionMetrics: reported for tables with local
// indexes, whose item collections (one hash key's items) are bounded.
type collectionMetrics struct {
	ItemCollectionKey   attr.Item `json:"ItemCollectionKey"`
	SizeEstimateRangeGB []float64 `json:"SizeEstimateRangeGB"`
}

func collectionMetricsOf(t *tablestore.Table, mode string, key attr.Item) *collectionMetrics {
	if mode != "SIZE" || !hasLocalIndex(t) {
		return nil
	}
	// The estimate is the range DynamoDB reports for a collection under 1 GB.
	return &collectionMetrics{ItemCollectionKey: attr.Item{t.Key.Hash: key[t.Key.Hash]}, SizeEstimateRangeGB: []float64{0, 1}}
}

func hasLocalIndex(t *tablestore.Table) bool {
	for i := range t.Indexes {
		if !t.Indexes[i].Global {
			return true
		}
	}
	return false
}

// ---- PutItem ----

type putItemInput struct {
	common
	placeholders
	legacyCondition
	Item                attr.Item `json:"Item"`
	ConditionExpression *string   `json:"ConditionExpression"`
	ReturnValues        string    `json:"ReturnValues"`
}

type writeOutput struct {
	Attributes            attr.Item          `json:"Attributes,omitempty"`
	ConsumedCapacity      *consumedCapacity  `json:"ConsumedCapacity,omitempty"`
	ItemCollectionMetrics *collectionMetrics `json:"ItemCollectionMetrics,omitempty"`
}

// checkPutReturn checks PutItem's and DeleteItem's ReturnValues.
func checkPutReturn(rv string) error {
	if err := checkEnum(rv, "returnValues", returnValuesEnum); err != nil {
		return err
	}
	if rv != "" && rv != "NONE" && rv != "ALL_OLD" {
		return errPutReturn
	}
	return nil
}

func (s *Service) putItem(ctx context.Context, r *http.Request) (any, error) {
	var in putItemInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if in.Item == nil {
		return nil, validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
	}
	cond, err := writeCondition(&in.placeholders, &in.legacyCondition, in.ConditionExpression, in.ReturnValues)
	if err != nil {
		return nil, err
	}
	t, err := s.itemTable(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	key, err := checkItem(&t, in.Item)
	if err != nil {
		return nil, err
	}
	a := &action{t: &t, key: key, kind: actPut, item: in.Item, cond: cond, returnOld: in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"}
	if err := s.write(ctx, a); err != nil {
		return nil, err
	}
	out := writeOutput{ItemCollectionMetrics: collectionMetricsOf(&t, in.ReturnItemCollectionMetrics, key)}
	if in.ReturnValues == "ALL_OLD" {
		out.Attributes = a.old
	}
	m := newMeter(&t, in.ReturnConsumedCapacity)
	m.addWrite(&t, a.old, a.new, 1)
	out.ConsumedCapacity = m.out()
	return out, nil
}

// ---- GetItem ----

type getItemInput struct {
	TableName              string    `json:"TableName"`
	Key                    attr.Item `json:"Key"`
	AttributesToGet        []string  `json:"AttributesToGet"`
	ConsistentRead         bool      `json:"ConsistentRead"`
	ProjectionExpression   *string   `json:"ProjectionExpression"`
	ReturnConsumedCapacity string    `json:"ReturnConsumedCapacity"`
	placeholders
}

type getItemOutput struct {
	Item             attr.Item         `json:"Item,omitempty"`
	ConsumedCapacity *consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

func (o getItemOutput) appendJSON(dst []byte) ([]byte, error) {
	first := true
	dst = append(dst, '{')
	if len(o.Item) > 0 {
		dst = attr.AppendItemJSON(appendMember(dst, &first, "Item"), o.Item)
	}
	if o.ConsumedCapacity != nil {
		var err error
		if dst, err = appendOther(appendMember(dst, &first, "ConsumedCapacity"), o.ConsumedCapacity); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// projection builds a read's projection from ProjectionExpression or the
// legacy AttributesToGet (nil: every attribute).
func buildProjection(pe *string, atg []string, p *expr.Params) (*expr.Projection, error) {
	if pe != nil {
		return expr.ParseProjection(*pe, p)
	}
	if atg != nil {
		return expr.FromAttributesToGet(atg)
	}
	return nil, nil
}

func projectItem(pr *expr.Projection, it attr.Item) attr.Item {
	if pr == nil || it == nil {
		return it
	}
	return pr.Apply(it)
}

func (s *Service) getItem(ctx context.Context, r *http.Request) (any, error) {
	var in getItemInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.TableName == "" {
		return nil, errTableNameNull
	}
	if err := checkEnum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return nil, err
	}
	if err := checkMixed(presentParams("AttributesToGet", in.AttributesToGet != nil), presentParams("ProjectionExpression", in.ProjectionExpression != nil)); err != nil {
		return nil, err
	}
	if err := in.placeholders.checkUse(in.ProjectionExpression != nil, false, "ProjectionExpression is null"); err != nil {
		return nil, err
	}
	p := in.params()
	pr, err := buildProjection(in.ProjectionExpression, in.AttributesToGet, p)
	if err != nil {
		return nil, err
	}
	if err := p.Unused(); err != nil {
		return nil, err
	}
	t, err := s.itemTable(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	if err := checkKey(&t, in.Key); err != nil {
		return nil, err
	}
	it, err := s.Store.Get(ctx, t.Name, in.Key)
	if err != nil {
		return nil, err
	}
	m := newMeter(&t, in.ReturnConsumedCapacity)
	m.addRead(nil, itemSize(it), in.ConsistentRead, 1)
	return getItemOutput{Item: projectItem(pr, it), ConsumedCapacity: m.out()}, nil
}

// ---- UpdateItem ----

type updateItemInput struct {
	common
	placeholders
	legacyCondition
	Key                 attr.Item                       `json:"Key"`
	UpdateExpression    *string                         `json:"UpdateExpression"`
	AttributeUpdates    map[string]expr.AttributeUpdate `json:"AttributeUpdates"`
	ConditionExpression *string                         `json:"ConditionExpression"`
	ReturnValues        string                          `json:"ReturnValues"`
}

// buildUpdate builds an UpdateItem's update (nil when it has none) and refuses
// one that changes a key attribute.
func buildUpdate(t *tablestore.Table, ue *string, au map[string]expr.AttributeUpdate, p *expr.Params) (*expr.Update, error) {
	u, err := parseUpdate(ue, au, p)
	if err != nil {
		return nil, err
	}
	return u, checkUpdateKeys(t, u, au)
}

// parseUpdate builds an update from UpdateExpression or AttributeUpdates,
// without the table: DynamoDB refuses a malformed expression before it looks
// the table up.
func parseUpdate(ue *string, au map[string]expr.AttributeUpdate, p *expr.Params) (*expr.Update, error) {
	switch {
	case ue != nil:
		return expr.ParseUpdate(*ue, p)
	case len(au) > 0:
		return expr.FromAttributeUpdates(au)
	}
	return nil, nil
}

// checkUpdateKeys refuses an update that writes a key attribute.
func checkUpdateKeys(t *tablestore.Table, u *expr.Update, au map[string]expr.AttributeUpdate) error {
	if u == nil {
		return nil
	}
	for _, name := range u.Top() {
		if !isKeyAttr(t.Key, name) {
			continue
		}
		if au != nil {
			return validation("One or more parameter values were invalid: Cannot update attribute " + name + ". This attribute is part of the key")
		}
		return errUpdateKey(name)
	}
	return nil
}

func (s *Service) updateItem(ctx context.Context, r *http.Request) (any, error) {
	var in updateItemInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkEnum(in.ReturnValues, "returnValues", returnValuesEnum); err != nil {
		return nil, err
	}
	if err := checkMixed(presentParams("AttributeUpdates", in.AttributeUpdates != nil, "Expected", in.Expected != nil, "ConditionalOperator", in.ConditionalOperator != ""),
		presentParams("UpdateExpression", in.UpdateExpression != nil, "ConditionExpression", in.ConditionExpression != nil)); err != nil {
		return nil, err
	}
	anyExpr := in.UpdateExpression != nil || in.ConditionExpression != nil
	if err := in.placeholders.checkUse(anyExpr, anyExpr, "UpdateExpression and ConditionExpression are null"); err != nil {
		return nil, err
	}
	p := in.params()
	upd, err := parseUpdate(in.UpdateExpression, in.AttributeUpdates, p)
	if err != nil {
		return nil, err
	}
	cond, err := buildCondition(in.ConditionExpression, &in.legacyCondition, p)
	if err != nil {
		return nil, err
	}
	if err := p.Unused(); err != nil {
		return nil, err
	}
	t, err := s.itemTable(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	if err := checkUpdateKeys(&t, upd, in.AttributeUpdates); err != nil {
		return nil, err
	}
	if err := checkKey(&t, in.Key); err != nil {
		return nil, err
	}
	a := &action{t: &t, key: in.Key, kind: actUpdate, upd: upd, cond: cond, returnOld: in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"}
	if err := s.write(ctx, a); err != nil {
		return nil, err
	}
	out := writeOutput{ItemCollectionMetrics: collectionMetricsOf(&t, in.ReturnItemCollectionMetrics, in.Key)}
	switch in.ReturnValues {
	case "ALL_OLD":
		out.Attributes = a.old
	case "ALL_NEW":
		out.Attributes = a.new
	case "UPDATED_OLD":
		if upd != nil && a.old != nil {
			out.Attributes = upd.Updated(a.old)
		}
	case "UPDATED_NEW":
		if upd != nil {
			out.Attributes = upd.Updated(a.new)
		}
	}
	m := newMeter(&t, in.ReturnConsumedCapacity)
	m.addWrite(&t, a.old, a.new, 1)
	out.ConsumedCapacity = m.out()
	return out, nil
}

// ---- DeleteItem ----

type deleteItemInput struct {
	common
	placeholders
	legacyCondition
	Key                 attr.Item `json:"Key"`
	ConditionExpression *string   `json:"ConditionExpression"`
	ReturnValues        string    `json:"ReturnValues"`
}

// writeCondition checks what PutItem and DeleteItem share after their
// required members (ReturnValues, legacy beside expression parameters,
// placeholders) and builds their condition.
func writeCondition(ph *placeholders, lc *legacyCondition, ce *string, returnValues string) (*expr.Condition, error) {
	if err := checkPutReturn(returnValues); err != nil {
		return nil, err
	}
	if err := checkMixed(presentParams("Expected", lc.Expected != nil, "ConditionalOperator", lc.ConditionalOperator != ""),
		presentParams("ConditionExpression", ce != nil)); err != nil {
		return nil, err
	}
	if err := ph.checkUse(ce != nil, ce != nil, "ConditionExpression is null"); err != nil {
		return nil, err
	}
	p := ph.params()
	cond, err := buildCondition(ce, lc, p)
	if err != nil {
		return nil, err
	}
	return cond, p.Unused()
}

func (s *Service) deleteItem(ctx context.Context, r *http.Request) (any, error) {
	var in deleteItemInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	cond, err := writeCondition(&in.placeholders, &in.legacyCondition, in.ConditionExpression, in.ReturnValues)
	if err != nil {
		return nil, err
	}
	t, err := s.itemTable(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	if err := checkKey(&t, in.Key); err != nil {
		return nil, err
	}
	a := &action{t: &t, key: in.Key, kind: actDelete, cond: cond, returnOld: in.ReturnValuesOnConditionCheckFailure == "ALL_OLD"}
	if err := s.write(ctx, a); err != nil {
		return nil, err
	}
	out := writeOutput{ItemCollectionMetrics: collectionMetricsOf(&t, in.ReturnItemCollectionMetrics, in.Key)}
	if in.ReturnValues == "ALL_OLD" {
		out.Attributes = a.old
	}
	m := newMeter(&t, in.ReturnConsumedCapacity)
	m.addWrite(&t, a.old, nil, 1)
	out.ConsumedCapacity = m.out()
	return out, nil
}

// isCondFailed reports whether err is a failed condition.
func isCondFailed(err error) bool {
	return errors.Is(err, errConditionalCheck)
}
