package resources

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func init() {
	register("AWS::DynamoDB::Table", dynamoTable{})
}

type dynamoTable struct{}

func keySchema(list []props) []types.KeySchemaElement {
	var out []types.KeySchemaElement
	for _, k := range list {
		out = append(out, types.KeySchemaElement{AttributeName: k.strp("AttributeName"), KeyType: types.KeyType(k.str("KeyType"))})
	}
	return out
}

func throughput(p props) (*types.ProvisionedThroughput, error) {
	if p == nil {
		return nil, nil
	}
	r, err := p.int64p("ReadCapacityUnits")
	if err != nil {
		return nil, err
	}
	w, err := p.int64p("WriteCapacityUnits")
	if err != nil {
		return nil, err
	}
	return &types.ProvisionedThroughput{ReadCapacityUnits: r, WriteCapacityUnits: w}, nil
}

func projection(p props) *types.Projection {
	out := &types.Projection{ProjectionType: types.ProjectionType(p.str("ProjectionType")), NonKeyAttributes: p.strs("NonKeyAttributes")}
	if out.ProjectionType == "" {
		out.ProjectionType = types.ProjectionTypeAll
	}
	return out
}

func attributeDefinitions(p props) []types.AttributeDefinition {
	var out []types.AttributeDefinition
	for _, a := range p.list("AttributeDefinitions") {
		out = append(out, types.AttributeDefinition{AttributeName: a.strp("AttributeName"), AttributeType: types.ScalarAttributeType(a.str("AttributeType"))})
	}
	return out
}

func gsi(p props) (types.GlobalSecondaryIndex, error) {
	tp, err := throughput(p.obj("ProvisionedThroughput"))
	return types.GlobalSecondaryIndex{IndexName: p.strp("IndexName"), KeySchema: keySchema(p.list("KeySchema")),
		Projection: projection(p.obj("Projection")), ProvisionedThroughput: tp}, err
}

func streamSpec(p props) *types.StreamSpecification {
	s := p.obj("StreamSpecification")
	if s == nil {
		return nil
	}
	return &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(s.str("StreamViewType"))}
}

func (t dynamoTable) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "KeySchema"); err != nil {
		return Result{}, err
	}
	name := p.str("TableName")
	if name == "" {
		name = physicalName(env, 255)
	}
	tp, err := throughput(p.obj("ProvisionedThroughput"))
	if err != nil {
		return Result{}, err
	}
	input := &dynamodb.CreateTableInput{
		TableName: aws.String(name), KeySchema: keySchema(p.list("KeySchema")), AttributeDefinitions: attributeDefinitions(p),
		BillingMode: types.BillingMode(p.str("BillingMode")), ProvisionedThroughput: tp, StreamSpecification: streamSpec(p),
		DeletionProtectionEnabled: p.boolp("DeletionProtectionEnabled"), TableClass: types.TableClass(p.str("TableClass")),
	}
	for _, g := range p.list("GlobalSecondaryIndexes") {
		ix, err := gsi(g)
		if err != nil {
			return Result{}, err
		}
		input.GlobalSecondaryIndexes = append(input.GlobalSecondaryIndexes, ix)
	}
	for _, l := range p.list("LocalSecondaryIndexes") {
		input.LocalSecondaryIndexes = append(input.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName: l.strp("IndexName"), KeySchema: keySchema(l.list("KeySchema")), Projection: projection(l.obj("Projection"))})
	}
	for _, tag := range p.list("Tags") {
		input.Tags = append(input.Tags, types.Tag{Key: tag.strp("Key"), Value: aws.String(tag.str("Value"))})
	}
	if sse := p.obj("SSESpecification"); sse != nil {
		input.SSESpecification = &types.SSESpecification{Enabled: sse.boolp("SSEEnabled"), SSEType: types.SSEType(sse.str("SSEType")), KMSMasterKeyId: sse.strp("KMSMasterKeyId")}
	}
	c := dynamodb.NewFromConfig(env.Config)
	out, err := c.CreateTable(ctx, input)
	if err != nil {
		return Result{}, err
	}
	res := Result{PhysicalID: name, Attrs: map[string]any{"Arn": aws.ToString(out.TableDescription.TableArn)}}
	if err := waitTable(ctx, c, name); err != nil {
		return res, err
	}
	if err := putTTL(ctx, c, name, nil, p); err != nil {
		return res, err
	}
	return t.describe(ctx, c, res)
}

