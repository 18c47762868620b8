package lambda

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/async"
)

// FuzzEventConfigInput: the event-invoke-config body decoder and its validation
// either refuse with an AWS-shaped error or accept settings within Lambda's bounds.
func FuzzEventConfigInput(f *testing.F) {
	for _, s := range []string{
		`{"MaximumRetryAttempts":1}`, `{"MaximumEventAgeInSeconds":60}`, `{"MaximumRetryAttempts":3}`,
		`{"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:000000000000:q"}}}`,
		`{"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:lambda:us-east-1:000000000000:function:f"}}}`,
		`{"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:s3:::b"}}}`,
		`{"DestinationConfig":{}}`, `{}`, ``, `{"MaximumRetryAttempts":"x"}`, `[`, `{"MaximumEventAgeInSeconds":1e99}`,
	} {
		f.Add([]byte(s))
	}
	s := fuzzService()
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("PUT", "/2019-09-25/functions/f/event-invoke-config", bytes.NewReader(body))
		var in eventConfigInput
		err := decodeBody(r, 1<<16, "PutFunctionEventInvokeConfig", &in)
		if err == nil {
			err = s.validateEventConfig(&in, "us-east-1", "f")
		}
		if err != nil {
			checkAWSError(t, err)
			return
		}
		if v := in.MaximumRetryAttempts; v != nil && (*v < 0 || *v > 2) {
			t.Fatalf("accepted MaximumRetryAttempts %d", *v)
		}
		if v := in.MaximumEventAgeInSeconds; v != nil && (*v < 60 || *v > 21600) {
			t.Fatalf("accepted MaximumEventAgeInSeconds %d", *v)
		}
		if d := in.DestinationConfig; d != nil {
			for _, x := range []*destination{d.OnSuccess, d.OnFailure} {
				if x != nil && x.Destination != nil && *x.Destination != "" {
					// No function exists here, so no destination can be accepted.
					t.Fatalf("accepted destination %q", *x.Destination)
				}
			}
		}
	})
}

// FuzzDestinationRecord: whatever a function answered, its destination record is
// JSON whose payloads decode back to what was sent.
func FuzzDestinationRecord(f *testing.F) {
	f.Add([]byte(`{"a":1}`), []byte(`{"errorMessage":"x","errorType":"E"}`), "Unhandled")
	f.Add([]byte(`"s"`), []byte("not json \xff"), "")
	f.Add([]byte(`[]`), []byte(``), "Unhandled")
	f.Fuzz(func(t *testing.T, payload, response []byte, fnErr string) {
		if !json.Valid(payload) {
			return // Invoke accepts only JSON payloads
		}
		ev := &async.Event{ID: "id", Payload: payload, Attempts: 1,
			Last: &async.Attempt{FunctionError: fnErr, Response: keptResponse(response), Version: "$LATEST"}}
		b, err := json.Marshal(buildRecord(ev, "arn", conditionRetriesExhausted, time.Now()))
		if err != nil {
			t.Fatalf("record does not encode: %v", err)
		}
		var back struct {
			RequestPayload  json.RawMessage `json:"requestPayload"`
			ResponsePayload json.RawMessage `json:"responsePayload"`
		}
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("record is not JSON: %v", err)
		}
		if !jsonSame(back.RequestPayload, payload) {
			t.Fatalf("requestPayload %s, sent %s", back.RequestPayload, payload)
		}
		if json.Valid(response) && len(response) <= maxKeptResponse && !jsonSame(back.ResponsePayload, response) {
			t.Fatalf("responsePayload %s, answered %s", back.ResponsePayload, response)
		}
	})
}

func jsonSame(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
