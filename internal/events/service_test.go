package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/store"
)

// recorder is a fake Sender that records what it was sent.
type recorder struct {
	mu   sync.Mutex
	sent map[string][]eventsource.Message
	fail map[string]error // ARNs that refuse every message
	ch   chan struct{}
}

func (r *recorder) Send(ctx context.Context, arn string, m eventsource.Message) (string, error) {
	r.mu.Lock()
	if err := r.fail[arn]; err != nil {
		r.mu.Unlock()
		return "", err
	}
	r.sent[arn] = append(r.sent[arn], m)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
	return "id", nil
}

func (r *recorder) wait(t *testing.T, arn string, n int) []eventsource.Message {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		got := append([]eventsource.Message(nil), r.sent[arn]...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.ch:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s: got %d messages, want %d", arn, len(got), n)
		}
	}
}

func start(t *testing.T, minute time.Duration) (*eventbridge.Client, *recorder) {
	t.Helper()
	ctx := context.Background()
	st := &store.Store{Dir: t.TempDir()}
	if err := st.Open(ctx); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{sent: map[string][]eventsource.Message{}, fail: map[string]error{}, ch: make(chan struct{}, 1)}
	svc := &Service{Store: st, Targets: rec, Minute: minute, RetryDelay: 10 * time.Millisecond}
	if err := svc.Open(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(func() {
		srv.Close()
		svc.Close(ctx)
		st.Close(ctx)
	})
	c := eventbridge.New(eventbridge.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("a", "b", ""),
		RetryMaxAttempts: 1,
	})
	return c, rec
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return ""
}