// describe refreshes the attributes that change with the table (StreamArn).
func (dynamoTable) describe(ctx context.Context, c *dynamodb.Client, res Result) (Result, error) {
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(res.PhysicalID)})
	if err != nil {
		return res, err
	}
	res.Attrs = map[string]any{"Arn": aws.ToString(out.Table.TableArn)}
	if arn := aws.ToString(out.Table.LatestStreamArn); arn != "" && out.Table.StreamSpecification != nil && aws.ToBool(out.Table.StreamSpecification.StreamEnabled) {
		res.Attrs["StreamArn"] = arn
	}
	return res, nil
}

// waitTable waits until the table and every index on it are ACTIVE, which
// DynamoDB needs before it takes the next UpdateTable.
func waitTable(ctx context.Context, c *dynamodb.Client, name string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return err
		}
		ready := out.Table.TableStatus == types.TableStatusActive
		for _, g := range out.Table.GlobalSecondaryIndexes {
			ready = ready && g.IndexStatus == types.IndexStatusActive
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("table %s is still %s", name, out.Table.TableStatus)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func putTTL(ctx context.Context, c *dynamodb.Client, name string, old, new props) error {
	if !changed(old, new, "TimeToLiveSpecification") {
		return nil
	}
	spec, prev := new.obj("TimeToLiveSpecification"), old.obj("TimeToLiveSpecification")
	attr, enabled := spec.str("AttributeName"), toBool(spec["Enabled"])
	if spec == nil || !enabled {
		// Turning TTL off names the attribute it was on.
		if prev == nil || !toBool(prev["Enabled"]) {
			return nil
		}
		attr, enabled = prev.str("AttributeName"), false
	}
	_, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(enabled)}})
	return err
}

func (dynamoTable) Replaces(oldIn, newIn map[string]any) bool {
	old, new := props(oldIn), props(newIn)
	if changed(old, new, "TableName", "KeySchema", "LocalSecondaryIndexes") {
		return true
	}
	// A key attribute cannot change type in place.
	keyTypes := func(p props) map[string]string {
		m := map[string]string{}
		for _, a := range p.list("AttributeDefinitions") {
			m[a.str("AttributeName")] = a.str("AttributeType")
		}
		return m
	}
	ot, nt := keyTypes(old), keyTypes(new)
	for _, k := range new.list("KeySchema") {
		if n := k.str("AttributeName"); ot[n] != nt[n] {
			return true
		}
	}
	return false
}

