package resources

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func init() {
	register("AWS::Lambda::Function", lambdaFunction{})
}

// lambdaWait bounds how long Create and Update wait for a function to leave
// Pending or InProgress.
const lambdaWait = 5 * time.Minute

type lambdaFunction struct{}

// lambdaCode is the FunctionCode of the Code property. An inline ZipFile is
// zipped into index.js or index.py, the file CloudFormation writes for it.
func lambdaCode(ctx context.Context, env Env, p props) (*types.FunctionCode, error) {
	code := p.obj("Code")
	if code == nil {
		return nil, requireProps(env, p, "Code")
	}
	if code.has("ZipFile") {
		runtime := p.str("Runtime")
		var file string
		switch {
		case strings.HasPrefix(runtime, "nodejs"):
			file = "index.js"
		case strings.HasPrefix(runtime, "python"):
			file = "index.py"
		default:
			return nil, &ValidationError{Message: "ZipFile can only be used when Runtime is set to either of nodejs or python runtimes"}
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		h := &zip.FileHeader{Name: file, Method: zip.Deflate, Modified: time.Now()}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = w.Write([]byte(code.str("ZipFile")))
		}
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			return nil, err
		}
		return &types.FunctionCode{ZipFile: buf.Bytes()}, nil
	}
	if code.has("S3Bucket") || code.has("S3Key") {
		return s3Code(code), nil
	}
	return &types.FunctionCode{ImageUri: code.strp("ImageUri")}, nil
}

// s3Code is a Code (or a layer's Content) naming an object in S3, passed on for
// Lambda to read, as CloudFormation does: Lambda's error for an object it
// cannot read is the resource's failure.
func s3Code(code props) *types.FunctionCode {
	return &types.FunctionCode{S3Bucket: code.strp("S3Bucket"), S3Key: code.strp("S3Key"), S3ObjectVersion: code.strp("S3ObjectVersion")}
}

// lambdaConfig is every configuration setting of a function, defaults filled
// in for absent properties so that an update also undoes removed ones.
type lambdaConfig struct {
	handler, runtime, role, description *string
	memory, timeout, ephemeral          *int32
	env                                 map[string]string
	layers                              []string
	tracing                             types.TracingMode
	dlq                                 *string
	kms                                 *string
	imageConfig                         *types.ImageConfig
	logging                             *types.LoggingConfig
}

func readLambdaConfig(p props) (lambdaConfig, error) {
	c := lambdaConfig{
		handler: p.strp("Handler"), runtime: p.strp("Runtime"), role: p.strp("Role"),
		description: aws.String(p.str("Description")),
		env:         map[string]string{},
		layers:      p.strs("Layers"),
		tracing:     types.TracingModePassThrough,
		dlq:         aws.String(p.obj("DeadLetterConfig").str("TargetArn")),
		kms:         p.strp("KmsKeyArn"),
	}
	var err error
	if c.layers == nil {
		// An empty list, not an absent one, removes the layers on update.
		c.layers = []string{}
	}
	if c.memory, err = p.int32p("MemorySize"); err != nil {
		return c, err
	}
	if c.timeout, err = p.int32p("Timeout"); err != nil {
		return c, err
	}
	if c.ephemeral, err = p.obj("EphemeralStorage").int32p("Size"); err != nil {
		return c, err
	}
	if c.memory == nil {
		c.memory = aws.Int32(128)
	}
	if c.timeout == nil {
		c.timeout = aws.Int32(3)
	}
	if c.ephemeral == nil {
		c.ephemeral = aws.Int32(512)
	}
	for k, v := range p.obj("Environment").obj("Variables") {
		c.env[k] = scalarString(v)
	}
	if m := p.obj("TracingConfig").str("Mode"); m != "" {
		c.tracing = types.TracingMode(m)
	}
	// Lambda's defaults (Text, /aws/lambda/<name>) when the template has none,
	// so that removing it on update goes back to them.
	c.logging = &types.LoggingConfig{LogFormat: types.LogFormatText}
	if lc := p.obj("LoggingConfig"); lc != nil {
		c.logging = &types.LoggingConfig{LogFormat: types.LogFormat(lc.str("LogFormat")), LogGroup: lc.strp("LogGroup"),
			ApplicationLogLevel: types.ApplicationLogLevel(lc.str("ApplicationLogLevel")), SystemLogLevel: types.SystemLogLevel(lc.str("SystemLogLevel"))}
	}
	if ic := p.obj("ImageConfig"); ic != nil {
		c.imageConfig = &types.ImageConfig{Command: ic.strs("Command"), EntryPoint: ic.strs("EntryPoint"), WorkingDirectory: ic.strp("WorkingDirectory")}
	}
	return c, nil
}

