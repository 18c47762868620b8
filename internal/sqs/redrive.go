package sqs

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// redriveAllow is a parsed RedriveAllowPolicy.
type redriveAllow struct {
	Permission string   `json:"redrivePermission"`
	Sources    []string `json:"sourceQueueArns,omitempty"`
}

// parseRedriveAllow validates a RedriveAllowPolicy as SQS does: allowAll,
// denyAll, or byQueue with 1 to 10 source queue ARNs (and only byQueue
// names any).
func parseRedriveAllow(v string) (redriveAllow, error) {
	var p redriveAllow
	bad := func(reason string) error {
		return invalidParameter("Value " + v + " for parameter RedriveAllowPolicy is invalid. Reason: " + reason)
	}
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return p, bad("Redrive allow policy is not a valid JSON object.")
	}
	switch p.Permission {
	case "allowAll", "denyAll":
		if len(p.Sources) > 0 {
			return p, bad("Only byQueue redrive permission can have sourceQueueArns.")
		}
	case "byQueue":
		if len(p.Sources) == 0 {
			return p, bad("Need at least one sourceQueueArn for byQueue redrive permission.")
		}
		if len(p.Sources) > 10 {
			return p, bad("Can have at most 10 sourceQueueArns.")
		}
	default:
		return p, bad("Invalid value for redrivePermission. Valid values are allowAll, byQueue and denyAll.")
	}
	return p, nil
}

// allows reports whether p lets the queue sourceARN dead-letter into its queue.
func (p redriveAllow) allows(sourceARN string) bool {
	switch p.Permission {
	case "denyAll":
		return false
	case "byQueue":
		for _, a := range p.Sources {
			if a == sourceARN {
				return true
			}
		}
		return false
	}
	return true
}

// checkRedrive validates the redrive attributes a queue (of ARN self) is to
// get: a RedriveAllowPolicy's shape, and that the dead-letter queue a
// RedrivePolicy names (when it exists) allows self as a source. A dead-letter
// queue not created yet is accepted, as before, so templates may create the
// two in either order.
func (s *Service) checkRedrive(self string, attrs map[string]string) error {
	if v, ok := attrs["RedriveAllowPolicy"]; ok && v != "" {
		if _, err := parseRedriveAllow(v); err != nil {
			return err
		}
	}
	v := attrs["RedrivePolicy"]
	if v == "" {
		return nil
	}
	var rp struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	bad := func(reason string) error {
		return invalidParameter("Value " + v + " for parameter RedrivePolicy is invalid. Reason: " + reason)
	}
	if json.Unmarshal([]byte(v), &rp) != nil || rp.Target == "" || rp.Max == nil {
		return bad("Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.")
	}
	max := strings.Trim(string(rp.Max), `"`)
	if n, err := strconv.Atoi(max); err != nil || n < 1 || n > 1000 {
		return bad("Invalid value for maxReceiveCount: " + max + ", valid values are from 1 to 1000 both inclusive.")
	}
	dlq, err := s.queueByARN(rp.Target)
	if err != nil {
		return nil
	}
	if dlq.meta.fifo() != strings.HasSuffix(self, ".fifo") {
		return bad("Dead-letter queue must be same type of queue as the source.")
	}
	dlq.mu.Lock()
	allowV := dlq.meta.Attrs["RedriveAllowPolicy"]
	dlq.mu.Unlock()
	if rp.Target == self {
		allowV = attrs["RedriveAllowPolicy"]
	}
	if allowV == "" {
		return nil
	}
	allow, err := parseRedriveAllow(allowV)
	if err == nil && !allow.allows(self) {
		return invalidParameter("Value " + v + " for parameter RedrivePolicy is invalid. Reason: Queue " + self +
			" is not allowed to use " + rp.Target + " as a dead-letter queue by its RedriveAllowPolicy.")
	}
	return nil
}

// dlqSources returns the queues whose RedrivePolicy targets the queue arn,
// sorted by name.
func (s *Service) dlqSources(arn string) []*queue {
	s.mu.RLock()
	all := make([]*queue, 0, len(s.byKey))
	for _, q := range s.byKey {
		all = append(all, q)
	}
	s.mu.RUnlock()
	var out []*queue
	for _, q := range all {
		q.mu.Lock()
		_, target := q.redrive()
		q.mu.Unlock()
		if target == arn {
			out = append(out, q)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].meta.Name < out[j].meta.Name })
	return out
}

type dlqSourcesOutput struct {
	QueueURLs []string `json:"queueUrls" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

func (o *dlqSourcesOutput) xml() any { return o }

func (s *Service) listDeadLetterSourceQueues(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 1000) {
		return nil, invalidParameter("Value " + itoa(*in.MaxResults) + " for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")
	}
	out := &dlqSourcesOutput{QueueURLs: []string{}}
	for _, src := range s.dlqSources(q.meta.arn()) {
		name := src.meta.Name
		if in.NextToken != "" && name <= in.NextToken {
			continue
		}
		if in.MaxResults != nil && len(out.QueueURLs) == *in.MaxResults {
			last := out.QueueURLs[len(out.QueueURLs)-1]
			out.NextToken = last[strings.LastIndexByte(last, '/')+1:]
			break
		}
		out.QueueURLs = append(out.QueueURLs, s.queueURL(ctx, &src.meta))
	}
	return out, nil
}
