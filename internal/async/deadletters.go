package async

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/store"
)

// DeadLetter is one message sent to a dead-letter target (an SQS queue or SNS
// topic ARN), with the body and message attributes Lambda sends.
type DeadLetter struct {
	TargetArn  string               `json:"TargetArn"`
	Body       string               `json:"Body"`
	Attributes map[string]Attribute `json:"MessageAttributes"`
	SentAt     time.Time            `json:"SentTimestamp"`
}

// Attribute is an SQS/SNS message attribute.
type Attribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue"`
}

// DeadLetters is where earlier versions of Stratus kept dead letters, one
// subject per target, before SQS and SNS existed to receive them. It remains
// to move what it holds to the real queues and topics (Drain). Set Store,
// then Open.
type DeadLetters struct {
	Store *store.Store
	// Stream names the JetStream stream (default "LAMBDA_DEAD_LETTERS").
	Stream string

	js jetstream.JetStream
}

// Open creates (or binds to) the stream.
func (d *DeadLetters) Open(ctx context.Context) error {
	if d.Stream == "" {
		d.Stream = "LAMBDA_DEAD_LETTERS"
	}
	d.js = d.Store.JetStream()
	_, err := d.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:     d.Stream,
		Subjects: []string{"deadletter." + d.Stream + ".>"},
		Storage:  jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("async: stream %s: %w", d.Stream, err)
	}
	return nil
}

// subject maps a target ARN (which holds characters subjects may not) to its subject.
func (d *DeadLetters) subject(target string) string {
	h := sha256.Sum256([]byte(target))
	return "deadletter." + d.Stream + "." + hex.EncodeToString(h[:16])
}

// Put stores m durably under its target; nil means it is on disk.
func (d *DeadLetters) Put(ctx context.Context, m DeadLetter) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := d.js.Publish(ctx, d.subject(m.TargetArn), b); err != nil {
		return fmt.Errorf("async: dead letter: %w", err)
	}
	return nil
}

// List returns every dead letter sent to target, oldest first.
func (d *DeadLetters) List(ctx context.Context, target string) ([]DeadLetter, error) {
	c, err := d.js.OrderedConsumer(ctx, d.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{d.subject(target)},
	})
	if err != nil {
		return nil, fmt.Errorf("async: dead letters: %w", err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("async: dead letters: %w", err)
	}
	out := []DeadLetter{}
	for left := info.NumPending; left > 0; {
		batch, err := c.Fetch(int(min(left, 256)), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, fmt.Errorf("async: dead letters: %w", err)
		}
		n := uint64(0)
		for m := range batch.Messages() {
			n++
			var dl DeadLetter
			if json.Unmarshal(m.Data(), &dl) == nil && dl.TargetArn == target {
				out = append(out, dl)
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, fmt.Errorf("async: dead letters: %w", err)
		}
		if n == 0 {
			break
		}
		left -= min(n, left)
	}
	return out, nil
}

// Drain hands every stored dead letter to send, oldest first, and removes each
// that send took (nil error); the others stay for a later Drain. It returns how
// many were moved and kept. Once none is kept the stream is deleted.
func (d *DeadLetters) Drain(ctx context.Context, send func(DeadLetter) error) (moved, kept int, err error) {
	st, err := d.js.Stream(ctx, d.Stream)
	if err != nil {
		return 0, 0, fmt.Errorf("async: dead letters: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("async: dead letters: %w", err)
	}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		raw, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return moved, kept, fmt.Errorf("async: dead letters: %w", err)
		}
		var dl DeadLetter
		if json.Unmarshal(raw.Data, &dl) != nil || send(dl) != nil {
			kept++
			continue
		}
		if err := st.DeleteMsg(ctx, seq); err != nil {
			return moved, kept, fmt.Errorf("async: dead letters: %w", err)
		}
		moved++
	}
	if kept == 0 {
		if err := d.js.DeleteStream(ctx, d.Stream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return moved, kept, fmt.Errorf("async: dead letters: %w", err)
		}
	}
	return moved, kept, nil
}
