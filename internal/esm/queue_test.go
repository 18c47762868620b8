package esm

import (
	"reflect"
	"testing"

	"github.com/stratus-run/stratus/internal/eventsource"
)

func TestQueueFailures(t *testing.T) {
	msgs := []eventsource.QueueMessage{{ID: "a", GroupID: "g1"}, {ID: "b", GroupID: "g1"}, {ID: "c", GroupID: "g2"}, {ID: "d", GroupID: "g1"}}
	for _, tc := range []struct {
		name    string
		payload string
		fifo    bool
		failed  []bool
		full    bool
	}{
		{"null", `null`, false, []bool{false, false, false, false}, false},
		{"not an object", `"ok"`, false, []bool{false, false, false, false}, false},
		{"empty list", `{"batchItemFailures":[]}`, false, []bool{false, false, false, false}, false},
		{"null list", `{"batchItemFailures":null}`, false, []bool{false, false, false, false}, false},
		{"some", `{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"c"}]}`, false, []bool{false, true, true, false}, false},
		{"fifo: the rest of a group fails with it", `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, true, []bool{false, true, false, true}, false},
		{"unknown id", `{"batchItemFailures":[{"itemIdentifier":"zz"}]}`, false, nil, true},
		{"empty id", `{"batchItemFailures":[{"itemIdentifier":""}]}`, false, nil, true},
		{"missing id", `{"batchItemFailures":[{}]}`, false, nil, true},
		{"not a list", `{"batchItemFailures":{"itemIdentifier":"a"}}`, false, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failed, full := queueFailures([]byte(tc.payload), msgs, tc.fifo)
			if full != tc.full || (!full && !reflect.DeepEqual(failed, tc.failed)) {
				t.Errorf("got %v full=%v, want %v full=%v", failed, full, tc.failed, tc.full)
			}
		})
	}
}

func TestMatchQueueRecord(t *testing.T) {
	rec := func(body string) []byte {
		return []byte(`{"messageId":"m","body":` + quote(body) + `,"attributes":{"ApproximateReceiveCount":"1"},"eventSource":"aws:sqs"}`)
	}
	for _, tc := range []struct {
		name, pattern, body string
		want                bool
	}{
		{"JSON body field", `{"body":{"kind":["order"]}}`, `{"kind":"order","n":3}`, true},
		{"JSON body field mismatch", `{"body":{"kind":["order"]}}`, `{"kind":"refund"}`, false},
		{"numeric on body", `{"body":{"n":[{"numeric":[">",2]}]}}`, `{"n":3}`, true},
		{"plain body as string", `{"body":["hello"]}`, `hello`, true},
		{"plain body prefix", `{"body":[{"prefix":"he"}]}`, `hello`, true},
		{"attributes", `{"attributes":{"ApproximateReceiveCount":["1"]}}`, `x`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := compileFilters([]string{tc.pattern})
			if got := f.matchQueueRecord(rec(tc.body)); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

func quote(s string) string {
	b := []byte{'"'}
	for _, c := range []byte(s) {
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return string(append(b, '"'))
}
