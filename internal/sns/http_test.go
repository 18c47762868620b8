package sns

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// posted is one POST an http subscription endpoint received.
type posted struct {
	header http.Header
	body   string
	status int // what the endpoint answered
}

// endpoint is an http subscription endpoint that records what SNS posts and
// answers with the statuses queued in fail first, 200 after.
type endpoint struct {
	*httptest.Server
	mu   sync.Mutex
	got  []posted
	fail []int
}

func newEndpoint(t *testing.T, fail ...int) *endpoint {
	e := &endpoint{fail: fail}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		status := http.StatusOK
		if len(e.fail) > 0 {
			status, e.fail = e.fail[0], e.fail[1:]
		}
		if r.Method != http.MethodPost {
			status = http.StatusMethodNotAllowed
		}
		e.got = append(e.got, posted{header: r.Header.Clone(), body: string(b), status: status})
		e.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(e.Close)
	return e
}

// wait returns the posts once there are at least n.
func (e *endpoint) wait(t *testing.T, n int) []posted {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		got := append([]posted(nil), e.got...)
		e.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("endpoint: fewer than %d posts", n)
	return nil
}

func (e *endpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.got)
}

var (
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	certPathRE  = regexp.MustCompile(`^/SimpleNotificationService-[0-9a-f]+\.pem$`)
)

// decodeMessage parses an SNS JSON message, failing unless its keys are
// exactly want.
func decodeMessage(t *testing.T, body string, want ...string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("message is not JSON: %v\n%s", err, body)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sort.Strings(want)
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Fatalf("message keys %v, want %v\n%s", keys, want, body)
	}
	return m
}

// verifySignature checks m's Signature as an SNS message verifier does: the
// certificate from SigningCertURL, the string to sign of m's Type, SHA1withRSA
// for SignatureVersion 1 and SHA256withRSA for 2.
func verifySignature(t *testing.T, m map[string]any) {
	t.Helper()
	str := func(k string) string { s, _ := m[k].(string); return s }
	certURL, err := url.Parse(str("SigningCertURL"))
	if err != nil || !certPathRE.MatchString(certURL.Path) {
		t.Fatalf("SigningCertURL %q", str("SigningCertURL"))
	}
	status, pemText := get(t, certURL.String())
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d", certURL, status)
	}
	blk, _ := pem.Decode([]byte(pemText))
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("certificate is not PEM: %q", pemText)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("certificate key %T", cert.PublicKey)
	}
	fields := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if str("Type") != "Notification" {
		fields = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, f := range fields {
		if v, ok := m[f]; ok {
			b.WriteString(f + "\n" + v.(string) + "\n")
		}
	}
	sig, err := base64.StdEncoding.DecodeString(str("Signature"))
	if err != nil {
		t.Fatalf("Signature is not base64: %v", err)
	}
	switch str("SignatureVersion") {
	case "1":
		h := sha1.Sum([]byte(b.String()))
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA1, h[:], sig)
	case "2":
		h := sha256.Sum256([]byte(b.String()))
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig)
	default:
		t.Fatalf("SignatureVersion %q", str("SignatureVersion"))
	}
	if err != nil {
		t.Fatalf("signature of %s does not verify: %v", str("Type"), err)
	}
}

// subscribeHTTP subscribes ep to topic and confirms it by visiting the
// SubscribeURL of the confirmation, returning the subscription ARN.
func subscribeHTTP(t *testing.T, ts *testServer, topic string, ep *endpoint, attrs map[string]string) string {
	t.Helper()
	ctx := context.Background()
	before := ep.count()
	if _, err := ts.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"),
		Endpoint: aws.String(ep.URL + "/hook"), Attributes: attrs}); err != nil {
		t.Fatal(err)
	}
	conf := ep.wait(t, before+1)[before]
	var m map[string]string
	if err := json.Unmarshal([]byte(conf.body), &m); err != nil {
		t.Fatal(err)
	}
	status, body := get(t, m["SubscribeURL"])
	if status != http.StatusOK {
		t.Fatalf("SubscribeURL: %d %s", status, body)
	}
	arn := regexp.MustCompile(`<SubscriptionArn>([^<]+)</SubscriptionArn>`).FindStringSubmatch(body)
	if arn == nil {
		t.Fatalf("SubscribeURL answered %s", body)
	}
	return arn[1]
}

