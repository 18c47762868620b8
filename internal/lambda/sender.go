package lambda

import (
	"context"
	"errors"
	"fmt"

	"github.com/stratus-run/stratus/internal/eventsource"
)

// Sender is the Lambda service as a target of other services (SNS
// subscriptions, EventBridge rules and schedules, S3 notifications): a message
// sent to a function ARN is an asynchronous invocation with the message's body
// as its event, so it gets the function's retries, destinations and
// dead-letter queue as any Event invocation does.
func (s *Service) Sender() eventsource.Sender { return sender{s} }

type sender struct{ s *Service }

// Send queues an Event invocation of functionARN with m.Body as payload and
// returns its request id once it is durable. ErrNotFound for a function that
// does not exist.
func (snd sender) Send(ctx context.Context, functionARN string, m eventsource.Message) (string, error) {
	id, err := snd.s.EnqueueEvent(ctx, functionARN, []byte(m.Body), "")
	if errors.Is(err, ErrFunctionNotFound) {
		return "", fmt.Errorf("%w: %v", eventsource.ErrNotFound, err)
	}
	return id, err
}
