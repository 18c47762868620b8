package resources

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func init() {
	register("AWS::S3::Bucket", s3Bucket{})
	register("AWS::S3::BucketPolicy", s3BucketPolicy{})
}

// s3Client addresses buckets by path: a custom endpoint has no wildcard DNS
// for virtual-hosted names.
func s3Client(env Env) *s3.Client {
	return s3.NewFromConfig(env.Config, func(o *s3.Options) { o.UsePathStyle = true })
}

type s3Bucket struct{}

func (b s3Bucket) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	name := p.str("BucketName")
	if name == "" {
		name = strings.ToLower(physicalName(env, 63))
	}
	c := s3Client(env)
	input := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if env.Region != "" && env.Region != "us-east-1" {
		input.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(env.Region)}
	}
	if _, err := c.CreateBucket(ctx, input); err != nil {
		return Result{}, err
	}
	res := Result{PhysicalID: name, Attrs: map[string]any{
		"Arn":                 "arn:aws:s3:::" + name,
		"DomainName":          name + ".s3.amazonaws.com",
		"RegionalDomainName":  name + ".s3." + env.Region + ".amazonaws.com",
		"DualStackDomainName": name + ".s3.dualstack." + env.Region + ".amazonaws.com",
		"WebsiteURL":          "http://" + name + ".s3-website-" + env.Region + ".amazonaws.com",
	}}
	return res, b.configure(ctx, c, name, nil, p)
}

// configure brings each configuration the template names from old to new,
// removing the ones it dropped.
func (s3Bucket) configure(ctx context.Context, c *s3.Client, name string, old, p props) error {
	bucket := aws.String(name)
	if changed(old, p, "VersioningConfiguration") && (p.has("VersioningConfiguration") || old.has("VersioningConfiguration")) {
		status := types.BucketVersioningStatus(p.obj("VersioningConfiguration").str("Status"))
		if status == "" {
			// A versioned bucket never goes back to unversioned; it is suspended.
			status = types.BucketVersioningStatusSuspended
		}
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bucket,
			VersioningConfiguration: &types.VersioningConfiguration{Status: status}}); err != nil {
			return err
		}
	}
	if changed(old, p, "Tags") {
		var tags []types.Tag
		for _, t := range p.list("Tags") {
			tags = append(tags, types.Tag{Key: t.strp("Key"), Value: aws.String(t.str("Value"))})
		}
		var err error
		if len(tags) == 0 {
			_, err = c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: bucket})
		} else {
			_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bucket, Tagging: &types.Tagging{TagSet: tags}})
		}
		if err != nil {
			return err
		}
	}
	if changed(old, p, "CorsConfiguration") {
		if err := putCors(ctx, c, bucket, p.obj("CorsConfiguration")); err != nil {
			return err
		}
	}
	if changed(old, p, "LifecycleConfiguration") {
		if err := putLifecycle(ctx, c, bucket, p.obj("LifecycleConfiguration")); err != nil {
			return err
		}
	}
	if changed(old, p, "NotificationConfiguration") {
		if _, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: bucket,
			NotificationConfiguration: notifications(p.obj("NotificationConfiguration"))}); err != nil {
			return err
		}
	}
	return nil
}

func putCors(ctx context.Context, c *s3.Client, bucket *string, cfg props) error {
	if cfg == nil {
		_, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: bucket})
		return err
	}
	var rules []types.CORSRule
	for _, r := range cfg.list("CorsRules") {
		age, err := r.int32p("MaxAge")
		if err != nil {
			return err
		}
		rules = append(rules, types.CORSRule{ID: r.strp("Id"), AllowedHeaders: r.strs("AllowedHeaders"), AllowedMethods: r.strs("AllowedMethods"),
			AllowedOrigins: r.strs("AllowedOrigins"), ExposeHeaders: r.strs("ExposedHeaders"), MaxAgeSeconds: age})
	}
	_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: bucket, CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}})
	return err
}