func TestHTTPSubscription(t *testing.T) {
	for _, tc := range []struct {
		name, sigVersion string
		byAPI            bool // confirm with ConfirmSubscription instead of the SubscribeURL
	}{
		{"SignatureVersion 1, SubscribeURL", "1", false},
		{"SignatureVersion 2, ConfirmSubscription", "2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ts := newTestServer(t, &recorder{}, nil)
			c := ts.client
			ep := newEndpoint(t)
			topic := *mustTopic(t, c, "web", nil).TopicArn
			if tc.sigVersion == "2" {
				if _, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &topic,
					AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2")}); err != nil {
					t.Fatal(err)
				}
			}
			sub, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(ep.URL + "/hook")})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(sub.SubscriptionArn) != "pending confirmation" {
				t.Fatalf("SubscriptionArn %q", aws.ToString(sub.SubscriptionArn))
			}

			conf := ep.wait(t, 1)[0]
			h := conf.header
			if h.Get("x-amz-sns-message-type") != "SubscriptionConfirmation" || h.Get("x-amz-sns-topic-arn") != topic ||
				!uuidRE.MatchString(h.Get("x-amz-sns-message-id")) || h.Get("Content-Type") != "text/plain; charset=UTF-8" ||
				h.Get("User-Agent") != "Amazon Simple Notification Service Agent" {
				t.Fatalf("confirmation headers %v", h)
			}
			if _, ok := h["X-Amz-Sns-Subscription-Arn"]; ok {
				t.Fatalf("confirmation carries x-amz-sns-subscription-arn: %v", h)
			}
			m := decodeMessage(t, conf.body, "Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL",
				"Timestamp", "SignatureVersion", "Signature", "SigningCertURL")
			wantMsg := "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message."
			if m["Type"] != "SubscriptionConfirmation" || m["MessageId"] != h.Get("x-amz-sns-message-id") || m["TopicArn"] != topic ||
				m["Message"] != wantMsg || !timestampRE.MatchString(m["Timestamp"].(string)) || m["SignatureVersion"] != tc.sigVersion ||
				m["Token"] == "" {
				t.Fatalf("confirmation %v", m)
			}
			if m["SubscribeURL"] != ts.URL+"/?Action=ConfirmSubscription&TopicArn="+topic+"&Token="+m["Token"].(string) {
				t.Fatalf("SubscribeURL %v", m["SubscribeURL"])
			}
			verifySignature(t, m)

			ls, err := c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &topic})
			if err != nil || len(ls.Subscriptions) != 1 || aws.ToString(ls.Subscriptions[0].SubscriptionArn) != "PendingConfirmation" {
				t.Fatalf("ListSubscriptionsByTopic while pending: %v %v", ls, err)
			}
			ga, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topic})
			if err != nil || ga.Attributes["SubscriptionsPending"] != "1" || ga.Attributes["SubscriptionsConfirmed"] != "0" {
				t.Fatalf("topic attributes while pending: %v %v", ga, err)
			}
			// Nothing is delivered to a subscription waiting for confirmation.
			if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("too early")}); err != nil {
				t.Fatal(err)
			}
			ts.drain()

			var subARN string
			if tc.byAPI {
				cs, err := c.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String(m["Token"].(string))})
				if err != nil {
					t.Fatal(err)
				}
				subARN = aws.ToString(cs.SubscriptionArn)
			} else {
				status, body := get(t, m["SubscribeURL"].(string))
				match := regexp.MustCompile(`^<\?xml[^>]*>\s*<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>([^<]+)</SubscriptionArn></ConfirmSubscriptionResult>`).FindStringSubmatch(body)
				if status != http.StatusOK || match == nil {
					t.Fatalf("SubscribeURL: %d %s", status, body)
				}
				subARN = match[1]
			}
			if !strings.HasPrefix(subARN, topic+":") || !uuidRE.MatchString(strings.TrimPrefix(subARN, topic+":")) {
				t.Fatalf("subscription ARN %q", subARN)
			}
			sa, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN})
			// Only a signed ConfirmSubscription authenticates the confirmation.
			if err != nil || sa.Attributes["PendingConfirmation"] != "false" || sa.Attributes["ConfirmationWasAuthenticated"] != boolString(tc.byAPI) ||
				sa.Attributes["Protocol"] != "http" || sa.Attributes["Endpoint"] != ep.URL+"/hook" {
				t.Fatalf("subscription attributes %v %v", sa, err)
			}

			pub, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("hello\n\"world\" <&>"), Subject: aws.String("greeting"),
				MessageAttributes: map[string]types.MessageAttributeValue{
					"n": {DataType: aws.String("Number"), StringValue: aws.String("42")},
					"b": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
				}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("no subject")}); err != nil {
				t.Fatal(err)
			}
			got := ep.wait(t, 3)[1:]
			if len(got) != 2 {
				t.Fatalf("%d posts after confirmation, want 2 (the early publish must not arrive)", len(got))
			}
			sort.Slice(got, func(i, j int) bool { return strings.Contains(got[i].body, "greeting") })
			n := got[0]
			h = n.header
			if h.Get("x-amz-sns-message-type") != "Notification" || h.Get("x-amz-sns-message-id") != aws.ToString(pub.MessageId) ||
				h.Get("x-amz-sns-topic-arn") != topic || h.Get("x-amz-sns-subscription-arn") != subARN ||
				h.Get("Content-Type") != "text/plain; charset=UTF-8" || h.Get("x-amz-sns-rawdelivery") != "" {
				t.Fatalf("notification headers %v", h)
			}
			m = decodeMessage(t, n.body, "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
				"Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes")
			if m["Type"] != "Notification" || m["MessageId"] != aws.ToString(pub.MessageId) || m["TopicArn"] != topic ||
				m["Subject"] != "greeting" || m["Message"] != "hello\n\"world\" <&>" || !timestampRE.MatchString(m["Timestamp"].(string)) ||
				m["SignatureVersion"] != tc.sigVersion {
				t.Fatalf("notification %v", m)
			}
			wantAttrs := `{"b":{"Type":"Binary","Value":"AAEC"},"n":{"Type":"Number","Value":"42"}}`
			if b, _ := json.Marshal(m["MessageAttributes"]); string(b) != wantAttrs {
				t.Fatalf("MessageAttributes %s, want %s", b, wantAttrs)
			}
			if strings.Contains(n.body, `\u003c`) {
				t.Fatalf("SNS does not HTML-escape the message: %s", n.body)
			}
			verifySignature(t, m)
			m2 := decodeMessage(t, got[1].body, "Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion",
				"Signature", "SigningCertURL", "UnsubscribeURL")
			verifySignature(t, m2)

			uu, err := url.Parse(m["UnsubscribeURL"].(string))
			// AWS leaves the ARN's colons unescaped.
			if err != nil || m["UnsubscribeURL"] != ts.URL+"/?Action=Unsubscribe&SubscriptionArn="+subARN {
				t.Fatalf("UnsubscribeURL %v", m["UnsubscribeURL"])
			}
			if status, body := get(t, uu.String()); status != http.StatusOK || !strings.Contains(body, "<UnsubscribeResponse") {
				t.Fatalf("UnsubscribeURL: %d %s", status, body)
			}
			_, err = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN})
			wantAPIError(t, err, http.StatusNotFound, "NotFound", "Subscription does not exist")

			// The endpoint is told, and can take the unsubscription back.
			un := ep.wait(t, 4)[3]
			h = un.header
			if h.Get("x-amz-sns-message-type") != "UnsubscribeConfirmation" || h.Get("x-amz-sns-topic-arn") != topic ||
				h.Get("x-amz-sns-subscription-arn") != subARN || !uuidRE.MatchString(h.Get("x-amz-sns-message-id")) {
				t.Fatalf("unsubscribe confirmation headers %v", h)
			}
			m = decodeMessage(t, un.body, "Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL",
				"Timestamp", "SignatureVersion", "Signature", "SigningCertURL")
			wantMsg = "You have chosen to deactivate subscription " + subARN + ".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
			if m["Type"] != "UnsubscribeConfirmation" || m["Message"] != wantMsg || m["SignatureVersion"] != tc.sigVersion {
				t.Fatalf("unsubscribe confirmation %v", m)
			}
			verifySignature(t, m)
			if status, body := get(t, m["SubscribeURL"].(string)); status != http.StatusOK || !strings.Contains(body, "<SubscriptionArn>"+subARN+"<") {
				t.Fatalf("SubscribeURL of the unsubscribe confirmation: %d %s", status, body)
			}
			if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("welcome back")}); err != nil {
				t.Fatal(err)
			}
			if back := ep.wait(t, 5)[4]; !strings.Contains(back.body, "welcome back") || back.header.Get("x-amz-sns-subscription-arn") != subARN {
				t.Fatalf("after restoring: %v %s", back.header, back.body)
			}
		})
	}
}

