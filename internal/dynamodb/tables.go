package dynamodb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// tableOps is the control plane's part of the route table: tables, time to
// live, tags and the describe calls SDKs and tools make.
func (s *Service) tableOps(name string) op {
	switch name {
	case "CreateTable":
		return s.createTable
	case "DescribeTable":
		return s.describeTable
	case "ListTables":
		return s.listTables
	case "UpdateTable":
		return s.updateTable
	case "DeleteTable":
		return s.deleteTable
	case "UpdateTimeToLive":
		return s.updateTimeToLive
	case "DescribeTimeToLive":
		return s.describeTimeToLive
	case "TagResource":
		return s.tagResource
	case "UntagResource":
		return s.untagResource
	case "ListTagsOfResource":
		return s.listTagsOfResource
	}
	return s.miscOps(name)
}

// Limits of a table's definition.
const (
	maxLocalIndexes  = 5
	maxGlobalIndexes = 20
	maxProjected     = 100 // NonKeyAttributes over all of a table's indexes
)

// Wire shapes shared by the table operations.

type keySchemaElement struct {
	AttributeName *string `json:"AttributeName"`
	KeyType       string  `json:"KeyType"`
}

type attributeDefinition struct {
	AttributeName *string `json:"AttributeName"`
	AttributeType string  `json:"AttributeType"`
}

