package dynamodb

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Time to live: UpdateTimeToLive, DescribeTimeToLive, and the background
// deletes of expired items.

type ttlSpecWire struct {
	AttributeName *string `json:"AttributeName"`
	Enabled       *bool   `json:"Enabled"`
}

type updateTTLInput struct {
	TableName               *string      `json:"TableName"`
	TimeToLiveSpecification *ttlSpecWire `json:"TimeToLiveSpecification"`
}

func (s *Service) updateTimeToLive(ctx context.Context, r *http.Request) (any, error) {
	var in updateTTLInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var fe fieldErrors
	fe.checkName(in.TableName, "tableName", true)
	spec := in.TimeToLiveSpecification
	if spec == nil {
		fe.add(nil, "timeToLiveSpecification", notNull)
	} else {
		if spec.AttributeName == nil {
			fe.add(nil, "timeToLiveSpecification.attributeName", notNull)
		} else if n := len(*spec.AttributeName); n < 1 {
			fe.add(*spec.AttributeName, "timeToLiveSpecification.attributeName", minLen(1))
		} else if n > 255 {
			fe.add(*spec.AttributeName, "timeToLiveSpecification.attributeName", maxLen(255))
		}
		if spec.Enabled == nil {
			fe.add(nil, "timeToLiveSpecification.enabled", notNull)
		}
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	name, enable := *spec.AttributeName, *spec.Enabled
	_, err := s.Store.UpdateTable(ctx, *in.TableName, func(t *tablestore.Table) error {
		switch {
		case t.TTL.Enabled && t.TTL.Attribute != name:
			return validation("TimeToLive is active on a different AttributeName: current AttributeName is " + t.TTL.Attribute)
		case enable && t.TTL.Enabled:
			return errTTLEnabled
		case !enable && !t.TTL.Enabled:
			return errTTLDisabled
		}
		t.TTL = tablestore.TTLSpec{Attribute: name, Enabled: enable}
		return nil
	})
	if errors.Is(err, tablestore.ErrTableNotFound) {
		return nil, errTableNotFound(*in.TableName)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"TimeToLiveSpecification": ttlSpecWire{AttributeName: &name, Enabled: &enable}}, nil
}

type ttlDescription struct {
	TimeToLiveStatus string `json:"TimeToLiveStatus"`
	AttributeName    string `json:"AttributeName,omitempty"`
}

func (s *Service) describeTimeToLive(ctx context.Context, r *http.Request) (any, error) {
	var in tableNameInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := checkTableName(in.TableName); err != nil {
		return nil, err
	}
	t, err := s.table(ctx, *in.TableName)
	if err != nil {
		return nil, err
	}
	// AWS passes through ENABLING and DISABLING, for up to an hour; here the
	// change is done when UpdateTimeToLive answers.
	d := ttlDescription{TimeToLiveStatus: "DISABLED"}
	if t.TTL.Enabled {
		d = ttlDescription{TimeToLiveStatus: "ENABLED", AttributeName: t.TTL.Attribute}
	}
	return map[string]any{"TimeToLiveDescription": d}, nil
}

// maxExpirePerRound bounds the items one expireItems round deletes (and the
// keys it holds in memory); the next round continues.
const maxExpirePerRound = 1000

// ttlIgnoreAge: AWS does not delete an item whose expiry time is more than
// five years in the past (such a value is taken for a mistake).
const ttlIgnoreAge = 5 * 365 * 24 * time.Hour

// ttlIdentity is the userIdentity of the stream records of TTL deletes.
var ttlIdentity = tablestore.Identity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}

// expired reports whether v, an item's time to live attribute, is an expiry
// time (a number of epoch seconds) at or before now and not more than five
// years before it.
func expired(v attr.Value, ok bool, now time.Time) bool {
	if !ok || v.Kind != attr.N {
		return false
	}
	f, _, err := big.ParseFloat(v.N, 10, 128, big.ToNearestEven)
	if err != nil {
		return false
	}
	nowF := new(big.Float).SetInt64(now.Unix())
	oldest := new(big.Float).SetInt64(now.Add(-ttlIgnoreAge).Unix())
	return f.Cmp(nowF) <= 0 && f.Cmp(oldest) >= 0
}

// expireItems deletes expired items of the tables with time to live on, at
// most maxExpirePerRound of them. Each delete re-checks the item in the
// write, so an item rewritten meanwhile with a later expiry stays, and its
// stream record carries the DynamoDB service's identity, as AWS's do.
func (s *Service) expireItems(ctx context.Context) {
	names, err := s.Store.Tables(ctx)
	if err != nil {
		slog.Warn("dynamodb: ttl: listing tables", "err", err)
		return
	}
	budget := maxExpirePerRound
	for _, name := range names {
		if budget <= 0 || ctx.Err() != nil {
			return
		}
		t, err := s.Store.Table(ctx, name)
		if err != nil || !t.TTL.Enabled {
			continue
		}
		n, err := s.expireTable(ctx, &t, budget)
		if err != nil && !errors.Is(err, tablestore.ErrTableNotFound) {
			slog.Warn("dynamodb: ttl: expiring items", "table", name, "err", err)
		}
		budget -= n
	}
}

// expireTable deletes up to budget expired items of t and returns how many it
// found to delete.
func (s *Service) expireTable(ctx context.Context, t *tablestore.Table, budget int) (int, error) {
	now := s.Now()
	ttlAttr := t.TTL.Attribute
	var keys []attr.Item
	err := s.Store.Scan(ctx, tablestore.Scan{Table: t.Name}, func(it attr.Item) bool {
		v, ok := it[ttlAttr]
		if expired(v, ok, now) {
			keys = append(keys, keyOf(t.Key, it))
		}
		return len(keys) < budget
	})
	if err != nil {
		return 0, err
	}
	const perWrite = 100
	found := len(keys)
	for len(keys) > 0 {
		n := min(perWrite, len(keys))
		ops := make([]tablestore.Op, n)
		for i, k := range keys[:n] {
			ops[i] = tablestore.Op{
				Table: t.Name,
				Key:   k,
				Apply: func(old attr.Item) (attr.Item, error) {
					if old == nil {
						return nil, tablestore.ErrNoChange
					}
					v, ok := old[ttlAttr]
					if !expired(v, ok, now) {
						return nil, tablestore.ErrNoChange
					}
					return nil, nil
				},
				Identity: &ttlIdentity,
			}
		}
		if err := s.Store.Write(ctx, ops); err != nil {
			return 0, err
		}
		keys = keys[n:]
	}
	return found, nil
}
