package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// logsClient is an aws-sdk-go-v2 CloudWatch Logs client for ts.
func (ts *testServer) logsClient() *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		BaseEndpoint: aws.String(ts.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// wantAPIError asserts err is the AWS error code with exactly this message.
func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	ae := apiError(t, err, code)
	if ae.ErrorMessage() != msg {
		t.Errorf("%s: message %q, want %q", what, ae.ErrorMessage(), msg)
	}
}

func messages[E any](evs []E, msg func(E) *string) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, aws.ToString(msg(e)))
	}
	return out
}

func outMsgs(evs []cwtypes.OutputLogEvent) []string {
	return messages(evs, func(e cwtypes.OutputLogEvent) *string { return e.Message })
}

func filteredMsgs(evs []cwtypes.FilteredLogEvent) []string {
	return messages(evs, func(e cwtypes.FilteredLogEvent) *string { return e.Message })
}

func sameStrings(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func TestLogsAPI(t *testing.T) {
	ts := startServer(t, "")
	c := ts.logsClient()
	ctx := context.Background()
	now := time.Now().UnixMilli()

	// Groups: create, duplicates and bad names.
	for _, g := range []string{"/app/a", "/app/b", "/app/c", "/other"} {
		if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)}); err != nil {
			t.Fatalf("CreateLogGroup %s: %v", g, err)
		}
	}
	_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/a")})
	wantAPIError(t, "duplicate group", err, "ResourceAlreadyExistsException", "The specified log group already exists")
	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("bad:name")})
	wantAPIError(t, "bad group name", err, "InvalidParameterException",
		`1 validation error detected: Value 'bad:name' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(strings.Repeat("x", 513))})
	wantAPIError(t, "long group name", err, "InvalidParameterException", "Invalid LogGroup or LogStream, both must have length less than or equal to 512.")

	// The wire shape of an error, as awsJson 1.1 gives it.
	req, _ := http.NewRequest("POST", ts.URL+"/", strings.NewReader(`{"logGroupName":"/nope"}`))
	req.Header.Set("X-Amz-Target", "Logs_20140328.DeleteLogGroup")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" ||
		resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" ||
		string(body) != `{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}` {
		t.Errorf("raw error: %d %v %s", resp.StatusCode, resp.Header, body)
	}

	// DescribeLogGroups: prefix and paging.
	var names []string
	var token *string
	pages := 0
	for {
		out, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/app/"), Limit: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range out.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
			if aws.ToString(g.Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:"+aws.ToString(g.LogGroupName)+":*" ||
				aws.ToInt64(g.CreationTime) < now-60000 || g.LogGroupClass != cwtypes.LogGroupClassStandard {
				t.Errorf("group %+v", g)
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if !sameStrings(names, []string{"/app/a", "/app/b", "/app/c"}) || pages != 2 {
		t.Errorf("DescribeLogGroups pages=%d %v", pages, names)
	}

	// Log groups are regional: another region has none of these, and may reuse a name.
	eu := cloudwatchlogs.New(cloudwatchlogs.Options{BaseEndpoint: aws.String(ts.URL), Region: "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), Retryer: aws.NopRetryer{}})
	if out, err := eu.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); err != nil || len(out.LogGroups) != 0 {
		t.Errorf("eu-west-1 groups: %+v %v", out, err)
	}
	if _, err := eu.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/a")}); err != nil {
		t.Errorf("same name in another region: %v", err)
	}

	// Streams.
	for _, s := range []string{"s1", "s2", "s3"} {
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app/a"), LogStreamName: aws.String(s)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app/a"), LogStreamName: aws.String("s1")})
	wantAPIError(t, "duplicate stream", err, "ResourceAlreadyExistsException", "The specified log stream already exists")
	_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("s1")})
	wantAPIError(t, "stream in unknown group", err, "ResourceNotFoundException", "The specified log group does not exist.")
	_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app/a"), LogStreamName: aws.String("a:b")})
	wantAPIError(t, "bad stream name", err, "InvalidParameterException",
		"1 validation error detected: Value 'a:b' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*")

	// PutLogEvents.
	put := func(stream string, evs ...cwtypes.InputLogEvent) (*cloudwatchlogs.PutLogEventsOutput, error) {
		return c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app/a"), LogStreamName: aws.String(stream), LogEvents: evs})
	}
	ev := func(ts int64, msg string) cwtypes.InputLogEvent {
		return cwtypes.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(msg)}
	}
	base := now - 10000
	var s1 []cwtypes.InputLogEvent
	for i := range 5 {
		s1 = append(s1, ev(base+int64(i)*1000, fmt.Sprintf("e%d", i)))
	}
	out, err := put("s1", s1...)
	if err != nil || out.RejectedLogEventsInfo != nil || len(aws.ToString(out.NextSequenceToken)) == 0 {
		t.Fatalf("PutLogEvents: %+v %v", out, err)
	}
	_, err = put("s1", ev(base+5, "b"), ev(base, "a"))
	wantAPIError(t, "out of order", err, "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
	_, err = put("nope", ev(base, "a"))
	wantAPIError(t, "unknown stream", err, "ResourceNotFoundException", "The specified log stream does not exist.")
	day := int64(24 * 3600 * 1000)
	out, err = put("s3", ev(now-15*day, "too old"), ev(now-15*day+1, "too old too"))
	if err != nil {
		t.Fatal(err)
	}
	if out.RejectedLogEventsInfo == nil || aws.ToInt32(out.RejectedLogEventsInfo.TooOldLogEventEndIndex) != 1 ||
		out.RejectedLogEventsInfo.TooNewLogEventStartIndex != nil {
		t.Errorf("too old: %+v", out.RejectedLogEventsInfo)
	}
	_, err = put("s3", ev(now-2*day, "a"), ev(now, "b"))
	wantAPIError(t, "span", err, "InvalidParameterException", "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	out, err = put("s3", ev(now+1, "fine"), ev(now+3*3600*1000, "too new"))
	if err != nil {
		t.Fatal(err)
	}
	if out.RejectedLogEventsInfo == nil || aws.ToInt32(out.RejectedLogEventsInfo.TooNewLogEventStartIndex) != 1 ||
		out.RejectedLogEventsInfo.TooOldLogEventEndIndex != nil {
		t.Errorf("too new: %+v %v", out.RejectedLogEventsInfo, err)
	}

	// GetLogEvents, forward from the head...
	get := func(in cloudwatchlogs.GetLogEventsInput) *cloudwatchlogs.GetLogEventsOutput {
		t.Helper()
		in.LogGroupName, in.LogStreamName = aws.String("/app/a"), aws.String("s1")
		out, err := c.GetLogEvents(ctx, &in)
		if err != nil {
			t.Fatalf("GetLogEvents: %v", err)
		}
		return out
	}
	g := get(cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true), Limit: aws.Int32(2)})
	if !sameStrings(outMsgs(g.Events), []string{"e0", "e1"}) || aws.ToInt64(g.Events[0].Timestamp) != base || aws.ToInt64(g.Events[0].IngestionTime) < now {
		t.Errorf("head page: %v", outMsgs(g.Events))
	}
	var got []string
	fwd := g.NextForwardToken
	got = append(got, outMsgs(g.Events)...)
	for range 3 {
		g = get(cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true), Limit: aws.Int32(2), NextToken: fwd})
		got = append(got, outMsgs(g.Events)...)
		if len(g.Events) == 0 && aws.ToString(g.NextForwardToken) != aws.ToString(fwd) {
			t.Errorf("forward token at the end %q, want the same %q", aws.ToString(g.NextForwardToken), aws.ToString(fwd))
		}
		fwd = g.NextForwardToken
	}
	if !sameStrings(got, []string{"e0", "e1", "e2", "e3", "e4"}) {
		t.Errorf("forward paging: %v", got)
	}
	// ... a new event shows up on the repeated forward token ...
	if _, err := put("s1", ev(base+6000, "e5")); err != nil {
		t.Fatal(err)
	}
	g = get(cloudwatchlogs.GetLogEventsInput{NextToken: fwd})
	if !sameStrings(outMsgs(g.Events), []string{"e5"}) {
		t.Errorf("after the forward token: %v", outMsgs(g.Events))
	}
	// ... and backward from the tail.
	g = get(cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(2)})
	got = outMsgs(g.Events)
	bwd := g.NextBackwardToken
	for range 3 {
		g = get(cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(2), NextToken: bwd})
		got = append(outMsgs(g.Events), got...)
		if len(g.Events) == 0 && aws.ToString(g.NextBackwardToken) != aws.ToString(bwd) {
			t.Errorf("backward token at the start changed")
		}
		bwd = g.NextBackwardToken
	}
	if !sameStrings(got, []string{"e0", "e1", "e2", "e3", "e4", "e5"}) {
		t.Errorf("backward paging: %v", got)
	}
	g = get(cloudwatchlogs.GetLogEventsInput{StartTime: aws.Int64(base + 1000), EndTime: aws.Int64(base + 3000), StartFromHead: aws.Bool(true)})
	if !sameStrings(outMsgs(g.Events), []string{"e1", "e2"}) {
		t.Errorf("time window: %v", outMsgs(g.Events))
	}
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/app/a"), LogStreamName: aws.String("s1"), NextToken: aws.String("junk")})
	wantAPIError(t, "bad token", err, "InvalidParameterException", "The specified nextToken is invalid.")
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/app/a"), LogStreamName: aws.String("s1"), Limit: aws.Int32(10001)})
	wantAPIError(t, "limit", err, "InvalidParameterException",
		"1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000")
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("s1")})
	wantAPIError(t, "unknown group", err, "ResourceNotFoundException", "The specified log group does not exist.")

	// FilterLogEvents.
	if _, err := put("s2", ev(base+500, "GET /index.html 200 fast"), ev(base+1500, "ERROR disk full on /dev/sda"),
		ev(base+2500, "WARN disk almost full"), ev(base+3500, "GET /login 500 slow")); err != nil {
		t.Fatal(err)
	}
	filter := func(in cloudwatchlogs.FilterLogEventsInput) *cloudwatchlogs.FilterLogEventsOutput {
		t.Helper()
		in.LogGroupName = aws.String("/app/a")
		out, err := c.FilterLogEvents(ctx, &in)
		if err != nil {
			t.Fatalf("FilterLogEvents %+v: %v", in, err)
		}
		return out
	}
	cases := []struct {
		in   cloudwatchlogs.FilterLogEventsInput
		want []string
	}{
		{cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("GET slow")}, []string{"GET /login 500 slow"}},
		{cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String(`"disk full"`)}, []string{"ERROR disk full on /dev/sda"}},
		{cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("?ERROR ?WARN")}, []string{"ERROR disk full on /dev/sda", "WARN disk almost full"}},
		{cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("error")}, []string{}},
		{cloudwatchlogs.FilterLogEventsInput{StartTime: aws.Int64(base + 1000), EndTime: aws.Int64(base + 2000)}, []string{"e1", "ERROR disk full on /dev/sda", "e2"}},
		{cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"s1"}, StartTime: aws.Int64(base + 4000)}, []string{"e4", "e5"}},
		{cloudwatchlogs.FilterLogEventsInput{LogStreamNamePrefix: aws.String("s2"), FilterPattern: aws.String("GET")}, []string{"GET /index.html 200 fast", "GET /login 500 slow"}},
	}
	for _, tc := range cases {
		if got := filteredMsgs(filter(tc.in).Events); !sameStrings(got, tc.want) {
			t.Errorf("filter %q names %v start %v: %q, want %q", aws.ToString(tc.in.FilterPattern), tc.in.LogStreamNames, aws.ToInt64(tc.in.StartTime), got, tc.want)
		}
	}
	// Interleaved across streams, paged, every event with its stream and id.
	got = nil
	ids := map[string]bool{}
	token = nil
	for {
		f := filter(cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"s1", "s2"}, Limit: aws.Int32(3), NextToken: token})
		for _, e := range f.Events {
			got = append(got, aws.ToString(e.LogStreamName)+":"+aws.ToString(e.Message))
			ids[aws.ToString(e.EventId)] = true
			if aws.ToInt64(e.IngestionTime) < now {
				t.Errorf("ingestion time %d", aws.ToInt64(e.IngestionTime))
			}
		}
		if token = f.NextToken; token == nil {
			break
		}
	}
	want := []string{"s1:e0", "s2:GET /index.html 200 fast", "s1:e1", "s2:ERROR disk full on /dev/sda", "s1:e2",
		"s2:WARN disk almost full", "s1:e3", "s2:GET /login 500 slow", "s1:e4", "s1:e5"}
	if !sameStrings(got, want) || len(ids) != len(want) {
		t.Errorf("interleaved: %q (%d ids)", got, len(ids))
	}

	// DescribeLogStreams: by name with paging; by last event time, descending.
	ds, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/app/a"), Limit: aws.Int32(2)})
	if err != nil || len(ds.LogStreams) != 2 || aws.ToString(ds.LogStreams[0].LogStreamName) != "s1" || ds.NextToken == nil {
		t.Fatalf("DescribeLogStreams: %+v %v", ds, err)
	}
	s1d := ds.LogStreams[0]
	if aws.ToInt64(s1d.FirstEventTimestamp) != base || aws.ToInt64(s1d.LastEventTimestamp) != base+6000 ||
		aws.ToString(s1d.Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:/app/a:log-stream:s1" {
		t.Errorf("stream s1: %+v", s1d)
	}
	ds, _ = c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/app/a"), Limit: aws.Int32(2), NextToken: ds.NextToken})
	if len(ds.LogStreams) != 1 || aws.ToString(ds.LogStreams[0].LogStreamName) != "s3" || ds.NextToken != nil {
		t.Errorf("second page: %+v", ds)
	}
	ds, _ = c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/app/a"),
		OrderBy: cwtypes.OrderByLastEventTime, Descending: aws.Bool(true)})
	var order []string
	for _, s := range ds.LogStreams {
		order = append(order, aws.ToString(s.LogStreamName))
	}
	if !sameStrings(order, []string{"s3", "s1", "s2"}) {
		t.Errorf("by last event time: %v", order)
	}
	_, err = c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/app/a"),
		OrderBy: cwtypes.OrderByLastEventTime, LogStreamNamePrefix: aws.String("s")})
	wantAPIError(t, "order by time with prefix", err, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")

	// Retention: events older than it are gone.
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app/b"), LogStreamName: aws.String("r")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app/b"), LogStreamName: aws.String("r"),
		LogEvents: []cwtypes.InputLogEvent{ev(now-2*day-3600000, "old"), ev(now-2*day, "older than a day")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app/b"), LogStreamName: aws.String("r"),
		LogEvents: []cwtypes.InputLogEvent{ev(now, "recent")}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/app/b"), RetentionInDays: aws.Int32(2)})
	wantAPIError(t, "bad retention", err, "InvalidParameterException",
		"1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
	if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/app/b"), RetentionInDays: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	gr, _ := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/app/b")})
	if len(gr.LogGroups) != 1 || aws.ToInt32(gr.LogGroups[0].RetentionInDays) != 1 {
		t.Errorf("retention not shown: %+v", gr.LogGroups)
	}
	fb, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app/b")})
	if err != nil || !sameStrings(filteredMsgs(fb.Events), []string{"recent"}) {
		t.Errorf("after retention: %v %v", filteredMsgs(fb.Events), err)
	}
	gb, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/app/b"), LogStreamName: aws.String("r")})
	if err != nil || !sameStrings(outMsgs(gb.Events), []string{"recent"}) {
		t.Errorf("GetLogEvents after retention: %v %v", outMsgs(gb.Events), err)
	}
	out, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app/b"), LogStreamName: aws.String("r"),
		LogEvents: []cwtypes.InputLogEvent{ev(now-2*day, "expired"), ev(now-2*day+1, "expired too")}})
	if err != nil || out.RejectedLogEventsInfo == nil || aws.ToInt32(out.RejectedLogEventsInfo.ExpiredLogEventEndIndex) != 1 {
		t.Errorf("expired: %+v %v", out, err)
	}
	if _, err := c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("/app/b")}); err != nil {
		t.Fatal(err)
	}

	// Deletes.
	if _, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/app/a")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/app/a")})
	wantAPIError(t, "delete twice", err, "ResourceNotFoundException", "The specified log group does not exist.")
	_, err = c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app/a")})
	wantAPIError(t, "filter deleted group", err, "ResourceNotFoundException", "The specified log group does not exist.")
	// A group created again under the same name starts empty.
	c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/a")})                                    //nolint:errcheck
	c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app/a"), LogStreamName: aws.String("s1")}) //nolint:errcheck
	if fa, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app/a")}); err != nil || len(fa.Events) != 0 {
		t.Errorf("recreated group: %v %v", fa, err)
	}
}

var lambdaStreamName = regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`)