// mustTopic creates a topic.
func mustTopic(t *testing.T, c *awssns.Client, name string, attrs map[string]string) *awssns.CreateTopicOutput {
	t.Helper()
	out, err := c.CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: &name, Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHTTPDeliveryRetries(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t, &recorder{}, nil)
	ep := newEndpoint(t)
	topic := *mustTopic(t, ts.client, "retry", nil).TopicArn
	subscribeHTTP(t, ts, topic, ep, nil)
	ep.mu.Lock()
	ep.fail = []int{http.StatusInternalServerError}
	ep.mu.Unlock()
	pub, err := ts.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("again")})
	if err != nil {
		t.Fatal(err)
	}
	got := ep.wait(t, 3)
	ts.drain()
	got = ep.wait(t, 3)
	if len(got) != 3 {
		t.Fatalf("%d posts, want the confirmation and two attempts", len(got))
	}
	first, second := got[1], got[2]
	if first.status != http.StatusInternalServerError || second.status != http.StatusOK {
		t.Fatalf("attempts answered %d then %d", first.status, second.status)
	}
	// A retry is the same message: same id, same body, same signature.
	if first.body != second.body || second.header.Get("x-amz-sns-message-id") != aws.ToString(pub.MessageId) {
		t.Fatalf("retry differs:\n%s\n%s", first.body, second.body)
	}
}

