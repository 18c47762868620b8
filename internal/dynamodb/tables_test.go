package dynamodb

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Helpers of the table, stream and TTL tests.

func hashKey(name string) types.KeySchemaElement {
	return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: types.KeyTypeHash}
}

func rangeKey(name string) types.KeySchemaElement {
	return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: types.KeyTypeRange}
}

func def(name string, k types.ScalarAttributeType) types.AttributeDefinition {
	return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: k}
}

// wantAPIError fails unless err is the API error code with message msg (any
// message when msg is "").
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("err = %s: %q\nwant %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// simpleTable creates an on-demand table keyed by id (S), with in's other
// members when given.
func simpleTable(t *testing.T, ts *testServer, name string, in *dynamodb.CreateTableInput) *types.TableDescription {
	t.Helper()
	if in == nil {
		in = &dynamodb.CreateTableInput{}
	}
	in.TableName = aws.String(name)
	if in.KeySchema == nil {
		in.KeySchema = []types.KeySchemaElement{hashKey("id")}
		in.AttributeDefinitions = append(in.AttributeDefinitions, def("id", types.ScalarAttributeTypeS))
	}
	if in.BillingMode == "" && in.ProvisionedThroughput == nil {
		in.BillingMode = types.BillingModePayPerRequest
	}
	out, err := ts.DB.CreateTable(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
	return out.TableDescription
}

func num(t *testing.T, n string) attr.Value {
	t.Helper()
	v, err := attr.Num(n)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// storePut writes item (keyed by id) straight to the store.
func storePut(t *testing.T, ts *testServer, table string, item attr.Item) {
	t.Helper()
	err := ts.Svc.Store.Write(t.Context(), []tablestore.Op{{
		Table: table, Key: attr.Item{"id": item["id"]},
		Apply: func(attr.Item) (attr.Item, error) { return item, nil },
	}})
	if err != nil {
		t.Fatalf("store Write: %v", err)
	}
}

// storeDelete deletes the item with id straight from the store.
func storeDelete(t *testing.T, ts *testServer, table, id string) {
	t.Helper()
	err := ts.Svc.Store.Write(t.Context(), []tablestore.Op{{
		Table: table, Key: attr.Item{"id": attr.Str(id)},
		Apply: func(attr.Item) (attr.Item, error) { return nil, nil },
	}})
	if err != nil {
		t.Fatalf("store Write: %v", err)
	}
}

// rawCall posts one awsJson request and returns the status and decoded body.
func rawCall(t *testing.T, ts *testServer, target string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: body %q: %v", target, raw, err)
	}
	return resp.StatusCode, m
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// ---- CreateTable / DescribeTable ----

func TestCreateAndDescribeTable(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	in := &dynamodb.CreateTableInput{
		TableName: aws.String("Music"),
		KeySchema: []types.KeySchemaElement{hashKey("Artist"), rangeKey("SongTitle")},
		AttributeDefinitions: []types.AttributeDefinition{
			def("Artist", types.ScalarAttributeTypeS), def("SongTitle", types.ScalarAttributeTypeS),
			def("Album", types.ScalarAttributeTypeS), def("Year", types.ScalarAttributeTypeN),
		},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(7)},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
			IndexName:  aws.String("ByAlbum"),
			KeySchema:  []types.KeySchemaElement{hashKey("Artist"), rangeKey("Album")},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:             aws.String("ByYear"),
			KeySchema:             []types.KeySchemaElement{hashKey("Year")},
			Projection:            &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"Genre"}},
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(2), WriteCapacityUnits: aws.Int64(3)},
		}},
		StreamSpecification:       &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
		Tags:                      []types.Tag{{Key: aws.String("team"), Value: aws.String("audio")}},
		DeletionProtectionEnabled: aws.Bool(true),
		SSESpecification:          &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeKms},
		TableClass:                types.TableClassStandardInfrequentAccess,
	}
	before := time.Now().Add(-time.Second)
	out, err := ts.DB.CreateTable(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.TableDescription.TableStatus != types.TableStatusCreating {
		t.Errorf("CreateTable status = %s, want CREATING", out.TableDescription.TableStatus)
	}
	waiter := dynamodb.NewTableExistsWaiter(ts.DB, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("Music")}, 2*time.Second); err != nil {
		t.Fatalf("table-exists waiter: %v", err)
	}
	dt, err := ts.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("Music")})
	if err != nil {
		t.Fatal(err)
	}
	d := dt.Table
	arn := "arn:aws:dynamodb:us-east-1:000000000000:table/Music"
	if aws.ToString(d.TableArn) != arn || aws.ToString(d.TableName) != "Music" || d.TableStatus != types.TableStatusActive {
		t.Errorf("arn/name/status = %s %s %s", aws.ToString(d.TableArn), aws.ToString(d.TableName), d.TableStatus)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(aws.ToString(d.TableId)) {
		t.Errorf("TableId = %q", aws.ToString(d.TableId))
	}
	if d.CreationDateTime == nil || d.CreationDateTime.Before(before) || d.CreationDateTime.After(time.Now().Add(time.Second)) {
		t.Errorf("CreationDateTime = %v", d.CreationDateTime)
	}
	if len(d.KeySchema) != 2 || aws.ToString(d.KeySchema[0].AttributeName) != "Artist" || d.KeySchema[1].KeyType != types.KeyTypeRange {
		t.Errorf("KeySchema = %+v", d.KeySchema)
	}
	if len(d.AttributeDefinitions) != 4 {
		t.Errorf("AttributeDefinitions = %+v", d.AttributeDefinitions)
	}
	pt := d.ProvisionedThroughput
	if aws.ToInt64(pt.ReadCapacityUnits) != 5 || aws.ToInt64(pt.WriteCapacityUnits) != 7 || pt.NumberOfDecreasesToday == nil || *pt.NumberOfDecreasesToday != 0 {
		t.Errorf("ProvisionedThroughput = %+v", pt)
	}
	if d.BillingModeSummary != nil {
		t.Errorf("BillingModeSummary = %+v, want none for a table created PROVISIONED", d.BillingModeSummary)
	}
	if aws.ToInt64(d.ItemCount) != 0 || aws.ToInt64(d.TableSizeBytes) != 0 {
		t.Errorf("ItemCount/TableSizeBytes = %d/%d", aws.ToInt64(d.ItemCount), aws.ToInt64(d.TableSizeBytes))
	}
	if len(d.LocalSecondaryIndexes) != 1 || aws.ToString(d.LocalSecondaryIndexes[0].IndexArn) != arn+"/index/ByAlbum" ||
		d.LocalSecondaryIndexes[0].Projection.ProjectionType != types.ProjectionTypeKeysOnly {
		t.Errorf("LocalSecondaryIndexes = %+v", d.LocalSecondaryIndexes)
	}
	if len(d.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("GlobalSecondaryIndexes = %+v", d.GlobalSecondaryIndexes)
	}
	g := d.GlobalSecondaryIndexes[0]
	if g.IndexStatus != types.IndexStatusActive || aws.ToString(g.IndexArn) != arn+"/index/ByYear" ||
		aws.ToInt64(g.ProvisionedThroughput.ReadCapacityUnits) != 2 || !slices.Equal(g.Projection.NonKeyAttributes, []string{"Genre"}) {
		t.Errorf("GSI = %+v", g)
	}
	if d.StreamSpecification == nil || !aws.ToBool(d.StreamSpecification.StreamEnabled) || d.StreamSpecification.StreamViewType != types.StreamViewTypeNewAndOldImages {
		t.Errorf("StreamSpecification = %+v", d.StreamSpecification)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$`).MatchString(aws.ToString(d.LatestStreamLabel)) ||
		aws.ToString(d.LatestStreamArn) != arn+"/stream/"+aws.ToString(d.LatestStreamLabel) {
		t.Errorf("stream label/arn = %q %q", aws.ToString(d.LatestStreamLabel), aws.ToString(d.LatestStreamArn))
	}
	if !aws.ToBool(d.DeletionProtectionEnabled) {
		t.Error("DeletionProtectionEnabled = false")
	}
	if d.SSEDescription == nil || d.SSEDescription.Status != types.SSEStatusEnabled || d.SSEDescription.SSEType != types.SSETypeKms ||
		!strings.HasPrefix(aws.ToString(d.SSEDescription.KMSMasterKeyArn), "arn:aws:kms:us-east-1:000000000000:key/") {
		t.Errorf("SSEDescription = %+v", d.SSEDescription)
	}
	if d.TableClassSummary == nil || d.TableClassSummary.TableClass != types.TableClassStandardInfrequentAccess {
		t.Errorf("TableClassSummary = %+v", d.TableClassSummary)
	}

	_, err = ts.DB.CreateTable(ctx, in)
	wantAPIError(t, err, "ResourceInUseException", "Table already exists: Music")
	_, err = ts.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("Nope")})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Nope not found")
}

func TestDescribeTableWireShape(t *testing.T) {
	ts := newTestServer(t)
	simpleTable(t, ts, "Shape", nil)
	status, m := rawCall(t, ts, "DynamoDB_20120810.DescribeTable", map[string]string{"TableName": "Shape"})
	if status != 200 {
		t.Fatalf("status %d: %v", status, m)
	}
	tab := m["Table"].(map[string]any)
	want := []string{"AttributeDefinitions", "BillingModeSummary", "CreationDateTime", "DeletionProtectionEnabled", "ItemCount",
		"KeySchema", "ProvisionedThroughput", "TableArn", "TableId", "TableName", "TableSizeBytes", "TableStatus"}
	if got := keysOf(tab); !slices.Equal(got, want) {
		t.Errorf("TableDescription members = %v\nwant %v", got, want)
	}
	pt := tab["ProvisionedThroughput"].(map[string]any)
	if got := keysOf(pt); !slices.Equal(got, []string{"NumberOfDecreasesToday", "ReadCapacityUnits", "WriteCapacityUnits"}) ||
		pt["ReadCapacityUnits"] != 0.0 {
		t.Errorf("on-demand ProvisionedThroughput = %v", pt)
	}
	bm := tab["BillingModeSummary"].(map[string]any)
	if bm["BillingMode"] != "PAY_PER_REQUEST" || bm["LastUpdateToPayPerRequestDateTime"] == nil {
		t.Errorf("BillingModeSummary = %v", bm)
	}
	if _, ok := tab["CreationDateTime"].(float64); !ok {
		t.Errorf("CreationDateTime = %#v, want epoch seconds", tab["CreationDateTime"])
	}
	status, m = rawCall(t, ts, "DynamoDB_20120810.DescribeTable", map[string]string{"TableName": "Gone"})
	if status != 400 || m["__type"] != "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" {
		t.Errorf("missing table: %d %v", status, m)
	}
}

func TestCreateTableErrors(t *testing.T) {
	ts := newTestServer(t)
	pt := &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
	base := func() *dynamodb.CreateTableInput {
		return &dynamodb.CreateTableInput{
			TableName:            aws.String("Tab1"),
			KeySchema:            []types.KeySchemaElement{hashKey("id")},
			AttributeDefinitions: []types.AttributeDefinition{def("id", types.ScalarAttributeTypeS)},
			BillingMode:          types.BillingModePayPerRequest,
		}
	}
	ranged := func() *dynamodb.CreateTableInput {
		in := base()
		in.KeySchema = append(in.KeySchema, rangeKey("sk"))
		in.AttributeDefinitions = append(in.AttributeDefinitions, def("sk", types.ScalarAttributeTypeN))
		return in
	}
	gsi := func(name string, keys ...types.KeySchemaElement) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{IndexName: aws.String(name), KeySchema: keys, Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}
	}
	tests := []struct {
		name   string
		change func(*dynamodb.CreateTableInput)
		msg    string
	}{
		{"short name", func(in *dynamodb.CreateTableInput) { in.TableName = aws.String("ab") },
			"1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"},
		{"bad name", func(in *dynamodb.CreateTableInput) { in.TableName = aws.String("a;") },
			"2 validation errors detected: Value 'a;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
				"Value 'a;' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"},
		{"bad type", func(in *dynamodb.CreateTableInput) { in.AttributeDefinitions[0].AttributeType = "BOOL" },
			"1 validation error detected: Value 'BOOL' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"},
		{"range first", func(in *dynamodb.CreateTableInput) { in.KeySchema[0].KeyType = types.KeyTypeRange },
			"Invalid KeySchema: The first KeySchemaElement is not a HASH key type"},
		{"two hashes", func(in *dynamodb.CreateTableInput) {
			in.KeySchema = append(in.KeySchema, hashKey("x"))
			in.AttributeDefinitions = append(in.AttributeDefinitions, def("x", types.ScalarAttributeTypeS))
		}, "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"},
		{"unused definition", func(in *dynamodb.CreateTableInput) {
			in.AttributeDefinitions = append(in.AttributeDefinitions, def("extra", types.ScalarAttributeTypeS))
		}, "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"},
		{"undefined key", func(in *dynamodb.CreateTableInput) {
			in.KeySchema = append(in.KeySchema, rangeKey("sk"))
		}, "Invalid KeySchema: Some index key attribute have no definition"},
		{"unused with index", func(in *dynamodb.CreateTableInput) {
			in.AttributeDefinitions = append(in.AttributeDefinitions, def("user", types.ScalarAttributeTypeS), def("created_at", types.ScalarAttributeTypeN))
			in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{gsi("gix", hashKey("user"))}
		}, "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [created_at, id, user], keys used: [id, user]"},
		{"undefined index key", func(in *dynamodb.CreateTableInput) {
			in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{gsi("gix", hashKey("user"))}
		}, "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [user], AttributeDefinitions: [id]"},
		{"no throughput", func(in *dynamodb.CreateTableInput) { in.BillingMode = "" },
			"One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"},
		{"throughput on demand", func(in *dynamodb.CreateTableInput) { in.ProvisionedThroughput = pt },
			"One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{"zero throughput", func(in *dynamodb.CreateTableInput) {
			in.BillingMode = ""
			in.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(0), WriteCapacityUnits: aws.Int64(1)}
		}, "1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"lsi without range", func(in *dynamodb.CreateTableInput) {
			in.AttributeDefinitions = append(in.AttributeDefinitions, def("l", types.ScalarAttributeTypeS))
			in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{{IndexName: aws.String("lsi"),
				KeySchema: []types.KeySchemaElement{hashKey("id"), rangeKey("l")}, Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
		}, "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"},
		{"empty gsi list", func(in *dynamodb.CreateTableInput) { in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{} },
			"One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty"},
		{"include without attributes", func(in *dynamodb.CreateTableInput) {
			in.AttributeDefinitions = append(in.AttributeDefinitions, def("g", types.ScalarAttributeTypeS))
			g := gsi("gix1", hashKey("g"))
			g.Projection.ProjectionType = types.ProjectionTypeInclude
			in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{g}
		}, "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified"},
		{"keys only with attributes", func(in *dynamodb.CreateTableInput) {
			in.AttributeDefinitions = append(in.AttributeDefinitions, def("g", types.ScalarAttributeTypeS))
			g := gsi("gix1", hashKey("g"))
			g.Projection = &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly, NonKeyAttributes: []string{"a"}}
			in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{g}
		}, "One or more parameter values were invalid: ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"},
		{"gsi needs throughput", func(in *dynamodb.CreateTableInput) {
			in.BillingMode, in.ProvisionedThroughput = "", pt
			in.AttributeDefinitions = append(in.AttributeDefinitions, def("g", types.ScalarAttributeTypeS))
			in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{gsi("gix1", hashKey("g"))}
		}, "One or more parameter values were invalid: ProvisionedThroughput is not specified for index: gix1"},
		{"stream without view", func(in *dynamodb.CreateTableInput) {
			in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true)}
		}, "One or more parameter values were invalid: Table is being created with a stream enabled, UpdateViewType is required"},
		{"aws tag", func(in *dynamodb.CreateTableInput) {
			in.Tags = []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}
		}, "Tag Key cannot be prefixed with aws:, Key: aws:x"},
		{"aes256", func(in *dynamodb.CreateTableInput) {
			in.SSESpecification = &types.SSESpecification{Enabled: aws.Bool(true), SSEType: types.SSETypeAes256}
		}, "One or more parameter values were invalid: SSEType AES256 is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.change(in)
			_, err := ts.DB.CreateTable(t.Context(), in)
			wantAPIError(t, err, "ValidationException", tt.msg)
		})
	}
	t.Run("lsi other hash", func(t *testing.T) {
		in := ranged()
		in.AttributeDefinitions = append(in.AttributeDefinitions, def("o", types.ScalarAttributeTypeS), def("l", types.ScalarAttributeTypeS))
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{{IndexName: aws.String("lsi"),
			KeySchema: []types.KeySchemaElement{hashKey("o"), rangeKey("l")}, Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
		_, err := ts.DB.CreateTable(t.Context(), in)
		wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi. index hash key: o, table hash key: id")
	})
	t.Run("too many gsis", func(t *testing.T) {
		in := base()
		for i := range 21 {
			n := "g" + string(rune('a'+i))
			in.AttributeDefinitions = append(in.AttributeDefinitions, def(n, types.ScalarAttributeTypeS))
			in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi(n+"x", hashKey(n)))
		}
		_, err := ts.DB.CreateTable(t.Context(), in)
		wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20")
	})
	// Nothing above created a table.
	if names, _ := ts.Svc.Store.Tables(t.Context()); len(names) != 0 {
		t.Errorf("tables after failed creates: %v", names)
	}
}

// ---- ListTables ----

func TestListTables(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	for _, n := range []string{"ccc", "aaa", "bbb", "ddd"} {
		simpleTable(t, ts, n, nil)
	}
	out, err := ts.DB.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.TableNames, []string{"aaa", "bbb", "ccc", "ddd"}) || out.LastEvaluatedTableName != nil {
		t.Errorf("ListTables = %v, last %v", out.TableNames, out.LastEvaluatedTableName)
	}
	out, err = ts.DB.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.TableNames, []string{"aaa", "bbb"}) || aws.ToString(out.LastEvaluatedTableName) != "bbb" {
		t.Errorf("page 1 = %v, last %v", out.TableNames, aws.ToString(out.LastEvaluatedTableName))
	}
	out, err = ts.DB.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(2), ExclusiveStartTableName: aws.String("bbb")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.TableNames, []string{"ccc", "ddd"}) || out.LastEvaluatedTableName != nil {
		t.Errorf("page 2 = %v, last %v", out.TableNames, aws.ToString(out.LastEvaluatedTableName))
	}
	var all []string
	p := dynamodb.NewListTablesPaginator(ts.DB, &dynamodb.ListTablesInput{Limit: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.TableNames...)
	}
	if len(all) != 4 {
		t.Errorf("paginated = %v", all)
	}
	_, err = ts.DB.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(101)})
	wantAPIError(t, err, "ValidationException", "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100")
}

// ---- UpdateTable ----

func TestUpdateTableThroughputAndBilling(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	simpleTable(t, ts, "Prov", &dynamodb.CreateTableInput{ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}})

	_, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Prov")})
	wantAPIError(t, err, "ValidationException", errNothingToUpdate.Message)

	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Prov"),
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}})
	wantAPIError(t, err, "ValidationException", "The provisioned throughput for the table will not change. The requested value equals the current value. "+
		"Current ReadCapacityUnits provisioned for the table: 5. Requested ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for the table: 5. "+
		"Requested WriteCapacityUnits: 5. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.")

	out, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Prov"),
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(10), WriteCapacityUnits: aws.Int64(2)}})
	if err != nil {
		t.Fatal(err)
	}
	d := out.TableDescription
	if d.TableStatus != types.TableStatusUpdating {
		t.Errorf("answer status = %s, want UPDATING", d.TableStatus)
	}
	pt := d.ProvisionedThroughput
	if aws.ToInt64(pt.ReadCapacityUnits) != 10 || aws.ToInt64(pt.WriteCapacityUnits) != 2 || aws.ToInt64(pt.NumberOfDecreasesToday) != 1 ||
		pt.LastIncreaseDateTime == nil || pt.LastDecreaseDateTime == nil {
		t.Errorf("throughput = %+v", pt)
	}

	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Prov"), BillingMode: types.BillingModePayPerRequest,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")

	if _, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Prov"), BillingMode: types.BillingModePayPerRequest}); err != nil {
		t.Fatal(err)
	}
	dt, _ := ts.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("Prov")})
	if dt.Table.BillingModeSummary == nil || dt.Table.BillingModeSummary.BillingMode != types.BillingModePayPerRequest ||
		dt.Table.BillingModeSummary.LastUpdateToPayPerRequestDateTime == nil || aws.ToInt64(dt.Table.ProvisionedThroughput.ReadCapacityUnits) != 0 ||
		dt.Table.TableStatus != types.TableStatusActive {
		t.Errorf("after switch to on-demand: %+v %+v %s", dt.Table.BillingModeSummary, dt.Table.ProvisionedThroughput, dt.Table.TableStatus)
	}
	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Prov"), BillingMode: types.BillingModeProvisioned})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED")

	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Prov"), DeletionProtectionEnabled: aws.Bool(true), BillingMode: types.BillingModeProvisioned})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: DeletionProtection modification must be the only operation in the request")

	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Missing"), DeletionProtectionEnabled: aws.Bool(true)})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Missing not found")

	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Prov"), TableClass: "COLD"})
	wantAPIError(t, err, "ValidationException", errTableClass.Message)
}

func TestUpdateTableStream(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	simpleTable(t, ts, "Str", nil)
	name := aws.String("Str")
	_, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name, StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}})
	wantAPIError(t, err, "ValidationException", "Table has no stream to disable: TableName: Str")
	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name, StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true)}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required")

	out, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly}})
	if err != nil {
		t.Fatal(err)
	}
	first := aws.ToString(out.TableDescription.LatestStreamArn)
	if first == "" || out.TableDescription.StreamSpecification == nil {
		t.Fatalf("enable answer: %+v", out.TableDescription)
	}
	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}})
	wantAPIError(t, err, "ValidationException", "Table already has an enabled stream: TableName: Str")
	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false), StreamViewType: types.StreamViewTypeNewImage}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified")

	if _, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name, StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	dt, _ := ts.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: name})
	if dt.Table.StreamSpecification != nil || aws.ToString(dt.Table.LatestStreamArn) != first {
		t.Errorf("after disable: spec %+v, latest %q (want %q kept)", dt.Table.StreamSpecification, aws.ToString(dt.Table.LatestStreamArn), first)
	}
	out, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}})
	if err != nil {
		t.Fatal(err)
	}
	if second := aws.ToString(out.TableDescription.LatestStreamArn); second == first || second == "" {
		t.Errorf("re-enabled stream ARN %q, want a new one (old %q)", second, first)
	}
}

func TestUpdateTableGlobalIndexes(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	simpleTable(t, ts, "Idx", nil)
	for _, id := range []string{"a", "b", "c"} {
		storePut(t, ts, "Idx", attr.Item{"id": attr.Str(id), "g": attr.Str("G" + id), "n": num(t, "1")})
	}
	storePut(t, ts, "Idx", attr.Item{"id": attr.Str("nog")})
	name := aws.String("Idx")
	create := func(ix string, keys ...types.KeySchemaElement) types.GlobalSecondaryIndexUpdate {
		return types.GlobalSecondaryIndexUpdate{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String(ix), KeySchema: keys, Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
	}
	_, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{create("byG", hashKey("g"))}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: AttributeDefinitions is not specified for index: byG")

	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		AttributeDefinitions:        []types.AttributeDefinition{def("g", types.ScalarAttributeTypeS), def("n", types.ScalarAttributeTypeN)},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{create("byG", hashKey("g")), create("byN", hashKey("n"))}})
	wantAPIError(t, err, "LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")

	out, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		AttributeDefinitions:        []types.AttributeDefinition{def("g", types.ScalarAttributeTypeS)},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{create("byG", hashKey("g"))}})
	if err != nil {
		t.Fatal(err)
	}
	if g := out.TableDescription.GlobalSecondaryIndexes; len(g) != 1 || g[0].IndexStatus != types.IndexStatusCreating {
		t.Errorf("answer indexes = %+v", g)
	}
	// The backfill finishes in the background.
	deadline := time.Now().Add(5 * time.Second)
	for {
		dt, err := ts.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: name})
		if err != nil {
			t.Fatal(err)
		}
		g := dt.Table.GlobalSecondaryIndexes[0]
		if g.IndexStatus == types.IndexStatusActive {
			if aws.ToInt64(g.ItemCount) != 3 || g.Backfilling != nil {
				t.Errorf("built index: count %d backfilling %v", aws.ToInt64(g.ItemCount), g.Backfilling)
			}
			if len(dt.Table.AttributeDefinitions) != 2 {
				t.Errorf("AttributeDefinitions = %+v", dt.Table.AttributeDefinitions)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("index still %s", g.IndexStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{create("byG", hashKey("g"))}})
	wantAPIError(t, err, "ValidationException", "Attempting to create an index which already exists")
	_, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("nope")}}}})
	wantAPIError(t, err, "ValidationException", "Cannot delete an index that is not a GlobalSecondaryIndex: nope")

	out, err = ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name,
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("byG")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if g := out.TableDescription.GlobalSecondaryIndexes; len(g) != 1 || g[0].IndexStatus != types.IndexStatusDeleting {
		t.Errorf("delete answer indexes = %+v", g)
	}
	dt, _ := ts.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: name})
	if len(dt.Table.GlobalSecondaryIndexes) != 0 || len(dt.Table.AttributeDefinitions) != 1 {
		t.Errorf("after delete: %+v %+v", dt.Table.GlobalSecondaryIndexes, dt.Table.AttributeDefinitions)
	}
}

// ---- DeleteTable ----

func TestDeleteTable(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	simpleTable(t, ts, "Del", &dynamodb.CreateTableInput{DeletionProtectionEnabled: aws.Bool(true)})
	storePut(t, ts, "Del", attr.Item{"id": attr.Str("x")})
	name := aws.String("Del")
	_, err := ts.DB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: name})
	wantAPIError(t, err, "ValidationException", "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	if _, err := ts.DB.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name, DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	out, err := ts.DB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: name})
	if err != nil {
		t.Fatal(err)
	}
	if out.TableDescription.TableStatus != types.TableStatusDeleting || aws.ToInt64(out.TableDescription.ItemCount) != 1 {
		t.Errorf("answer: %s, %d items", out.TableDescription.TableStatus, aws.ToInt64(out.TableDescription.ItemCount))
	}
	w := dynamodb.NewTableNotExistsWaiter(ts.DB, func(o *dynamodb.TableNotExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: name}, 2*time.Second); err != nil {
		t.Fatalf("table-not-exists waiter: %v", err)
	}
	_, err = ts.DB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: name})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Del not found")
	// The name is free again.
	simpleTable(t, ts, "Del", nil)
}

// ---- Tags ----

func TestTags(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	d := simpleTable(t, ts, "Tagged", &dynamodb.CreateTableInput{Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}})
	arn := d.TableArn
	_, err := ts.DB.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{
		{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("c"), Value: aws.String("3")}, {Key: aws.String("a"), Value: aws.String("one")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.DB.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"c", "zz"}}); err != nil {
		t.Fatal(err)
	}
	old := tagsPageSize
	tagsPageSize = 1
	defer func() { tagsPageSize = old }()
	var got []string
	var token *string
	for range 5 {
		out, err := ts.DB.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: arn, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range out.Tags {
			got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if !slices.Equal(got, []string{"a=one", "b=2"}) {
		t.Errorf("tags = %v", got)
	}

	missing := aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/Nope")
	_, err = ts.DB.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: missing})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found: ResourcArn: arn:aws:dynamodb:us-east-1:000000000000:table/Nope not found")
	_, err = ts.DB.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{}})
	wantAPIError(t, err, "ValidationException", "Atleast one Tag needs to be provided as Input.")
	_, err = ts.DB.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: arn, TagKeys: []string{}})
	wantAPIError(t, err, "ValidationException", "Atleast one Tag Key needs to be provided as Input.")
	_, err = ts.DB.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}})
	wantAPIError(t, err, "ValidationException", "The Tag Key provided is invalid, Key: "+strings.Repeat("k", 129))
	_, err = ts.DB.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String("Tagged")})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: ARNs must start with 'arn:': Tagged")

	var many []types.Tag
	for i := range 49 {
		many = append(many, types.Tag{Key: aws.String("k" + strings.Repeat("x", i)), Value: aws.String("v")})
	}
	_, err = ts.DB.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: many})
	wantAPIError(t, err, "ValidationException", "Number of Tags exceed the current limit for the provided ResourceArn")
}

// ---- Misc ----

func TestDescribeCalls(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	lim, err := ts.DB.DescribeLimits(ctx, &dynamodb.DescribeLimitsInput{})
	if err != nil || aws.ToInt64(lim.TableMaxReadCapacityUnits) != 40000 || aws.ToInt64(lim.AccountMaxWriteCapacityUnits) != 80000 {
		t.Errorf("DescribeLimits = %+v, %v", lim, err)
	}
	ep, err := ts.DB.DescribeEndpoints(ctx, &dynamodb.DescribeEndpointsInput{})
	if err != nil || len(ep.Endpoints) != 1 || !strings.HasPrefix(ts.URL, "http://"+aws.ToString(ep.Endpoints[0].Address)) || ep.Endpoints[0].CachePeriodInMinutes != 1440 {
		t.Errorf("DescribeEndpoints = %+v, %v", ep, err)
	}

	simpleTable(t, ts, "Backed", nil)
	name := aws.String("Backed")
	cb, err := ts.DB.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: name})
	if err != nil {
		t.Fatal(err)
	}
	if d := cb.ContinuousBackupsDescription; d.ContinuousBackupsStatus != types.ContinuousBackupsStatusEnabled ||
		d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusDisabled {
		t.Errorf("backups = %+v", d)
	}
	up, err := ts.DB.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: name,
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	p := up.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if p.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled || aws.ToInt32(p.RecoveryPeriodInDays) != 35 || p.EarliestRestorableDateTime == nil {
		t.Errorf("after enable = %+v", p)
	}
	cb, _ = ts.DB.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: name})
	if cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
		t.Error("PITR not kept")
	}
	dt, _ := ts.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: name})
	if dt.Table.SSEDescription != nil {
		t.Errorf("PITR leaked into SSEDescription: %+v", dt.Table.SSEDescription)
	}
	_, err = ts.DB.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("Nope")})
	wantAPIError(t, err, "TableNotFoundException", "Table not found: Nope")

	ci, err := ts.DB.DescribeContributorInsights(ctx, &dynamodb.DescribeContributorInsightsInput{TableName: name})
	if err != nil || ci.ContributorInsightsStatus != types.ContributorInsightsStatusDisabled {
		t.Errorf("DescribeContributorInsights = %+v, %v", ci, err)
	}
	_, err = ts.DB.ListBackups(ctx, &dynamodb.ListBackupsInput{})
	wantAPIError(t, err, "UnknownOperationException", "")
}