func TestPutEventsDeliversToTarget(t *testing.T) {
	c, rec := start(t, 0)
	ctx := context.Background()
	_, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r1"),
		EventPattern: aws.String(`{"source":["my.app"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	q := "arn:aws:sqs:us-east-1:000000000000:q"
	fn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	out, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r1"), Targets: []types.Target{
		{Id: aws.String("q"), Arn: aws.String(q)},
		{Id: aws.String("f"), Arn: aws.String(fn), InputTransformer: &types.InputTransformer{
			InputPathsMap: map[string]string{"k": "$.detail.k", "src": "$.source"},
			InputTemplate: aws.String(`{"key": <k>, "text": "<src> says <k>", "rule": "<aws.events.rule-name>"}`)}},
	}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatal(err, out)
	}
	pe, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("my.app"), DetailType: aws.String("t"), Detail: aws.String(`{"k": "v"}`)},
		{Source: aws.String("my.app"), DetailType: aws.String("t"), Detail: aws.String(`[1]`)},
		{Source: aws.String("other"), DetailType: aws.String("t"), Detail: aws.String(`{}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if pe.FailedEntryCount != 1 || aws.ToString(pe.Entries[1].ErrorCode) != "MalformedDetail" ||
		aws.ToString(pe.Entries[1].ErrorMessage) != "Detail is malformed." || pe.Entries[0].EventId == nil {
		t.Fatalf("PutEvents: %+v", pe.Entries)
	}
	got := rec.wait(t, q, 1)
	var ev map[string]any
	if err := json.Unmarshal([]byte(got[0].Body), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["source"] != "my.app" || ev["detail-type"] != "t" || ev["version"] != "0" ||
		ev["id"] != aws.ToString(pe.Entries[0].EventId) || ev["account"] != "000000000000" || ev["region"] != "us-east-1" {
		t.Fatalf("event %v", ev)
	}
	got = rec.wait(t, fn, 1)
	if want := `{"key": "v", "text": "my.app says v", "rule": "r1"}`; got[0].Body != want {
		t.Fatalf("transformed %s, want %s", got[0].Body, want)
	}
}

// TestDeadLetters: a target that is gone goes to its DLQ at once, one that
// keeps failing after its retries; both with EventBridge's attributes.
func TestDeadLetters(t *testing.T) {
	c, rec := start(t, 0)
	ctx := context.Background()
	gone := "arn:aws:sqs:us-east-1:000000000000:gone"
	busy := "arn:aws:lambda:us-east-1:000000000000:function:busy"
	dlq := "arn:aws:sqs:us-east-1:000000000000:dlq"
	rec.mu.Lock()
	rec.fail[gone] = fmt.Errorf("%w: no queue", eventsource.ErrNotFound)
	rec.fail[busy] = &awsproto.Error{Code: "TooManyRequestsException", Message: "Rate exceeded", Status: 429}
	rec.mu.Unlock()
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":["a"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []types.Target{
		{Id: aws.String("gone"), Arn: aws.String(gone), DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(dlq)}},
		{Id: aws.String("busy"), Arn: aws.String(busy), DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(dlq)},
			RetryPolicy: &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(2)}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("a"), DetailType: aws.String("t"), Detail: aws.String(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	got := map[string]eventsource.Message{}
	for _, m := range rec.wait(t, dlq, 2) {
		got[m.Attributes["TARGET_ARN"].StringValue] = m
	}
	attr := func(m eventsource.Message, k string) string { return m.Attributes[k].StringValue }
	g, b := got[gone], got[busy]
	if attr(g, "ERROR_CODE") != "ResourceNotFoundException" || attr(g, "RETRY_ATTEMPTS") != "0" ||
		attr(g, "EXHAUSTED_RETRY_CONDITION") != "" || !strings.HasSuffix(attr(g, "RULE_ARN"), ":rule/r") {
		t.Fatalf("gone %+v", g)
	}
	if attr(b, "ERROR_CODE") != "TooManyRequestsException" || attr(b, "ERROR_MESSAGE") != "Rate exceeded" ||
		attr(b, "RETRY_ATTEMPTS") != "2" || attr(b, "EXHAUSTED_RETRY_CONDITION") != "MaximumRetryAttempts" {
		t.Fatalf("busy %+v", b)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(b.Body), &ev); err != nil || ev["source"] != "a" {
		t.Fatalf("dead letter body %s", b.Body)
	}
}

func TestErrors(t *testing.T) {
	c, _ := start(t, 0)
	ctx := context.Background()
	c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"a":["b"]}`)})
	c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []types.Target{{Id: aws.String("x"), Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:q")}}})
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"describe missing rule", func() error {
			_, err := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nope")})
			return err
		}, "ResourceNotFoundException: Rule nope does not exist on EventBus default."},
		{"delete rule with targets", func() error {
			_, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("r")})
			return err
		}, "ValidationException: Rule can't be deleted since it has targets."},
		{"bad pattern", func() error {
			_, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("p"), EventPattern: aws.String(`{"a":"b"}`)})
			return err
		}, "InvalidEventPatternException: "},
		{"bad schedule", func() error {
			_, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("p"), ScheduleExpression: aws.String("rate(1 minutes)")})
			return err
		}, "ValidationException: Parameter ScheduleExpression is not valid."},
		{"bus exists", func() error {
			_, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("default")})
			return err
		}, "ResourceAlreadyExistsException: Event bus default already exists."},
		{"missing bus", func() error {
			_, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("nb")})
			return err
		}, "ResourceNotFoundException: Event bus nb does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apiCode(tt.call())
			if len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScheduledRuleFires(t *testing.T) {
	// One minute of schedule time lasts 100 ms.
	c, rec := start(t, 100*time.Millisecond)
	ctx := context.Background()
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("s"), ScheduleExpression: aws.String("rate(1 minute)")}); err != nil {
		t.Fatal(err)
	}
	q := "arn:aws:sqs:us-east-1:000000000000:sched"
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("s"), Targets: []types.Target{{Id: aws.String("q"), Arn: aws.String(q)}}}); err != nil {
		t.Fatal(err)
	}
	got := rec.wait(t, q, 2)
	var ev map[string]any
	json.Unmarshal([]byte(got[0].Body), &ev)
	if ev["detail-type"] != "Scheduled Event" || ev["source"] != "aws.events" {
		t.Fatalf("event %v", ev)
	}
}

func FuzzTransform(f *testing.F) {
	f.Add(`{"a": <k>, "b": "<k>"}`, "$.detail.k")
	f.Add(`"<k> is <aws.events.event>"`, "$.source")
	f.Fuzz(func(t *testing.T, tmpl, path string) {
		it := &inputTransformer{InputPathsMap: map[string]string{"k": path}, InputTemplate: &tmpl}
		transform(it, "arn:aws:events:us-east-1:000000000000:rule/r", []byte(`{"source":"s","detail":{"k":[1,"x"]}}`), time.Now())
		checkTemplate(it)
	})
}

// TestRestartKeepsRulesAndEvents: rules, targets and an accepted event whose
// target was failing survive a restart on the same store, and the event is
// delivered after it.
func TestRestartKeepsRulesAndEvents(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	q := "arn:aws:sqs:us-east-1:000000000000:later"
	rec := &recorder{sent: map[string][]eventsource.Message{}, fail: map[string]error{
		q: &awsproto.Error{Code: "ServiceUnavailable", Message: "down", Status: 503, Server: true}}, ch: make(chan struct{}, 1)}
	open := func() (*Service, *store.Store, *eventbridge.Client, func()) {
		st := &store.Store{Dir: dir}
		if err := st.Open(ctx); err != nil {
			t.Fatal(err)
		}
		svc := &Service{Store: st, Targets: rec, RetryDelay: 50 * time.Millisecond}
		if err := svc.Open(ctx); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(svc)
		c := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1})
		return svc, st, c, func() { srv.Close(); svc.Close(ctx); st.Close(ctx) }
	}
	_, _, c, stop := open()
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("orders"),
		EventPattern: aws.String(`{"source":["shop"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), EventBusName: aws.String("orders"),
		Targets: []types.Target{{Id: aws.String("q"), Arn: aws.String(q)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		EventBusName: aws.String("orders"), Source: aws.String("shop"), DetailType: aws.String("order"), Detail: aws.String(`{"n":1}`)}}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // a failed attempt or two
	stop()
	rec.mu.Lock()
	delete(rec.fail, q)
	rec.mu.Unlock()
	_, _, c, stop = open()
	defer stop()
	tg, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r"), EventBusName: aws.String("orders")})
	if err != nil || len(tg.Targets) != 1 || *tg.Targets[0].Arn != q {
		t.Fatalf("targets after restart %v %v", tg, err)
	}
	got := rec.wait(t, q, 1)
	var ev map[string]any
	if err := json.Unmarshal([]byte(got[0].Body), &ev); err != nil || ev["source"] != "shop" {
		t.Fatalf("delivered %s", got[0].Body)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(rec.got(q)); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
}

func (r *recorder) got(arn string) []eventsource.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]eventsource.Message(nil), r.sent[arn]...)
}