func TestHTTPDeliveryGivesUp(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t, &recorder{}, func(s *Service) { s.HTTPRetries = 2 })
	ep := newEndpoint(t)
	topic := *mustTopic(t, ts.client, "down", nil).TopicArn
	subscribeHTTP(t, ts, topic, ep, nil)
	ep.mu.Lock()
	ep.fail = []int{500, 502, 503, 504}
	ep.mu.Unlock()
	if _, err := ts.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("lost")}); err != nil {
		t.Fatal(err)
	}
	ep.wait(t, 4)
	ts.drain()
	if n := ep.count(); n != 4 {
		t.Fatalf("%d posts, want the confirmation, the attempt and 2 retries", n)
	}
}

func TestRawMessageDelivery(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	ts := newTestServer(t, rec, nil)
	c := ts.client
	topic := *mustTopic(t, c, "raw", nil).TopicArn
	rawEP, envEP := newEndpoint(t), newEndpoint(t)
	rawSub := subscribeHTTP(t, ts, topic, rawEP, map[string]string{"RawMessageDelivery": "true"})
	subscribeHTTP(t, ts, topic, envEP, nil)
	rawQ, envQ := "arn:aws:sqs:us-east-1:000000000000:raw", "arn:aws:sqs:us-east-1:000000000000:env"
	for q, raw := range map[string]string{rawQ: "true", envQ: "false"} {
		if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: aws.String(q),
			Attributes: map[string]string{"RawMessageDelivery": raw}}); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String(`{"k": "v"}`), Subject: aws.String("subj"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"s":   {DataType: aws.String("String"), StringValue: aws.String("x")},
			"arr": {DataType: aws.String("String.Array"), StringValue: aws.String(`["a",1]`)},
			"bin": {DataType: aws.String("Binary"), BinaryValue: []byte("hi")},
		}})
	if err != nil {
		t.Fatal(err)
	}

	raw := rawEP.wait(t, 2)[1]
	if raw.body != `{"k": "v"}` || raw.header.Get("x-amz-sns-rawdelivery") != "true" ||
		raw.header.Get("x-amz-sns-message-type") != "Notification" || raw.header.Get("x-amz-sns-subscription-arn") != rawSub ||
		raw.header.Get("x-amz-sns-message-id") != aws.ToString(pub.MessageId) {
		t.Fatalf("raw http delivery %v %q", raw.header, raw.body)
	}
	env := envEP.wait(t, 2)[1]
	m := decodeMessage(t, env.body, "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
		"Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes")
	wantAttrs := `{"arr":{"Type":"String.Array","Value":"[\"a\",1]"},"bin":{"Type":"Binary","Value":"aGk="},"s":{"Type":"String","Value":"x"}}`
	if b, _ := json.Marshal(m["MessageAttributes"]); string(b) != wantAttrs || m["Message"] != `{"k": "v"}` {
		t.Fatalf("envelope %v", m)
	}

	rm := rec.wait(t, rawQ, 1)[0]
	if rm.Body != `{"k": "v"}` || len(rm.Attributes) != 3 || rm.Attributes["s"].DataType != "String" || rm.Attributes["s"].StringValue != "x" ||
		rm.Attributes["bin"].DataType != "Binary" || string(rm.Attributes["bin"].BinaryValue) != "hi" ||
		rm.Attributes["arr"].DataType != "String.Array" || rm.Attributes["arr"].StringValue != `["a",1]` {
		t.Fatalf("raw sqs delivery %+v", rm)
	}
	em := rec.wait(t, envQ, 1)[0]
	if em.Attributes != nil {
		t.Fatalf("an envelope delivery carries SQS attributes: %+v", em.Attributes)
	}
	m = decodeMessage(t, em.Body, "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
		"Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes")
	if b, _ := json.Marshal(m["MessageAttributes"]); string(b) != wantAttrs || m["MessageId"] != aws.ToString(pub.MessageId) {
		t.Fatalf("sqs envelope %v", m)
	}
	verifySignature(t, m)

	// Raw delivery is refused for lambda, whose event has a fixed shape.
	_, err = c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("lambda"),
		Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f"), Attributes: map[string]string{"RawMessageDelivery": "true"}})
	wantAPIError(t, err, 400, "InvalidParameter", "Invalid parameter: Attributes Reason: Delivery protocol [lambda] does not support raw message delivery.")
}