func (lambdaFunction) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "Code", "Role"); err != nil {
		return Result{}, err
	}
	code, err := lambdaCode(ctx, env, p)
	if err != nil {
		return Result{}, err
	}
	cfg, err := readLambdaConfig(p)
	if err != nil {
		return Result{}, err
	}
	name := p.str("FunctionName")
	if name == "" {
		name = physicalName(env, 64)
	}
	input := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Code: code, Role: cfg.role,
		Handler: cfg.handler, Runtime: types.Runtime(aws.ToString(cfg.runtime)),
		Description: cfg.description, MemorySize: cfg.memory, Timeout: cfg.timeout,
		EphemeralStorage: &types.EphemeralStorage{Size: cfg.ephemeral},
		Layers:           cfg.layers, KMSKeyArn: cfg.kms, ImageConfig: cfg.imageConfig,
		TracingConfig: &types.TracingConfig{Mode: cfg.tracing},
		Tags:          p.tags("Tags"),
	}
	if p.has("LoggingConfig") {
		input.LoggingConfig = cfg.logging
	}
	if len(cfg.env) > 0 {
		input.Environment = &types.Environment{Variables: cfg.env}
	}
	if aws.ToString(cfg.dlq) != "" {
		input.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: cfg.dlq}
	}
	if code.ImageUri != nil {
		input.PackageType = types.PackageTypeImage
	}
	if pt := p.str("PackageType"); pt != "" {
		input.PackageType = types.PackageType(pt)
	}
	for _, a := range p.strs("Architectures") {
		input.Architectures = append(input.Architectures, types.Architecture(a))
	}
	c := lambda.NewFromConfig(env.Config)
	out, err := c.CreateFunction(ctx, input)
	if err != nil {
		return Result{}, err
	}
	res := Result{PhysicalID: name, Attrs: map[string]any{"Arn": aws.ToString(out.FunctionArn)}}
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, lambdaWait); err != nil {
		return res, err
	}
	if err := putReservedConcurrency(ctx, c, name, nil, p); err != nil {
		return res, err
	}
	return res, nil
}

// putReservedConcurrency sets or, when the property went away, removes the
// function's reserved concurrency.
func putReservedConcurrency(ctx context.Context, c *lambda.Client, name string, old, new props) error {
	if !changed(old, new, "ReservedConcurrentExecutions") {
		return nil
	}
	n, err := new.int32p("ReservedConcurrentExecutions")
	if err != nil {
		return err
	}
	if n == nil {
		_, err = c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(name)})
		return err
	}
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: n})
	return err
}

func (lambdaFunction) Replaces(old, new map[string]any) bool {
	return changed(old, new, "FunctionName", "PackageType")
}

var lambdaConfigProps = []string{"Handler", "Runtime", "Role", "Description", "MemorySize", "Timeout",
	"EphemeralStorage", "Environment", "Layers", "TracingConfig", "DeadLetterConfig", "KmsKeyArn", "ImageConfig", "LoggingConfig"}

func (lambdaFunction) Update(ctx context.Context, env Env, cur Result, oldIn, newIn map[string]any) (Result, error) {
	old, p := props(oldIn), props(newIn)
	if err := requireProps(env, p, "Code", "Role"); err != nil {
		return cur, err
	}
	c := lambda.NewFromConfig(env.Config)
	name := aws.String(cur.PhysicalID)
	wait := func() error {
		return lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: name}, lambdaWait)
	}
	if changed(old, p, "Code", "Architectures") || (p.obj("Code").has("ZipFile") && changed(old, p, "Runtime")) {
		code, err := lambdaCode(ctx, env, p)
		if err != nil {
			return cur, err
		}
		in := &lambda.UpdateFunctionCodeInput{FunctionName: name, ZipFile: code.ZipFile, ImageUri: code.ImageUri,
			S3Bucket: code.S3Bucket, S3Key: code.S3Key, S3ObjectVersion: code.S3ObjectVersion}
		for _, a := range p.strs("Architectures") {
			in.Architectures = append(in.Architectures, types.Architecture(a))
		}
		if _, err := c.UpdateFunctionCode(ctx, in); err != nil {
			return cur, err
		}
		if err := wait(); err != nil {
			return cur, err
		}
	}
	if changed(old, p, lambdaConfigProps...) {
		cfg, err := readLambdaConfig(p)
		if err != nil {
			return cur, err
		}
		in := &lambda.UpdateFunctionConfigurationInput{FunctionName: name, Role: cfg.role,
			Handler: cfg.handler, Runtime: types.Runtime(aws.ToString(cfg.runtime)),
			Description: cfg.description, MemorySize: cfg.memory, Timeout: cfg.timeout,
			EphemeralStorage: &types.EphemeralStorage{Size: cfg.ephemeral},
			Layers:           cfg.layers, KMSKeyArn: cfg.kms, ImageConfig: cfg.imageConfig,
			TracingConfig:    &types.TracingConfig{Mode: cfg.tracing},
			Environment:      &types.Environment{Variables: cfg.env},
			DeadLetterConfig: &types.DeadLetterConfig{TargetArn: cfg.dlq},
			LoggingConfig:    cfg.logging,
		}
		if _, err := c.UpdateFunctionConfiguration(ctx, in); err != nil {
			return cur, err
		}
		if err := wait(); err != nil {
			return cur, err
		}
	}
	if err := putReservedConcurrency(ctx, c, cur.PhysicalID, old, p); err != nil {
		return cur, err
	}
	if changed(old, p, "Tags") {
		arn, _ := cur.Attrs["Arn"].(string)
		if err := retagLambda(ctx, c, arn, old.tags("Tags"), p.tags("Tags")); err != nil {
			return cur, err
		}
	}
	return cur, nil
}

// retagLambda moves a Lambda resource's tags from old to new.
func retagLambda(ctx context.Context, c *lambda.Client, arn string, old, new map[string]string) error {
	return retag(old, new, func(keys []string) error {
		_, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: keys})
		return err
	}, func(tags map[string]string) error {
		_, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: tags})
		return err
	})
}

func (lambdaFunction) Delete(ctx context.Context, env Env, cur Result) error {
	_, err := lambda.NewFromConfig(env.Config).DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(cur.PhysicalID)})
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}