// putLifecycle translates CloudFormation's rule shape (Prefix, TagFilters,
// ExpirationInDays ... at the top of a rule) into S3's (a Filter element).
func putLifecycle(ctx context.Context, c *s3.Client, bucket *string, cfg props) error {
	if cfg == nil {
		_, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: bucket})
		return err
	}
	var rules []types.LifecycleRule
	for _, r := range cfg.list("Rules") {
		rule := types.LifecycleRule{ID: r.strp("Id"), Status: types.ExpirationStatus(r.str("Status"))}
		var and types.LifecycleRuleAndOperator
		n := 0
		if r.has("Prefix") {
			and.Prefix, n = r.strp("Prefix"), n+1
		}
		for _, t := range r.list("TagFilters") {
			and.Tags, n = append(and.Tags, types.Tag{Key: t.strp("Key"), Value: aws.String(t.str("Value"))}), n+1
		}
		var err error
		if and.ObjectSizeGreaterThan, err = r.int64p("ObjectSizeGreaterThan"); err != nil {
			return err
		}
		if and.ObjectSizeLessThan, err = r.int64p("ObjectSizeLessThan"); err != nil {
			return err
		}
		switch {
		case n == 1 && and.Prefix != nil && and.ObjectSizeGreaterThan == nil && and.ObjectSizeLessThan == nil:
			rule.Filter = &types.LifecycleRuleFilter{Prefix: and.Prefix}
		case n == 1 && len(and.Tags) == 1 && and.ObjectSizeGreaterThan == nil && and.ObjectSizeLessThan == nil:
			rule.Filter = &types.LifecycleRuleFilter{Tag: &and.Tags[0]}
		case n == 0 && and.ObjectSizeGreaterThan != nil && and.ObjectSizeLessThan == nil:
			rule.Filter = &types.LifecycleRuleFilter{ObjectSizeGreaterThan: and.ObjectSizeGreaterThan}
		case n == 0 && and.ObjectSizeLessThan != nil && and.ObjectSizeGreaterThan == nil:
			rule.Filter = &types.LifecycleRuleFilter{ObjectSizeLessThan: and.ObjectSizeLessThan}
		case n == 0 && and.ObjectSizeGreaterThan == nil && and.ObjectSizeLessThan == nil:
			rule.Filter = &types.LifecycleRuleFilter{Prefix: aws.String("")}
		default:
			rule.Filter = &types.LifecycleRuleFilter{And: &and}
		}
		days, err := r.int32p("ExpirationInDays")
		if err != nil {
			return err
		}
		if days != nil || r.has("ExpirationDate") || r.has("ExpiredObjectDeleteMarker") {
			rule.Expiration = &types.LifecycleExpiration{Days: days, ExpiredObjectDeleteMarker: r.boolp("ExpiredObjectDeleteMarker")}
			if d := r.str("ExpirationDate"); d != "" {
				t, err := time.Parse(time.RFC3339, d)
				if err != nil {
					t, err = time.Parse("2006-01-02", d)
				}
				if err != nil {
					return &ValidationError{Message: "ExpirationDate " + d + " is not an ISO 8601 date"}
				}
				rule.Expiration.Date = &t
			}
		}
		nc, err := r.int32p("NoncurrentVersionExpirationInDays")
		if err != nil {
			return err
		}
		if nve := r.obj("NoncurrentVersionExpiration"); nve != nil {
			if nc, err = nve.int32p("NoncurrentDays"); err != nil {
				return err
			}
		}
		if nc != nil {
			rule.NoncurrentVersionExpiration = &types.NoncurrentVersionExpiration{NoncurrentDays: nc}
		}
		if a := r.obj("AbortIncompleteMultipartUpload"); a != nil {
			d, err := a.int32p("DaysAfterInitiation")
			if err != nil {
				return err
			}
			rule.AbortIncompleteMultipartUpload = &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: d}
		}
		rules = append(rules, rule)
	}
	_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: bucket,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
	return err
}