type projectionWire struct {
	ProjectionType   string   `json:"ProjectionType,omitempty"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

type throughputInput struct {
	ReadCapacityUnits  *int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits *int64 `json:"WriteCapacityUnits"`
}

type indexInput struct {
	IndexName             *string            `json:"IndexName"`
	KeySchema             []keySchemaElement `json:"KeySchema"`
	Projection            *projectionWire    `json:"Projection"`
	ProvisionedThroughput *throughputInput   `json:"ProvisionedThroughput"`
}

type streamSpecWire struct {
	StreamEnabled  *bool  `json:"StreamEnabled"`
	StreamViewType string `json:"StreamViewType,omitempty"`
}

type sseInput struct {
	Enabled        *bool  `json:"Enabled"`
	SSEType        string `json:"SSEType"`
	KMSMasterKeyId string `json:"KMSMasterKeyId"`
}

type createTableInput struct {
	TableName                 *string               `json:"TableName"`
	KeySchema                 []keySchemaElement    `json:"KeySchema"`
	AttributeDefinitions      []attributeDefinition `json:"AttributeDefinitions"`
	LocalSecondaryIndexes     []indexInput          `json:"LocalSecondaryIndexes"`
	GlobalSecondaryIndexes    []indexInput          `json:"GlobalSecondaryIndexes"`
	BillingMode               string                `json:"BillingMode"`
	ProvisionedThroughput     *throughputInput      `json:"ProvisionedThroughput"`
	StreamSpecification       *streamSpecWire       `json:"StreamSpecification"`
	Tags                      []tagWire             `json:"Tags"`
	DeletionProtectionEnabled *bool                 `json:"DeletionProtectionEnabled"`
	TableClass                string                `json:"TableClass"`
	SSESpecification          *sseInput             `json:"SSESpecification"`
}

var (
	keyTypes        = []string{"HASH", "RANGE"}
	attributeTypes  = []string{"B", "N", "S"}
	billingModes    = []string{"PROVISIONED", "PAY_PER_REQUEST"}
	streamViewTypes = []string{"OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"}
	projectionTypes = []string{"ALL", "KEYS_ONLY", "INCLUDE"}
	sseTypes        = []string{"AES256", "KMS"}
	tableClasses    = []string{"STANDARD", "STANDARD_INFREQUENT_ACCESS"}
)

func setText(set []string) string { return "[" + strings.Join(set, ", ") + "]" }

// checkKeySchema adds the shape violations of a KeySchema at field.
func (fe *fieldErrors) checkKeySchema(ks []keySchemaElement, field string, required bool) {
	if ks == nil {
		if required {
			fe.add(nil, field, notNull)
		}
		return
	}
	if len(ks) == 0 {
		fe.add("[]", field, minLen(1))
	}
	if len(ks) > 2 {
		fe.add(nil, field, maxLen(2))
	}
	for i, e := range ks {
		p := fmt.Sprintf("%s.%d.member", field, i+1)
		if e.AttributeName == nil {
			fe.add(nil, p+".attributeName", notNull)
		} else if len(*e.AttributeName) < 1 {
			fe.add(*e.AttributeName, p+".attributeName", minLen(1))
		} else if len(*e.AttributeName) > 255 {
			fe.add(*e.AttributeName, p+".attributeName", maxLen(255))
		}
		if e.KeyType == "" {
			fe.add(nil, p+".keyType", notNull)
		} else if !slices.Contains(keyTypes, e.KeyType) {
			fe.add(e.KeyType, p+".keyType", enumSet(setText(keyTypes)))
		}
	}
}

func (fe *fieldErrors) checkThroughput(t *throughputInput, field string) {
	if t == nil {
		return
	}
	if t.ReadCapacityUnits == nil {
		fe.add(nil, field+".readCapacityUnits", notNull)
	} else if *t.ReadCapacityUnits < 1 {
		fe.add(*t.ReadCapacityUnits, field+".readCapacityUnits", minValue(1))
	}
	if t.WriteCapacityUnits == nil {
		fe.add(nil, field+".writeCapacityUnits", notNull)
	} else if *t.WriteCapacityUnits < 1 {
		fe.add(*t.WriteCapacityUnits, field+".writeCapacityUnits", minValue(1))
	}
}

func (fe *fieldErrors) checkIndex(ix indexInput, field string) {
	fe.checkName(ix.IndexName, field+".indexName", true)
	fe.checkKeySchema(ix.KeySchema, field+".keySchema", true)
	if ix.Projection == nil {
		fe.add(nil, field+".projection", notNull)
	} else if t := ix.Projection.ProjectionType; t != "" && !slices.Contains(projectionTypes, t) {
		fe.add(t, field+".projection.projectionType", enumSet(setText(projectionTypes)))
	}
	fe.checkThroughput(ix.ProvisionedThroughput, field+".provisionedThroughput")
}

func (fe *fieldErrors) checkAttributeDefinitions(defs []attributeDefinition, required bool) {
	if defs == nil {
		if required {
			fe.add(nil, "attributeDefinitions", notNull)
		}
		return
	}
	for i, d := range defs {
		p := fmt.Sprintf("attributeDefinitions.%d.member", i+1)
		if d.AttributeName == nil {
			fe.add(nil, p+".attributeName", notNull)
		}
		if d.AttributeType == "" {
			fe.add(nil, p+".attributeType", notNull)
		} else if !slices.Contains(attributeTypes, d.AttributeType) {
			fe.add(d.AttributeType, p+".attributeType", enumSet(setText(attributeTypes)))
		}
	}
}

func (fe *fieldErrors) checkStreamSpec(ss *streamSpecWire) {
	if ss == nil {
		return
	}
	if ss.StreamEnabled == nil {
		fe.add(nil, "streamSpecification.streamEnabled", notNull)
	}
	if ss.StreamViewType != "" && !slices.Contains(streamViewTypes, ss.StreamViewType) {
		fe.add(ss.StreamViewType, "streamSpecification.streamViewType", enumSet(setText(streamViewTypes)))
	}
}

func (fe *fieldErrors) checkSSE(sse *sseInput) {
	if sse != nil && sse.SSEType != "" && !slices.Contains(sseTypes, sse.SSEType) {
		fe.add(sse.SSEType, "sSESpecification.sSEType", enumSet(setText(sseTypes)))
	}
}

func (fe *fieldErrors) checkBillingMode(m string) {
	if m != "" && !slices.Contains(billingModes, m) {
		fe.add(m, "billingMode", enumSet(setText(billingModes)))
	}
}

func (s *Service) createTable(ctx context.Context, r *http.Request) (any, error) {
	var in createTableInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var fe fieldErrors
	fe.checkName(in.TableName, "tableName", true)
	fe.checkKeySchema(in.KeySchema, "keySchema", true)
	fe.checkAttributeDefinitions(in.AttributeDefinitions, true)
	for i, ix := range in.LocalSecondaryIndexes {
		fe.checkIndex(ix, fmt.Sprintf("localSecondaryIndexes.%d.member", i+1))
	}
	for i, ix := range in.GlobalSecondaryIndexes {
		fe.checkIndex(ix, fmt.Sprintf("globalSecondaryIndexes.%d.member", i+1))
	}
	fe.checkBillingMode(in.BillingMode)
	fe.checkThroughput(in.ProvisionedThroughput, "provisionedThroughput")
	fe.checkStreamSpec(in.StreamSpecification)
	fe.checkSSE(in.SSESpecification)
	if err := fe.err(); err != nil {
		return nil, err
	}
	t, err := s.newTable(&in)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateTable(ctx, t); err != nil {
		if errors.Is(err, tablestore.ErrTableExists) {
			return nil, errTableExists(t.Name)
		}
		return nil, err
	}
	// The store may have chosen the stream's label.
	if stored, err := s.Store.Table(ctx, t.Name); err == nil {
		t = stored
	}
	d, err := s.describe(ctx, &t, "CREATING")
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": d}, nil
}

// newTable checks a CreateTable request's meaning, in the order DynamoDB
// does, and returns the table it defines.
func (s *Service) newTable(in *createTableInput) (tablestore.Table, error) {
	now := s.Now()
	t := tablestore.Table{
		Name:        *in.TableName,
		ID:          newUUID(),
		Created:     now,
		Status:      "ACTIVE", // the answer says CREATING; creation is instant
		BillingMode: in.BillingMode,
		TableClass:  in.TableClass,
	}
	key, err := tableKeySchema(in.KeySchema)
	if err != nil {
		return t, err
	}
	defs := map[string]attr.Kind{}
	for _, d := range in.AttributeDefinitions {
		if _, dup := defs[*d.AttributeName]; dup {
			return t, validation("Attribute Name is duplicated: " + *d.AttributeName)
		}
		defs[*d.AttributeName] = kindOf(d.AttributeType)
		t.Attributes = append(t.Attributes, tablestore.AttributeDefinition{Name: *d.AttributeName, Kind: kindOf(d.AttributeType)})
	}
	if in.GlobalSecondaryIndexes != nil && len(in.GlobalSecondaryIndexes) == 0 {
		return t, invalid("List of GlobalSecondaryIndexes is empty")
	}
	if in.LocalSecondaryIndexes != nil && len(in.LocalSecondaryIndexes) == 0 {
		return t, invalid("List of LocalSecondaryIndexes is empty")
	}
	if err := checkDefinitionsUsed(in); err != nil {
		return t, err
	}
	key.HashKind, key.RangeKind = defs[key.Hash], defs[key.Range]
	t.Key = key

	switch t.BillingMode {
	case "", "PROVISIONED":
		t.BillingMode = "PROVISIONED"
		p := in.ProvisionedThroughput
		if p == nil {
			return t, invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		t.Throughput = tablestore.Throughput{Read: *p.ReadCapacityUnits, Write: *p.WriteCapacityUnits}
	case "PAY_PER_REQUEST":
		if in.ProvisionedThroughput != nil {
			return t, invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		t.BillingModeChanged = now
	}

	if len(in.LocalSecondaryIndexes) > 0 && key.Range == "" {
		return t, invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
	}
	if len(in.LocalSecondaryIndexes) > maxLocalIndexes {
		return t, invalid("Number of LocalSecondaryIndexes exceeds per-table limit of %d", maxLocalIndexes)
	}
	if len(in.GlobalSecondaryIndexes) > maxGlobalIndexes {
		return t, invalid("GlobalSecondaryIndex count exceeds the per-table limit of %d", maxGlobalIndexes)
	}
	projected := 0
	for _, ix := range in.LocalSecondaryIndexes {
		x, err := newIndex(&t, defs, ix, false)
		if err != nil {
			return t, err
		}
		projected += len(x.Projection.NonKeyAttributes)
		t.Indexes = append(t.Indexes, x)
	}
	for _, ix := range in.GlobalSecondaryIndexes {
		x, err := newIndex(&t, defs, ix, true)
		if err != nil {
			return t, err
		}
		projected += len(x.Projection.NonKeyAttributes)
		t.Indexes = append(t.Indexes, x)
	}
	if projected > maxProjected {
		// dynalite's wording, with today's limit; unconfirmed against AWS.
		return t, invalid("Number of projected attributes in all indexes exceeds limit of %d, provided: %d", maxProjected, projected)
	}

	if ss := in.StreamSpecification; ss != nil {
		switch {
		case *ss.StreamEnabled && ss.StreamViewType == "":
			return t, invalid("Table is being created with a stream enabled, UpdateViewType is required")
		case !*ss.StreamEnabled && ss.StreamViewType != "":
			return t, invalid("Table is being created with a stream disabled, UpdateViewType should not be specified")
		case *ss.StreamEnabled:
			t.Stream = tablestore.StreamSpec{Enabled: true, ViewType: ss.StreamViewType, Label: streamLabel(now, "")}
		}
	}
	sse, err := s.sseDescription(in.SSESpecification)
	if err != nil {
		return t, err
	}
	t.SSE = sse
	if in.TableClass != "" && !slices.Contains(tableClasses, in.TableClass) {
		return t, errTableClass
	}
	if in.Tags != nil {
		tags, err := checkTags(in.Tags)
		if err != nil {
			return t, err
		}
		if len(tags) > maxTags {
			return t, errTagsTooMany
		}
		t.Tags = tags
	}
	if in.DeletionProtectionEnabled != nil {
		t.DeletionProtection = *in.DeletionProtectionEnabled
	}
	return t, nil
}

// tableKeySchema checks the order and names of a table's KeySchema.
func tableKeySchema(ks []keySchemaElement) (tablestore.KeySchema, error) {
	var k tablestore.KeySchema
	if ks[0].KeyType != "HASH" {
		return k, validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	k.Hash = *ks[0].AttributeName
	if len(ks) == 2 {
		if ks[1].KeyType != "RANGE" {
			return k, validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		if *ks[1].AttributeName == k.Hash {
			return k, validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
		k.Range = *ks[1].AttributeName
	}
	return k, nil
}

// checkDefinitionsUsed checks that AttributeDefinitions names exactly the key
// attributes of the table and its indexes. AWS words a mismatch four ways,
// by which set is larger and whether the request has indexes; the choice is
// moto's (responses.py _throw_attr_error), whose tests check it against AWS.
func checkDefinitionsUsed(in *createTableInput) error {
	var used []string
	addKeys := func(ks []keySchemaElement) {
		for _, e := range ks {
			if !slices.Contains(used, *e.AttributeName) {
				used = append(used, *e.AttributeName)
			}
		}
	}
	addKeys(in.KeySchema)
	for _, ix := range in.LocalSecondaryIndexes {
		addKeys(ix.KeySchema)
	}
	for _, ix := range in.GlobalSecondaryIndexes {
		addKeys(ix.KeySchema)
	}
	var defined []string
	for _, d := range in.AttributeDefinitions {
		defined = append(defined, *d.AttributeName)
	}
	slices.Sort(used)
	slices.Sort(defined)
	if slices.Equal(used, defined) {
		return nil
	}
	indexes := len(in.LocalSecondaryIndexes)+len(in.GlobalSecondaryIndexes) > 0
	list := func(v []string) string { return "[" + strings.Join(v, ", ") + "]" }
	var missing []string
	for _, u := range used {
		if !slices.Contains(defined, u) {
			missing = append(missing, u)
		}
	}
	switch {
	case len(defined) > len(used) && indexes:
		return invalid("Some AttributeDefinitions are not used. AttributeDefinitions: %s, keys used: %s", list(defined), list(used))
	case len(defined) > len(used):
		return invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	case len(defined) < len(used) && !indexes:
		return validation("Invalid KeySchema: Some index key attribute have no definition")
	case indexes:
		return invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: %s, AttributeDefinitions: %s", list(missing), list(defined))
	}
	return invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: %s, AttributeDefinitions: %s", list(used), list(defined))
}

// newIndex checks one secondary index of a new table (or of UpdateTable's
// Create, global) and returns it; defs are the attribute kinds defined.
func newIndex(t *tablestore.Table, defs map[string]attr.Kind, in indexInput, global bool) (tablestore.Index, error) {
	name := *in.IndexName
	ix := tablestore.Index{Name: name, Global: global, Status: "ACTIVE"}
	if _, dup := t.Index(name); dup {
		return ix, invalid("Duplicate index name: %s", name)
	}
	ks := in.KeySchema
	if ks[0].KeyType != "HASH" {
		return ix, validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	ix.Key.Hash = *ks[0].AttributeName
	if len(ks) == 2 {
		if ks[1].KeyType != "RANGE" {
			return ix, validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		if *ks[1].AttributeName == ix.Key.Hash {
			return ix, validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
		ix.Key.Range = *ks[1].AttributeName
	}
	for _, n := range []string{ix.Key.Hash, ix.Key.Range} {
		if _, ok := defs[n]; n != "" && !ok {
			return ix, invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", n, strings.Join(slices.Sorted(maps.Keys(defs)), ", "))
		}
	}
	ix.Key.HashKind, ix.Key.RangeKind = defs[ix.Key.Hash], defs[ix.Key.Range]
	if !global {
		if ix.Key.Range == "" {
			return ix, invalid("Index KeySchema does not have a range key for index: %s", name)
		}
		if ix.Key.Hash != t.Key.Hash {
			return ix, invalid("Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s", name, ix.Key.Hash, t.Key.Hash)
		}
		if in.ProvisionedThroughput != nil {
			// Unconfirmed wording: the model has no throughput on a local index.
			return ix, invalid("ProvisionedThroughput should not be specified for index: %s", name)
		}
	}
	p, err := checkProjection(in.Projection)
	if err != nil {
		return ix, err
	}
	ix.Projection = p
	if global {
		switch t.BillingMode {
		case "PROVISIONED":
			if in.ProvisionedThroughput == nil {
				return ix, invalid("ProvisionedThroughput is not specified for index: %s", name)
			}
			ix.Throughput = tablestore.Throughput{Read: *in.ProvisionedThroughput.ReadCapacityUnits, Write: *in.ProvisionedThroughput.WriteCapacityUnits}
		case "PAY_PER_REQUEST":
			if in.ProvisionedThroughput != nil {
				return ix, invalid("ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", name)
			}
		}
	}
	return ix, nil
}

// checkProjection checks an index's Projection.
func checkProjection(p *projectionWire) (tablestore.Projection, error) {
	out := tablestore.Projection{Type: p.ProjectionType}
	switch p.ProjectionType {
	case "":
		return out, invalid("Unknown ProjectionType: null")
	case "INCLUDE":
		if len(p.NonKeyAttributes) == 0 {
			return out, invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
		}
		seen := map[string]bool{}
		for _, a := range p.NonKeyAttributes {
			if seen[a] {
				return out, invalid("Duplicate element in NonKeyAttributes: %s", a)
			}
			seen[a] = true
		}
		out.NonKeyAttributes = slices.Clone(p.NonKeyAttributes)
	default:
		if p.NonKeyAttributes != nil {
			return out, invalid("ProjectionType is %s, but NonKeyAttributes is specified", p.ProjectionType)
		}
	}
	return out, nil
}

// sseDescription checks an SSESpecification and returns the SSEDescription
// it sets (nil for the default encryption, which DescribeTable does not show).
func (s *Service) sseDescription(in *sseInput) (map[string]string, error) {
	if in == nil {
		return nil, nil
	}
	if in.Enabled != nil && !*in.Enabled {
		switch {
		case in.SSEType != "":
			return nil, invalid("SSEType can not be specified if Enabled is false")
		case in.KMSMasterKeyId != "":
			return nil, invalid("KMSMasterKeyId can not be specified if Enabled is false")
		}
		return nil, nil
	}
	if in.SSEType == "AES256" {
		return nil, invalid("SSEType AES256 is not supported")
	}
	if in.KMSMasterKeyId != "" && in.SSEType != "KMS" {
		return nil, invalid("SSEType KMS is required if KMSMasterKeyId is specified")
	}
	if in.SSEType == "" && (in.Enabled == nil || !*in.Enabled) {
		return nil, nil
	}
	key := in.KMSMasterKeyId
	switch {
	case key == "":
		// The account's AWS-managed key (alias/aws/dynamodb).
		key = "arn:aws:kms:" + s.Region + ":" + s.Account + ":key/" + uuidFrom("aws/dynamodb:"+s.Account)
	case strings.HasPrefix(key, "alias/"):
		key = "arn:aws:kms:" + s.Region + ":" + s.Account + ":" + key
	case !strings.HasPrefix(key, "arn:"):
		key = "arn:aws:kms:" + s.Region + ":" + s.Account + ":key/" + key
	}
	return map[string]string{"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}, nil
}

func kindOf(t string) attr.Kind {
	switch t {
	case "S":
		return attr.S
	case "N":
		return attr.N
	case "B":
		return attr.B
	}
	return attr.Invalid
}

// streamLabel is the label of a stream started at now: its time in
// milliseconds, later than prev (a table's last label) so that turning a
// stream off and on within one millisecond still starts a new one.
func streamLabel(now time.Time, prev string) string {
	const layout = "2006-01-02T15:04:05.000"
	now = now.UTC()
	if p, err := time.Parse(layout, prev); err == nil && !now.After(p) {
		now = p.Add(time.Millisecond)
	}
	return now.Format(layout)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read does not fail
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// uuidFrom is a UUID-shaped stable digest of s.
func uuidFrom(s string) string {
	h := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:])
}

// ---- DescribeTable ----

type tableNameInput struct {
	TableName *string `json:"TableName"`
}

// checkTableName is the shape check of an operation's TableName member.
func checkTableName(name *string) error {
	var fe fieldErrors
	fe.checkName(name, "tableName", true)
	return fe.err()
}

func (s *Service) describeTable(ctx context.Context, r *http.Request) (any, error) {
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
	d, err := s.describe(ctx, &t, "")
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": d}, nil
}

// epoch is a time as awsJson carries timestamps: seconds since 1970, with
// milliseconds.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

type keySchemaOut struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

type throughputOut struct {
	LastDecreaseDateTime   *epoch `json:"LastDecreaseDateTime,omitempty"`
	LastIncreaseDateTime   *epoch `json:"LastIncreaseDateTime,omitempty"`
	NumberOfDecreasesToday int64  `json:"NumberOfDecreasesToday"`
	ReadCapacityUnits      int64  `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64  `json:"WriteCapacityUnits"`
}

