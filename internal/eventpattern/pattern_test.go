package eventpattern

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// rulerEvent is the sample event of Event Ruler's README and of EventBridge's
// "Content filtering" page.
const rulerEvent = `{
  "version": "0",
  "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "012345679012",
  "time": "2017-10-02T16:24:49Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    "state": "running"
  }
}`

type matchCase struct {
	name    string
	pattern string
	opts    Options
	match   []string
	noMatch []string
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern), tc.opts)
			if err != nil {
				t.Fatalf("Compile(%s): %v", tc.pattern, err)
			}
			for _, ev := range tc.match {
				if !p.Match([]byte(ev)) {
					t.Errorf("pattern %s should match %s", tc.pattern, ev)
				}
			}
			for _, ev := range tc.noMatch {
				if p.Match([]byte(ev)) {
					t.Errorf("pattern %s should not match %s", tc.pattern, ev)
				}
			}
		})
	}
}

// TestEventBridgeExamples runs each operator's example from EventBridge's
// "Content filtering in Amazon EventBridge event patterns", "Comparison
// operators" and "Matching null values and empty strings" pages, and Event
// Ruler's README.
func TestEventBridgeExamples(t *testing.T) {
	runMatchCases(t, []matchCase{
		{name: "simple matching", pattern: `{
			"detail-type": ["EC2 Instance State-change Notification"],
			"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
			"detail": {"state": ["initializing", "running"]}}`,
			match:   []string{rulerEvent, `{"detail-type":"EC2 Instance State-change Notification","resources":["x","arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],"detail":{"state":"initializing"}}`},
			noMatch: []string{`{"detail-type":"EC2 Instance State-change Notification","resources":["x"],"detail":{"state":"running"}}`, `{"detail-type":"EC2 Instance State-change Notification","resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],"detail":{"state":"stopped"}}`}},
		{name: "prefix", pattern: `{"time": [{"prefix": "2017-10-02"}]}`,
			match:   []string{rulerEvent, `{"time":"2017-10-02T18:43:48Z"}`},
			noMatch: []string{`{"time":"2017-10-03T18:43:48Z"}`, `{"time":20171002}`, `{}`}},
		{name: "prefix ignoring case", pattern: `{"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}`,
			match:   []string{`{"service":"EventBridge"}`, `{"service":"EVENTBRIDGE"}`, `{"service":"eventbridge"}`},
			noMatch: []string{`{"service":"StepFunctions"}`, `{"service":"event"}`}},
		{name: "suffix", pattern: `{"FileName": [{"suffix": ".png"}]}`,
			match:   []string{`{"FileName":"image.png"}`},
			noMatch: []string{`{"FileName":"image.PNG"}`, `{"FileName":"image.jpg"}`}},
		{name: "suffix ignoring case", pattern: `{"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}`,
			match:   []string{`{"FileName":"image.png"}`, `{"FileName":"image.PNG"}`, `{"FileName":"image.Png"}`},
			noMatch: []string{`{"FileName":"image.jpg"}`}},
		{name: "anything-but string", pattern: `{"detail": {"state": [{"anything-but": "initializing"}]}}`,
			match:   []string{rulerEvent, `{"detail":{"state":"stopped"}}`, `{"detail":{"state":null}}`, `{"detail":{"state":7}}`},
			noMatch: []string{`{"detail":{"state":"initializing"}}`, `{"detail":{}}`, `{}`}},
		{name: "anything-but number", pattern: `{"detail": {"x-limit": [{"anything-but": 123}]}}`,
			match:   []string{rulerEvent},
			noMatch: []string{`{"detail":{"x-limit":123}}`, `{"detail":{"x-limit":1.23e2}}`}},
		{name: "anything-but string list", pattern: `{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}`,
			match:   []string{rulerEvent},
			noMatch: []string{`{"detail":{"state":"stopped"}}`, `{"detail":{"state":"overloaded"}}`}},
		{name: "anything-but number list", pattern: `{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}`,
			match:   []string{rulerEvent, `{"detail":{"x-limit":"100"}}`},
			noMatch: []string{`{"detail":{"x-limit":200}}`, `{"detail":{"x-limit":300.0}}`}},
		{name: "anything-but prefix", pattern: `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`,
			match:   []string{rulerEvent},
			noMatch: []string{`{"detail":{"state":"initializing"}}`}},
		{name: "anything-but prefix list", pattern: `{"Region": [{"anything-but": {"prefix": ["us-", "eu-"]}}]}`,
			match:   []string{`{"Region":"ap-south-1"}`},
			noMatch: []string{`{"Region":"us-east-1"}`, `{"Region":"eu-west-1"}`}},
		{name: "anything-but suffix", pattern: `{"FileName": [{"anything-but": {"suffix": ".png"}}]}`,
			match:   []string{`{"FileName":"image.jpg"}`},
			noMatch: []string{`{"FileName":"image.png"}`}},
		{name: "anything-but ignoring case", pattern: `{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}`,
			match:   []string{`{"state":"running"}`},
			noMatch: []string{`{"state":"initializing"}`, `{"state":"INITIALIZING"}`}},
		{name: "anything-but ignoring case list", pattern: `{"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]}`,
			match:   []string{`{"state":"running"}`},
			noMatch: []string{`{"state":"STOPPED"}`, `{"state":"overloaded"}`}},
		{name: "anything-but wildcard", pattern: `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`,
			match:   []string{`{"FilePath":"/usr/bin/go"}`},
			noMatch: []string{`{"FilePath":"/usr/lib/libc.so"}`}},
		{name: "numeric", pattern: `{"detail": {
			"c-count": [{"numeric": [">", 0, "<=", 5]}],
			"d-count": [{"numeric": ["<", 10]}],
			"x-limit": [{"numeric": ["=", 3.018e2]}]}}`,
			match:   []string{rulerEvent, `{"detail":{"c-count":0.000001,"d-count":-5e9,"x-limit":301.800000}}`},
			noMatch: []string{`{"detail":{"c-count":0,"d-count":3,"x-limit":301.8}}`, `{"detail":{"c-count":6,"d-count":3,"x-limit":301.8}}`, `{"detail":{"c-count":5,"d-count":10,"x-limit":301.8}}`, `{"detail":{"c-count":"5","d-count":3,"x-limit":301.8}}`}},
		{name: "numeric closed range", pattern: `{"n": [{"numeric": [">=", 0, "<", 1e3]}]}`,
			match:   []string{`{"n":0}`, `{"n":999.999999}`, `{"n":[5000, 7]}`},
			noMatch: []string{`{"n":1000}`, `{"n":-0.000001}`, `{"n":6e9}`}},
		{name: "cidr", pattern: `{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}`,
			match:   []string{rulerEvent, `{"detail":{"source-ip":"10.0.0.255"}}`},
			noMatch: []string{`{"detail":{"source-ip":"10.0.1.0"}}`, `{"detail":{"source-ip":"not an ip"}}`, `{"detail":{"source-ip":"::ffff:10.0.1.0"}}`}},
		{name: "cidr IPv6", pattern: `{"sourceIPAddress": [{"cidr": "bc1e:1234:5678::/48"}]}`,
			match:   []string{`{"sourceIPAddress":"bc1e:1234:5678:ffff::1"}`, `{"sourceIPAddress":"BC1E:1234:5678::"}`},
			noMatch: []string{`{"sourceIPAddress":"bc1e:1234:5679::1"}`, `{"sourceIPAddress":"10.0.0.1"}`}},
		{name: "IP address as a value", pattern: `{"ip": ["2001:db8::1", "10.0.0.1"]}`,
			match:   []string{`{"ip":"2001:0db8:0:0:0:0:0:1"}`, `{"ip":"10.0.0.1"}`},
			noMatch: []string{`{"ip":"2001:db8::2"}`}},
		{name: "exists", pattern: `{"detail": {"c-count": [{"exists": true}]}}`,
			match:   []string{rulerEvent, `{"detail":{"c-count":null}}`, `{"detail":{"c-count":[1]}}`},
			noMatch: []string{`{"detail":{"d-count":3}}`, `{"detail":{"c-count":{"c1":100}}}`, `{"detail":{"c-count":[]}}`}},
		{name: "exists false", pattern: `{"detail": {"c-count": [{"exists": false}]}}`,
			match: []string{`{"detail-type":"x","detail":{"state":"running"}}`,
				// README: c-count is not a leaf, so it does not exist.
				`{"detail":{"state":"running","c-count":{"c1":100}}}`,
				`{}`, `{"detail":"flat"}`, `{"detail":{"c-count":[]}}`},
			noMatch: []string{rulerEvent, `{"detail":{"c-count":null}}`}},
		{name: "equals-ignore-case", pattern: `{"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}`,
			match:   []string{rulerEvent},
			noMatch: []string{`{"detail-type":"EC2 Instance State-change"}`}},
		{name: "wildcard", pattern: `{"detail": {"filename": [{"wildcard": "dir/*.png"}]}}`,
			match:   []string{`{"detail":{"filename":"dir/image.png"}}`, `{"detail":{"filename":"dir/another_dir/image.png"}}`, `{"detail":{"filename":"dir/.png"}}`},
			noMatch: []string{`{"detail":{"filename":"dir/image.jpg"}}`, `{"detail":{"filename":"other/image.png"}}`}},
		{name: "wildcard several", pattern: `{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}`,
			match:   []string{`{"EventBusArn":"arn:aws:events:us-east-1:123456789012:event-bus/default"}`},
			noMatch: []string{`{"EventBusArn":"arn:aws:events:us-west-2:123456789012:event-bus/default"}`}},
		{name: "wildcard escapes", pattern: `{"v": [{"wildcard": "a\\*b*c\\\\"}]}`,
			match:   []string{`{"v":"a*bxyzc\\"}`, `{"v":"a*bc\\"}`},
			noMatch: []string{`{"v":"axbc\\"}`, `{"v":"a*bc"}`}},
		{name: "wildcard alone", pattern: `{"v": [{"wildcard": "*"}]}`,
			match:   []string{`{"v":""}`, `{"v":"anything"}`},
			noMatch: []string{`{"v":1}`, `{}`}},
		{name: "or", pattern: `{"detail": {"$or": [
			{"c-count": [{"numeric": [">", 0, "<=", 5]}]},
			{"d-count": [{"numeric": ["<", 10]}]},
			{"x-limit": [{"numeric": ["=", 3.018e2]}]}]}}`,
			match:   []string{rulerEvent, `{"detail":{"c-count":100,"d-count":9}}`, `{"detail":{"x-limit":301.8}}`},
			noMatch: []string{`{"detail":{"c-count":100,"d-count":10,"x-limit":1}}`, `{"detail":{}}`}},
		{name: "or with and inside", pattern: `{"source": ["aws.cloudwatch"], "$or": [
			{"metricName": ["CPUUtilization", "ReadLatency"]},
			{"metricType": ["MetricType"], "namespace": ["AWS/EC2", "AWS/ES"]},
			{"scope": ["Service"]}]}`,
			match:   []string{`{"source":"aws.cloudwatch","metricName":"ReadLatency"}`, `{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/ES"}`, `{"source":"aws.cloudwatch","scope":"Service"}`},
			noMatch: []string{`{"source":"aws.ec2","scope":"Service"}`, `{"source":"aws.cloudwatch","metricType":"MetricType"}`}},
		{name: "parallel or", pattern: `{
			"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
			"detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}}`,
			match:   []string{`{"namespace":"AWS/EC2","detail":{"detail-type":"CloudWatch Alarm State Change"}}`},
			noMatch: []string{`{"namespace":"AWS/EC2","detail":{}}`, `{"detail":{"source":"aws.cloudwatch"}}`}},
		{name: "nested or", pattern: `{"source": ["aws.cloudwatch"], "$or": [
			{"metricName": ["CPUUtilization"]},
			{"metricType": ["MetricType"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}]}`,
			match:   []string{`{"source":"aws.cloudwatch","metricType":"MetricType","spaceId":1000}`},
			noMatch: []string{`{"source":"aws.cloudwatch","metricType":"MetricType","spaceId":1001}`}},
		{name: "empty string", pattern: `{"detail": {"eventVersion": [""]}}`,
			match:   []string{`{"detail":{"eventVersion":"","responseElements":null}}`},
			noMatch: []string{`{"detail":{"eventVersion":null}}`, `{"detail":{}}`}},
		{name: "null", pattern: `{"detail": {"responseElements": [null]}}`,
			match:   []string{`{"detail":{"eventVersion":"","responseElements":null}}`},
			noMatch: []string{`{"detail":{"responseElements":""}}`, `{"detail":{}}`, `{"detail":{"responseElements":"null"}}`}},
		{name: "booleans", pattern: `{"enabled": [true]}`,
			match:   []string{`{"enabled":true}`, `{"enabled":[false,true]}`},
			noMatch: []string{`{"enabled":"true"}`, `{"enabled":false}`}},
		{name: "numbers by value and by literal", pattern: `{"n": [5, 123456789012, 1.0000001]}`,
			match:   []string{`{"n":5.0}`, `{"n":5e0}`, `{"n":123456789012}`, `{"n":1.0000001}`},
			noMatch: []string{`{"n":"5"}`, `{"n":123456789013}`, `{"n":1.2e11}`, `{"n":1}`}},
		{name: "strings do not match numbers", pattern: `{"n": ["5"]}`,
			match:   []string{`{"n":"5"}`},
			noMatch: []string{`{"n":5}`}},
		{name: "exactly", pattern: `{"v": [{"exactly": "a*b"}]}`,
			match:   []string{`{"v":"a*b"}`},
			noMatch: []string{`{"v":"axb"}`}},
		{name: "exists false with a value", pattern: `{"v": [{"exists": false}, "x"]}`,
			match:   []string{`{}`, `{"v":"x"}`},
			noMatch: []string{`{"v":"y"}`}},
	})
}

