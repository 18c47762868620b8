package resources

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func init() {
	register("AWS::Lambda::Version", lambdaVersion{})
	register("AWS::Lambda::Alias", lambdaAlias{})
	register("AWS::Lambda::Permission", lambdaPermission{})
	register("AWS::Lambda::EventSourceMapping", lambdaESM{})
	register("AWS::Lambda::Url", lambdaURL{})
	register("AWS::Lambda::EventInvokeConfig", lambdaEventInvokeConfig{})
	register("AWS::Lambda::LayerVersion", lambdaLayerVersion{})
}

// lambdaTarget is the function and qualifier a sub-resource belongs to, kept
// in State so that Delete needs no properties.
type lambdaTarget struct {
	Function  string `json:"function"`
	Qualifier string `json:"qualifier,omitempty"`
	ID        string `json:"id,omitempty"`
	Version   int64  `json:"version,omitempty"`
}

func loadTarget(cur Result) (lambdaTarget, error) {
	var t lambdaTarget
	err := loadState(cur, &t)
	return t, err
}

// lambdaVersion publishes a version. Every property but the provisioned
// concurrency is create-only, and the version is deleted with the resource:
// SAM marks the versions it makes Retain for that reason.
type lambdaVersion struct{}

func (lambdaVersion) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "FunctionName"); err != nil {
		return Result{}, err
	}
	out, err := lambda.NewFromConfig(env.Config).PublishVersion(ctx, &lambda.PublishVersionInput{
		FunctionName: p.strp("FunctionName"), Description: p.strp("Description"), CodeSha256: p.strp("CodeSha256"),
	})
	if err != nil {
		return Result{}, err
	}
	arn := aws.ToString(out.FunctionArn)
	t := lambdaTarget{Function: p.str("FunctionName"), Qualifier: aws.ToString(out.Version)}
	res := Result{PhysicalID: arn, State: state(t), Attrs: map[string]any{
		"Version": t.Qualifier, "FunctionArn": unqualified(arn),
	}}
	return res, provisionedConcurrency(ctx, env, t, nil, p)
}

// provisionedConcurrency sets or removes a version's or alias's provisioned
// concurrency through Lambda's API, so that a service without it answers
// with its own error instead of the setting being dropped.
func provisionedConcurrency(ctx context.Context, env Env, t lambdaTarget, old, new props) error {
	if !changed(old, new, "ProvisionedConcurrencyConfig") {
		return nil
	}
	c := lambda.NewFromConfig(env.Config)
	n, err := new.obj("ProvisionedConcurrencyConfig").int32p("ProvisionedConcurrentExecutions")
	if err != nil {
		return err
	}
	if n == nil {
		_, err = c.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{
			FunctionName: aws.String(t.Function), Qualifier: aws.String(t.Qualifier)})
		return err
	}
	_, err = c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(t.Function), Qualifier: aws.String(t.Qualifier), ProvisionedConcurrentExecutions: n})
	return err
}

// unqualified cuts the version or alias off a function ARN.
func unqualified(arn string) string {
	// arn:aws:lambda:region:acct:function:name[:qualifier]
	n := 0
	for i := range len(arn) {
		if arn[i] == ':' {
			n++
			if n == 7 {
				return arn[:i]
			}
		}
	}
	return arn
}

func (lambdaVersion) Replaces(old, new map[string]any) bool {
	return changed(old, new, "FunctionName", "Description", "CodeSha256", "RuntimePolicy")
}

func (lambdaVersion) Update(ctx context.Context, env Env, cur Result, old, new map[string]any) (Result, error) {
	t, err := loadTarget(cur)
	if err != nil {
		return cur, err
	}
	return cur, provisionedConcurrency(ctx, env, t, old, new)
}

func (lambdaVersion) Delete(ctx context.Context, env Env, cur Result) error {
	t, err := loadTarget(cur)
	if err != nil {
		return err
	}
	_, err = lambda.NewFromConfig(env.Config).DeleteFunction(ctx, &lambda.DeleteFunctionInput{
		FunctionName: aws.String(t.Function), Qualifier: aws.String(t.Qualifier)})
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}

type lambdaAlias struct{}

