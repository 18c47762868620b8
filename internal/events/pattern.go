package events

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventpattern"
)

// testEventFields are the members TestEventPattern requires of its event
// (AWS's reference says resources too; EventBridge does not insist on it).
var testEventFields = []string{"id", "account", "source", "time", "region", "detail-type"}

func (s *Service) testEventPattern(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		EventPattern *string
		Event        *string
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.EventPattern == nil {
		return nil, awsproto.Validation("null", "eventPattern", "Member must not be null")
	}
	if in.Event == nil {
		return nil, awsproto.Validation("null", "event", "Member must not be null")
	}
	if len(*in.EventPattern) > maxPatternLength {
		return nil, awsproto.Validation(*in.EventPattern, "eventPattern", "Member must have length less than or equal to 4096")
	}
	var ev map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*in.Event), &ev); err != nil {
		return nil, errBadEvent
	}
	for _, f := range testEventFields {
		if _, ok := ev[f]; !ok {
			return nil, errBadEvent
		}
	}
	p, err := eventpattern.Compile([]byte(*in.EventPattern), eventpattern.Options{})
	if err != nil {
		return nil, errPattern(err)
	}
	return struct {
		Result bool `json:"Result"`
	}{p.Match([]byte(*in.Event))}, nil
}
