package sqs

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
)

func FuzzParseReceipt(f *testing.F) {
	f.Add(encodeReceipt("abc", 7, 2))
	f.Add("garbage")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		qid, seq, n, ok := parseReceipt(h)
		if ok && encodeReceipt(qid, seq, n) == "" {
			t.Fatal("parsed a handle that does not re-encode")
		}
	})
}

func FuzzDecodeQuery(f *testing.F) {
	f.Add("Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Binary&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.BinaryValue=AQI%3D")
	f.Add("Action=ReceiveMessage&MaxNumberOfMessages=x&AttributeName.1=All&MessageAttributeName.1=a.*")
	f.Add("Action=SendMessage&DelaySeconds=9999999999999999999&MessageAttribute.1.Name=k")
	f.Fuzz(func(t *testing.T, form string) {
		v, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		var in input
		decodeQuery(awsproto.NewQuery(v), &in) //nolint:errcheck // only must not panic
		for _, e := range in.Entries {
			md5OfAttributes(e.MessageAttributes)
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"QueueUrl":"http://x/000000000000/q","Entries":[{"Id":"a","MessageBody":"b","MessageAttributes":{"n":{"DataType":"String","StringValue":"v"}}}]}`)
	f.Add(`{"MaxNumberOfMessages":"x"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var in input
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		md5OfAttributes(in.MessageAttributes)
		for _, e := range in.Entries {
			md5OfAttributes(e.MessageAttributes)
			checkBatch(in.Entries) //nolint:errcheck
		}
	})
}
