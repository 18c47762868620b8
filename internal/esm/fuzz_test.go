package esm

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/eventsource"
)

// FuzzFailedFrom: any function response is read as success, a cut at one of
// the batch's records, or a complete failure, and never panics.
func FuzzFailedFrom(f *testing.F) {
	f.Add([]byte(`{"batchItemFailures":[{"itemIdentifier":"2"}]}`))
	f.Add([]byte(`{"batchItemFailures":[{"itemIdentifier":""}]}`))
	f.Add([]byte(`{"batchItemFailures":null}`))
	f.Add([]byte(`{"batchItemFailures":[{"itemIdentifier":2}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	recs := []eventsource.Record{{Seq: "1"}, {Seq: "2"}, {Seq: "3"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, full := failedFrom(b, recs)
		if full && idx != 0 || idx < -1 || idx >= len(recs) {
			t.Fatalf("failedFrom(%q) = %d, %v", b, idx, full)
		}
	})
}

// FuzzCreateInput: any request body decodes and validates to a mapping's
// settings or to an AWS error, never a panic.
func FuzzCreateInput(f *testing.F) {
	f.Add([]byte(`{"EventSourceArn":"` + streamARN + `","FunctionName":"fn","StartingPosition":"TRIM_HORIZON","BatchSize":5}`))
	f.Add([]byte(`{"StartingPosition":"AT_TIMESTAMP","StartingPositionTimestamp":-1e308}`))
	f.Add([]byte(`{"FilterCriteria":{"Filters":[{"Pattern":"{\"a\":[1]}"},{}]},"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:lambda:us-east-1:000000000000:function:dest"}}}`))
	f.Add([]byte(`{"FunctionResponseTypes":["ReportBatchItemFailures","x"],"MaximumRecordAgeInSeconds":5}`))
	s := &Service{Functions: newFakeFunctions("fn", "dest"), Streams: map[string]eventsource.Streams{"dynamodb": newMemStreams()}, Second: time.Millisecond}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := httptest.NewRequest("POST", prefix, bytes.NewReader(b))
		var in createInput
		if err := decodeBody(r, &in); err != nil {
			return
		}
		if err := validateModel(&in.settingsInput); err != nil {
			return
		}
		if in.EventSourceArn != nil {
			if _, _, err := startingPosition(sourceService(*in.EventSourceArn), *in.EventSourceArn, &in); err != nil {
				return
			}
		}
		st := streamDefaults()
		if err := s.apply(context.Background(), &st, &in.settingsInput); err != nil {
			return
		}
		if st.BatchSize < 1 || st.ParallelizationFactor < 1 || len(st.Filters) > maxFilters {
			t.Fatalf("accepted settings %+v", st)
		}
	})
}
