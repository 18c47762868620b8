package sns

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// The delivery queue: one JetStream work-queue message per (published
// message, subscription), acknowledged once delivered or dead-lettered, so a
// crash at any point leads to redelivery, never to loss.
const (
	deliveryStream   = "SNS_DELIVERIES"
	deliverySubject  = "sns.deliveries"
	deliveryConsumer = "sns-delivery"
)

// delivery is one queued delivery.
type delivery struct {
	Type       string             `json:"type"` // Notification, SubscriptionConfirmation or UnsubscribeConfirmation
	SubARN     string             `json:"sub"`
	TopicARN   string             `json:"topic"`
	Protocol   string             `json:"protocol"`
	Endpoint   string             `json:"endpoint"`
	MessageID  string             `json:"id"`
	Subject    string             `json:"subject,omitempty"`
	Message    string             `json:"message"`
	Timestamp  string             `json:"ts"`
	Attributes map[string]msgAttr `json:"attrs,omitempty"`
	Raw        bool               `json:"raw,omitempty"`
	GroupID    string             `json:"group,omitempty"`
	DedupID    string             `json:"dedup,omitempty"`
	Seq        string             `json:"seq,omitempty"`
	Base       string             `json:"base"`
	SigVersion string             `json:"sigv"`
	Token      string             `json:"token,omitempty"`
	DLQ        string             `json:"dlq,omitempty"`
}

const timestampLayout = "2006-01-02T15:04:05.000Z"

// notification builds the delivery of a message to sub. Guarded by Service.mu.
func (s *Service) notification(base string, t *topic, sub *subscription, id, seq, msg string, in input, now time.Time) delivery {
	d := delivery{
		Type: "Notification", SubARN: sub.rec.ARN, TopicARN: t.rec.ARN, Protocol: sub.rec.Protocol,
		Endpoint: sub.rec.Endpoint, MessageID: id, Subject: in.Subject, Message: msg,
		Timestamp: now.UTC().Format(timestampLayout), Attributes: in.Attributes, Raw: sub.raw(),
		GroupID: in.GroupID, DedupID: in.DedupID, Seq: seq, Base: base, SigVersion: sigVersion(t),
	}
	if rp := sub.rec.Attributes["RedrivePolicy"]; rp != "" {
		var p struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		}
		if json.Unmarshal([]byte(rp), &p) == nil {
			d.DLQ = p.DeadLetterTargetArn
		}
	}
	return d
}

// confirmation builds the SubscriptionConfirmation of a pending http(s)
// subscription.
func (s *Service) confirmation(base string, t *topic, sub *subscription) delivery {
	return delivery{
		Type: "SubscriptionConfirmation", SubARN: sub.rec.ARN, TopicARN: t.rec.ARN, Protocol: sub.rec.Protocol,
		Endpoint: sub.rec.Endpoint, MessageID: awsproto.NewRequestID(), Token: sub.rec.Token,
		Message: "You have chosen to subscribe to the topic " + t.rec.ARN +
			".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		Timestamp: time.Now().UTC().Format(timestampLayout), Base: base, SigVersion: sigVersion(t),
	}
}

// unsubscribeConfirmation builds the UnsubscribeConfirmation sent to an
// http(s) endpoint whose subscription rec was removed; its token restores
// the subscription (confirmSubscription).
func (s *Service) unsubscribeConfirmation(base string, t *topic, rec subRecord) delivery {
	return delivery{
		Type: "UnsubscribeConfirmation", SubARN: rec.ARN, TopicARN: rec.TopicARN, Protocol: rec.Protocol,
		Endpoint: rec.Endpoint, MessageID: awsproto.NewRequestID(), Token: rec.Token,
		Message: "You have chosen to deactivate subscription " + rec.ARN +
			".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
		Timestamp: time.Now().UTC().Format(timestampLayout), Base: base, SigVersion: sigVersion(t),
	}
}

func sigVersion(t *topic) string {
	if t.rec.Attributes["SignatureVersion"] == "2" {
		return "2"
	}
	return "1"
}

// enqueue writes deliveries to the queue, returning once JetStream has
// stored every one.
func (s *Service) enqueue(ctx context.Context, ds []delivery) error {
	js := s.Store.JetStream()
	for i := range ds {
		b, err := json.Marshal(&ds[i])
		if err != nil {
			return err
		}
		if _, err := js.Publish(ctx, deliverySubject, b); err != nil {
			return fmt.Errorf("sns: enqueue delivery: %w", err)
		}
	}
	return nil
}