// notifications is the NotificationConfiguration property in S3's shape; an
// absent property is the empty configuration, which turns them all off.
func notifications(cfg props) *types.NotificationConfiguration {
	out := &types.NotificationConfiguration{}
	filter := func(p props) *types.NotificationConfigurationFilter {
		f := p.obj("Filter").obj("S3Key")
		if f == nil {
			return nil
		}
		var rules []types.FilterRule
		for _, r := range f.list("Rules") {
			rules = append(rules, types.FilterRule{Name: types.FilterRuleName(strings.ToLower(r.str("Name"))), Value: r.strp("Value")})
		}
		return &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: rules}}
	}
	for _, l := range cfg.list("LambdaConfigurations") {
		out.LambdaFunctionConfigurations = append(out.LambdaFunctionConfigurations, types.LambdaFunctionConfiguration{
			LambdaFunctionArn: l.strp("Function"), Events: []types.Event{types.Event(l.str("Event"))}, Filter: filter(l)})
	}
	for _, q := range cfg.list("QueueConfigurations") {
		out.QueueConfigurations = append(out.QueueConfigurations, types.QueueConfiguration{
			QueueArn: q.strp("Queue"), Events: []types.Event{types.Event(q.str("Event"))}, Filter: filter(q)})
	}
	for _, t := range cfg.list("TopicConfigurations") {
		out.TopicConfigurations = append(out.TopicConfigurations, types.TopicConfiguration{
			TopicArn: t.strp("Topic"), Events: []types.Event{types.Event(t.str("Event"))}, Filter: filter(t)})
	}
	if eb := cfg.obj("EventBridgeConfiguration"); eb != nil && (!eb.has("EventBridgeEnabled") || toBool(eb["EventBridgeEnabled"])) {
		out.EventBridgeConfiguration = &types.EventBridgeConfiguration{}
	}
	return out
}

func (s3Bucket) Replaces(old, new map[string]any) bool {
	return changed(old, new, "BucketName", "ObjectLockEnabled")
}

func (b s3Bucket) Update(ctx context.Context, env Env, cur Result, old, new map[string]any) (Result, error) {
	return cur, b.configure(ctx, s3Client(env), cur.PhysicalID, old, new)
}

// Delete fails with S3's BucketNotEmpty when objects remain, as
// CloudFormation's does: it never empties a bucket.
func (s3Bucket) Delete(ctx context.Context, env Env, cur Result) error {
	_, err := s3Client(env).DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(cur.PhysicalID)})
	if isCode(err, "NoSuchBucket") {
		return nil
	}
	return err
}

type s3BucketPolicy struct{}

func (s3BucketPolicy) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "Bucket", "PolicyDocument"); err != nil {
		return Result{}, err
	}
	doc, err := p.jsonDoc("PolicyDocument")
	if err != nil {
		return Result{}, err
	}
	if _, err := s3Client(env).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: p.strp("Bucket"), Policy: aws.String(doc)}); err != nil {
		return Result{}, err
	}
	// The policy has no name of its own; CloudFormation's physical id is the
	// bucket's.
	return Result{PhysicalID: p.str("Bucket")}, nil
}

func (s3BucketPolicy) Replaces(old, new map[string]any) bool { return changed(old, new, "Bucket") }

func (s3BucketPolicy) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	doc, err := props(new).jsonDoc("PolicyDocument")
	if err != nil {
		return cur, err
	}
	_, err = s3Client(env).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(cur.PhysicalID), Policy: aws.String(doc)})
	return cur, err
}

func (s3BucketPolicy) Delete(ctx context.Context, env Env, cur Result) error {
	_, err := s3Client(env).DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(cur.PhysicalID)})
	if isCode(err, "NoSuchBucket", "NoSuchBucketPolicy") {
		return nil
	}
	return err
}