func aliasRouting(p props) (*types.AliasRoutingConfiguration, error) {
	rc := p.obj("RoutingConfig")
	w := map[string]float64{}
	for _, v := range rc.list("AdditionalVersionWeights") {
		f, err := toFloat(v["FunctionWeight"])
		if err != nil {
			return nil, &ValidationError{Message: "Property FunctionWeight: " + err.Error()}
		}
		w[v.str("FunctionVersion")] = f
	}
	// An empty map clears the weights on update; CreateAlias takes it too.
	return &types.AliasRoutingConfiguration{AdditionalVersionWeights: w}, nil
}

func (lambdaAlias) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "FunctionName", "FunctionVersion", "Name"); err != nil {
		return Result{}, err
	}
	rc, err := aliasRouting(p)
	if err != nil {
		return Result{}, err
	}
	out, err := lambda.NewFromConfig(env.Config).CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName: p.strp("FunctionName"), Name: p.strp("Name"), FunctionVersion: p.strp("FunctionVersion"),
		Description: p.strp("Description"), RoutingConfig: rc,
	})
	if err != nil {
		return Result{}, err
	}
	arn := aws.ToString(out.AliasArn)
	t := lambdaTarget{Function: p.str("FunctionName"), Qualifier: p.str("Name")}
	res := Result{PhysicalID: arn, State: state(t), Attrs: map[string]any{"AliasArn": arn}}
	return res, provisionedConcurrency(ctx, env, t, nil, p)
}

func (lambdaAlias) Replaces(old, new map[string]any) bool {
	return changed(old, new, "FunctionName", "Name")
}

func (lambdaAlias) Update(ctx context.Context, env Env, cur Result, old, new map[string]any) (Result, error) {
	p := props(new)
	rc, err := aliasRouting(p)
	if err != nil {
		return cur, err
	}
	t, err := loadTarget(cur)
	if err != nil {
		return cur, err
	}
	_, err = lambda.NewFromConfig(env.Config).UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName: aws.String(t.Function), Name: aws.String(t.Qualifier),
		FunctionVersion: p.strp("FunctionVersion"), Description: aws.String(p.str("Description")), RoutingConfig: rc,
	})
	if err != nil {
		return cur, err
	}
	return cur, provisionedConcurrency(ctx, env, t, old, new)
}

func (lambdaAlias) Delete(ctx context.Context, env Env, cur Result) error {
	t, err := loadTarget(cur)
	if err != nil {
		return err
	}
	_, err = lambda.NewFromConfig(env.Config).DeleteAlias(ctx, &lambda.DeleteAliasInput{
		FunctionName: aws.String(t.Function), Name: aws.String(t.Qualifier)})
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}

// lambdaPermission adds one statement to a function's policy; the statement
// id is generated as CloudFormation generates it, and every property is
// create-only.
type lambdaPermission struct{}

func (lambdaPermission) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "Action", "FunctionName", "Principal"); err != nil {
		return Result{}, err
	}
	sid := physicalName(env, 100)
	input := &lambda.AddPermissionInput{
		FunctionName: p.strp("FunctionName"), StatementId: aws.String(sid), Action: p.strp("Action"),
		Principal: p.strp("Principal"), SourceArn: p.strp("SourceArn"), SourceAccount: p.strp("SourceAccount"),
		EventSourceToken: p.strp("EventSourceToken"), PrincipalOrgID: p.strp("PrincipalOrgID"),
	}
	if a := p.str("FunctionUrlAuthType"); a != "" {
		input.FunctionUrlAuthType = types.FunctionUrlAuthType(a)
	}
	if _, err := lambda.NewFromConfig(env.Config).AddPermission(ctx, input); err != nil {
		return Result{}, err
	}
	t := lambdaTarget{Function: p.str("FunctionName"), ID: sid}
	return Result{PhysicalID: sid, State: state(t), Attrs: map[string]any{"Id": sid}}, nil
}

func (lambdaPermission) Replaces(old, new map[string]any) bool { return !sameValue(old, new) }

func (lambdaPermission) Update(_ context.Context, _ Env, cur Result, _, _ map[string]any) (Result, error) {
	return cur, nil
}

func (lambdaPermission) Delete(ctx context.Context, env Env, cur Result) error {
	t, err := loadTarget(cur)
	if err != nil {
		return err
	}
	_, err = lambda.NewFromConfig(env.Config).RemovePermission(ctx, &lambda.RemovePermissionInput{
		FunctionName: aws.String(t.Function), StatementId: aws.String(t.ID)})
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}

