package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/blob"
)

// deployOptions are the flags `stratus deploy` and `stratus dev` share.
type deployOptions struct {
	Template  string // absolute path
	StackName string
	Params    map[string]string
	Endpoint  string
	Region    string
	Output    string // text or json
}

// parseDeployFlags reads `stratus NAME template.yaml [flags]`. The template
// may come before or after the flags, and --parameter-overrides takes every
// K=V argument after it, as the aws CLI's does.
func parseDeployFlags(name string, args []string, stderr io.Writer) (*deployOptions, error) {
	o := &deployOptions{Params: map[string]string{}}
	fs := flag.NewFlagSet("stratus "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.StackName, "stack-name", "", "stack name (default: the template directory's name)")
	fs.StringVar(&o.Endpoint, "endpoint-url", envOr("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"), "Stratus endpoint URL")
	fs.StringVar(&o.Region, "region", envOr("AWS_REGION", envOr("AWS_DEFAULT_REGION", "us-east-1")), "region")
	fs.StringVar(&o.Output, "output", "text", "text or json")
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a != "--parameter-overrides" && a != "-parameter-overrides" {
			rest = append(rest, a)
			continue
		}
		n := 0
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && strings.Contains(args[i+1], "=") {
			i++
			k, v, _ := strings.Cut(args[i], "=")
			o.Params[k] = v
			n++
		}
		if n == 0 {
			return nil, errors.New("--parameter-overrides needs KEY=VALUE arguments")
		}
	}
	var positional []string
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return nil, fmt.Errorf("usage: stratus %s template.yaml [--stack-name N] [--parameter-overrides K=V ...] [--endpoint-url URL] [--region R] [--output json]", name)
	}
	if o.Output != "text" && o.Output != "json" {
		return nil, fmt.Errorf("--output must be text or json, not %q", o.Output)
	}
	p, err := filepath.Abs(positional[0])
	if err != nil {
		return nil, err
	}
	o.Template = p
	if o.StackName == "" {
		o.StackName = stackNameFor(filepath.Base(filepath.Dir(p)))
	}
	return o, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

var notStackChar = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// stackNameFor makes a valid stack name (a letter, then letters, digits and
// hyphens) of a directory name.
func stackNameFor(dir string) string {
	s := strings.Trim(notStackChar.ReplaceAllString(dir, "-"), "-")
	if s == "" || !(s[0] >= 'A' && s[0] <= 'Z' || s[0] >= 'a' && s[0] <= 'z') {
		s = "app-" + s
	}
	return strings.TrimSuffix(s, "-")
}

// clients are the API clients of one endpoint and region.
type clients struct {
	cfn    *cloudformation.Client
	s3     *s3.Client
	lambda *lambda.Client
	region string
}

