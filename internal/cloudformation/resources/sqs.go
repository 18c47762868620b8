package resources

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func init() {
	register("AWS::SQS::Queue", sqsQueue{})
	register("AWS::SQS::QueuePolicy", sqsQueuePolicy{})
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
		oldTags, newTags := old.tags("Tags"), p.tags("Tags")
		var gone []string
		for k := range oldTags {
			if _, ok := newTags[k]; !ok {
				gone = append(gone, k)
			}
		}
		if len(gone) > 0 {
			if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(cur.PhysicalID), TagKeys: gone}); err != nil {
				return cur, err
			}
		}
		if len(newTags) > 0 {
			if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(cur.PhysicalID), Tags: newTags}); err != nil {
				return cur, err
			}
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
type sqsQueuePolicy struct{}

type queuePolicyState struct {
	Queues []string `json:"queues"`
}

func (sqsQueuePolicy) set(ctx context.Context, env Env, queues []string, policy string) error {
	c := sqs.NewFromConfig(env.Config)
	for _, q := range queues {
		_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(q), Attributes: map[string]string{"Policy": policy}})
		if err != nil && !(policy == "" && sqsGone(err)) {
			return err
		}
	}
	return nil
}

func (q sqsQueuePolicy) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "PolicyDocument", "Queues"); err != nil {
		return Result{}, err
	}
	doc, err := p.jsonDoc("PolicyDocument")
	if err != nil {
		return Result{}, err
	}
	if err := q.set(ctx, env, p.strs("Queues"), doc); err != nil {
		return Result{}, err
	}
	id := physicalName(env, 128)
	return Result{PhysicalID: id, Attrs: map[string]any{"Id": id}, State: state(queuePolicyState{Queues: p.strs("Queues")})}, nil
}

func (sqsQueuePolicy) Replaces(_, _ map[string]any) bool { return false }

func (q sqsQueuePolicy) Update(ctx context.Context, env Env, cur Result, old, new map[string]any) (Result, error) {
	p := props(new)
	doc, err := p.jsonDoc("PolicyDocument")
	if err != nil {
		return cur, err
	}
	// Queues the policy no longer covers lose it.
	keep := map[string]bool{}
	for _, u := range p.strs("Queues") {
		keep[u] = true
	}
	var dropped []string
	for _, u := range props(old).strs("Queues") {
		if !keep[u] {
			dropped = append(dropped, u)
		}
	}
	if err := q.set(ctx, env, dropped, ""); err != nil {
		return cur, err
	}
	if err := q.set(ctx, env, p.strs("Queues"), doc); err != nil {
		return cur, err
	}
	cur.State = state(queuePolicyState{Queues: p.strs("Queues")})
	return cur, nil
}

func (q sqsQueuePolicy) Delete(ctx context.Context, env Env, cur Result) error {
	var st queuePolicyState
	if err := loadState(cur, &st); err != nil {
		return err
	}
	return q.set(ctx, env, st.Queues, "")
}