type lambdaESM struct{}

// esmSettings are the properties an event source mapping takes on create
// and on update alike.
type esmSettings struct {
	batch, window, retries, age, parallel, tumbling *int32
	enabled, bisect                                 *bool
	filters                                         *types.FilterCriteria
	responseTypes                                   []types.FunctionResponseType
	destination                                     *types.DestinationConfig
	scaling                                         *types.ScalingConfig
}

func readESM(p props) (esmSettings, error) {
	var s esmSettings
	var err error
	for k, dst := range map[string]**int32{
		"BatchSize": &s.batch, "MaximumBatchingWindowInSeconds": &s.window, "MaximumRetryAttempts": &s.retries,
		"MaximumRecordAgeInSeconds": &s.age, "ParallelizationFactor": &s.parallel, "TumblingWindowInSeconds": &s.tumbling,
	} {
		if *dst, err = p.int32p(k); err != nil {
			return s, err
		}
	}
	s.enabled, s.bisect = p.boolp("Enabled"), p.boolp("BisectBatchOnFunctionError")
	if fc := p.obj("FilterCriteria"); fc != nil {
		s.filters = &types.FilterCriteria{}
		for _, f := range fc.list("Filters") {
			s.filters.Filters = append(s.filters.Filters, types.Filter{Pattern: f.strp("Pattern")})
		}
	}
	for _, t := range p.strs("FunctionResponseTypes") {
		s.responseTypes = append(s.responseTypes, types.FunctionResponseType(t))
	}
	if d := p.obj("DestinationConfig").obj("OnFailure"); d != nil {
		s.destination = &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: d.strp("Destination")}}
	}
	if sc := p.obj("ScalingConfig"); sc != nil {
		n, err := sc.int32p("MaximumConcurrency")
		if err != nil {
			return s, err
		}
		s.scaling = &types.ScalingConfig{MaximumConcurrency: n}
	}
	return s, nil
}

func (lambdaESM) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "FunctionName"); err != nil {
		return Result{}, err
	}
	s, err := readESM(p)
	if err != nil {
		return Result{}, err
	}
	input := &lambda.CreateEventSourceMappingInput{
		FunctionName: p.strp("FunctionName"), EventSourceArn: p.strp("EventSourceArn"),
		BatchSize: s.batch, MaximumBatchingWindowInSeconds: s.window, MaximumRetryAttempts: s.retries,
		MaximumRecordAgeInSeconds: s.age, ParallelizationFactor: s.parallel, TumblingWindowInSeconds: s.tumbling,
		Enabled: s.enabled, BisectBatchOnFunctionError: s.bisect, FilterCriteria: s.filters,
		FunctionResponseTypes: s.responseTypes, DestinationConfig: s.destination, ScalingConfig: s.scaling,
	}
	if sp := p.str("StartingPosition"); sp != "" {
		input.StartingPosition = types.EventSourcePosition(sp)
	}
	c := lambda.NewFromConfig(env.Config)
	out, err := c.CreateEventSourceMapping(ctx, input)
	if err != nil {
		return Result{}, err
	}
	id := aws.ToString(out.UUID)
	res := Result{PhysicalID: id, Attrs: map[string]any{"Id": id, "EventSourceMappingArn": aws.ToString(out.EventSourceMappingArn)}}
	return res, waitESM(ctx, c, id, false)
}

// waitESM polls a mapping until it leaves its transitional state, or, when
// gone is set, until it no longer exists.
func waitESM(ctx context.Context, c *lambda.Client, id string, gone bool) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if gone && isCode(err, "ResourceNotFoundException") {
			return nil
		}
		if err != nil {
			return err
		}
		st := aws.ToString(out.State)
		if !gone && (st == "Enabled" || st == "Disabled") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("event source mapping %s is still %s", id, st)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (lambdaESM) Replaces(old, new map[string]any) bool {
	return changed(old, new, "EventSourceArn", "StartingPosition", "StartingPositionTimestamp",
		"SelfManagedEventSource", "AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig")
}

