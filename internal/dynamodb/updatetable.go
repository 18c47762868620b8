package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// UpdateTable, apart from CreateTable's file because its checks are many.

type gsiUpdate struct {
	Create *indexInput `json:"Create"`
	Update *struct {
		IndexName             *string          `json:"IndexName"`
		ProvisionedThroughput *throughputInput `json:"ProvisionedThroughput"`
	} `json:"Update"`
	Delete *struct {
		IndexName *string `json:"IndexName"`
	} `json:"Delete"`
}

type updateTableInput struct {
	TableName                   *string               `json:"TableName"`
	AttributeDefinitions        []attributeDefinition `json:"AttributeDefinitions"`
	BillingMode                 string                `json:"BillingMode"`
	ProvisionedThroughput       *throughputInput      `json:"ProvisionedThroughput"`
	GlobalSecondaryIndexUpdates []gsiUpdate           `json:"GlobalSecondaryIndexUpdates"`
	StreamSpecification         *streamSpecWire       `json:"StreamSpecification"`
	SSESpecification            *sseInput             `json:"SSESpecification"`
	DeletionProtectionEnabled   *bool                 `json:"DeletionProtectionEnabled"`
	TableClass                  string                `json:"TableClass"`
}

func (s *Service) updateTable(ctx context.Context, r *http.Request) (any, error) {
	var in updateTableInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var fe fieldErrors
	fe.checkName(in.TableName, "tableName", true)
	fe.checkAttributeDefinitions(in.AttributeDefinitions, false)
	fe.checkBillingMode(in.BillingMode)
	fe.checkThroughput(in.ProvisionedThroughput, "provisionedThroughput")
	fe.checkStreamSpec(in.StreamSpecification)
	fe.checkSSE(in.SSESpecification)
	for i, u := range in.GlobalSecondaryIndexUpdates {
		p := fmt.Sprintf("globalSecondaryIndexUpdates.%d.member", i+1)
		if u.Create != nil {
			fe.checkIndex(*u.Create, p+".create")
		}
		if u.Update != nil {
			fe.checkName(u.Update.IndexName, p+".update.indexName", true)
			if u.Update.ProvisionedThroughput == nil {
				fe.add(nil, p+".update.provisionedThroughput", notNull)
			}
			fe.checkThroughput(u.Update.ProvisionedThroughput, p+".update.provisionedThroughput")
		}
		if u.Delete != nil {
			fe.checkName(u.Delete.IndexName, p+".delete.indexName", true)
		}
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	if in.BillingMode == "" && in.ProvisionedThroughput == nil && in.GlobalSecondaryIndexUpdates == nil &&
		in.StreamSpecification == nil && in.SSESpecification == nil && in.DeletionProtectionEnabled == nil && in.TableClass == "" {
		return nil, errNothingToUpdate
	}
	others := in.BillingMode != "" || in.ProvisionedThroughput != nil || in.GlobalSecondaryIndexUpdates != nil || in.StreamSpecification != nil
	switch {
	case in.SSESpecification != nil && (others || in.DeletionProtectionEnabled != nil || in.TableClass != ""):
		return nil, invalid("Server-Side Encryption modification must be the only operation in the request")
	case in.TableClass != "" && (others || in.DeletionProtectionEnabled != nil):
		return nil, invalid("TableClass modification must be the only operation in the request")
	case in.DeletionProtectionEnabled != nil && others:
		return nil, invalid("DeletionProtection modification must be the only operation in the request")
	case in.StreamSpecification != nil && in.ProvisionedThroughput != nil:
		return nil, invalid("You cannot modify stream status while updating table IOPS")
	case in.StreamSpecification != nil && createsOrDeletes(in.GlobalSecondaryIndexUpdates):
		return nil, invalid("You cannot create or delete index while changing stream status")
	}
	if in.TableClass != "" && !slices.Contains(tableClasses, in.TableClass) {
		return nil, errTableClass
	}
	sse, err := s.sseDescription(in.SSESpecification)
	if err != nil {
		return nil, err
	}

	var deleted []tablestore.Index // for the answer: DynamoDB shows them DELETING
	t, err := s.Store.UpdateTable(ctx, *in.TableName, func(t *tablestore.Table) error {
		deleted = deleted[:0]
		return s.applyUpdate(t, &in, sse, &deleted)
	})
	if err != nil {
		if errors.Is(err, tablestore.ErrTableNotFound) {
			return nil, errTableNotFound(*in.TableName)
		}
		return nil, err
	}
	for _, ix := range deleted {
		ix.Status = "DELETING"
		t.Indexes = append(t.Indexes, ix)
	}
	d, err := s.describe(ctx, &t, "UPDATING")
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": d}, nil
}

func createsOrDeletes(us []gsiUpdate) bool {
	for _, u := range us {
		if u.Create != nil || u.Delete != nil {
			return true
		}
	}
	return false
}

// applyUpdate changes t as in asks, or returns why it cannot; it runs inside
// the store's UpdateTable, so it decides from t alone.
func (s *Service) applyUpdate(t *tablestore.Table, in *updateTableInput, sse map[string]string, deleted *[]tablestore.Index) error {
	now := s.Now()
	if in.DeletionProtectionEnabled != nil {
		t.DeletionProtection = *in.DeletionProtectionEnabled
	}
	if in.TableClass != "" {
		t.TableClass = in.TableClass
	}
	if in.SSESpecification != nil {
		switch {
		case sse == nil && t.SSE["Status"] == "":
			return invalid("Table is already encrypted by default")
		case sse != nil && t.SSE["KMSMasterKeyArn"] == sse["KMSMasterKeyArn"]:
			return invalid("Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key")
		}
		t.SSE = withSSE(t.SSE, sse)
	}
	if ss := in.StreamSpecification; ss != nil {
		if err := s.updateStream(t, ss); err != nil {
			return err
		}
	}
	if err := s.updateBilling(t, in, now); err != nil {
		return err
	}
	if in.GlobalSecondaryIndexUpdates != nil {
		if err := s.updateIndexes(t, in, now, deleted); err != nil {
			return err
		}
	}
	pruneDefinitions(t)
	return nil
}

func (s *Service) updateStream(t *tablestore.Table, ss *streamSpecWire) error {
	if *ss.StreamEnabled {
		if t.Stream.Enabled {
			return validation("Table already has an enabled stream: TableName: " + t.Name)
		}
		if ss.StreamViewType == "" {
			return invalid("If stream is being enabled then UpdateViewType is required")
		}
		t.Stream = tablestore.StreamSpec{Enabled: true, ViewType: ss.StreamViewType, Label: streamLabel(s.Now(), t.Stream.Label)}
		return nil
	}
	if ss.StreamViewType != "" {
		return invalid("If stream is being disabled, then UpdateViewType must not be specified")
	}
	if !t.Stream.Enabled {
		return validation("Table has no stream to disable: TableName: " + t.Name)
	}
	t.Stream.Enabled = false
	return nil
}

// setThroughput changes a table's or index's throughput, keeping the times of
// the last increase and decrease and the count of today's decreases.
func setThroughput(tp *tablestore.Throughput, read, write int64, now time.Time) {
	if read > tp.Read || write > tp.Write {
		tp.LastIncrease = now
	}
	if read < tp.Read || write < tp.Write {
		if !sameDay(tp.LastDecrease, now) {
			tp.DecreasesToday = 0
		}
		tp.LastDecrease = now
		tp.DecreasesToday++
	}
	tp.Read, tp.Write = read, write
}

func (s *Service) updateBilling(t *tablestore.Table, in *updateTableInput, now time.Time) error {
	mode := in.BillingMode
	if mode == "" {
		mode = t.BillingMode
	}
	p := in.ProvisionedThroughput
	switch mode {
	case "PAY_PER_REQUEST":
		if p != nil {
			return invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		if t.BillingMode != mode {
			t.BillingMode, t.BillingModeChanged = mode, now
			t.Throughput.Read, t.Throughput.Write = 0, 0
			for i := range t.Indexes {
				t.Indexes[i].Throughput.Read, t.Indexes[i].Throughput.Write = 0, 0
			}
		}
	case "PROVISIONED":
		switching := t.BillingMode != mode
		if switching && p == nil {
			return invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
		}
		if switching {
			// Every global index needs its own throughput, from an Update of it.
			for _, ix := range t.Indexes {
				if ix.Global && !updatesIndex(in.GlobalSecondaryIndexUpdates, ix.Name) {
					return invalid("ProvisionedThroughput must be specified for index: %s", ix.Name)
				}
			}
			t.BillingMode, t.BillingModeChanged = mode, now
		}
		if p == nil {
			return nil
		}
		if !switching && *p.ReadCapacityUnits == t.Throughput.Read && *p.WriteCapacityUnits == t.Throughput.Write {
			return validation(fmt.Sprintf("The provisioned throughput for the table will not change. The requested value equals the current value. "+
				"Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. "+
				"Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. "+
				"Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
				t.Throughput.Read, *p.ReadCapacityUnits, t.Throughput.Write, *p.WriteCapacityUnits))
		}
		setThroughput(&t.Throughput, *p.ReadCapacityUnits, *p.WriteCapacityUnits, now)
	}
	return nil
}

func updatesIndex(us []gsiUpdate, name string) bool {
	for _, u := range us {
		if u.Update != nil && *u.Update.IndexName == name {
			return true
		}
	}
	return false
}

func (s *Service) updateIndexes(t *tablestore.Table, in *updateTableInput, now time.Time, deleted *[]tablestore.Index) error {
	us := in.GlobalSecondaryIndexUpdates
	if len(us) == 0 {
		return invalid("List of GlobalSecondaryIndexUpdates is empty")
	}
	seen := map[string]bool{}
	changes := 0
	for _, u := range us {
		n := 0
		var name string
		if u.Create != nil {
			n, name = n+1, *u.Create.IndexName
		}
		if u.Update != nil {
			n, name = n+1, *u.Update.IndexName
		}
		if u.Delete != nil {
			n, name = n+1, *u.Delete.IndexName
		}
		switch {
		case n == 0:
			return invalid("One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null")
		case n > 1:
			return invalid("Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object")
		case seen[name]:
			return invalid("Only one global secondary index update per index is allowed simultaneously. Index: %s", name)
		}
		seen[name] = true
		if u.Create != nil || u.Delete != nil {
			changes++
		}
	}
	if changes > 1 {
		return errOneIndexAtATime
	}
	defs := map[string]attr.Kind{}
	for _, a := range t.Attributes {
		defs[a.Name] = a.Kind
	}
	for _, d := range in.AttributeDefinitions {
		defs[*d.AttributeName] = kindOf(d.AttributeType)
	}
	for _, u := range us {
		switch {
		case u.Create != nil:
			name := *u.Create.IndexName
			if _, ok := t.Index(name); ok {
				return validation("Attempting to create an index which already exists")
			}
			if in.AttributeDefinitions == nil {
				for _, e := range u.Create.KeySchema {
					if _, ok := defs[*e.AttributeName]; !ok {
						return invalid("AttributeDefinitions is not specified for index: %s", name)
					}
				}
			}
			if countGlobal(t) >= maxGlobalIndexes {
				// LimitExceededException as UpdateTable answers it; the message
				// is CreateTable's (unconfirmed for UpdateTable).
				e := *errOneIndexAtATime
				e.Message = fmt.Sprintf("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of %d", maxGlobalIndexes)
				return &e
			}
			ci := *u.Create
			if t.BillingMode == "PAY_PER_REQUEST" && ci.ProvisionedThroughput != nil {
				return invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: %s when BillingMode is PAY_PER_REQUEST", name)
			}
			if t.BillingMode == "PROVISIONED" && ci.ProvisionedThroughput == nil {
				return invalid("ProvisionedThroughput must be specified for index: %s", name)
			}
			ix, err := newIndex(t, defs, ci, true)
			if err != nil {
				return err
			}
			if projected(t)+len(ix.Projection.NonKeyAttributes) > maxProjected {
				return invalid("Number of projected attributes in all indexes exceeds limit of %d, provided: %d", maxProjected, projected(t)+len(ix.Projection.NonKeyAttributes))
			}
			for _, n := range []string{ix.Key.Hash, ix.Key.Range} {
				if n != "" && !slices.ContainsFunc(t.Attributes, func(a tablestore.AttributeDefinition) bool { return a.Name == n }) {
					t.Attributes = append(t.Attributes, tablestore.AttributeDefinition{Name: n, Kind: defs[n]})
				}
			}
			ix.Status = "CREATING" // the store owns it from here
			t.Indexes = append(t.Indexes, ix)
		case u.Delete != nil:
			name := *u.Delete.IndexName
			i := slices.IndexFunc(t.Indexes, func(ix tablestore.Index) bool { return ix.Name == name && ix.Global })
			if i < 0 {
				return validation("Cannot delete an index that is not a GlobalSecondaryIndex: " + name)
			}
			*deleted = append(*deleted, t.Indexes[i])
			t.Indexes = slices.Delete(t.Indexes, i, i+1)
		case u.Update != nil:
			name := *u.Update.IndexName
			ix, ok := t.Index(name)
			if !ok || !ix.Global {
				return validation("Cannot update an index that is not a GlobalSecondaryIndex: " + name)
			}
			if t.BillingMode == "PAY_PER_REQUEST" {
				return invalid("The only Updates for index: %s when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput", name)
			}
			p := u.Update.ProvisionedThroughput
			if *p.ReadCapacityUnits == ix.Throughput.Read && *p.WriteCapacityUnits == ix.Throughput.Write && in.BillingMode == "" {
				return validation(fmt.Sprintf("The provisioned throughput for the index %s will not change. The requested value equals the current value. "+
					"Current ReadCapacityUnits provisioned for the index: %d. Requested ReadCapacityUnits: %d. "+
					"Current WriteCapacityUnits provisioned for the index: %d. Requested WriteCapacityUnits: %d. "+
					"Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
					name, ix.Throughput.Read, *p.ReadCapacityUnits, ix.Throughput.Write, *p.WriteCapacityUnits))
			}
			setThroughput(&ix.Throughput, *p.ReadCapacityUnits, *p.WriteCapacityUnits, now)
		}
	}
	return nil
}

func countGlobal(t *tablestore.Table) int {
	n := 0
	for _, ix := range t.Indexes {
		if ix.Global {
			n++
		}
	}
	return n
}

func projected(t *tablestore.Table) int {
	n := 0
	for _, ix := range t.Indexes {
		n += len(ix.Projection.NonKeyAttributes)
	}
	return n
}

// pruneDefinitions drops attribute definitions no key uses any more (those
// of a deleted index): DynamoDB's AttributeDefinitions are exactly the keys'.
func pruneDefinitions(t *tablestore.Table) {
	used := map[string]bool{t.Key.Hash: true, t.Key.Range: true}
	for _, ix := range t.Indexes {
		used[ix.Key.Hash], used[ix.Key.Range] = true, true
	}
	t.Attributes = slices.DeleteFunc(t.Attributes, func(a tablestore.AttributeDefinition) bool { return !used[a.Name] })
}

// withSSE is a table's SSE map with its SSEDescription members replaced by
// sse's, keeping the other entries (point in time recovery, see misc.go).
func withSSE(old, sse map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range old {
		if k != "Status" && k != "SSEType" && k != "KMSMasterKeyArn" {
			out[k] = v
		}
	}
	for k, v := range sse {
		out[k] = v
	}
	return out
}
