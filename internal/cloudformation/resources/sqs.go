package resources

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func init() {
	register("AWS::SQS::Queue", sqsQueue{})
	register("AWS::SQS::QueuePolicy", sqsQueuePolicy)
}

// sqsDefaults are the values SQS gives the attributes a template leaves
// out; an update that drops one sets it back. "" means the attribute is
// cleared.
var sqsDefaults = map[string]string{
	"DelaySeconds": "0", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600",
	"ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "RedrivePolicy": "", "RedriveAllowPolicy": "",
	"KmsMasterKeyId": "", "KmsDataKeyReusePeriodSeconds": "300", "SqsManagedSseEnabled": "true",
}

// sqsFifoAttrs only exist on FIFO queues.
var sqsFifoAttrs = []string{"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}

// sqsAttributes turns the template's properties into SQS attributes; JSON
// policies given as objects are written as the strings SQS stores.
func sqsAttributes(p props) (map[string]string, error) {
	out := map[string]string{}
	for k := range sqsDefaults {
		if !p.has(k) {
			continue
		}
		if k == "RedrivePolicy" || k == "RedriveAllowPolicy" {
			doc, err := p.jsonDoc(k)
			if err != nil {
				return nil, err
			}
			out[k] = doc
			continue
		}
		out[k] = p.str(k)
	}
	for _, k := range sqsFifoAttrs {
		if p.has(k) {
			out[k] = p.str(k)
		}
	}
	return out, nil
}

type sqsQueue struct{}

func (sqsQueue) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	fifo := toBool(p["FifoQueue"])
	name := p.str("QueueName")
	if name == "" {
		// CloudFormation gives a generated FIFO queue name the .fifo suffix
		// SQS requires.
		if fifo {
			name = physicalName(env, 80-len(".fifo")) + ".fifo"
		} else {
			name = physicalName(env, 80)
		}
	}
	attrs, err := sqsAttributes(p)
	if err != nil {
		return Result{}, err
	}
	if fifo {
		attrs["FifoQueue"] = "true"
	}
	tags := p.tags("Tags")
	if len(tags) == 0 {
		tags = nil
	}
	c := sqs.NewFromConfig(env.Config)
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs, Tags: tags})
	if err != nil {
		return Result{}, err
	}
	url := aws.ToString(out.QueueUrl)
	return Result{PhysicalID: url, Attrs: map[string]any{
		"Arn":       "arn:aws:sqs:" + env.Region + ":" + env.AccountID + ":" + name,
		"QueueName": name, "QueueUrl": url,
	}}, nil
}

func (sqsQueue) Replaces(old, new map[string]any) bool {
	return changed(old, new, "QueueName", "FifoQueue")
}

func (sqsQueue) Update(ctx context.Context, env Env, cur Result, oldIn, newIn map[string]any) (Result, error) {
	old, p := props(oldIn), props(newIn)
	attrs, err := sqsAttributes(p)
	if err != nil {
		return cur, err
	}
	for k, def := range sqsDefaults {
		if _, ok := attrs[k]; !ok && old.has(k) {
			attrs[k] = def
		}
	}
	c := sqs.NewFromConfig(env.Config)
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(cur.PhysicalID), Attributes: attrs}); err != nil {
		return cur, err
	}
	if changed(old, p, "Tags") {
		err := retag(old.tags("Tags"), p.tags("Tags"), func(keys []string) error {
			_, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(cur.PhysicalID), TagKeys: keys})
			return err
		}, func(tags map[string]string) error {
			_, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(cur.PhysicalID), Tags: tags})
			return err
		})
		if err != nil {
			return cur, err
		}
	}
	return cur, nil
}

func sqsGone(err error) bool {
	return isCode(err, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
}

func (sqsQueue) Delete(ctx context.Context, env Env, cur Result) error {
	_, err := sqs.NewFromConfig(env.Config).DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(cur.PhysicalID)})
	if sqsGone(err) {
		return nil
	}
	return err
}

// sqsQueuePolicy sets the Policy attribute of each queue it names.
var sqsQueuePolicy = targetPolicy{list: "Queues", stateKey: "queues", set: setQueuePolicy}

func setQueuePolicy(ctx context.Context, env Env, queues []string, policy string) error {
	c := sqs.NewFromConfig(env.Config)
	for _, q := range queues {
		_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(q), Attributes: map[string]string{"Policy": policy}})
		if err != nil && !(policy == "" && sqsGone(err)) {
			return err
		}
	}
	return nil
}