func (lambdaESM) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	p := props(new)
	s, err := readESM(p)
	if err != nil {
		return cur, err
	}
	if s.enabled == nil {
		s.enabled = aws.Bool(true)
	}
	if s.filters == nil {
		s.filters = &types.FilterCriteria{Filters: []types.Filter{}}
	}
	c := lambda.NewFromConfig(env.Config)
	_, err = c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{
		UUID: aws.String(cur.PhysicalID), FunctionName: p.strp("FunctionName"),
		BatchSize: s.batch, MaximumBatchingWindowInSeconds: s.window, MaximumRetryAttempts: s.retries,
		MaximumRecordAgeInSeconds: s.age, ParallelizationFactor: s.parallel, TumblingWindowInSeconds: s.tumbling,
		Enabled: s.enabled, BisectBatchOnFunctionError: s.bisect, FilterCriteria: s.filters,
		FunctionResponseTypes: s.responseTypes, DestinationConfig: s.destination, ScalingConfig: s.scaling,
	})
	if err != nil {
		return cur, err
	}
	return cur, waitESM(ctx, c, cur.PhysicalID, false)
}

func (lambdaESM) Delete(ctx context.Context, env Env, cur Result) error {
	c := lambda.NewFromConfig(env.Config)
	_, err := c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(cur.PhysicalID)})
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	if err != nil {
		return err
	}
	return waitESM(ctx, c, cur.PhysicalID, true)
}

type lambdaURL struct{}

func urlCors(p props) (*types.Cors, error) {
	c := p.obj("Cors")
	if c == nil {
		return &types.Cors{}, nil
	}
	age, err := c.int32p("MaxAge")
	if err != nil {
		return nil, err
	}
	return &types.Cors{
		AllowCredentials: c.boolp("AllowCredentials"), AllowHeaders: c.strs("AllowHeaders"),
		AllowMethods: c.strs("AllowMethods"), AllowOrigins: c.strs("AllowOrigins"),
		ExposeHeaders: c.strs("ExposeHeaders"), MaxAge: age,
	}, nil
}

func (lambdaURL) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "AuthType", "TargetFunctionArn"); err != nil {
		return Result{}, err
	}
	cors, err := urlCors(p)
	if err != nil {
		return Result{}, err
	}
	input := &lambda.CreateFunctionUrlConfigInput{
		FunctionName: p.strp("TargetFunctionArn"), Qualifier: p.strp("Qualifier"),
		AuthType: types.FunctionUrlAuthType(p.str("AuthType")), Cors: cors,
	}
	if m := p.str("InvokeMode"); m != "" {
		input.InvokeMode = types.InvokeMode(m)
	}
	out, err := lambda.NewFromConfig(env.Config).CreateFunctionUrlConfig(ctx, input)
	if err != nil {
		return Result{}, err
	}
	arn := aws.ToString(out.FunctionArn)
	t := lambdaTarget{Function: p.str("TargetFunctionArn"), Qualifier: p.str("Qualifier")}
	return Result{PhysicalID: arn, State: state(t), Attrs: map[string]any{
		"FunctionArn": arn, "FunctionUrl": aws.ToString(out.FunctionUrl),
	}}, nil
}

func (lambdaURL) Replaces(old, new map[string]any) bool {
	return changed(old, new, "TargetFunctionArn", "Qualifier")
}

func (lambdaURL) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	p := props(new)
	t, err := loadTarget(cur)
	if err != nil {
		return cur, err
	}
	cors, err := urlCors(p)
	if err != nil {
		return cur, err
	}
	input := &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String(t.Function), AuthType: types.FunctionUrlAuthType(p.str("AuthType")), Cors: cors}
	if t.Qualifier != "" {
		input.Qualifier = aws.String(t.Qualifier)
	}
	if m := p.str("InvokeMode"); m != "" {
		input.InvokeMode = types.InvokeMode(m)
	}
	_, err = lambda.NewFromConfig(env.Config).UpdateFunctionUrlConfig(ctx, input)
	return cur, err
}

func (lambdaURL) Delete(ctx context.Context, env Env, cur Result) error {
	t, err := loadTarget(cur)
	if err != nil {
		return err
	}
	input := &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String(t.Function)}
	if t.Qualifier != "" {
		input.Qualifier = aws.String(t.Qualifier)
	}
	_, err = lambda.NewFromConfig(env.Config).DeleteFunctionUrlConfig(ctx, input)
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}

type lambdaEventInvokeConfig struct{}