// startDelivery binds the stream and consumer and starts the workers.
func (s *Service) startDelivery(ctx context.Context) error {
	js := s.Store.JetStream()
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: deliveryStream, Subjects: []string{deliverySubject},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("sns: delivery stream: %w", err)
	}
	s.stream = st
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: deliveryConsumer, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: s.AckWait, MaxDeliver: -1, MaxAckPending: 10000,
	})
	if err != nil {
		return fmt.Errorf("sns: delivery consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(s.Workers))
	if err != nil {
		return fmt.Errorf("sns: delivery consumer: %w", err)
	}
	bg, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.sem = make(chan struct{}, s.Workers)
	s.lanes = map[string]*lane{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-bg.Done()
		it.Stop()
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			msg, err := it.Next()
			if err != nil {
				if bg.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					return
				}
				continue
			}
			var d delivery
			if err := json.Unmarshal(msg.Data(), &d); err != nil {
				msg.Term() //nolint:errcheck // undecodable: nothing to deliver
				continue
			}
			if d.Seq != "" {
				s.toLane(bg, msg, &d)
				continue
			}
			select {
			case s.sem <- struct{}{}:
			case <-bg.Done():
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer func() { <-s.sem }()
				s.handle(bg, msg, &d, false)
			}()
		}
	}()
	return nil
}

// lane delivers the messages of one FIFO message group to one subscription
// one at a time, in the order they were published, so that a retry holds
// back the messages after it rather than letting them overtake it, as SNS
// FIFO topics guarantee. Guarded by Service.laneMu.
type lane struct {
	queue []laneEntry
	seqs  map[uint64]bool // stream sequences queued or in delivery
}

type laneEntry struct {
	msg jetstream.Msg
	d   delivery
	seq uint64
}

// toLane queues a FIFO delivery on the lane of its subscription and group,
// starting the lane's goroutine when it has none. A copy JetStream
// redelivers (its ack wait ran out while the lane was held up) is dropped:
// the first copy is still to be settled, and acks go by stream sequence.
func (s *Service) toLane(ctx context.Context, msg jetstream.Msg, d *delivery) {
	var seq uint64
	if md, err := msg.Metadata(); err == nil {
		seq = md.Sequence.Stream
	}
	key := d.SubARN + " " + d.GroupID
	s.laneMu.Lock()
	defer s.laneMu.Unlock()
	l := s.lanes[key]
	if l == nil {
		l = &lane{seqs: map[uint64]bool{}}
		s.lanes[key] = l
		s.wg.Add(1)
		go s.runLane(ctx, key, l)
	}
	if seq != 0 && l.seqs[seq] {
		return
	}
	l.seqs[seq] = true
	l.queue = append(l.queue, laneEntry{msg: msg, d: *d, seq: seq})
}

// runLane delivers l's queue in order and ends when it is empty.
func (s *Service) runLane(ctx context.Context, key string, l *lane) {
	defer s.wg.Done()
	for {
		s.laneMu.Lock()
		if len(l.queue) == 0 || ctx.Err() != nil {
			delete(s.lanes, key)
			s.laneMu.Unlock()
			return
		}
		e := l.queue[0]
		l.queue = l.queue[1:]
		s.laneMu.Unlock()
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		s.handle(ctx, e.msg, &e.d, true)
		<-s.sem
		s.laneMu.Lock()
		delete(l.seqs, e.seq)
		s.laneMu.Unlock()
	}
}

// handle delivers d and settles its queue message. A failed attempt is
// retried after the protocol's delay: inline when inline is set (a FIFO
// lane, which must not let later messages pass), otherwise by handing the
// message back to JetStream with the delay.
func (s *Service) handle(ctx context.Context, msg jetstream.Msg, d *delivery, inline bool) {
	attempt := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		attempt = md.NumDelivered
	}
	retries, delay := s.TargetRetries, s.TargetRetryDelay
	if d.Protocol == "http" || d.Protocol == "https" {
		retries, delay = s.HTTPRetries, s.HTTPRetryDelay
	}
	for ; ; attempt++ {
		if !s.stillWanted(d) {
			msg.Ack() //nolint:errcheck
			return
		}
		err := s.deliver(ctx, d)
		if err == nil {
			msg.Ack() //nolint:errcheck
			return
		}
		if ctx.Err() != nil {
			return // closing: JetStream hands it out again after AckWait
		}
		if retries >= 0 && attempt > uint64(retries) {
			s.giveUp(ctx, msg, d, delay, err)
			return
		}
		if !inline {
			msg.NakWithDelay(delay) //nolint:errcheck
			return
		}
		msg.InProgress() //nolint:errcheck // restarts the ack wait while we hold it
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
	}
}

