package sns

import "encoding/json"

type tagMember struct {
	Key   string
	Value string
}

type listTagsResult struct {
	Tags []tagMember `xml:"Tags>member"`
}

// resourceLocked resolves ResourceArn (only topics carry tags). Guarded by
// Service.mu.
func (s *Service) resourceLocked(c *request) (*topic, error) {
	arn, ok := c.q.Lookup("ResourceArn")
	if !ok {
		return nil, missing("resourceArn")
	}
	if _, _, _, ok := arnParts(arn); !ok {
		return nil, invalidParameter("ResourceArn")
	}
	t := s.topics[arn]
	if t == nil {
		return nil, errResourceGone
	}
	return t, nil
}

func (s *Service) tagResource(c *request) (any, error) {
	tags, err := readTags(c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.resourceLocked(c)
	if err != nil {
		return nil, err
	}
	rec := t.rec
	rec.Tags = mergeTags(t.rec.Tags, tags)
	if len(rec.Tags) > 50 {
		return nil, errTagLimit
	}
	return struct{}{}, s.saveTopicLocked(c, t, rec)
}

func (s *Service) untagResource(c *request) (any, error) {
	keys := c.q.List("TagKeys.member")
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.resourceLocked(c)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	rec := t.rec
	rec.Tags = nil
	for _, tg := range t.rec.Tags {
		if !drop[tg.Key] {
			rec.Tags = append(rec.Tags, tg)
		}
	}
	return struct{}{}, s.saveTopicLocked(c, t, rec)
}

func (s *Service) listTagsForResource(c *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.resourceLocked(c)
	if err != nil {
		return nil, err
	}
	out := listTagsResult{Tags: []tagMember{}}
	for _, tg := range t.rec.Tags {
		out.Tags = append(out.Tags, tagMember(tg))
	}
	return out, nil
}

// policyDoc is the part of a topic policy AddPermission and RemovePermission
// edit.
type policyDoc struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

type statementID struct {
	Sid string `json:"Sid"`
}

// addPermission appends a statement to the topic's policy, as AWS does.
func (s *Service) addPermission(c *request) (any, error) {
	arn, ok := c.q.Lookup("TopicArn")
	if !ok {
		return nil, missing("topicArn")
	}
	label, ok := c.q.Lookup("Label")
	if !ok {
		return nil, missing("label")
	}
	accounts := c.q.List("AWSAccountId.member")
	actions := c.q.List("ActionName.member")
	if len(accounts) == 0 {
		return nil, missing("aWSAccountId")
	}
	if len(actions) == 0 {
		return nil, missing("actionName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topicLocked(arn, "TopicArn")
	if err != nil {
		return nil, err
	}
	doc, err := s.policyOf(t)
	if err != nil {
		return nil, err
	}
	for _, st := range doc.Statement {
		var id statementID
		if json.Unmarshal(st, &id) == nil && id.Sid == label {
			return nil, invalidParameter("Statement already exists")
		}
	}
	principals := make([]string, len(accounts))
	for i, a := range accounts {
		principals[i] = "arn:aws:iam::" + a + ":root"
	}
	acts := make([]string, len(actions))
	for i, a := range actions {
		acts[i] = "SNS:" + a
	}
	st, _ := json.Marshal(map[string]any{
		"Sid": label, "Effect": "Allow", "Principal": map[string]any{"AWS": principals},
		"Action": acts, "Resource": arn,
	})
	doc.Statement = append(doc.Statement, st)
	return struct{}{}, s.savePolicyLocked(c, t, doc)
}

func (s *Service) removePermission(c *request) (any, error) {
	arn, ok := c.q.Lookup("TopicArn")
	if !ok {
		return nil, missing("topicArn")
	}
	label, ok := c.q.Lookup("Label")
	if !ok {
		return nil, missing("label")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topicLocked(arn, "TopicArn")
	if err != nil {
		return nil, err
	}
	doc, err := s.policyOf(t)
	if err != nil {
		return nil, err
	}
	var kept []json.RawMessage
	for _, st := range doc.Statement {
		var id statementID
		if json.Unmarshal(st, &id) == nil && id.Sid == label {
			continue
		}
		kept = append(kept, st)
	}
	if len(kept) == len(doc.Statement) {
		return nil, invalidParameter("Statement does not exist")
	}
	doc.Statement = kept
	return struct{}{}, s.savePolicyLocked(c, t, doc)
}

func (s *Service) policyOf(t *topic) (policyDoc, error) {
	text := t.rec.Attributes["Policy"]
	if text == "" {
		text = s.defaultPolicy(t.rec.ARN)
	}
	var doc policyDoc
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return doc, invalidParameter("Policy")
	}
	return doc, nil
}

func (s *Service) savePolicyLocked(c *request, t *topic, doc policyDoc) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	rec := t.rec
	rec.Attributes = copyMap(t.rec.Attributes)
	rec.Attributes["Policy"] = string(b)
	return s.saveTopicLocked(c, t, rec)
}