// functionLog waits (up to wait) until the function's log group holds n events
// and returns them.
func functionLog(t *testing.T, c *cloudwatchlogs.Client, fn string, n int, wait time.Duration) []cwtypes.FilteredLogEvent {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		out, err := c.FilterLogEvents(context.Background(), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/" + fn)})
		if err == nil && len(out.Events) >= n {
			return out.Events
		}
		if time.Now().After(deadline) {
			t.Fatalf("log group of %s: %v, %d events, want %d", fn, err, len(out.Events), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLambdaLogsLand(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, "--function-logs", "stderr")
	createFn(t, ts.lambdaClient(), "logger", "log")
	c := ts.logsClient()
	// LogType Tail makes the engine take in the runtime's output before it writes
	// END; without it the output can still be in the pipe then, and land after
	// END and REPORT (the engine's report() drains only for a tail).
	invokeFn(t, ts.lambdaClient(), "logger", `{}`, func(in *lambda.InvokeInput) { in.LogType = lambdatypes.LogTypeTail })
	start := time.Now()
	evs := functionLog(t, c, "logger", 5, time.Second)
	t.Logf("function log landed in %v", time.Since(start))
	checkFunctionLog(t, evs)
	// --function-logs stderr still gets every line too.
	if !strings.Contains(ts.stderr.String(), "logger hello from ") {
		t.Errorf("server stderr lacks the function's lines:\n%s", ts.stderr.String())
	}

	// The events are on disk: a restarted server still has them.
	ts.Stop(t)
	ts = startServer(t, dir)
	c = ts.logsClient()
	checkFunctionLog(t, functionLog(t, c, "logger", 5, time.Second))
	ds, err := c.DescribeLogStreams(context.Background(), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/aws/lambda/logger")})
	if err != nil || len(ds.LogStreams) != 1 || ds.LogStreams[0].LastEventTimestamp == nil {
		t.Errorf("streams after restart: %+v %v", ds, err)
	}
}

func checkFunctionLog(t *testing.T, evs []cwtypes.FilteredLogEvent) {
	t.Helper()
	msgs := filteredMsgs(evs)
	for i, m := range msgs {
		if !strings.HasSuffix(m, "\n") {
			t.Errorf("event %q does not end in a newline, as Lambda's do", m)
		}
		msgs[i] = strings.TrimSuffix(m, "\n")
	}
	if len(msgs) != 5 || !strings.HasPrefix(msgs[0], "START RequestId: ") {
		t.Fatalf("function log: %q", msgs)
	}
	id := strings.Fields(msgs[0])[2]
	if msgs[0] != "START RequestId: "+id+" Version: $LATEST" || msgs[1] != "hello from "+id || msgs[2] != "to stderr" ||
		msgs[3] != "END RequestId: "+id || !strings.HasPrefix(msgs[4], "REPORT RequestId: "+id+"\tDuration: ") {
		t.Errorf("function log: %q", msgs)
	}
	stream := aws.ToString(evs[0].LogStreamName)
	for _, e := range evs {
		if aws.ToString(e.LogStreamName) != stream {
			t.Errorf("events in streams %q and %q", stream, aws.ToString(e.LogStreamName))
		}
	}
	if !lambdaStreamName.MatchString(stream) || !strings.HasPrefix(stream, time.Now().UTC().Format("2006/01/02")) {
		t.Errorf("stream name %q", stream)
	}
}

// TestLogsCLI reads function logs with the aws CLI v2: filter-log-events, and
// tail --follow picking up an invocation made after it started.
func TestLogsCLI(t *testing.T) {
	awsPath := awsCLIv2(t)
	ts := startServer(t, "")
	lc := ts.lambdaClient()
	createFn(t, lc, "clilog", "log")
	invokeFn(t, lc, "clilog", `{}`)
	functionLog(t, ts.logsClient(), "clilog", 5, time.Second)
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")

	cmd := exec.Command(awsPath, "--endpoint-url", ts.URL, "--output", "json", "logs", "filter-log-events",
		"--log-group-name", "/aws/lambda/clilog", "--filter-pattern", "hello")
	cmd.Env = env
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("filter-log-events: %v\n%s", err, outb)
	}
	var res struct {
		Events []struct{ Message, LogStreamName, EventID string }
	}
	if err := json.Unmarshal(outb, &res); err != nil || len(res.Events) != 1 || !strings.HasPrefix(res.Events[0].Message, "hello from ") ||
		!lambdaStreamName.MatchString(res.Events[0].LogStreamName) {
		t.Errorf("filter-log-events: %v\n%s", err, outb)
	}

	tail := exec.Command(awsPath, "--endpoint-url", ts.URL, "logs", "tail", "/aws/lambda/clilog", "--follow", "--format", "short")
	tail.Env = env
	stdout, err := tail.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	tail.Stderr = os.Stderr
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { tail.Process.Kill(); tail.Wait() }() //nolint:errcheck
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// tail first prints what is already there: the first invocation's hello.
	waitLine := func(what string, match func(string) bool, wait time.Duration) {
		t.Helper()
		timeout := time.After(wait)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("aws logs tail ended before %s", what)
				}
				if match(l) {
					return
				}
			case <-timeout:
				t.Fatalf("aws logs tail did not show %s within %v", what, wait)
			}
		}
	}
	waitLine("the earlier invocation", func(l string) bool { return strings.Contains(l, "hello from ") }, 10*time.Second)
	invokeFn(t, lc, "clilog", `{}`)
	ev := functionLog(t, ts.logsClient(), "clilog", 10, time.Second)
	id := strings.Fields(aws.ToString(ev[5].Message))[2] // START RequestId: <id> ...
	start := time.Now()
	waitLine("the new invocation", func(l string) bool { return strings.Contains(l, "hello from "+id) }, 8*time.Second)
	t.Logf("aws logs tail --follow showed the new line %v after it was stored", time.Since(start))

	// The CLI sleeps 5 s after a poll that ends without a nextToken; once it
	// follows, Stratus holds its poll open instead, so a line arriving now shows
	// well before the CLI's next poll would have come.
	start = time.Now()
	out := invokeFn(t, lc, "clilog", `{}`)
	id, _ = awsmw.GetRequestIDMetadata(out.ResultMetadata)
	waitLine("the third invocation within a second or so", func(l string) bool { return strings.Contains(l, "hello from "+id) }, 2500*time.Millisecond)
	t.Logf("aws logs tail --follow showed the third line %v after the invoke began", time.Since(start))

	// Without --follow, tail prints what is there and ends: it is never handed a
	// follow token (it pages with a paginator, which would chase one forever).
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		once := exec.CommandContext(ctx, awsPath, "--endpoint-url", ts.URL, "logs", "tail", "/aws/lambda/clilog", "--format", "short")
		once.Env = env
		outb, err := once.CombinedOutput()
		cancel()
		if err != nil || strings.Count(string(outb), "hello from ") != 3 {
			t.Fatalf("aws logs tail without --follow: %v\n%s", err, outb)
		}
	}
}
