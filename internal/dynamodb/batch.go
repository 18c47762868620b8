package dynamodb

import (
	"context"
	"errors"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/expr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Batch limits: 100 keys a BatchGetItem, 25 requests a BatchWriteItem, and a
// BatchGetItem answer of at most 16 MB (the keys past it come back unprocessed).
const (
	maxBatchGet      = 100
	maxBatchWrite    = 25
	maxBatchResponse = 16 << 20
)

var errRequestItemsNull = validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")

// tables looks up the tables a batch names, answering ResourceNotFoundException
// as batches do (without the table's name).
func (s *Service) batchTables(ctx context.Context, names []string) (map[string]*tablestore.Table, error) {
	out := make(map[string]*tablestore.Table, len(names))
	for _, name := range names {
		t, err := s.Store.Table(ctx, name)
		if errors.Is(err, tablestore.ErrTableNotFound) {
			return nil, errResourceNotFound
		}
		if err != nil {
			return nil, err
		}
		out[name] = &t
	}
	return out, nil
}

// ---- BatchGetItem ----

type keysAndAttributes struct {
	Keys                     []attr.Item       `json:"Keys"`
	AttributesToGet          []string          `json:"AttributesToGet,omitempty"`
	ConsistentRead           *bool             `json:"ConsistentRead,omitempty"`
	ProjectionExpression     *string           `json:"ProjectionExpression,omitempty"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames,omitempty"`
}

type batchGetInput struct {
	RequestItems           map[string]*keysAndAttributes `json:"RequestItems"`
	ReturnConsumedCapacity string                        `json:"ReturnConsumedCapacity"`
}

type batchGetOutput struct {
	Responses        map[string][]attr.Item        `json:"Responses"`
	UnprocessedKeys  map[string]*keysAndAttributes `json:"UnprocessedKeys"`
	ConsumedCapacity []*consumedCapacity           `json:"ConsumedCapacity,omitempty"`
}

func (s *Service) batchGetItem(ctx context.Context, r *http.Request) (any, error) {
	var in batchGetInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.RequestItems == nil {
		return nil, errRequestItemsNull
	}
	if len(in.RequestItems) == 0 {
		return nil, awsproto.Validation("{}", "requestItems", "Member must have length greater than or equal to 1")
	}
	if err := checkEnum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return nil, err
	}
	n := 0
	names := make([]string, 0, len(in.RequestItems))
	projections := map[string]*expr.Projection{}
	for name, ka := range in.RequestItems {
		if ka == nil || len(ka.Keys) == 0 {
			return nil, awsproto.Validation("[]", "requestItems."+name+".member.keys", "Member must have length greater than or equal to 1")
		}
		n += len(ka.Keys)
		names = append(names, name)
		if err := checkMixed(presentParams("AttributesToGet", ka.AttributesToGet != nil), presentParams("ProjectionExpression", ka.ProjectionExpression != nil)); err != nil {
			return nil, err
		}
		ph := placeholders{ExpressionAttributeNames: ka.ExpressionAttributeNames}
		if err := ph.checkUse(ka.ProjectionExpression != nil, false, ""); err != nil {
			return nil, err
		}
		p := ph.params()
		pr, err := buildProjection(ka.ProjectionExpression, ka.AttributesToGet, p)
		if err != nil {
			return nil, err
		}
		if err := p.Unused(); err != nil {
			return nil, err
		}
		projections[name] = pr
	}
	if n > maxBatchGet {
		return nil, errBatchGetMany
	}
	tables, err := s.batchTables(ctx, names)
	if err != nil {
		return nil, err
	}
	for name, ka := range in.RequestItems {
		t := tables[name]
		seen := map[string]bool{}
		for _, key := range ka.Keys {
			if err := checkKey(t, key); err != nil {
				return nil, err
			}
			id := keyID(name, t.Key, key)
			if seen[id] {
				return nil, errBatchDup
			}
			seen[id] = true
		}
	}
	out := batchGetOutput{Responses: map[string][]attr.Item{}, UnprocessedKeys: map[string]*keysAndAttributes{}}
	ms := newMeters(in.ReturnConsumedCapacity)
	var size int64
	for _, name := range names {
		ka, t := in.RequestItems[name], tables[name]
		m := ms.of(t)
		got := []attr.Item{}
		for i, key := range ka.Keys {
			if size >= maxBatchResponse {
				rest := *ka
				rest.Keys = ka.Keys[i:]
				out.UnprocessedKeys[name] = &rest
				break
			}
			it, err := s.Store.Get(ctx, name, key)
			if err != nil {
				return nil, err
			}
			consistent := ka.ConsistentRead != nil && *ka.ConsistentRead
			m.addRead(nil, itemSize(it), consistent, 1)
			if it != nil {
				size += attr.ItemSize(it)
				got = append(got, projectItem(projections[name], it))
			}
		}
		out.Responses[name] = got
	}
	out.ConsumedCapacity = ms.out()
	return out, nil
}