type indexOut struct {
	IndexName             string         `json:"IndexName"`
	KeySchema             []keySchemaOut `json:"KeySchema"`
	Projection            projectionWire `json:"Projection"`
	IndexStatus           string         `json:"IndexStatus,omitempty"`
	Backfilling           *bool          `json:"Backfilling,omitempty"`
	ProvisionedThroughput *throughputOut `json:"ProvisionedThroughput,omitempty"`
	IndexSizeBytes        int64          `json:"IndexSizeBytes"`
	ItemCount             int64          `json:"ItemCount"`
	IndexArn              string         `json:"IndexArn"`
}

type billingSummary struct {
	BillingMode                       string `json:"BillingMode"`
	LastUpdateToPayPerRequestDateTime *epoch `json:"LastUpdateToPayPerRequestDateTime,omitempty"`
}

type tableClassSummary struct {
	TableClass string `json:"TableClass"`
}

type sseOut struct {
	Status          string `json:"Status"`
	SSEType         string `json:"SSEType,omitempty"`
	KMSMasterKeyArn string `json:"KMSMasterKeyArn,omitempty"`
}

type attributeDefinitionOut struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

// tableDescription is a TableDescription, its members in the order AWS
// sends them.
type tableDescription struct {
	AttributeDefinitions      []attributeDefinitionOut `json:"AttributeDefinitions"`
	TableName                 string                   `json:"TableName"`
	KeySchema                 []keySchemaOut           `json:"KeySchema"`
	TableStatus               string                   `json:"TableStatus"`
	CreationDateTime          epoch                    `json:"CreationDateTime"`
	ProvisionedThroughput     throughputOut            `json:"ProvisionedThroughput"`
	TableSizeBytes            int64                    `json:"TableSizeBytes"`
	ItemCount                 int64                    `json:"ItemCount"`
	TableArn                  string                   `json:"TableArn"`
	TableId                   string                   `json:"TableId"`
	BillingModeSummary        *billingSummary          `json:"BillingModeSummary,omitempty"`
	LocalSecondaryIndexes     []indexOut               `json:"LocalSecondaryIndexes,omitempty"`
	GlobalSecondaryIndexes    []indexOut               `json:"GlobalSecondaryIndexes,omitempty"`
	StreamSpecification       *streamSpecWire          `json:"StreamSpecification,omitempty"`
	LatestStreamLabel         string                   `json:"LatestStreamLabel,omitempty"`
	LatestStreamArn           string                   `json:"LatestStreamArn,omitempty"`
	SSEDescription            *sseOut                  `json:"SSEDescription,omitempty"`
	TableClassSummary         *tableClassSummary       `json:"TableClassSummary,omitempty"`
	DeletionProtectionEnabled bool                     `json:"DeletionProtectionEnabled"`
}

