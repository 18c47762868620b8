package sns

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// msg is one message a filter test publishes; want says whether the
// subscription's filter policy lets it through.
type msg struct {
	body  string
	attrs map[string]string // name -> "Type=value"
	want  bool
}

func attrsOf(in map[string]string) map[string]types.MessageAttributeValue {
	if in == nil {
		return nil
	}
	out := map[string]types.MessageAttributeValue{}
	for k, tv := range in {
		typ, v, _ := strings.Cut(tv, "=")
		if typ == "Binary" {
			out[k] = types.MessageAttributeValue{DataType: &typ, BinaryValue: []byte(v)}
			continue
		}
		out[k] = types.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String(v)}
	}
	return out
}

func TestFilterPolicies(t *testing.T) {
	rec := &recorder{}
	ts := newTestServer(t, rec, nil)
	s := func(v string) map[string]string { return map[string]string{"a": "String=" + v} }
	n := func(v string) map[string]string { return map[string]string{"a": "Number=" + v} }
	for i, tc := range []struct {
		name, scope, policy string
		msgs                []msg
	}{
		{"exact string", "", `{"a":["red","green"]}`, []msg{
			{"1", s("red"), true}, {"2", s("green"), true}, {"3", s("blue"), false}, {"4", nil, false}, {"5", s("Red"), false}}},
		{"prefix", "MessageAttributes", `{"a":[{"prefix":"us-"}]}`, []msg{
			{"1", s("us-east"), true}, {"2", s("eu-west"), false}, {"3", s("us"), false}, {"4", nil, false}}},
		{"anything-but list", "", `{"a":[{"anything-but":["red","blue"]}]}`, []msg{
			{"1", s("green"), true}, {"2", s("red"), false}, {"3", nil, false}}},
		{"anything-but prefix", "", `{"a":[{"anything-but":{"prefix":"test-"}}]}`, []msg{
			{"1", s("prod-1"), true}, {"2", s("test-1"), false}}},
		{"anything-but number", "", `{"a":[{"anything-but":[100]}]}`, []msg{
			{"1", n("99"), true}, {"2", n("100"), false}, {"3", n("1e2"), false}}},
		{"numeric range", "", `{"a":[{"numeric":[">",0,"<=",100]}]}`, []msg{
			{"1", n("0"), false}, {"2", n("0.5"), true}, {"3", n("100"), true}, {"4", n("100.01"), false},
			{"5", n("-3"), false}, {"6", s("50"), false}}},
		{"numeric equals", "", `{"a":[{"numeric":["=",301.8]}]}`, []msg{
			{"1", n("3.018e2"), true}, {"2", n("301.80"), true}, {"3", n("301"), false}}},
		{"exists true", "", `{"a":[{"exists":true}]}`, []msg{
			{"1", s("x"), true}, {"2", n("1"), true}, {"3", map[string]string{"b": "String=x"}, false}, {"4", nil, false}}},
		{"exists false", "", `{"a":[{"exists":false}]}`, []msg{
			{"1", s("x"), false}, {"2", map[string]string{"b": "String=x"}, true}, {"3", nil, true}}},
		{"string array attribute", "", `{"a":["red"]}`, []msg{
			{"1", map[string]string{"a": `String.Array=["blue","red"]`}, true}, {"2", map[string]string{"a": `String.Array=["blue"]`}, false}}},
		{"number in string array", "", `{"a":[{"numeric":[">",10]}]}`, []msg{
			{"1", map[string]string{"a": `String.Array=[1,20]`}, true}, {"2", map[string]string{"a": `String.Array=[1,2]`}, false}}},
		{"binary never matches", "", `{"a":[{"exists":true}]}`, []msg{
			{"1", map[string]string{"a": "Binary=xyz"}, false}}},
		{"keys are ANDed", "", `{"a":["x"],"b":[{"prefix":"y"}]}`, []msg{
			{"1", map[string]string{"a": "String=x", "b": "String=yes"}, true}, {"2", s("x"), false},
			{"3", map[string]string{"a": "String=x", "b": "String=no"}, false}}},
		{"$or", "", `{"$or":[{"a":["x"]},{"b":["y"]}]}`, []msg{
			{"1", s("x"), true}, {"2", map[string]string{"b": "String=y"}, true}, {"3", s("y"), false}}},
		{"attribute scope ignores the body", "", `{"a":["x"]}`, []msg{
			{`{"a":"x"}`, nil, false}}},
		{"body exact and nested", "MessageBody", `{"order":{"status":["paid"]},"total":[{"numeric":[">=",10]}]}`, []msg{
			{`{"order":{"status":"paid"},"total":10}`, nil, true},
			{`{"order":{"status":"paid"},"total":9.99}`, nil, false},
			{`{"order":{"status":"open"},"total":50}`, nil, false},
			{`{"order":[{"status":"open"},{"status":"paid"}],"total":50}`, nil, true},
			{`{"total":50}`, nil, false}}},
		{"body prefix and anything-but", "MessageBody", `{"region":[{"prefix":"eu-"}],"env":[{"anything-but":"test"}]}`, []msg{
			{`{"region":"eu-west-1","env":"prod"}`, nil, true},
			{`{"region":"eu-west-1","env":"test"}`, nil, false},
			{`{"region":"us-east-1","env":"prod"}`, nil, false}}},
		{"body exists", "MessageBody", `{"a":[{"exists":false}],"b":[{"exists":true}]}`, []msg{
			{`{"b":1}`, nil, true}, {`{"a":1,"b":1}`, nil, false}, {`{"b":{"c":1}}`, nil, false}}},
		{"body scope ignores attributes, needs a JSON object", "MessageBody", `{"a":["x"]}`, []msg{
			{"not json", s("x"), false}, {`["x"]`, nil, false}, {`{"a":"x"} trailing`, nil, false}, {`{"a":["x","y"]}`, nil, true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := ts.client
			topic := mustTopic(t, c, fmt.Sprintf("filter%d", i), nil).TopicArn
			queue := fmt.Sprintf("arn:aws:sqs:us-east-1:000000000000:filter%d", i)
			attrs := map[string]string{"FilterPolicy": tc.policy, "RawMessageDelivery": "true"}
			if tc.scope != "" {
				attrs["FilterPolicyScope"] = tc.scope
			}
			sub, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: &queue, Attributes: attrs})
			if err != nil {
				t.Fatal(err)
			}
			ga, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
			wantScope := tc.scope
			if wantScope == "" {
				wantScope = "MessageAttributes"
			}
			if err != nil || ga.Attributes["FilterPolicy"] != tc.policy || ga.Attributes["FilterPolicyScope"] != wantScope {
				t.Fatalf("subscription attributes %v %v", ga, err)
			}
			var want []string
			for j, m := range tc.msgs {
				body := m.body
				if !strings.HasPrefix(body, "{") && !strings.HasPrefix(body, "[") && body != "not json" {
					body = fmt.Sprintf("m%d", j)
				}
				if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: &body, MessageAttributes: attrsOf(m.attrs)}); err != nil {
					t.Fatal(err)
				}
				if m.want {
					want = append(want, body)
				}
			}
			ts.drain()
			var got []string
			for _, d := range rec.get(queue) {
				got = append(got, d.Body)
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("delivered %q, want %q", got, want)
			}
		})
	}
}