// Update carries out the change as the separate UpdateTable calls DynamoDB
// requires (one index created or deleted per call, a stream view type
// changed by disabling and enabling), waiting for the table between them.
func (t dynamoTable) Update(ctx context.Context, env Env, cur Result, oldIn, newIn map[string]any) (Result, error) {
	old, p := props(oldIn), props(newIn)
	c := dynamodb.NewFromConfig(env.Config)
	name := aws.String(cur.PhysicalID)
	step := func(in *dynamodb.UpdateTableInput) error {
		in.TableName = name
		if _, err := c.UpdateTable(ctx, in); err != nil {
			return err
		}
		return waitTable(ctx, c, cur.PhysicalID)
	}
	if changed(old, p, "BillingMode", "ProvisionedThroughput") {
		tp, err := throughput(p.obj("ProvisionedThroughput"))
		if err != nil {
			return cur, err
		}
		mode := types.BillingMode(p.str("BillingMode"))
		if mode == "" {
			mode = types.BillingModeProvisioned
		}
		in := &dynamodb.UpdateTableInput{BillingMode: mode, ProvisionedThroughput: tp}
		if mode == types.BillingModeProvisioned && changed(old, p, "BillingMode") {
			// Indexes that stay need their throughput when the table turns
			// provisioned.
			for _, g := range p.list("GlobalSecondaryIndexes") {
				if hasIndex(old, g.str("IndexName")) {
					gtp, err := throughput(g.obj("ProvisionedThroughput"))
					if err != nil {
						return cur, err
					}
					in.GlobalSecondaryIndexUpdates = append(in.GlobalSecondaryIndexUpdates, types.GlobalSecondaryIndexUpdate{
						Update: &types.UpdateGlobalSecondaryIndexAction{IndexName: g.strp("IndexName"), ProvisionedThroughput: gtp}})
				}
			}
		}
		if err := step(in); err != nil {
			return cur, err
		}
	}
	if changed(old, p, "StreamSpecification") {
		if old.has("StreamSpecification") {
			if err := step(&dynamodb.UpdateTableInput{StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
				return cur, err
			}
		}
		if s := streamSpec(p); s != nil {
			if err := step(&dynamodb.UpdateTableInput{StreamSpecification: s}); err != nil {
				return cur, err
			}
		}
	}
	for _, g := range old.list("GlobalSecondaryIndexes") {
		if !hasIndex(p, g.str("IndexName")) || changed(g, findIndex(p, g.str("IndexName")), "KeySchema", "Projection") {
			if err := step(&dynamodb.UpdateTableInput{GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
				{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: g.strp("IndexName")}}}}); err != nil {
				return cur, err
			}
		}
	}
	for _, g := range p.list("GlobalSecondaryIndexes") {
		prev := findIndex(old, g.str("IndexName"))
		ix, err := gsi(g)
		if err != nil {
			return cur, err
		}
		switch {
		case prev == nil || changed(g, prev, "KeySchema", "Projection"):
			err = step(&dynamodb.UpdateTableInput{AttributeDefinitions: attributeDefinitions(p), GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
				{Create: &types.CreateGlobalSecondaryIndexAction{IndexName: ix.IndexName, KeySchema: ix.KeySchema, Projection: ix.Projection, ProvisionedThroughput: ix.ProvisionedThroughput}}}})
		case changed(g, prev, "ProvisionedThroughput") && ix.ProvisionedThroughput != nil && !changed(old, p, "BillingMode"):
			err = step(&dynamodb.UpdateTableInput{GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
				{Update: &types.UpdateGlobalSecondaryIndexAction{IndexName: ix.IndexName, ProvisionedThroughput: ix.ProvisionedThroughput}}}})
		}
		if err != nil {
			return cur, err
		}
	}
	if changed(old, p, "DeletionProtectionEnabled") {
		if err := step(&dynamodb.UpdateTableInput{DeletionProtectionEnabled: aws.Bool(toBool(p["DeletionProtectionEnabled"]))}); err != nil {
			return cur, err
		}
	}
	if err := putTTL(ctx, c, cur.PhysicalID, old, p); err != nil {
		return cur, err
	}
	if changed(old, p, "Tags") {
		arn, _ := cur.Attrs["Arn"].(string)
		err := retag(old.tags("Tags"), p.tags("Tags"), func(keys []string) error {
			_, err := c.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: keys})
			return err
		}, func(m map[string]string) error {
			var tags []types.Tag
			for k, v := range m {
				tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			_, err := c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags})
			return err
		})
		if err != nil {
			return cur, err
		}
	}
	return t.describe(ctx, c, cur)
}

func findIndex(p props, name string) props {
	for _, g := range p.list("GlobalSecondaryIndexes") {
		if g.str("IndexName") == name {
			return g
		}
	}
	return nil
}

func hasIndex(p props, name string) bool { return findIndex(p, name) != nil }

func (dynamoTable) Delete(ctx context.Context, env Env, cur Result) error {
	c := dynamodb.NewFromConfig(env.Config)
	_, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(cur.PhysicalID)})
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	if err != nil {
		return err
	}
	return dynamodb.NewTableNotExistsWaiter(c, func(o *dynamodb.TableNotExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond }).
		Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cur.PhysicalID)}, 5*time.Minute)
}