// keySchemaWire is a KeySchema as the wire carries it.
func keySchemaWire(k tablestore.KeySchema) []keySchemaOut {
	out := []keySchemaOut{{k.Hash, "HASH"}}
	if k.Range != "" {
		out = append(out, keySchemaOut{k.Range, "RANGE"})
	}
	return out
}

// throughputWire is a table's or global index's ProvisionedThroughput; a
// decrease counts today only if it was made today (UTC).
func (s *Service) throughputWire(t tablestore.Throughput) throughputOut {
	out := throughputOut{ReadCapacityUnits: t.Read, WriteCapacityUnits: t.Write}
	if !t.LastIncrease.IsZero() {
		e := epoch(t.LastIncrease)
		out.LastIncreaseDateTime = &e
	}
	if !t.LastDecrease.IsZero() {
		e := epoch(t.LastDecrease)
		out.LastDecreaseDateTime = &e
		if sameDay(t.LastDecrease, s.Now()) {
			out.NumberOfDecreasesToday = t.DecreasesToday
		}
	}
	return out
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

// describe is t's TableDescription, with status in place of the stored one
// when not "" (CREATING, UPDATING or DELETING in those operations' answers).
func (s *Service) describe(ctx context.Context, t *tablestore.Table, status string) (*tableDescription, error) {
	arn := s.tableARN(t.Name)
	d := &tableDescription{
		TableName:                 t.Name,
		KeySchema:                 keySchemaWire(t.Key),
		TableStatus:               t.Status,
		CreationDateTime:          epoch(t.Created),
		ProvisionedThroughput:     s.throughputWire(t.Throughput),
		TableArn:                  arn,
		TableId:                   t.ID,
		DeletionProtectionEnabled: t.DeletionProtection,
	}
	if status != "" {
		d.TableStatus = status
	}
	for _, a := range t.Attributes {
		d.AttributeDefinitions = append(d.AttributeDefinitions, attributeDefinitionOut{a.Name, a.Kind.String()})
	}
	st, err := s.Store.Stats(ctx, t.Name, "")
	if err != nil && !errors.Is(err, tablestore.ErrTableNotFound) {
		return nil, err
	}
	d.ItemCount, d.TableSizeBytes = st.Items, st.Bytes
	if t.BillingMode == "PAY_PER_REQUEST" || !t.BillingModeChanged.IsZero() {
		d.BillingModeSummary = &billingSummary{BillingMode: t.BillingMode}
		if t.BillingMode == "PAY_PER_REQUEST" && !t.BillingModeChanged.IsZero() {
			e := epoch(t.BillingModeChanged)
			d.BillingModeSummary.LastUpdateToPayPerRequestDateTime = &e
		}
	}
	for _, ix := range t.Indexes {
		o := indexOut{
			IndexName:  ix.Name,
			KeySchema:  keySchemaWire(ix.Key),
			Projection: projectionWire{ProjectionType: ix.Projection.Type, NonKeyAttributes: ix.Projection.NonKeyAttributes},
			IndexArn:   arn + "/index/" + ix.Name,
		}
		ist, err := s.Store.Stats(ctx, t.Name, ix.Name)
		if err != nil && !errors.Is(err, tablestore.ErrTableNotFound) && !errors.Is(err, tablestore.ErrIndexNotFound) {
			return nil, err
		}
		o.ItemCount, o.IndexSizeBytes = ist.Items, ist.Bytes
		if !ix.Global {
			d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, o)
			continue
		}
		o.IndexStatus = ix.Status
		if o.IndexStatus == "" {
			o.IndexStatus = "ACTIVE"
		}
		if o.IndexStatus == "CREATING" {
			b := ix.Backfilling
			o.Backfilling = &b
		}
		tp := s.throughputWire(ix.Throughput)
		o.ProvisionedThroughput = &tp
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, o)
	}
	if t.Stream.Enabled {
		on := true
		d.StreamSpecification = &streamSpecWire{StreamEnabled: &on, StreamViewType: t.Stream.ViewType}
	}
	if t.Stream.Label != "" {
		// A table keeps naming its last stream after the stream is turned off.
		d.LatestStreamLabel = t.Stream.Label
		d.LatestStreamArn = s.streamARN(t.Name, t.Stream.Label)
	}
	if t.SSE["Status"] != "" {
		d.SSEDescription = &sseOut{Status: t.SSE["Status"], SSEType: t.SSE["SSEType"], KMSMasterKeyArn: t.SSE["KMSMasterKeyArn"]}
	}
	if t.TableClass != "" {
		d.TableClassSummary = &tableClassSummary{TableClass: t.TableClass}
	}
	return d, nil
}

