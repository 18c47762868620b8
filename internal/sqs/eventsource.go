package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/eventsource"
)

// Interface guards.
var (
	_ eventsource.Queues = (*Service)(nil)
	_ eventsource.Sender = (*Service)(nil)
)

// queueByARN finds the queue arn:aws:sqs:<region>:<account>:<name> names.
func (s *Service) queueByARN(arn string) (*queue, error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" {
		return nil, fmt.Errorf("%w: %q is not a queue ARN", eventsource.ErrNotFound, arn)
	}
	s.mu.RLock()
	q := s.byKey[parts[4]+"."+parts[5]]
	s.mu.RUnlock()
	if q == nil {
		return nil, fmt.Errorf("%w: queue %s", eventsource.ErrNotFound, arn)
	}
	return q, nil
}

// Describe implements eventsource.Queues.
func (s *Service) Describe(ctx context.Context, queueARN string) (eventsource.QueueInfo, error) {
	q, err := s.queueByARN(queueARN)
	if err != nil {
		return eventsource.QueueInfo{}, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return eventsource.QueueInfo{FIFO: q.meta.fifo(), VisibilityTimeout: time.Duration(q.meta.attrInt("VisibilityTimeout")) * time.Second}, nil
}

// lambdaRecord is a message as Lambda puts it in an SQS event.
type lambdaRecord struct {
	MessageID         string                `json:"messageId"`
	ReceiptHandle     string                `json:"receiptHandle"`
	Body              string                `json:"body"`
	Attributes        map[string]string     `json:"attributes"`
	MessageAttributes map[string]lambdaAttr `json:"messageAttributes"`
	MD5OfBody         string                `json:"md5OfBody"`
	MD5OfAttrs        string                `json:"md5OfMessageAttributes,omitempty"`
	EventSource       string                `json:"eventSource"`
	EventSourceARN    string                `json:"eventSourceARN"`
	AWSRegion         string                `json:"awsRegion"`
}

type lambdaAttr struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

// Receive implements eventsource.Queues.
func (s *Service) Receive(ctx context.Context, queueARN string, max int, visibility, wait time.Duration) ([]eventsource.QueueMessage, error) {
	q, err := s.queueByARN(queueARN)
	if err != nil {
		return nil, err
	}
	if max < 1 {
		max = 1
	}
	got, err := s.receive(ctx, q, max, visibility, wait, "")
	if err != nil {
		return nil, err
	}
	out := make([]eventsource.QueueMessage, 0, len(got))
	for _, m := range got {
		shown := show(q, m, []string{"All"}, []string{"All"})
		attrs := map[string]string{}
		for _, k := range []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
			"SequenceNumber", "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader"} {
			if v, ok := shown.Attributes[k]; ok {
				attrs[k] = v
			}
		}
		rec := lambdaRecord{MessageID: m.rec.ID, ReceiptHandle: shown.Receipt, Body: m.rec.Body, Attributes: attrs,
			MessageAttributes: map[string]lambdaAttr{}, MD5OfBody: m.md5, MD5OfAttrs: shown.MD5OfAttrs,
			EventSource: "aws:sqs", EventSourceARN: queueARN, AWSRegion: q.meta.Region}
		for n, a := range m.rec.Attrs {
			rec.MessageAttributes[n] = lambdaAttr{StringValue: a.StringValue, BinaryValue: a.BinaryValue,
				StringListValues: nonNil(a.StringListValues), BinaryListValues: nonNilB(a.BinaryListValues), DataType: a.DataType}
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, eventsource.QueueMessage{ID: m.rec.ID, Receipt: shown.Receipt, GroupID: m.rec.Group,
			Sent: time.UnixMilli(m.rec.Sent), Data: b, Size: len(b)})
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilB(s [][]byte) [][]byte {
	if s == nil {
		return [][]byte{}
	}
	return s
}

// Delete implements eventsource.Queues.
func (s *Service) Delete(ctx context.Context, queueARN string, receipts []string) error {
	q, err := s.queueByARN(queueARN)
	if err != nil {
		return err
	}
	for _, h := range receipts {
		if err := s.deleteOne(ctx, q, h); err != nil {
			if e, ok := err.(interface{ Error() string }); ok && strings.Contains(e.Error(), "expired") {
				continue
			}
			return err
		}
	}
	return nil
}

// ChangeVisibility implements eventsource.Queues.
func (s *Service) ChangeVisibility(ctx context.Context, queueARN string, receipts []string, visibility time.Duration) error {
	q, err := s.queueByARN(queueARN)
	if err != nil {
		return err
	}
	for _, h := range receipts {
		if err := s.changeOne(q, h, int(visibility/time.Second)); err != nil {
			if strings.Contains(err.Error(), "does not exist") {
				continue // the message is gone already
			}
			return err
		}
	}
	return nil
}

// Send implements eventsource.Sender: the same validation as SendMessage.
func (s *Service) Send(ctx context.Context, queueARN string, m eventsource.Message) (string, error) {
	q, err := s.queueByARN(queueARN)
	if err != nil {
		return "", err
	}
	e := entry{MessageBody: &m.Body, MessageDeduplicationID: m.DeduplicationID}
	if m.GroupID != "" {
		e.MessageGroupID = &m.GroupID
	}
	if m.Delay > 0 {
		d := int(m.Delay / time.Second)
		e.DelaySeconds = &d
	}
	for n, a := range m.Attributes {
		if e.MessageAttributes == nil {
			e.MessageAttributes = map[string]attrValue{}
		}
		v := attrValue{DataType: a.DataType, BinaryValue: a.BinaryValue}
		if a.BinaryValue == nil {
			sv := a.StringValue
			v.StringValue = &sv
		}
		e.MessageAttributes[n] = v
	}
	rec, err := s.prepare(q, &e, s.Now())
	if err != nil {
		return "", err
	}
	recs := []record{rec}
	if _, err := s.enqueue(ctx, q, recs); err != nil {
		return "", err
	}
	return recs[0].ID, nil
}
