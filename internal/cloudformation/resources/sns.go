package resources

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func init() {
	register("AWS::SNS::Topic", snsTopic{})
	register("AWS::SNS::Subscription", snsSubscription{})
	register("AWS::SNS::TopicPolicy", snsTopicPolicy)
}

func snsGone(err error) bool { return isCode(err, "NotFound", "ResourceNotFound") }

type snsTopic struct{}

// topicState remembers the subscriptions the Subscription property made, so
// that an update can remove the ones the template dropped.
type topicState struct {
	Subs map[string]string `json:"subs,omitempty"` // protocol|endpoint → subscription ARN
}

var snsTopicAttrs = []string{"DisplayName", "KmsMasterKeyId", "ContentBasedDeduplication", "SignatureVersion", "TracingConfig"}

func (snsTopic) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	fifo := toBool(p["FifoTopic"])
	name := p.str("TopicName")
	if name == "" {
		if fifo {
			name = physicalName(env, 256-len(".fifo")) + ".fifo"
		} else {
			name = physicalName(env, 256)
		}
	}
	attrs := map[string]string{}
	for _, k := range snsTopicAttrs {
		if p.has(k) {
			attrs[k] = p.str(k)
		}
	}
	if fifo {
		attrs["FifoTopic"] = "true"
	}
	var tags []types.Tag
	for _, t := range p.list("Tags") {
		tags = append(tags, types.Tag{Key: t.strp("Key"), Value: aws.String(t.str("Value"))})
	}
	c := sns.NewFromConfig(env.Config)
	out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs, Tags: tags})
	if err != nil {
		return Result{}, err
	}
	arn := aws.ToString(out.TopicArn)
	res := Result{PhysicalID: arn, Attrs: map[string]any{"TopicArn": arn, "TopicName": name}}
	st := topicState{Subs: map[string]string{}}
	err = syncTopicSubs(ctx, c, arn, &st, p)
	res.State = state(st)
	return res, err
}

// syncTopicSubs makes the topic's template-made subscriptions those of the
// Subscription property.
func syncTopicSubs(ctx context.Context, c *sns.Client, arn string, st *topicState, p props) error {
	want := map[string]props{}
	for _, s := range p.list("Subscription") {
		want[s.str("Protocol")+"|"+s.str("Endpoint")] = s
	}
	for key, sub := range st.Subs {
		if _, ok := want[key]; ok {
			continue
		}
		if _, err := c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(sub)}); err != nil && !snsGone(err) {
			return err
		}
		delete(st.Subs, key)
	}
	for key, s := range want {
		if _, ok := st.Subs[key]; ok {
			continue
		}
		out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: s.strp("Protocol"),
			Endpoint: s.strp("Endpoint"), ReturnSubscriptionArn: true})
		if err != nil {
			return err
		}
		st.Subs[key] = aws.ToString(out.SubscriptionArn)
	}
	return nil
}

func (snsTopic) Replaces(old, new map[string]any) bool {
	return changed(old, new, "TopicName", "FifoTopic")
}

func (snsTopic) Update(ctx context.Context, env Env, cur Result, oldIn, newIn map[string]any) (Result, error) {
	old, p := props(oldIn), props(newIn)
	c := sns.NewFromConfig(env.Config)
	for _, k := range snsTopicAttrs {
		if !changed(old, p, k) {
			continue
		}
		v := p.str(k)
		if k == "ContentBasedDeduplication" && v == "" {
			v = "false"
		}
		if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(cur.PhysicalID),
			AttributeName: aws.String(k), AttributeValue: aws.String(v)}); err != nil {
			return cur, err
		}
	}
	if changed(old, p, "Tags") {
		err := retag(old.tags("Tags"), p.tags("Tags"), func(keys []string) error {
			_, err := c.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: aws.String(cur.PhysicalID), TagKeys: keys})
			return err
		}, func(m map[string]string) error {
			var tags []types.Tag
			for k, v := range m {
				tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			_, err := c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(cur.PhysicalID), Tags: tags})
			return err
		})
		if err != nil {
			return cur, err
		}
	}
	st := topicState{Subs: map[string]string{}}
	if err := loadState(cur, &st); err != nil {
		return cur, err
	}
	if st.Subs == nil {
		st.Subs = map[string]string{}
	}
	err := syncTopicSubs(ctx, c, cur.PhysicalID, &st, p)
	cur.State = state(st)
	return cur, err
}