// giveUp sends a delivery that ran out of retries to its subscription's
// dead-letter queue, or drops it, and acks it; when the dead-letter queue
// refuses it too, it is retried later.
func (s *Service) giveUp(ctx context.Context, msg jetstream.Msg, d *delivery, delay time.Duration, cause error) {
	if d.DLQ != "" && d.Type == "Notification" && s.Targets != nil {
		if _, err := s.Targets.Send(ctx, d.DLQ, eventsource.Message{Body: s.envelopeJSON(d), Attributes: sqsAttributes(d.Attributes)}); err != nil {
			slog.Warn("sns: dead-letter queue refused a message", "dlq", d.DLQ, "err", err)
			msg.NakWithDelay(delay) //nolint:errcheck
			return
		}
	} else {
		slog.Warn("sns: dropping undeliverable message", "subscription", d.SubARN, "err", cause)
	}
	msg.Ack() //nolint:errcheck
}

// stillWanted reports whether the subscription d is for still wants it. An
// UnsubscribeConfirmation is for a subscription already gone.
func (s *Service) stillWanted(d *delivery) bool {
	if d.Type == "UnsubscribeConfirmation" {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[d.SubARN]
	if sub == nil {
		return false
	}
	if d.Type == "SubscriptionConfirmation" {
		return sub.rec.Pending
	}
	return true
}

// deliver makes one attempt.
func (s *Service) deliver(ctx context.Context, d *delivery) error {
	switch d.Protocol {
	case "sqs":
		if s.Targets == nil {
			return errors.New("sns: no Targets to deliver to sqs")
		}
		m := eventsource.Message{Body: s.envelopeJSON(d), GroupID: d.GroupID, DeduplicationID: d.DedupID}
		if d.Raw {
			m.Body = d.Message
			m.Attributes = sqsAttributes(d.Attributes)
		}
		_, err := s.Targets.Send(ctx, d.Endpoint, m)
		return err
	case "lambda":
		if s.Targets == nil {
			return errors.New("sns: no Targets to deliver to lambda")
		}
		_, err := s.Targets.Send(ctx, d.Endpoint, eventsource.Message{Body: s.lambdaEvent(d)})
		return err
	case "http", "https":
		return s.post(ctx, d)
	}
	return fmt.Errorf("sns: protocol %s", d.Protocol)
}

// post sends d to an http(s) endpoint; any 2xx is success.
func (s *Service) post(ctx context.Context, d *delivery) error {
	body := s.envelopeJSON(d)
	if d.Raw && d.Type == "Notification" {
		body = d.Message
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint, strings.NewReader(body))
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("User-Agent", "Amazon Simple Notification Service Agent")
	h.Set("x-amz-sns-message-type", d.Type)
	h.Set("x-amz-sns-message-id", d.MessageID)
	h.Set("x-amz-sns-topic-arn", d.TopicARN)
	// A subscription being confirmed has no ARN to show yet.
	if d.Type != "SubscriptionConfirmation" {
		h.Set("x-amz-sns-subscription-arn", d.SubARN)
	}
	if d.Raw && d.Type == "Notification" {
		h.Set("x-amz-sns-rawdelivery", "true")
	}
	resp, err := s.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("sns: %s answered %d", d.Endpoint, resp.StatusCode)
	}
	return nil
}

// envelope is the fields of an SNS message as delivered.
type envelope struct {
	Type, MessageID, Token, TopicARN, Subject, Message, SubscribeURL, Timestamp string
	Seq                                                                         string
	SignatureVersion, Signature, SigningCertURL, UnsubscribeURL                 string
	Attributes                                                                  map[string]msgAttr
}

func (s *Service) envelopeOf(d *delivery) *envelope {
	e := &envelope{
		Type: d.Type, MessageID: d.MessageID, Token: d.Token, TopicARN: d.TopicARN, Subject: d.Subject,
		Message: d.Message, Timestamp: d.Timestamp, Seq: d.Seq, SignatureVersion: d.SigVersion,
		SigningCertURL: d.Base + s.signer.certPath(), Attributes: d.Attributes,
	}
	// AWS writes the ARNs into these URLs as they are: colons and the
	// characters of names need no escaping in a query.
	if d.Type == "Notification" {
		e.UnsubscribeURL = d.Base + "/?Action=Unsubscribe&SubscriptionArn=" + d.SubARN
	} else {
		e.SubscribeURL = d.Base + "/?Action=ConfirmSubscription&TopicArn=" + d.TopicARN + "&Token=" + d.Token
	}
	e.Signature = s.signer.sign(e.SignatureVersion, canonical(e))
	return e
}