func invokeDestinations(p props) *types.DestinationConfig {
	d := p.obj("DestinationConfig")
	out := &types.DestinationConfig{}
	if s := d.obj("OnSuccess"); s != nil {
		out.OnSuccess = &types.OnSuccess{Destination: s.strp("Destination")}
	}
	if f := d.obj("OnFailure"); f != nil {
		out.OnFailure = &types.OnFailure{Destination: f.strp("Destination")}
	}
	return out
}

func (lambdaEventInvokeConfig) put(ctx context.Context, env Env, p props) error {
	age, err := p.int32p("MaximumEventAgeInSeconds")
	if err != nil {
		return err
	}
	retries, err := p.int32p("MaximumRetryAttempts")
	if err != nil {
		return err
	}
	// Put, not Update, so that settings the template dropped go back to
	// their defaults.
	_, err = lambda.NewFromConfig(env.Config).PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: p.strp("FunctionName"), Qualifier: p.strp("Qualifier"),
		MaximumEventAgeInSeconds: age, MaximumRetryAttempts: retries, DestinationConfig: invokeDestinations(p),
	})
	return err
}

func (e lambdaEventInvokeConfig) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "FunctionName", "Qualifier"); err != nil {
		return Result{}, err
	}
	if err := e.put(ctx, env, p); err != nil {
		return Result{}, err
	}
	t := lambdaTarget{Function: p.str("FunctionName"), Qualifier: p.str("Qualifier")}
	return Result{PhysicalID: physicalName(env, 128), State: state(t)}, nil
}

func (lambdaEventInvokeConfig) Replaces(old, new map[string]any) bool {
	return changed(old, new, "FunctionName", "Qualifier")
}

func (e lambdaEventInvokeConfig) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	return cur, e.put(ctx, env, props(new))
}

func (lambdaEventInvokeConfig) Delete(ctx context.Context, env Env, cur Result) error {
	t, err := loadTarget(cur)
	if err != nil {
		return err
	}
	_, err = lambda.NewFromConfig(env.Config).DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{
		FunctionName: aws.String(t.Function), Qualifier: aws.String(t.Qualifier)})
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}

// lambdaLayerVersion publishes a layer version; a layer version cannot be
// changed, so every property replaces it.
type lambdaLayerVersion struct{}

func (lambdaLayerVersion) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "Content"); err != nil {
		return Result{}, err
	}
	name := p.str("LayerName")
	if name == "" {
		name = physicalName(env, 140)
	}
	content := s3Code(p.obj("Content"))
	input := &lambda.PublishLayerVersionInput{
		LayerName: aws.String(name), Description: p.strp("Description"), LicenseInfo: p.strp("LicenseInfo"),
		Content: &types.LayerVersionContentInput{S3Bucket: content.S3Bucket, S3Key: content.S3Key, S3ObjectVersion: content.S3ObjectVersion},
	}
	for _, r := range p.strs("CompatibleRuntimes") {
		input.CompatibleRuntimes = append(input.CompatibleRuntimes, types.Runtime(r))
	}
	for _, a := range p.strs("CompatibleArchitectures") {
		input.CompatibleArchitectures = append(input.CompatibleArchitectures, types.Architecture(a))
	}
	out, err := lambda.NewFromConfig(env.Config).PublishLayerVersion(ctx, input)
	if err != nil {
		return Result{}, err
	}
	arn := aws.ToString(out.LayerVersionArn)
	t := lambdaTarget{Function: name, Version: out.Version}
	return Result{PhysicalID: arn, State: state(t), Attrs: map[string]any{"LayerVersionArn": arn}}, nil
}

func (lambdaLayerVersion) Replaces(old, new map[string]any) bool { return !sameValue(old, new) }

func (lambdaLayerVersion) Update(_ context.Context, _ Env, cur Result, _, _ map[string]any) (Result, error) {
	return cur, nil
}

func (lambdaLayerVersion) Delete(ctx context.Context, env Env, cur Result) error {
	t, err := loadTarget(cur)
	if err != nil {
		return err
	}
	if t.Function == "" {
		return errors.New("layer version state lost")
	}
	_, err = lambda.NewFromConfig(env.Config).DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{
		LayerName: aws.String(t.Function), VersionNumber: aws.Int64(t.Version)})
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}