func (snsTopic) Delete(ctx context.Context, env Env, cur Result) error {
	_, err := sns.NewFromConfig(env.Config).DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(cur.PhysicalID)})
	if snsGone(err) {
		return nil
	}
	return err
}

type snsSubscription struct{}

// snsSubAttrs are the subscription attributes the template sets; the JSON
// ones may be given as objects.
var snsSubAttrs = []string{"FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy", "SubscriptionRoleArn", "ReplayPolicy"}

func snsSubAttr(p props, k string) (string, error) {
	switch k {
	case "FilterPolicy", "RedrivePolicy", "DeliveryPolicy", "ReplayPolicy":
		return p.jsonDoc(k)
	}
	return p.str(k), nil
}

func (snsSubscription) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "Protocol", "TopicArn"); err != nil {
		return Result{}, err
	}
	attrs := map[string]string{}
	for _, k := range snsSubAttrs {
		if p.has(k) {
			v, err := snsSubAttr(p, k)
			if err != nil {
				return Result{}, err
			}
			attrs[k] = v
		}
	}
	out, err := sns.NewFromConfig(env.Config).Subscribe(ctx, &sns.SubscribeInput{TopicArn: p.strp("TopicArn"),
		Protocol: p.strp("Protocol"), Endpoint: p.strp("Endpoint"), Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		return Result{}, err
	}
	arn := aws.ToString(out.SubscriptionArn)
	return Result{PhysicalID: arn, Attrs: map[string]any{"Arn": arn}}, nil
}

func (snsSubscription) Replaces(old, new map[string]any) bool {
	return changed(old, new, "TopicArn", "Protocol", "Endpoint", "Region")
}

func (snsSubscription) Update(ctx context.Context, env Env, cur Result, oldIn, newIn map[string]any) (Result, error) {
	old, p := props(oldIn), props(newIn)
	c := sns.NewFromConfig(env.Config)
	for _, k := range snsSubAttrs {
		if !changed(old, p, k) {
			continue
		}
		v, err := snsSubAttr(p, k)
		if err != nil {
			return cur, err
		}
		if k == "RawMessageDelivery" && v == "" {
			v = "false"
		}
		if _, err := c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(cur.PhysicalID),
			AttributeName: aws.String(k), AttributeValue: aws.String(v)}); err != nil {
			return cur, err
		}
	}
	return cur, nil
}

func (snsSubscription) Delete(ctx context.Context, env Env, cur Result) error {
	_, err := sns.NewFromConfig(env.Config).Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(cur.PhysicalID)})
	if snsGone(err) {
		return nil
	}
	return err
}

// snsTopicPolicy sets the Policy attribute of each topic it names; removing
// it puts back the policy SNS gives a new topic.
var snsTopicPolicy = targetPolicy{list: "Topics", stateKey: "topics", set: setTopicPolicy}

func defaultTopicPolicy(env Env, arn string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow",` +
		`"Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission",` +
		`"SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` + arn +
		`","Condition":{"StringEquals":{"AWS:SourceOwner":"` + env.AccountID + `"}}}]}`
}

func setTopicPolicy(ctx context.Context, env Env, topics []string, doc string) error {
	c := sns.NewFromConfig(env.Config)
	for _, t := range topics {
		v := doc
		if v == "" {
			v = defaultTopicPolicy(env, t)
		}
		_, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(t), AttributeName: aws.String("Policy"), AttributeValue: aws.String(v)})
		if err != nil && !(doc == "" && snsGone(err)) {
			return err
		}
	}
	return nil
}
