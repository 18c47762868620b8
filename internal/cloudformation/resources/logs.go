package resources

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

func init() {
	register("AWS::Logs::LogGroup", logGroup{})
}

type logGroup struct{}

func (logGroup) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	name := p.str("LogGroupName")
	if name == "" {
		name = physicalName(env, 512)
	}
	c := cloudwatchlogs.NewFromConfig(env.Config)
	tags := p.tags("Tags")
	if len(tags) == 0 {
		tags = nil
	}
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), KmsKeyId: p.strp("KmsKeyId"), Tags: tags}); err != nil {
		return Result{}, err
	}
	res := Result{PhysicalID: name, Attrs: map[string]any{
		"Arn": "arn:aws:logs:" + env.Region + ":" + env.AccountID + ":log-group:" + name + ":*",
	}}
	return res, putRetention(ctx, c, name, nil, p)
}

// putRetention sets the retention the template names, or removes it (never
// expire) when the property went away.
func putRetention(ctx context.Context, c *cloudwatchlogs.Client, name string, old, new props) error {
	if !changed(old, new, "RetentionInDays") {
		return nil
	}
	days, err := new.int32p("RetentionInDays")
	if err != nil {
		return err
	}
	if days == nil {
		_, err = c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String(name)})
		return err
	}
	_, err = c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(name), RetentionInDays: days})
	return err
}

func (logGroup) Replaces(old, new map[string]any) bool {
	return changed(old, new, "LogGroupName", "LogGroupClass")
}

func (logGroup) Update(ctx context.Context, env Env, cur Result, old, new map[string]any) (Result, error) {
	return cur, putRetention(ctx, cloudwatchlogs.NewFromConfig(env.Config), cur.PhysicalID, old, new)
}

func (logGroup) Delete(ctx context.Context, env Env, cur Result) error {
	_, err := cloudwatchlogs.NewFromConfig(env.Config).DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(cur.PhysicalID)})
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}
