package sqs

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
)

// AddPermission and RemovePermission edit the queue's Policy attribute, one
// statement per label, the way SQS writes it: the policy GetQueueAttributes
// returns afterwards is the document IAM would evaluate.

type policyDoc struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

type permStatement struct {
	Sid       string `json:"Sid"`
	Effect    string `json:"Effect"`
	Principal struct {
		AWS any `json:"AWS"`
	} `json:"Principal"`
	Action   any    `json:"Action"`
	Resource string `json:"Resource"`
}

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

var labelRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// permActions are the actions AddPermission may grant (SQS's shared-queue
// actions); "*" grants them all.
var permActions = map[string]bool{"*": true, "SendMessage": true, "ReceiveMessage": true, "DeleteMessage": true,
	"ChangeMessageVisibility": true, "GetQueueAttributes": true, "GetQueueUrl": true, "ListDeadLetterSourceQueues": true,
	"PurgeQueue": true, "ListQueueTags": true}

// oneOrList is how IAM documents spell a single value or several.
func oneOrList(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

func (s *Service) addPermission(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	switch {
	case in.Label == "":
		return nil, missingParameter("Label")
	case len(in.AWSAccountIDs) == 0:
		return nil, missingParameter("AWSAccountId")
	case len(in.Actions) == 0:
		return nil, missingParameter("ActionName")
	case !labelRE.MatchString(in.Label):
		return nil, invalidParameter("Value " + in.Label + " for parameter Label is invalid. Reason: Must only contain alphanumeric characters, hyphens (-), or underscores (_), up to 80 characters.")
	}
	if len(in.Actions) > 7 {
		return nil, overLimit(itoa(len(in.Actions)) + " Actions were found, maximum allowed is 7.")
	}
	var principals, actions []string
	for _, a := range in.AWSAccountIDs {
		if !accountRE.MatchString(a) {
			return nil, invalidParameter("Value [" + a + "] for parameter PrincipalId is invalid. Reason: Unable to verify.")
		}
		principals = append(principals, "arn:aws:iam::"+a+":root")
	}
	for _, a := range in.Actions {
		if !permActions[a] {
			return nil, invalidParameter("Value SQS:" + a + " for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.")
		}
		actions = append(actions, "SQS:"+a)
	}
	return nil, s.updateMeta(ctx, q, func(m *queueMeta) error {
		doc, err := readPolicy(m)
		if err != nil {
			return err
		}
		for _, raw := range doc.Statement {
			var st struct{ Sid string }
			if json.Unmarshal(raw, &st) == nil && st.Sid == in.Label {
				return invalidParameter("Value " + in.Label + " for parameter Label is invalid. Reason: Already exists.")
			}
		}
		st := permStatement{Sid: in.Label, Effect: "Allow", Action: oneOrList(actions), Resource: m.arn()}
		st.Principal.AWS = oneOrList(principals)
		b, _ := json.Marshal(st)
		doc.Statement = append(doc.Statement, b)
		writePolicy(m, doc)
		m.Modified = s.Now().Unix()
		return nil
	})
}

func (s *Service) removePermission(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	if in.Label == "" {
		return nil, missingParameter("Label")
	}
	return nil, s.updateMeta(ctx, q, func(m *queueMeta) error {
		doc, err := readPolicy(m)
		if err != nil {
			return err
		}
		kept := doc.Statement[:0:0]
		for _, raw := range doc.Statement {
			var st struct{ Sid string }
			if json.Unmarshal(raw, &st) == nil && st.Sid == in.Label {
				continue
			}
			kept = append(kept, raw)
		}
		if len(kept) == len(doc.Statement) {
			return invalidParameter("Value " + in.Label + " for parameter Label is invalid. Reason: can't find label on existing policy.")
		}
		doc.Statement = kept
		if len(kept) == 0 {
			delete(m.Attrs, "Policy")
		} else {
			writePolicy(m, doc)
		}
		m.Modified = s.Now().Unix()
		return nil
	})
}

// readPolicy parses the queue's Policy, or starts the one SQS would.
func readPolicy(m *queueMeta) (policyDoc, error) {
	doc := policyDoc{Version: "2012-10-17", ID: m.arn() + "/SQSDefaultPolicy"}
	if p := m.Attrs["Policy"]; p != "" {
		if err := json.Unmarshal([]byte(p), &doc); err != nil {
			return doc, invalidParameter("Value " + p + " for parameter Policy is invalid. Reason: The queue's policy is not valid JSON.")
		}
	}
	return doc, nil
}

func writePolicy(m *queueMeta, doc policyDoc) {
	b, _ := json.Marshal(doc)
	m.Attrs["Policy"] = string(b)
}
