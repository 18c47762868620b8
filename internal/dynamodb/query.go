package dynamodb

import (
	"context"
	"net/http"
	"strconv"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/expr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// maxPage is how much data one Query or Scan page reads at most (1 MB, as
// DynamoDB counts item sizes); the item that reaches it ends the page.
const maxPage = 1 << 20

// readInput are the members Query and Scan share.
type readInput struct {
	TableName              string    `json:"TableName"`
	IndexName              string    `json:"IndexName"`
	Select                 string    `json:"Select"`
	AttributesToGet        []string  `json:"AttributesToGet"`
	Limit                  *int64    `json:"Limit"`
	ConsistentRead         bool      `json:"ConsistentRead"`
	ExclusiveStartKey      attr.Item `json:"ExclusiveStartKey"`
	ReturnConsumedCapacity string    `json:"ReturnConsumedCapacity"`
	ProjectionExpression   *string   `json:"ProjectionExpression"`
	FilterExpression       *string   `json:"FilterExpression"`
	ConditionalOperator    string    `json:"ConditionalOperator"`
	placeholders
}

// readOutput is Query's and Scan's answer.
type readOutput struct {
	Items            *[]attr.Item      `json:"Items,omitempty"`
	Count            int               `json:"Count"`
	ScannedCount     int               `json:"ScannedCount"`
	LastEvaluatedKey attr.Item         `json:"LastEvaluatedKey,omitempty"`
	ConsumedCapacity *consumedCapacity `json:"ConsumedCapacity,omitempty"`
}

func (o readOutput) appendJSON(dst []byte) ([]byte, error) {
	first := true
	dst = append(dst, '{')
	if o.Items != nil {
		dst = append(appendMember(dst, &first, "Items"), '[')
		for i, it := range *o.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = attr.AppendItemJSON(dst, it)
		}
		dst = append(dst, ']')
	}
	dst = strconv.AppendInt(appendMember(dst, &first, "Count"), int64(o.Count), 10)
	dst = strconv.AppendInt(appendMember(dst, &first, "ScannedCount"), int64(o.ScannedCount), 10)
	if len(o.LastEvaluatedKey) > 0 {
		dst = attr.AppendItemJSON(appendMember(dst, &first, "LastEvaluatedKey"), o.LastEvaluatedKey)
	}
	if o.ConsumedCapacity != nil {
		var err error
		if dst, err = appendOther(appendMember(dst, &first, "ConsumedCapacity"), o.ConsumedCapacity); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// reader is one Query or Scan page's plan: what to read, how to filter and
// project it, and where to stop.
type reader struct {
	t          *tablestore.Table
	ix         *tablestore.Index // nil for the table
	sel        string            // the resolved Select
	pr         *expr.Projection
	filter     *expr.Condition
	limit      int64 // 0: none
	consistent bool
	meter      *meter
}

// check validates what Query and Scan share before the table is known; op is
// "Query" or "Scan" (some messages differ between them).
func (in *readInput) check(op string) error {
	if in.TableName == "" {
		return errTableNameNull
	}
	if in.Limit != nil && *in.Limit < 1 {
		return awsproto.Validation(*in.Limit, "limit", "Member must have value greater than or equal to 1")
	}
	if err := checkEnum(in.Select, "select", selectEnum); err != nil {
		return err
	}
	if err := checkEnum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return err
	}
	return checkEnum(in.ConditionalOperator, "conditionalOperator", conditionalEnum)
}

// plan resolves the table, index and Select of a read.
func (s *Service) plan(ctx context.Context, in *readInput, op string) (*reader, error) {
	t, err := s.itemTable(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	rd := &reader{t: &t, consistent: in.ConsistentRead, meter: newMeter(&t, in.ReturnConsumedCapacity)}
	if in.Limit != nil {
		rd.limit = *in.Limit
	}
	if in.IndexName != "" {
		ix, ok := t.Index(in.IndexName)
		if !ok {
			return nil, errIndexNotFound(in.IndexName)
		}
		if ix.Global && in.ConsistentRead {
			return nil, errGSIConsistent
		}
		rd.ix = ix
	}
	sel, err := resolveSelect(in, rd.ix, op)
	if err != nil {
		return nil, err
	}
	rd.sel = sel
	return rd, nil
}

// resolveSelect applies Select's default and refuses the combinations
// DynamoDB refuses.
func resolveSelect(in *readInput, ix *tablestore.Index, op string) (string, error) {
	projParam := ""
	switch {
	case in.ProjectionExpression != nil:
		projParam = "ProjectionExpression"
	case in.AttributesToGet != nil:
		projParam = "AttributesToGet"
	}
	sel := in.Select
	if sel == "" {
		switch {
		case projParam != "":
			sel = "SPECIFIC_ATTRIBUTES"
		case ix != nil:
			sel = "ALL_PROJECTED_ATTRIBUTES"
		default:
			sel = "ALL_ATTRIBUTES"
		}
	}
	if projParam != "" && sel != "SPECIFIC_ATTRIBUTES" {
		what := sel
		if sel == "COUNT" {
			what = "only the Count"
		}
		// DynamoDB prefixes this one "1 validation error detected: " on
		// Query but not on Scan (ExtendDB's tests, verified against us-east-1).
		msg := "Cannot specify the " + projParam + " when choosing to get " + what
		if op == "Query" {
			msg = "1 validation error detected: " + msg
		}
		return "", validation(msg)
	}
	switch sel {
	case "ALL_PROJECTED_ATTRIBUTES":
		if ix == nil {
			// Scan's wording is unconfirmed; Query's is dynalite's.
			verb := "Querying"
			if op == "Scan" {
				verb = "Scanning"
			}
			return "", validation("ALL_PROJECTED_ATTRIBUTES can be used only when " + verb + " using an IndexName")
		}
	case "ALL_ATTRIBUTES":
		if ix != nil && ix.Global && ix.Projection.Type != "ALL" {
			return "", validation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index " +
				ix.Name + " because its projection type is not ALL")
		}
	}
	return sel, nil
}

// visit returns the store visitor of the page and, once it has run, the
// page's answer.
func (rd *reader) visit() (tablestore.Visit, func() readOutput) {
	var (
		out   readOutput
		items = []attr.Item{}
		size  int64
	)
	v := func(it attr.Item) bool {
		view := it
		if rd.ix != nil {
			view = indexView(rd.t, rd.ix, it)
		}
		// A local index reads what it lacks from the table; a global one cannot.
		base := it
		if rd.ix != nil && rd.ix.Global {
			base = view
		}
		size += attr.ItemSize(view)
		out.ScannedCount++
		if rd.filter == nil || rd.filter.Eval(base) {
			out.Count++
			switch rd.sel {
			case "COUNT":
			case "ALL_PROJECTED_ATTRIBUTES":
				items = append(items, view)
			case "SPECIFIC_ATTRIBUTES":
				items = append(items, projectItem(rd.pr, base))
			default:
				items = append(items, base)
			}
		}
		if (rd.limit > 0 && int64(out.ScannedCount) >= rd.limit) || size >= maxPage {
			out.LastEvaluatedKey = pageKey(rd.t, rd.ix, it)
			return false
		}
		return true
	}
	return v, func() readOutput {
		if rd.sel != "COUNT" {
			out.Items = &items
		}
		rd.meter.addRead(rd.ix, size, rd.consistent, 1)
		out.ConsumedCapacity = rd.meter.out()
		return out
	}
}

// ---- Query ----

type queryInput struct {
	readInput
	KeyConditions          map[string]expr.LegacyCondition `json:"KeyConditions"`
	QueryFilter            map[string]expr.LegacyCondition `json:"QueryFilter"`
	KeyConditionExpression *string                         `json:"KeyConditionExpression"`
	ScanIndexForward       *bool                           `json:"ScanIndexForward"`
}

func (s *Service) query(ctx context.Context, r *http.Request) (any, error) {
	var in queryInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := in.check("Query"); err != nil {
		return nil, err
	}
	legacy := presentParams("AttributesToGet", in.AttributesToGet != nil, "QueryFilter", in.QueryFilter != nil,
		"ConditionalOperator", in.ConditionalOperator != "", "KeyConditions", in.KeyConditions != nil)
	exprs := presentParams("ProjectionExpression", in.ProjectionExpression != nil, "FilterExpression", in.FilterExpression != nil,
		"KeyConditionExpression", in.KeyConditionExpression != nil)
	if in.KeyConditionExpression == nil && in.KeyConditions != nil {
		// KeyConditions may go with the other expressions.
		legacy = legacy[:len(legacy)-1]
	}
	if err := checkMixed(legacy, exprs); err != nil {
		return nil, err
	}
	if err := in.placeholders.checkUse(len(exprs) > 0, in.FilterExpression != nil || in.KeyConditionExpression != nil,
		"FilterExpression and KeyConditionExpression are null"); err != nil {
		return nil, err
	}
	p := in.params()
	var parts []expr.KeyPart
	var err error
	switch {
	case in.KeyConditionExpression != nil:
		parts, err = expr.ParseKeyCondition(*in.KeyConditionExpression, p)
	case in.KeyConditions != nil:
		parts, err = expr.FromKeyConditions(in.KeyConditions)
	default:
		return nil, validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	if err != nil {
		return nil, err
	}
	var filter *expr.Condition
	var filterNames []string
	switch {
	case in.FilterExpression != nil:
		filter, err = expr.ParseCondition("FilterExpression", *in.FilterExpression, p)
		if err == nil {
			filterNames = filter.Top()
		}
	case in.QueryFilter != nil:
		filter, err = expr.FromConditions("QueryFilter", in.QueryFilter, in.ConditionalOperator)
		for name := range in.QueryFilter {
			filterNames = append(filterNames, name)
		}
	}
	if err != nil {
		return nil, err
	}
	pr, err := buildProjection(in.ProjectionExpression, in.AttributesToGet, p)
	if err != nil {
		return nil, err
	}
	if err := p.Unused(); err != nil {
		return nil, err
	}
	rd, err := s.plan(ctx, &in.readInput, "Query")
	if err != nil {
		return nil, err
	}
	rd.filter, rd.pr = filter, pr
	ks := rd.t.Key
	if rd.ix != nil {
		ks = rd.ix.Key
	}
	hash, rng, err := keyRange(ks, parts)
	if err != nil {
		return nil, err
	}
	for _, name := range filterNames {
		if isKeyAttr(ks, name) {
			return nil, errFilterOnKey(name)
		}
	}
	if in.ExclusiveStartKey != nil {
		if err := checkStartKey(rd.t, rd.ix, in.ExclusiveStartKey); err != nil {
			return nil, err
		}
	}
	q := tablestore.Query{Table: rd.t.Name, Index: in.IndexName, Hash: hash, Range: rng,
		Backward: in.ScanIndexForward != nil && !*in.ScanIndexForward, Start: in.ExclusiveStartKey}
	visit, done := rd.visit()
	if err := s.Store.Query(ctx, q, visit); err != nil {
		return nil, err
	}
	return done(), nil
}

// keyRange checks a Query's key conditions against the key schema it queries
// and returns the hash key value and the range condition.
func keyRange(ks tablestore.KeySchema, parts []expr.KeyPart) (attr.Value, *tablestore.Range, error) {
	var hash *expr.KeyPart
	var rng *expr.KeyPart
	for i := range parts {
		kp := &parts[i]
		switch {
		case kp.Name == ks.Hash:
			hash = kp
		case ks.Range != "" && kp.Name == ks.Range:
			rng = kp
		case ks.Range != "":
			return attr.Value{}, nil, errMissedKeyElement(ks.Range)
		default:
			return attr.Value{}, nil, errMissedKeyElement(ks.Hash)
		}
	}
	if hash == nil {
		return attr.Value{}, nil, errMissedKeyElement(ks.Hash)
	}
	if hash.Op != "=" || len(hash.Values) != 1 {
		return attr.Value{}, nil, errKeyNotSupp
	}
	if hash.Values[0].Kind != ks.HashKind {
		return attr.Value{}, nil, errCondType
	}
	if err := checkKeyValue(ks.Hash, hash.Values[0], true); err != nil {
		return attr.Value{}, nil, err
	}
	if rng == nil {
		return hash.Values[0], nil, nil
	}
	r := &tablestore.Range{Op: rng.Op}
	for i, v := range rng.Values {
		if i > 1 {
			break
		}
		if v.Kind != ks.RangeKind {
			return attr.Value{}, nil, errCondType
		}
		r.Values[i] = v
	}
	if rng.Op == "BEGINS_WITH" && ks.RangeKind == attr.N {
		return attr.Value{}, nil, validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
	}
	return hash.Values[0], r, nil
}