// TestArrays covers "Arrays in Amazon EventBridge event patterns" and Event
// Ruler's array consistency.
func TestArrays(t *testing.T) {
	employees := `{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`
	nested := `{"employees":[[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"}],[{"firstName":"Peter","lastName":"Jones"}]]}`
	runMatchCases(t, []matchCase{
		{name: "resources intersect", pattern: `{"resources": [
			"arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
			"arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
			"arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`,
			match:   []string{`{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, `{"resources":["x","arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`},
			noMatch: []string{`{"resources":[]}`, `{"resources":["x"]}`}},
		{name: "objects in an array", pattern: `{"employees": {"firstName": ["Anna"]}}`,
			match: []string{employees, nested}, noMatch: []string{`{"employees":[{"firstName":"Jim"}]}`}},
		{name: "array consistency", pattern: `{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}`,
			noMatch: []string{employees, nested}},
		{name: "same element", pattern: `{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}`,
			match: []string{employees, nested}},
		{name: "exists false in one element", pattern: `{"employees": {"firstName": ["Anna"], "middleName": [{"exists": false}]}}`,
			match:   []string{employees},
			noMatch: []string{`{"employees":[{"firstName":"Anna","middleName":"M"}]}`}},
		{name: "nested arrays of scalars", pattern: `{"v": [3]}`,
			match: []string{`{"v":[[1,2],[3]]}`}, noMatch: []string{`{"v":[[1,2],[{"v":3}]]}`}},
	})
}

// TestLambdaExamples runs the table of "Filter rule syntax" in Lambda's
// "Lambda event filtering", and its DynamoDB stream example.
func TestLambdaExamples(t *testing.T) {
	runMatchCases(t, []matchCase{
		{name: "null", pattern: `{"UserID": [null]}`, match: []string{`{"UserID":null}`}, noMatch: []string{`{"UserID":"u"}`}},
		{name: "empty", pattern: `{"LastName": [""]}`, match: []string{`{"LastName":""}`}, noMatch: []string{`{"LastName":"Doe"}`}},
		{name: "equals", pattern: `{"Name": ["Alice"]}`, match: []string{`{"Name":"Alice"}`}, noMatch: []string{`{"Name":"alice"}`}},
		{name: "equals ignore case", pattern: `{"Name": [{"equals-ignore-case": "alice"}]}`, match: []string{`{"Name":"ALICE"}`}},
		{name: "and", pattern: `{"Location": ["New York"], "Day": ["Monday"]}`,
			match: []string{`{"Location":"New York","Day":"Monday"}`}, noMatch: []string{`{"Location":"New York","Day":"Tuesday"}`}},
		{name: "or", pattern: `{"PaymentType": ["Credit", "Debit"]}`,
			match: []string{`{"PaymentType":"Debit"}`}, noMatch: []string{`{"PaymentType":"Cash"}`}},
		{name: "or multiple fields", pattern: `{"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}`,
			match: []string{`{"Location":"Paris","Day":"Monday"}`}, noMatch: []string{`{"Location":"Paris","Day":"Friday"}`}},
		{name: "not", pattern: `{"Weather": [{"anything-but": ["Raining"]}]}`,
			match: []string{`{"Weather":"Sunny"}`}, noMatch: []string{`{"Weather":"Raining"}`, `{}`}},
		{name: "numeric equals", pattern: `{"Price": [{"numeric": ["=", 100]}]}`,
			match: []string{`{"Price":100}`, `{"Price":1e2}`}, noMatch: []string{`{"Price":100.000001}`}},
		{name: "numeric range", pattern: `{"Price": [{"numeric": [">", 10, "<=", 20]}]}`,
			match: []string{`{"Price":20}`}, noMatch: []string{`{"Price":10}`, `{"Price":20.5}`}},
		{name: "exists", pattern: `{"ProductName": [{"exists": true}]}`,
			match: []string{`{"ProductName":"p"}`}, noMatch: []string{`{}`}},
		{name: "does not exist", pattern: `{"ProductName": [{"exists": false}]}`,
			match: []string{`{}`}, noMatch: []string{`{"ProductName":"p"}`}},
		{name: "begins with", pattern: `{"Region": [{"prefix": "us-"}]}`,
			match: []string{`{"Region":"us-east-1"}`}, noMatch: []string{`{"Region":"eu-west-1"}`}},
		{name: "ends with", pattern: `{"FileName": [{"suffix": ".png"}]}`,
			match: []string{`{"FileName":"a.png"}`}},
		{name: "DynamoDB keys", pattern: `{"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany Industries"]}}}}`,
			match:   []string{`{"eventName":"INSERT","dynamodb":{"Keys":{"CustomerName":{"S":"AnyCompany Industries"}},"NewImage":{"CustomerName":{"S":"AnyCompany Industries"}}}}`},
			noMatch: []string{`{"eventName":"INSERT","dynamodb":{"Keys":{"CustomerName":{"S":"Other"}}}}`}},
		{name: "DynamoDB event name", pattern: `{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"Quantity": {"N": [{"prefix": "1"}]}}}}`,
			match:   []string{`{"eventName":"MODIFY","dynamodb":{"NewImage":{"Quantity":{"N":"12"}}}}`},
			noMatch: []string{`{"eventName":"REMOVE","dynamodb":{"NewImage":{"Quantity":{"N":"12"}}}}`}},
	})
}

// TestSNSExamples runs the examples of SNS's "String value matching",
// "Numeric value matching" and "Key matching" pages, in both scopes (the
// attributes as the SNS service hands them to MatchValue: by name).
func TestSNSExamples(t *testing.T) {
	attrs, body := Options{Dialect: SNSMessageAttributes}, Options{Dialect: SNSMessageBody}
	runMatchCases(t, []matchCase{
		{name: "exact", opts: attrs, pattern: `{"customer_interests": ["rugby", "tennis"]}`,
			match:   []string{`{"customer_interests":"rugby"}`, `{"customer_interests":["rugby","tennis"]}`},
			noMatch: []string{`{"customer_interests":"baseball"}`, `{"customer_interests":["baseball"]}`}},
		{name: "anything-but with arrays", opts: body, pattern: `{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}`,
			match:   []string{`{"customer_interests":"baseball"}`, `{"customer_interests":["rugby","baseball"]}`},
			noMatch: []string{`{"customer_interests":"rugby"}`, `{"customer_interests":["rugby","tennis"]}`}},
		{name: "anything-but numbers", opts: attrs, pattern: `{"price": [{"anything-but": [100, 500]}]}`,
			match:   []string{`{"price":101}`, `{"price":100.1}`, `{"price":[100,50]}`},
			noMatch: []string{`{"price":100}`}},
		{name: "numeric exact", opts: body, pattern: `{"price_usd": [{"numeric": ["=", 301.5]}]}`,
			match: []string{`{"price_usd":301.5}`, `{"price_usd":3.015e2}`}},
		{name: "numeric range", opts: attrs, pattern: `{"price_usd": [{"numeric": [">", 0, "<=", 150]}]}`,
			match: []string{`{"price_usd":150}`}, noMatch: []string{`{"price_usd":0}`, `{"price_usd":-1}`}},
		{name: "key matching", opts: attrs, pattern: `{"store": [{"exists": true}]}`,
			match: []string{`{"store":"example_corp"}`}, noMatch: []string{`{"event":"order_placed"}`}},
		{name: "anything-but with exists false", opts: body, pattern: `{"store": [{"anything-but": "example_corp"}, {"exists": false}]}`,
			match: []string{`{}`, `{"store":"other"}`}, noMatch: []string{`{"store":"example_corp"}`}},
		{name: "nested body", opts: body, pattern: `{"patient": {"vitals": {"heart_rate": [{"numeric": [">", 100]}]}}}`,
			match: []string{`{"patient":{"vitals":{"heart_rate":120}}}`}, noMatch: []string{`{"patient":{"vitals":{"heart_rate":90}}}`}},
	})
}

func TestMatchValue(t *testing.T) {
	p, err := Compile([]byte(`{"n": [{"numeric": [">", 1]}], "s": ["x"], "big": [123456789012]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []map[string]any{
		{"n": json.Number("2"), "s": "x", "big": json.Number("123456789012")},
		{"n": 2.5, "s": "x", "big": float64(123456789012)},
		{"n": 2, "s": []any{"y", "x"}, "big": int64(123456789012)},
	} {
		if !p.MatchValue(ev) {
			t.Errorf("MatchValue(%v) = false", ev)
		}
	}
	if p.MatchValue(map[string]any{"n": 1, "s": "x", "big": 123456789012}) {
		t.Error("n=1 matched > 1")
	}
	if p.MatchValue(nil) || p.MatchValue("text") {
		t.Error("a non-object event matched")
	}
	if p.Match([]byte(`{"n":2,"s":"x","big":123456789012} trailing`)) || p.Match([]byte(`{"n":`)) {
		t.Error("invalid JSON matched")
	}
}

func TestNumberPrecision(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-0.0", 0, true}, {"301.8", 301_800_000, true}, {"3.018e2", 301_800_000, true},
		{"5e9", maxMicros, true}, {"-5E9", -maxMicros, true}, {"5000000000.000001", 0, false}, {"1e10", 0, false},
		{"0.0000005", 1, true}, {"0.00000049", 0, true}, {"-1.0000005", -1_000_001, true},
		{"1e-7", 0, true}, {"1E-999999999", 0, true}, {"1e999999999", 0, false}, {"12.5e-1", 1_250_000, true},
		{"", 0, false}, {"-", 0, false}, {"1e", 0, false}, {"abc", 0, false},
	} {
		got, ok := parseMicros(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseMicros(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestErrorWording(t *testing.T) {
	_, err := Compile([]byte(`{"a": "b"}`), Options{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if got, want := err.Error(), `Event pattern is not valid. Reason: "a" must be an object or an array`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !strings.HasPrefix(e.Reason, `"a"`) {
		t.Errorf("Reason = %q", e.Reason)
	}
}