// newClients builds clients from the usual AWS configuration (env vars,
// shared files). With none configured it signs with a throwaway key, which
// any server without --auth strict accepts, rather than waiting on an
// instance metadata service that a laptop does not have.
func newClients(ctx context.Context, o *deployOptions) (*clients, error) {
	var cfg aws.Config
	if os.Getenv("AWS_ACCESS_KEY_ID") != "" || os.Getenv("AWS_PROFILE") != "" || sharedConfigExists() {
		var err error
		if cfg, err = config.LoadDefaultConfig(ctx, config.WithRegion(o.Region)); err != nil {
			return nil, err
		}
	} else {
		cfg = aws.Config{Region: o.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	}
	ep := aws.String(strings.TrimSuffix(o.Endpoint, "/"))
	return &clients{
		cfn:    cloudformation.NewFromConfig(cfg, func(c *cloudformation.Options) { c.BaseEndpoint = ep }),
		s3:     s3.NewFromConfig(cfg, func(c *s3.Options) { c.BaseEndpoint, c.UsePathStyle = ep, true }),
		lambda: lambda.NewFromConfig(cfg, func(c *lambda.Options) { c.BaseEndpoint = ep }),
		region: o.Region,
	}, nil
}

func sharedConfigExists() bool {
	for _, f := range []string{config.DefaultSharedCredentialsFilename(), config.DefaultSharedConfigFilename()} {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	return os.Getenv("AWS_SHARED_CREDENTIALS_FILE") != "" || os.Getenv("AWS_CONFIG_FILE") != ""
}

// deployResult is a finished deployment.
type deployResult struct {
	Stack     string            `json:"StackName"`
	Status    string            `json:"Status"`
	NoChanges bool              `json:"NoChanges,omitempty"`
	Outputs   map[string]string `json:"Outputs"`
	pkg       *packaged
}

// errDeployFailed is the error of a stack operation that failed; the
// failing resources' reasons are in the wrapping error's text.
var errDeployFailed = errors.New("deploy failed")

// deploy packages the template and creates or updates its stack through a
// change set, waiting for the stack to settle. A change set without changes
// is not an error (NoChanges). A stack left in ROLLBACK_COMPLETE by a failed
// first deploy can only be deleted, so it is deleted and created again, a
// step reported on log.
func deploy(ctx context.Context, cl *clients, o *deployOptions, log io.Writer) (*deployResult, error) {
	bucket := deployBucket(cl.region)
	if err := ensureBucket(ctx, cl.s3, bucket, cl.region); err != nil {
		return nil, err
	}
	pkg, err := packageTemplate(ctx, cl.s3, bucket, o.Template)
	if err != nil {
		return nil, err
	}
	in := &cloudformation.CreateChangeSetInput{
		StackName:     aws.String(o.StackName),
		ChangeSetName: aws.String(fmt.Sprintf("stratus-%d", time.Now().UnixNano())),
		Capabilities:  []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam, cfntypes.CapabilityCapabilityAutoExpand},
		ChangeSetType: cfntypes.ChangeSetTypeCreate,
	}
	// CloudFormation takes at most 51,200 bytes inline; a larger template
	// goes to the deploy bucket, as `aws cloudformation deploy --s3-bucket`.
	if len(pkg.Body) <= 51200 {
		in.TemplateBody = aws.String(pkg.Body)
	} else {
		key := "templates/" + blob.Digest([]byte(pkg.Body)) + ".json"
		if err := upload(ctx, cl.s3, bucket, key, []byte(pkg.Body)); err != nil {
			return nil, err
		}
		in.TemplateURL = aws.String(strings.TrimSuffix(o.Endpoint, "/") + "/" + bucket + "/" + key)
	}
	st, err := describeStack(ctx, cl.cfn, o.StackName)
	if err != nil {
		return nil, err
	}
	if st != nil && st.StackStatus == cfntypes.StackStatusRollbackComplete {
		fmt.Fprintf(log, "stack %s is ROLLBACK_COMPLETE from a failed create: deleting it\n", o.StackName)
		if _, err := cl.cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(o.StackName)}); err != nil {
			return nil, err
		}
		if st, err = waitStackSettled(ctx, cl.cfn, o.StackName); err != nil {
			return nil, err
		}
	}
	templateParams := map[string]bool{}
	if doc, err := readTemplate(o.Template); err == nil {
		if ps, ok := doc["Parameters"].(map[string]any); ok {
			for k := range ps {
				templateParams[k] = true
			}
		}
	}
	for k, v := range o.Params {
		in.Parameters = append(in.Parameters, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	if st != nil && st.StackStatus != cfntypes.StackStatusReviewInProgress {
		in.ChangeSetType = cfntypes.ChangeSetTypeUpdate
		// An update keeps the values given before unless overridden, as
		// `aws cloudformation deploy` does.
		for _, p := range st.Parameters {
			k := aws.ToString(p.ParameterKey)
			if _, given := o.Params[k]; !given && templateParams[k] {
				in.Parameters = append(in.Parameters, cfntypes.Parameter{ParameterKey: p.ParameterKey, UsePreviousValue: aws.Bool(true)})
			}
		}
	}
	sort.Slice(in.Parameters, func(i, j int) bool {
		return aws.ToString(in.Parameters[i].ParameterKey) < aws.ToString(in.Parameters[j].ParameterKey)
	})
	cs, err := cl.cfn.CreateChangeSet(ctx, in)
	if err != nil {
		return nil, apiMessage(err)
	}
	res := &deployResult{Stack: o.StackName, pkg: pkg}
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, pollMax) {
		d, err := cl.cfn.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: cs.Id, StackName: aws.String(o.StackName)})
		if err != nil {
			return nil, apiMessage(err)
		}
		if d.Status == cfntypes.ChangeSetStatusCreateComplete {
			break
		}
		if d.Status == cfntypes.ChangeSetStatusFailed {
			reason := aws.ToString(d.StatusReason)
			if strings.Contains(reason, "didn't contain changes") || strings.Contains(reason, "No updates are to be performed") {
				cl.cfn.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: cs.Id, StackName: aws.String(o.StackName)}) //nolint:errcheck // a leftover failed change set is harmless
				res.NoChanges = true
				st, err := describeStack(ctx, cl.cfn, o.StackName)
				if err != nil {
					return nil, err
				}
				res.Status, res.Outputs = string(st.StackStatus), outputMap(st)
				return res, nil
			}
			return nil, fmt.Errorf("%w: change set: %s", errDeployFailed, reason)
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
	if _, err := cl.cfn.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: cs.Id, StackName: aws.String(o.StackName)}); err != nil {
		return nil, apiMessage(err)
	}
	if st, err = waitStackSettled(ctx, cl.cfn, o.StackName); err != nil {
		return nil, err
	}
	res.Status, res.Outputs = string(st.StackStatus), outputMap(st)
	if st.StackStatus != cfntypes.StackStatusCreateComplete && st.StackStatus != cfntypes.StackStatusUpdateComplete {
		return res, fmt.Errorf("%w: stack %s is %s\n%s", errDeployFailed, o.StackName, st.StackStatus, failureReasons(ctx, cl.cfn, o.StackName))
	}
	return res, nil
}

