package eventpattern

import (
	"errors"
	"strings"
	"testing"
)

// TestCompileErrors checks that malformed patterns fail with Event Ruler's
// reasons (JsonRuleCompiler, ComparableNumber, Range, CIDR and
// WildcardParser), which EventBridge returns after "Event pattern is not
// valid. Reason: ", and SNS's limits with the sentences moto records.
func TestCompileErrors(t *testing.T) {
	attrs, body := Options{Dialect: SNSMessageAttributes}, Options{Dialect: SNSMessageBody}
	for _, tc := range []struct {
		pattern string
		opts    Options
		reason  string
	}{
		{pattern: `[]`, reason: "Filter is not an object"},
		{pattern: `"x"`, reason: "Filter is not an object"},
		{pattern: ``, reason: "Filter is not an object"},
		{pattern: `{}`, reason: "Empty objects are not allowed"},
		{pattern: `{"a": {}}`, reason: "Empty objects are not allowed"},
		{pattern: `{"a": []}`, reason: "Empty arrays are not allowed"},
		{pattern: `{"slug": "some-pipeline"}`, reason: `"slug" must be an object or an array`},
		{pattern: `{"a": 5}`, reason: `"a" must be an object or an array`},
		{pattern: `{"a": [["x"]]}`, reason: "Match value must be String, number, true, false, or null"},
		{pattern: `{"a": [{}]}`, reason: "Match expression name not found"},
		{pattern: `{"a": [{"regex": "x"}]}`, reason: "Unrecognized match type regex"},
		{pattern: `{"a": [{"prefix": 5}]}`, reason: "prefix match pattern must be a string"},
		{pattern: `{"a": [{"prefix": "x", "suffix": "y"}]}`, reason: "Only one key allowed in match expression"},
		{pattern: `{"a": [{"prefix": {"wildcard": "x"}}]}`, reason: "Unsupported prefix pattern: wildcard"},
		{pattern: `{"a": [{"prefix": {"equals-ignore-case": 1}}]}`, reason: "equals-ignore-case match pattern must be a string"},
		{pattern: `{"a": [{"prefix": {}}]}`, reason: "Prefix expression name not found"},
		{pattern: `{"a": [{"suffix": []}]}`, reason: "suffix match pattern must be a string"},
		{pattern: `{"a": [{"suffix": {"x": "y"}}]}`, reason: "Unsupported suffix pattern: x"},
		{pattern: `{"a": [{"equals-ignore-case": ["x"]}]}`, reason: "equals-ignore-case match pattern must be a string"},
		{pattern: `{"a": [{"exactly": 1}]}`, reason: "exact match pattern must be a string"},
		{pattern: `{"a": [{"exists": "true"}]}`, reason: "exists match pattern must be either true or false."},
		{pattern: `{"a": [{"exists": true, "prefix": "x"}]}`, reason: "Only one key allowed in match expression"},
		{pattern: `{"a": [{"wildcard": 5}]}`, reason: "wildcard match pattern must be a string"},
		{pattern: `{"a": [{"wildcard": "a**b"}]}`, reason: "Consecutive wildcard characters at pos 2"},
		{pattern: `{"a": [{"wildcard": "a\\b"}]}`, reason: "Invalid escape character at pos 2"},
		{pattern: `{"a": [{"wildcard": "ab\\"}]}`, reason: "Invalid escape character at pos 3"},
		{pattern: `{"a": [{"numeric": 5}]}`, reason: "Value of numeric must be an array."},
		{pattern: `{"a": [{"numeric": []}]}`, reason: "Invalid member in numeric match: ]"},
		{pattern: `{"a": [{"numeric": [5]}]}`, reason: "Invalid member in numeric match: 5"},
		{pattern: `{"a": [{"numeric": ["!=", 5]}]}`, reason: "Unrecognized numeric range operator: !="},
		{pattern: `{"a": [{"numeric": ["=", "5"]}]}`, reason: "Value of equals must be numeric"},
		{pattern: `{"a": [{"numeric": [">=", "5"]}]}`, reason: "Value of >= must be numeric"},
		{pattern: `{"a": [{"numeric": ["<", null]}]}`, reason: "Value of < must be numeric"},
		{pattern: `{"a": [{"numeric": ["=", 5, 6]}]}`, reason: "Too many elements in numeric expression"},
		{pattern: `{"a": [{"numeric": ["<", 5, ">", 1]}]}`, reason: "Too many elements in numeric expression"},
		{pattern: `{"a": [{"numeric": [">", 0, 5]}]}`, reason: "Bad value in numeric range: 5"},
		{pattern: `{"a": [{"numeric": [">", 0, ">", 5]}]}`, reason: "Bad numeric range operator: >"},
		{pattern: `{"a": [{"numeric": [">", 0, "<", "5"]}]}`, reason: "Value of < must be numeric"},
		{pattern: `{"a": [{"numeric": [">", 0, "<", 5, 6]}]}`, reason: "Too many terms in numeric range expression"},
		{pattern: `{"a": [{"numeric": [">", 10, "<", 5]}]}`, reason: "Bottom must be less than top"},
		{pattern: `{"a": [{"numeric": [">", 5, "<=", 5]}]}`, reason: "Bottom must be less than top"},
		{pattern: `{"a": [{"numeric": [">=", 5e9]}]}`, reason: "Bottom must be less than top"},
		{pattern: `{"a": [{"numeric": ["<", -6e9]}]}`, reason: "Bottom must be less than top"},
		{pattern: `{"a": [{"numeric": ["=", 6e9]}]}`, reason: "Value must be between -5.0E9 and 5.0E9, inclusive"},
		{pattern: `{"a": [{"numeric": [">", 0, "<", 6e9]}]}`, reason: "Value must be between -5.0E9 and 5.0E9, inclusive"},
		{pattern: `{"a": [{"numeric": ["<", 1]}, "x"], "b": [{"numeric": [">", 1]}], "c": {"d": [{"numeric": ["=", 1]}]}}`, reason: ""},
		{pattern: `{"a": [{"cidr": 10}]}`, reason: "prefix match pattern must be a string"},
		{pattern: `{"a": [{"cidr": "10.0.0.0"}]}`, reason: "Malformed CIDR, one '/' required"},
		{pattern: `{"a": [{"cidr": "10.0.0.0/8/8"}]}`, reason: "Malformed CIDR, one '/' required"},
		{pattern: `{"a": [{"cidr": "10.0.0.0/x"}]}`, reason: "Malformed CIDR, mask bits must be an integer"},
		{pattern: `{"a": [{"cidr": "10.0.0.0/-1"}]}`, reason: "Malformed CIDR, mask bits must not be negative"},
		{pattern: `{"a": [{"cidr": "10.0.0.0/32"}]}`, reason: "IPv4 mask bits must be < 32"},
		{pattern: `{"a": [{"cidr": "::/128"}]}`, reason: "IPv6 mask bits must be < 128"},
		{pattern: `{"a": [{"cidr": "host.example/24"}]}`, reason: "Nonstandard IP address: host.example"},
		{pattern: `{"a": [{"cidr": "999.0.0.0/24"}]}`, reason: "Invalid IP address: 999.0.0.0"},
		{pattern: `{"a": [{"anything-but": null}]}`, reason: "Value of anything-but must be an array or single string/number value."},
		{pattern: `{"a": [{"anything-but": true}]}`, reason: "Value of anything-but must be an array or single string/number value."},
		{pattern: `{"a": [{"anything-but": ["x", null]}]}`, reason: "Inside anything but list, start|null|boolean is not supported."},
		{pattern: `{"a": [{"anything-but": ["x", 1]}]}`, reason: "Inside anything but list, either all values are number or string, mixed type is not supported"},
		{pattern: `{"a": [{"anything-but": []}]}`, reason: "Inside anything but list, either all values are number or string, mixed type is not supported"},
		{pattern: `{"a": [{"anything-but": [7e9]}]}`, reason: "Value must be between -5.0E9 and 5.0E9, inclusive"},
		{pattern: `{"a": [{"anything-but": "x", "prefix": "y"}]}`, reason: "Too many elements in numeric expression"},
		{pattern: `{"a": [{"anything-but": {}}]}`, reason: "Anything-But expression name not found"},
		{pattern: `{"a": [{"anything-but": {"numeric": [">", 1]}}]}`, reason: "Unsupported anything-but pattern: numeric"},
		{pattern: `{"a": [{"anything-but": {"prefix": ""}}]}`, reason: "Null prefix/suffix not allowed"},
		{pattern: `{"a": [{"anything-but": {"suffix": ["x", ""]}}]}`, reason: "Null prefix/suffix not allowed"},
		{pattern: `{"a": [{"anything-but": {"prefix": 1}}]}`, reason: "prefix/suffix match pattern must be a string"},
		{pattern: `{"a": [{"anything-but": {"equals-ignore-case": [1]}}]}`, reason: "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."},
		{pattern: `{"a": [{"anything-but": {"wildcard": [1]}}]}`, reason: "wildcard match pattern must be a string"},
		{pattern: `{"a": [{"anything-but": {"wildcard": "x**"}}]}`, reason: "Consecutive wildcard characters at pos 2"},
		{pattern: `{"a": [{"anything-but": {"prefix": "x", "suffix": "y"}}]}`, reason: "Too many elements in numeric expression"},
		{pattern: `{"a": [{"anything-but": {"prefix": null}}]}`, reason: "Value of anything-but must be an array or single string/number value."},
		{pattern: `{"$or": {"a": ["x"]}}`, reason: "It must be an Array followed with $or."},
		{pattern: `{"$or": [{"a": ["x"]}]}`, reason: "There must have at least 2 Objects in $or relationship."},
		{pattern: `{"$or": [{"a": ["x"]}, "b"]}`, reason: "Only JSON object is allowed in array of $or relationship."},
		{pattern: `{"$or": [{"a": ["x"]}, {}]}`, reason: "Empty objects are not allowed"},
		{pattern: `{"$or": [{"a": ["x"]}, {"numeric": [1]}]}`, reason: "numeric is Ruler reserved fieldName which cannot be used inside $or."},
		{pattern: `{"$or": [{"a": ["x"]}, {"b": {"prefix": ["y"]}}]}`, reason: "prefix is Ruler reserved fieldName which cannot be used inside $or."},
		{pattern: `{"a": ["x"]`, reason: "Unexpected end-of-input"},
		{pattern: `{"eventName": ["INSERT"=123]}`, reason: "Invalid JSON: "},
		{pattern: `{"a": ["x"]} {}`, reason: "Invalid JSON: "},
		{pattern: strings.Repeat(`{"a":`, maxNesting+1) + `["x"]` + strings.Repeat("}", maxNesting+1), reason: "Event pattern is nested more than 64 levels deep"},
		{pattern: strings.Repeat(`{"a":`, maxNesting) + `["x"]` + strings.Repeat("}", maxNesting), reason: ""},

		// SNS.
		{opts: attrs, pattern: `{"a": {"b": ["x"]}}`, reason: "Filter policy scope MessageAttributes does not support nested filter policy"},
		{opts: body, pattern: `{"a": {"b": ["x"]}}`, reason: ""},
		{opts: attrs, pattern: `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, reason: "Filter policy can not have more than 5 keys"},
		{opts: attrs, pattern: `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"$or":[{"e":["1"]},{"f":["1"]}]}`, reason: "Filter policy can not have more than 5 keys"},
		{opts: body, pattern: `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":{"f":["1"],"g":["1"],"h":["1"]}}`, reason: ""},
		{opts: attrs, pattern: `{"store": [` + strings.Repeat(`"s",`, 150) + `"s"]}`, reason: "Filter policy is too complex"},
		{opts: attrs, pattern: `{"store": [` + strings.Repeat(`"s",`, 149) + `"s"]}`, reason: ""},
		{opts: attrs, pattern: `{"store": [` + strings.Repeat(`"s",`, 150) + `"s"]}`, reason: "Filter policy is too complex"},
		{opts: attrs, pattern: `{"store": [["example_corp"]]}`, reason: "Match value must be String, number, true, false, or null"},
		{opts: attrs, pattern: `{"key_a": ["value_one", "value_two", "value_three"], "key_b": ["value_one"], "key_c": ["value_one", "value_two"]}`, reason: ""},
		{opts: Options{}, pattern: `{"store": [` + strings.Repeat(`"s",`, 300) + `"s"]}`, reason: ""},
		{opts: body, pattern: `{"a": "` + strings.Repeat("x", SNSMaxPolicyBytes) + `"}`, reason: "Filter policy is too long"},
	} {
		_, err := Compile([]byte(tc.pattern), tc.opts)
		if tc.reason == "" {
			if err != nil {
				t.Errorf("Compile(%.80s): %v", tc.pattern, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Compile(%.80s) = %v, want reason %q", tc.pattern, err, tc.reason)
			continue
		}
		if e.Reason != tc.reason && !(strings.HasSuffix(tc.reason, ": ") && strings.HasPrefix(e.Reason, tc.reason)) {
			t.Errorf("Compile(%.80s): reason %q, want %q", tc.pattern, e.Reason, tc.reason)
		}
	}
}

// TestSNSCombinations checks the complexity arithmetic against SNS's own
// worked examples.
func TestSNSCombinations(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		d       Dialect
		want    int
	}{
		{`{"key_a": ["value_one", "value_two", "value_three"], "key_b": ["value_one"], "key_c": ["value_one", "value_two"]}`, SNSMessageAttributes, 6},
		{`{"key_a": {"key_b": {"key_c": ["value_one", "value_two", "value_three", "value_four"]}}, "key_d": {"key_e": ["value_one", "value_two", "value_three"]}}`, SNSMessageBody, 72},
		{`{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"metricType": ["MetricType"], "$or": [{"metricId": [1234, 4321]}, {"spaceId": [1000, 2000, 3000]}]}]}`, SNSMessageAttributes, 7},
	} {
		c := newCompiler([]byte(tc.pattern), Options{Dialect: tc.d})
		root, err := c.compile()
		if err != nil {
			t.Fatal(err)
		}
		if got := combinations(root, 1, tc.d == SNSMessageBody); got != tc.want {
			t.Errorf("combinations(%s) = %d, want %d", tc.pattern, got, tc.want)
		}
	}
}