// envelopeJSON is the message as SNS posts it to http(s) endpoints and puts
// it in SQS queues: AWS's field order and its "Key" : value layout.
func (s *Service) envelopeJSON(d *delivery) string {
	e := s.envelopeOf(d)
	var b bytes.Buffer
	b.WriteString("{\n")
	first := true
	field := func(k string, v any) {
		if !first {
			b.WriteString(",\n")
		}
		first = false
		kb, _ := json.Marshal(k)
		vb, _ := marshalNoEscape(v)
		b.WriteString("  ")
		b.Write(kb)
		b.WriteString(" : ")
		b.Write(vb)
	}
	field("Type", e.Type)
	field("MessageId", e.MessageID)
	if e.Token != "" {
		field("Token", e.Token)
	}
	if e.Seq != "" {
		field("SequenceNumber", e.Seq)
	}
	field("TopicArn", e.TopicARN)
	if e.Subject != "" {
		field("Subject", e.Subject)
	}
	field("Message", e.Message)
	if e.SubscribeURL != "" {
		field("SubscribeURL", e.SubscribeURL)
	}
	field("Timestamp", e.Timestamp)
	field("SignatureVersion", e.SignatureVersion)
	field("Signature", e.Signature)
	field("SigningCertURL", e.SigningCertURL)
	if e.UnsubscribeURL != "" {
		field("UnsubscribeURL", e.UnsubscribeURL)
	}
	if len(e.Attributes) > 0 {
		field("MessageAttributes", envelopeAttributes(e.Attributes))
	}
	b.WriteString("\n}")
	return b.String()
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

type typeValue struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// envelopeAttributes renders attributes as {name: {Type, Value}}, binary
// values in base64.
func envelopeAttributes(attrs map[string]msgAttr) map[string]typeValue {
	out := make(map[string]typeValue, len(attrs))
	for k, a := range attrs {
		v := a.String
		if strings.HasPrefix(a.Type, "Binary") {
			v = base64.StdEncoding.EncodeToString(a.Binary)
		}
		out[k] = typeValue{Type: a.Type, Value: v}
	}
	return out
}

// sqsAttributes maps SNS message attributes to SQS ones (raw delivery).
func sqsAttributes(attrs map[string]msgAttr) map[string]eventsource.Attribute {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]eventsource.Attribute, len(attrs))
	for k, a := range attrs {
		out[k] = eventsource.Attribute{DataType: a.Type, StringValue: a.String, BinaryValue: a.Binary}
	}
	return out
}

type lambdaSNS struct {
	Type              string               `json:"Type"`
	MessageID         string               `json:"MessageId"`
	TopicArn          string               `json:"TopicArn"`
	Subject           *string              `json:"Subject"`
	Message           string               `json:"Message"`
	Timestamp         string               `json:"Timestamp"`
	SignatureVersion  string               `json:"SignatureVersion"`
	Signature         string               `json:"Signature"`
	SigningCertURL    string               `json:"SigningCertUrl"`
	UnsubscribeURL    string               `json:"UnsubscribeUrl"`
	MessageAttributes map[string]typeValue `json:"MessageAttributes"`
}

type lambdaRecord struct {
	EventSource          string    `json:"EventSource"`
	EventVersion         string    `json:"EventVersion"`
	EventSubscriptionArn string    `json:"EventSubscriptionArn"`
	Sns                  lambdaSNS `json:"Sns"`
}

// lambdaEvent is the event Lambda functions subscribed to a topic receive.
func (s *Service) lambdaEvent(d *delivery) string {
	e := s.envelopeOf(d)
	ev := lambdaSNS{
		Type: e.Type, MessageID: e.MessageID, TopicArn: e.TopicARN, Message: e.Message, Timestamp: e.Timestamp,
		SignatureVersion: e.SignatureVersion, Signature: e.Signature, SigningCertURL: e.SigningCertURL,
		UnsubscribeURL: e.UnsubscribeURL, MessageAttributes: envelopeAttributes(e.Attributes),
	}
	if e.Subject != "" {
		ev.Subject = &e.Subject
	}
	b, _ := marshalNoEscape(map[string][]lambdaRecord{"Records": {{
		EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: d.SubARN, Sns: ev,
	}}})
	return string(b)
}
