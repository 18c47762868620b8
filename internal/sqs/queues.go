package sqs

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

var queueNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,80}$`)

// queueDefaults are a new queue's settable attributes.
var queueDefaults = map[string]string{
	"VisibilityTimeout": "30", "DelaySeconds": "0", "MessageRetentionPeriod": "345600",
	"MaximumMessageSize": strconv.Itoa(maxMessageSize), "ReceiveMessageWaitTimeSeconds": "0",
	"SqsManagedSseEnabled": "true",
}

var fifoDefaults = map[string]string{"ContentBasedDeduplication": "false", "DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}

// attrRange is the valid range of each integer attribute.
var attrRange = map[string][2]int{
	"VisibilityTimeout": {0, 43200}, "DelaySeconds": {0, 900}, "MessageRetentionPeriod": {60, 1209600},
	"MaximumMessageSize": {1024, maxMessageSize}, "ReceiveMessageWaitTimeSeconds": {0, 20},
	"KmsDataKeyReusePeriodSeconds": {60, 86400},
}

var settable = map[string]bool{"Policy": true, "RedrivePolicy": true, "RedriveAllowPolicy": true, "KmsMasterKeyId": true,
	"SqsManagedSseEnabled": true, "FifoQueue": true, "ContentBasedDeduplication": true, "DeduplicationScope": true, "FifoThroughputLimit": true}

// checkAttrs validates attributes for a queue (fifo or not), as SQS does.
func checkAttrs(attrs map[string]string, fifo, creating bool) error {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := attrs[k]
		if r, ok := attrRange[k]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < r[0] || n > r[1] {
				return invalidAttributeValue(k)
			}
			continue
		}
		if !settable[k] {
			return invalidAttributeName("Unknown Attribute " + k + ".")
		}
		switch k {
		case "FifoQueue":
			if !creating {
				return invalidAttributeName("Unknown Attribute FifoQueue.")
			}
			if (v == "true") != fifo {
				return invalidAttributeValue(k)
			}
		case "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit":
			if !fifo {
				return invalidAttributeName("Unknown Attribute " + k + ".")
			}
			ok := map[string][]string{"ContentBasedDeduplication": {"true", "false"}, "DeduplicationScope": {"queue", "messageGroup"},
				"FifoThroughputLimit": {"perQueue", "perMessageGroupId"}}[k]
			if v != ok[0] && v != ok[1] {
				return invalidAttributeValue(k)
			}
		case "SqsManagedSseEnabled":
			if v != "true" && v != "false" {
				return invalidAttributeValue(k)
			}
		}
	}
	return nil
}

type createQueueOutput struct {
	QueueURL string `json:"QueueUrl" xml:"QueueUrl"`
}

func (o *createQueueOutput) xml() any { return o }

func (s *Service) createQueue(ctx context.Context, r *http.Request, in *input) (any, error) {
	if in.QueueName == nil {
		return nil, missingParameter("QueueName")
	}
	name := *in.QueueName
	fifo := strings.HasSuffix(name, ".fifo")
	base := strings.TrimSuffix(name, ".fifo")
	if !queueNameRE.MatchString(base) || len(name) > 80 {
		if fifo {
			return nil, invalidParameter("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
		return nil, invalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if in.Attributes["FifoQueue"] == "true" && !fifo {
		return nil, invalidParameter("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	}
	if err := checkAttrs(in.Attributes, fifo, true); err != nil {
		return nil, err
	}
	acct := s.account(ctx)
	key := acct + "." + name
	self := (&queueMeta{Region: s.region(ctx), Account: acct, Name: name}).arn()
	if err := s.checkRedrive(self, in.Attributes); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.byKey[key]; q != nil {
		q.mu.Lock()
		defer q.mu.Unlock()
		names := make([]string, 0, len(in.Attributes))
		for k := range in.Attributes {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if q.meta.Attrs[k] != in.Attributes[k] {
				return nil, queueExists(k)
			}
		}
		return &createQueueOutput{s.queueURL(ctx, &q.meta)}, nil
	}
	now := s.Now().Unix()
	m := queueMeta{ID: newID(), Name: name, Account: acct, Region: s.region(ctx), Attrs: map[string]string{}, Created: now, Modified: now}
	for k, v := range queueDefaults {
		m.Attrs[k] = v
	}
	if fifo {
		for k, v := range fifoDefaults {
			m.Attrs[k] = v
		}
		m.Attrs["FifoQueue"] = "true"
	}
	for k, v := range in.Attributes {
		m.Attrs[k] = v
	}
	m.Tags = in.CreateTags
	rev, err := s.table.Create(ctx, key, m)
	if errors.Is(err, store.ErrExists) {
		return nil, queueExists("QueueName")
	}
	if err != nil {
		return nil, err
	}
	q := newQueue(m)
	q.rev = rev
	s.byKey[key], s.byID[m.ID] = q, q
	return &createQueueOutput{s.queueURL(ctx, &m)}, nil
}

func (s *Service) region(ctx context.Context) string {
	if r := awsproto.Info(ctx).Region; r != "" {
		return r
	}
	return s.Region
}

func (s *Service) deleteQueue(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := q.meta.Account + "." + q.meta.Name
	if err := s.table.Delete(ctx, key, 0); err != nil {
		return nil, err
	}
	delete(s.byKey, key)
	delete(s.byID, q.meta.ID)
	q.mu.Lock()
	q.gone = true
	q.wakeLocked()
	q.mu.Unlock()
	return nil, s.msgs.Purge(ctx, q.meta.ID, 0)
}

func (s *Service) getQueueURL(ctx context.Context, r *http.Request, in *input) (any, error) {
	if in.QueueName == nil {
		return nil, missingParameter("QueueName")
	}
	q, err := s.queueByURL(ctx, "/"+s.account(ctx)+"/"+*in.QueueName)
	if err != nil {
		return nil, err
	}
	return &createQueueOutput{s.queueURL(ctx, &q.meta)}, nil
}

type listQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

func (o *listQueuesOutput) xml() any { return o }

func (s *Service) listQueues(ctx context.Context, r *http.Request, in *input) (any, error) {
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 1000) {
		return nil, invalidParameter("Value " + itoa(*in.MaxResults) + " for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")
	}
	acct := s.account(ctx)
	s.mu.RLock()
	var names []string
	for _, q := range s.byKey {
		if q.meta.Account == acct && strings.HasPrefix(q.meta.Name, in.QueueNamePrefix) {
			names = append(names, q.meta.Name)
		}
	}
	s.mu.RUnlock()
	sort.Strings(names)
	out := &listQueuesOutput{}
	for _, n := range names {
		if in.NextToken != "" && n <= in.NextToken {
			continue
		}
		if in.MaxResults != nil && len(out.QueueUrls) == *in.MaxResults {
			out.NextToken = names[sortSearch(names, out.QueueUrls)]
			break
		}
		out.QueueUrls = append(out.QueueUrls, s.queueURL(ctx, &queueMeta{Account: acct, Name: n}))
	}
	return out, nil
}

// sortSearch returns the index of the last name taken.
func sortSearch(names, urls []string) int {
	last := urls[len(urls)-1]
	return sort.SearchStrings(names, last[strings.LastIndexByte(last, '/')+1:])
}

type kv struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

type attributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

func (o *attributesOutput) xml() any {
	var x struct {
		Attrs []kv `xml:"Attribute"`
	}
	for _, k := range sortedKeys(o.Attributes) {
		x.Attrs = append(x.Attrs, kv{k, o.Attributes[k]})
	}
	return &x
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var readOnlyAttrs = []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
	"CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"}

func (s *Service) getQueueAttributes(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	all := map[string]string{}
	for k, v := range q.meta.Attrs {
		all[k] = v
	}
	vis, inf, del := q.countsLocked(s.nowMS())
	all["ApproximateNumberOfMessages"] = itoa(vis)
	all["ApproximateNumberOfMessagesNotVisible"] = itoa(inf)
	all["ApproximateNumberOfMessagesDelayed"] = itoa(del)
	all["CreatedTimestamp"] = strconv.FormatInt(q.meta.Created, 10)
	all["LastModifiedTimestamp"] = strconv.FormatInt(q.meta.Modified, 10)
	all["QueueArn"] = q.meta.arn()
	out := &attributesOutput{Attributes: map[string]string{}}
	for _, n := range in.AttributeNames {
		if n == "All" {
			out.Attributes = all
			break
		}
		v, ok := all[n]
		if !ok {
			if _, known := attrRange[n]; !known && !settable[n] {
				return nil, invalidAttributeName("Unknown Attribute " + n + ".")
			}
			continue
		}
		out.Attributes[n] = v
	}
	return out, nil
}

func (s *Service) setQueueAttributes(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := checkAttrs(in.Attributes, q.meta.fifo(), false); err != nil {
		return nil, err
	}
	if err := s.checkRedrive(q.meta.arn(), in.Attributes); err != nil {
		return nil, err
	}
	return nil, s.updateMeta(ctx, q, func(m *queueMeta) error {
		for k, v := range in.Attributes {
			if v == "" && (k == "Policy" || k == "RedrivePolicy" || k == "RedriveAllowPolicy") {
				delete(m.Attrs, k)
				continue
			}
			m.Attrs[k] = v
		}
		m.Modified = s.Now().Unix()
		return nil
	})
}

// updateMeta changes q's metadata durably. A change that returns an error leaves it as it was.
func (s *Service) updateMeta(ctx context.Context, q *queue, change func(*queueMeta) error) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.meta
	m.Attrs = map[string]string{}
	for k, v := range q.meta.Attrs {
		m.Attrs[k] = v
	}
	m.Tags = map[string]string{}
	for k, v := range q.meta.Tags {
		m.Tags[k] = v
	}
	if err := change(&m); err != nil {
		return err
	}
	rev, err := s.table.Update(ctx, m.Account+"."+m.Name, m, q.rev)
	if err != nil {
		return err
	}
	q.meta, q.rev = m, rev
	return nil
}

func (s *Service) tagQueue(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	return nil, s.updateMeta(ctx, q, func(m *queueMeta) error {
		for k, v := range in.Tags {
			m.Tags[k] = v
		}
		return nil
	})
}

func (s *Service) untagQueue(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	return nil, s.updateMeta(ctx, q, func(m *queueMeta) error {
		for _, k := range in.TagKeys {
			delete(m.Tags, k)
		}
		return nil
	})
}

type tagsOutput struct {
	Tags map[string]string `json:"Tags"`
}

func (o *tagsOutput) xml() any {
	type tag struct {
		Key   string `xml:"Key"`
		Value string `xml:"Value"`
	}
	var x struct {
		XMLName xml.Name
		Tags    []tag `xml:"Tag"`
	}
	for _, k := range sortedKeys(o.Tags) {
		x.Tags = append(x.Tags, tag{k, o.Tags[k]})
	}
	return &x
}

func (s *Service) listQueueTags(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	out := &tagsOutput{Tags: map[string]string{}}
	for k, v := range q.meta.Tags {
		out.Tags[k] = v
	}
	return out, nil
}