// ---- ListTables ----

type listTablesInput struct {
	ExclusiveStartTableName *string `json:"ExclusiveStartTableName"`
	Limit                   *int    `json:"Limit"`
}

func (s *Service) listTables(ctx context.Context, r *http.Request) (any, error) {
	var in listTablesInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var fe fieldErrors
	fe.checkName(in.ExclusiveStartTableName, "exclusiveStartTableName", false)
	limit := 100
	if in.Limit != nil {
		limit = *in.Limit
		if limit < 1 {
			fe.add(limit, "limit", minValue(1))
		} else if limit > 100 {
			fe.add(limit, "limit", maxValue(100))
		}
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	names, err := s.Store.Tables(ctx)
	if err != nil {
		return nil, err
	}
	if in.ExclusiveStartTableName != nil {
		i, _ := slices.BinarySearch(names, *in.ExclusiveStartTableName)
		if i < len(names) && names[i] == *in.ExclusiveStartTableName {
			i++
		}
		names = names[i:]
	}
	out := struct {
		TableNames             []string `json:"TableNames"`
		LastEvaluatedTableName string   `json:"LastEvaluatedTableName,omitempty"`
	}{TableNames: []string{}}
	if len(names) > limit {
		names = names[:limit]
		out.LastEvaluatedTableName = names[limit-1]
	}
	out.TableNames = append(out.TableNames, names...)
	return out, nil
}

// ---- DeleteTable ----

func (s *Service) deleteTable(ctx context.Context, r *http.Request) (any, error) {
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
	if t.DeletionProtection {
		return nil, errDeletionProtected
	}
	// Describe first: the counts are gone with the table.
	d, err := s.describe(ctx, &t, "DELETING")
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.DeleteTable(ctx, t.Name); err != nil {
		if errors.Is(err, tablestore.ErrTableNotFound) {
			return nil, errTableNotFound(t.Name)
		}
		return nil, err
	}
	return map[string]any{"TableDescription": d}, nil
}