func TestFilterPolicyErrors(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t, &recorder{}, nil)
	c := ts.client
	topic := mustTopic(t, c, "badfilters", nil).TopicArn
	queue := aws.String("arn:aws:sqs:us-east-1:000000000000:q")
	for _, tc := range []struct {
		policy, scope, reason string
	}{
		{`{"key":[["value"]]}`, "", "Match value must be String, number, true, false, or null"},
		{`{"key":[{"wrong-operator":true}]}`, "", "Unrecognized match type wrong-operator"},
		{`{"key":[{"suffix":"value","prefix":"value2"}]}`, "", "Only one key allowed in match expression"},
		{`{"key":[{"suffix":100}]}`, "", "suffix match pattern must be a string"},
		{`{"key":{"not-an-operator":"value"}}`, "MessageBody", `"not-an-operator" must be an object or an array`},
		{`{"key":[{"numeric":[]}]}`, "", "Invalid member in numeric match: ]"},
		{`{"key":[{"numeric":["operator"]}]}`, "", "Unrecognized numeric range operator: operator"},
		{`{"key":[{"numeric":[1,"<="]}]}`, "", "Invalid member in numeric match: 1"},
		{`{"key":[{"numeric":["=","000"]}]}`, "", "Value of equals must be numeric"},
		{`{"key":[{"numeric":["<",100,">",10]}]}`, "", "Too many elements in numeric expression"},
		{`{"key":[{"numeric":[">=",1,">",2]}]}`, "", "Bad numeric range operator: >"},
		{`{"key":[{"numeric":[">",3,"<",1]}]}`, "", "Bottom must be less than top"},
		{`{"key":[{"numeric":[">",20,30]}]}`, "", "Bad value in numeric range: 30"},
		{`{"key":[{"exists":null}]}`, "", "exists match pattern must be either true or false."},
		{`{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, "", "Filter policy can not have more than 5 keys"},
		{`{"a":["1","2","3","4","5","6","7","8","9","10"],"b":["1","2","3","4","5","6","7","8","9","10"],"c":["1","2"]}`, "", "Filter policy is too complex"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			attrs := map[string]string{"FilterPolicy": tc.policy}
			if tc.scope != "" {
				attrs["FilterPolicyScope"] = tc.scope
			}
			_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: queue, Attributes: attrs})
			wantAPIError(t, err, http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Attributes Reason: FilterPolicy: "+tc.reason)
		})
	}

	// SetSubscriptionAttributes words it without "Attributes Reason: ", and
	// a nested policy under the attributes scope gets a sentence of its own.
	sub, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: queue})
	if err != nil {
		t.Fatal(err)
	}
	set := func(name, value string) error {
		_, err := c.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn,
			AttributeName: &name, AttributeValue: &value})
		return err
	}
	wantAPIError(t, set("FilterPolicy", `{"key_a":"value_one"}`), 400, "InvalidParameter",
		`Invalid parameter: FilterPolicy: "key_a" must be an object or an array`)
	nested := `{"object":{"key":[{"prefix":"auto-"}]}}`
	wantAPIError(t, set("FilterPolicy", nested), 400, "InvalidParameter",
		"Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")
	wantAPIError(t, set("FilterPolicyScope", "RandomValue"), 400, "InvalidParameter",
		"Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes")

	// The scope shows once there is a policy to apply it to.
	if err := set("FilterPolicyScope", "MessageBody"); err != nil {
		t.Fatal(err)
	}
	ga, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
	if _, shown := ga.Attributes["FilterPolicyScope"]; err != nil || shown {
		t.Fatalf("attributes without a policy %v %v", ga.Attributes, err)
	}
	if err := set("FilterPolicy", nested); err != nil {
		t.Fatal(err)
	}
	ga, err = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
	if err != nil || ga.Attributes["FilterPolicyScope"] != "MessageBody" || ga.Attributes["FilterPolicy"] != nested {
		t.Fatalf("attributes %v %v", ga.Attributes, err)
	}
	// Going back to the attributes scope with a nested policy in place is refused.
	wantAPIError(t, set("FilterPolicyScope", "MessageAttributes"), 400, "InvalidParameter",
		"Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")
	// An empty value removes the policy.
	if err := set("FilterPolicy", ""); err != nil {
		t.Fatal(err)
	}
	ga, err = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
	if _, has := ga.Attributes["FilterPolicy"]; err != nil || has {
		t.Fatalf("attributes after removing the policy %v %v", ga.Attributes, err)
	}
}
