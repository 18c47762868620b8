package sns

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// FuzzPublishInput feeds what a Publish request carries from its caller (the
// message, its structure, one message attribute) and a subscription's filter
// policy through the decoders and the matcher, and checks that whatever is
// accepted renders as an envelope that decodes back to the same message and
// attributes.
func FuzzPublishInput(f *testing.F) {
	rec, err := newKeyRecord()
	if err != nil {
		f.Fatal(err)
	}
	g, err := parseSigner(rec)
	if err != nil {
		f.Fatal(err)
	}
	s := &Service{signer: g}
	for _, seed := range []struct {
		msg, structure, name, typ, value, binary, policy, scope string
	}{
		{"hello", "", "color", "String", "red", "", `{"color":["red"]}`, ""},
		{`{"default":"d","sqs":"q"}`, "json", "n", "Number", "3.5e2", "", `{"n":[{"numeric":[">",100]}]}`, ""},
		{`{"order":{"id":[1,2]}}`, "", "arr", "String.Array", `["a",1,null]`, "", `{"order":{"id":[{"exists":true}]}}`, "MessageBody"},
		{"bin", "", "b", "Binary", "", "AAEC", `{"b":[{"anything-but":{"prefix":"x"}}]}`, "MessageAttributes"},
		{"<&>\u2028\x00", "", "x.y", "Number.int", "not a number", "", `{"$or":[{"a":["1"]},{"b":[{"prefix":"p"}]}]}`, ""},
		{"", "json", "", "", "", "!!", `{"a":`, "MessageBody"},
	} {
		f.Add(seed.msg, seed.structure, seed.name, seed.typ, seed.value, seed.binary, seed.policy, seed.scope)
	}
	f.Fuzz(func(t *testing.T, msg, structure, name, typ, value, binary, policy, scope string) {
		v := url.Values{"Message": {msg}}
		if structure != "" {
			v.Set("MessageStructure", structure)
		}
		if name != "" || typ != "" || value != "" || binary != "" {
			v.Set("MessageAttributes.entry.1.Name", name)
			v.Set("MessageAttributes.entry.1.Value.DataType", typ)
			if value != "" {
				v.Set("MessageAttributes.entry.1.Value.StringValue", value)
			}
			if binary != "" {
				v.Set("MessageAttributes.entry.1.Value.BinaryValue", binary)
			}
		}
		in, err := readInput(awsproto.NewQuery(v))
		if err == nil {
			err = in.validate()
		}
		if err != nil {
			if awsproto.As(err) == awsproto.ServiceFailure {
				t.Fatalf("a refusal that is not an AWS error: %v", err)
			}
			return
		}
		attrs := map[string]string{"FilterPolicy": policy}
		if scope != "" {
			attrs["FilterPolicyScope"] = scope
		}
		filter, err := compileFilter(attrs, "")
		if err != nil && awsproto.As(err) == awsproto.ServiceFailure {
			t.Fatalf("a bad policy that is not an AWS error: %v", err)
		}
		sub := &subscription{rec: subRecord{ARN: "arn:aws:sns:us-east-1:000000000000:t:s", Attributes: attrs}, filter: filter}
		matches(sub, msg, in.Attributes)

		d := &delivery{Type: "Notification", SubARN: sub.rec.ARN, TopicARN: "arn:aws:sns:us-east-1:000000000000:t",
			MessageID: awsproto.NewRequestID(), Message: in.Message, Timestamp: time.Now().UTC().Format(timestampLayout),
			Attributes: in.Attributes, Base: "http://localhost:4566", SigVersion: "1"}
		var env struct {
			Message           string
			MessageAttributes map[string]typeValue
		}
		body := s.envelopeJSON(d)
		if err := json.Unmarshal([]byte(body), &env); err != nil {
			t.Fatalf("envelope is not JSON: %v\n%s", err, body)
		}
		if env.Message != in.Message && utf8.ValidString(in.Message) {
			t.Fatalf("envelope Message %q, published %q", env.Message, in.Message)
		}
		if len(env.MessageAttributes) != len(in.Attributes) {
			t.Fatalf("envelope attributes %v, published %v", env.MessageAttributes, in.Attributes)
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(s.lambdaEvent(d)), &ev); err != nil {
			t.Fatalf("lambda event is not JSON: %v", err)
		}
	})
}