// failureReasons renders the failed resources of the stack's last
// operation, one line each: the events newer than the operation's start
// (the stack's own first *_IN_PROGRESS event, User Initiated).
func failureReasons(ctx context.Context, cl *cloudformation.Client, stack string) string {
	var lines []string
	p := cloudformation.NewDescribeStackEventsPaginator(cl, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stack)})
pages:
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return "  (events unreadable: " + err.Error() + ")"
		}
		for _, e := range out.StackEvents {
			status := string(e.ResourceStatus)
			if aws.ToString(e.LogicalResourceId) == stack && aws.ToString(e.ResourceType) == "AWS::CloudFormation::Stack" &&
				(status == "CREATE_IN_PROGRESS" || status == "UPDATE_IN_PROGRESS" || status == "DELETE_IN_PROGRESS") && aws.ToString(e.ResourceStatusReason) == "User Initiated" {
				break pages
			}
			if strings.HasSuffix(status, "_FAILED") && aws.ToString(e.ResourceType) != "AWS::CloudFormation::Stack" {
				lines = append(lines, fmt.Sprintf("  %s %s %s: %s", aws.ToString(e.LogicalResourceId), aws.ToString(e.ResourceType), status, aws.ToString(e.ResourceStatusReason)))
			}
		}
	}
	// Events come newest first; the report reads in the order things failed.
	for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
		lines[i], lines[j] = lines[j], lines[i]
	}
	if len(lines) == 0 {
		return "  (no resource failed; see DescribeStackEvents)"
	}
	return strings.Join(lines, "\n")
}

// apiMessage shortens an SDK error to the API's code and message, which is
// what a user needs from a CLI (ValidationError: Template format error: ...).
func apiMessage(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%w: %s: %s", errDeployFailed, ae.ErrorCode(), ae.ErrorMessage())
	}
	return err
}

// describeStack returns the stack, or nil if there is none.
func describeStack(ctx context.Context, cl *cloudformation.Client, name string) (*cfntypes.Stack, error) {
	out, err := cl.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist") {
		return nil, nil
	}
	if err != nil {
		return nil, apiMessage(err)
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// waitStackSettled polls the stack until no operation is in progress and
// returns it; a deleted stack returns nil.
func waitStackSettled(ctx context.Context, cl *cloudformation.Client, name string) (*cfntypes.Stack, error) {
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, pollMax) {
		st, err := describeStack(ctx, cl, name)
		if err != nil || st == nil {
			return st, err
		}
		if st.StackStatus == cfntypes.StackStatusDeleteComplete {
			return nil, nil
		}
		if !strings.HasSuffix(string(st.StackStatus), "_IN_PROGRESS") || st.StackStatus == cfntypes.StackStatusReviewInProgress {
			return st, nil
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

func outputMap(st *cfntypes.Stack) map[string]string {
	m := map[string]string{}
	for _, o := range st.Outputs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m
}

// pollMax bounds the wait between polls of a change set or stack: a local
// server finishes a stack in tens of milliseconds, and a longer backoff
// would be most of a deploy's time.
const pollMax = 25 * time.Millisecond

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// printResult writes the outputs, one "Key<TAB>Value" line each in key
// order (so `awk -F'\t'` picks them), or the whole result as JSON.
func printResult(w io.Writer, output string, r *deployResult) error {
	if output == "json" {
		return json.NewEncoder(w).Encode(r)
	}
	keys := make([]string, 0, len(r.Outputs))
	for k := range r.Outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\n", k, r.Outputs[k])
	}
	return nil
}

// deployCmd is `stratus deploy`: package, deploy, print the outputs. The
// status line goes to stderr, so stdout holds only the outputs.
func deployCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseDeployFlags("deploy", args, stderr)
	if err != nil {
		return err
	}
	cl, err := newClients(ctx, o)
	if err != nil {
		return err
	}
	t0 := time.Now()
	res, err := deploy(ctx, cl, o, stderr)
	if err != nil {
		return err
	}
	if res.NoChanges {
		fmt.Fprintf(stderr, "No changes to deploy. Stack %s is up to date\n", o.StackName)
	} else {
		fmt.Fprintf(stderr, "stack %s %s in %s\n", o.StackName, res.Status, time.Since(t0).Round(time.Millisecond))
	}
	return printResult(stdout, o.Output, res)
}