// ---- BatchWriteItem ----

type writeRequest struct {
	PutRequest *struct {
		Item attr.Item `json:"Item"`
	} `json:"PutRequest,omitempty"`
	DeleteRequest *struct {
		Key attr.Item `json:"Key"`
	} `json:"DeleteRequest,omitempty"`
}

type batchWriteInput struct {
	RequestItems                map[string][]writeRequest `json:"RequestItems"`
	ReturnConsumedCapacity      string                    `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics string                    `json:"ReturnItemCollectionMetrics"`
}

type batchWriteOutput struct {
	UnprocessedItems      map[string][]writeRequest       `json:"UnprocessedItems"`
	ItemCollectionMetrics map[string][]*collectionMetrics `json:"ItemCollectionMetrics,omitempty"`
	ConsumedCapacity      []*consumedCapacity             `json:"ConsumedCapacity,omitempty"`
}

func (s *Service) batchWriteItem(ctx context.Context, r *http.Request) (any, error) {
	var in batchWriteInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.RequestItems == nil {
		return nil, errRequestItemsNull
	}
	if len(in.RequestItems) == 0 {
		return nil, awsproto.Validation("{}", "requestItems", "Member must have length greater than or equal to 1")
	}
	if err := checkEnum(in.ReturnConsumedCapacity, "returnConsumedCapacity", capacityEnum); err != nil {
		return nil, err
	}
	if err := checkEnum(in.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", metricsEnum); err != nil {
		return nil, err
	}
	n := 0
	names := make([]string, 0, len(in.RequestItems))
	for name, reqs := range in.RequestItems {
		if len(reqs) == 0 {
			return nil, awsproto.Validation("[]", "requestItems."+name+".member", "Member must have length greater than or equal to 1")
		}
		n += len(reqs)
		names = append(names, name)
	}
	if n > maxBatchWrite {
		// DynamoDB answers a list over 25 in one table with a "1 validation
		// error" whose value is Java's rendering of the map; over several
		// tables with this sentence, which covers both here.
		return nil, validation("Too many items requested for the BatchWriteItem call")
	}
	tables, err := s.batchTables(ctx, names)
	if err != nil {
		return nil, err
	}
	var actions []*action
	seen := map[string]bool{}
	for _, name := range names {
		t := tables[name]
		for _, wr := range in.RequestItems[name] {
			a := &action{t: t}
			switch {
			case wr.PutRequest != nil && wr.DeleteRequest == nil:
				key, err := checkItem(t, wr.PutRequest.Item)
				if err != nil {
					return nil, err
				}
				a.kind, a.key, a.item = actPut, key, wr.PutRequest.Item
			case wr.DeleteRequest != nil && wr.PutRequest == nil:
				if err := checkKey(t, wr.DeleteRequest.Key); err != nil {
					return nil, err
				}
				a.kind, a.key = actDelete, wr.DeleteRequest.Key
			default:
				// Unconfirmed wording: DynamoDB's model requires exactly one.
				return nil, validation("Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest")
			}
			id := keyID(name, t.Key, a.key)
			if seen[id] {
				return nil, errBatchDup
			}
			seen[id] = true
			actions = append(actions, a)
		}
	}
	ops := make([]tablestore.Op, len(actions))
	for i, a := range actions {
		ops[i] = a.op()
	}
	if err := s.Store.Write(ctx, ops); err != nil {
		return nil, err
	}
	out := batchWriteOutput{UnprocessedItems: map[string][]writeRequest{}}
	ms := newMeters(in.ReturnConsumedCapacity)
	for _, a := range actions {
		ms.of(a.t).addWrite(a.t, a.old, a.new, 1)
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
