package s3

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Bucket policies: stored and answered byte for byte, validated as S3 validates
// them, and not enforced: every request here is the bucket owner's.

func malformedPolicy(msg string) error {
	return s3err(http.StatusBadRequest, "MalformedPolicy", msg)
}

// maxPolicySize is S3's limit on a bucket policy.
const maxPolicySize = 20 << 10

// policyDoc is the shape checked of a bucket policy. Statement, Action,
// Resource and Principal keep their JSON, for they are a value or a list.
type policyDoc struct {
	Version   *string          `json:"Version"`
	ID        json.RawMessage  `json:"Id"`
	Statement *json.RawMessage `json:"Statement"`
}

type policyStatement struct {
	Sid          json.RawMessage `json:"Sid"`
	Effect       *string         `json:"Effect"`
	Principal    json.RawMessage `json:"Principal"`
	NotPrincipal json.RawMessage `json:"NotPrincipal"`
	Action       json.RawMessage `json:"Action"`
	NotAction    json.RawMessage `json:"NotAction"`
	Resource     json.RawMessage `json:"Resource"`
	NotResource  json.RawMessage `json:"NotResource"`
	Condition    json.RawMessage `json:"Condition"`
}

// oneOrMany decodes a JSON string or array of strings.
func oneOrMany(raw json.RawMessage) ([]string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, true
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return many, true
	}
	return nil, false
}

// checkPolicy validates a bucket policy as PutBucketPolicy does, with S3's
// MalformedPolicy messages.
func checkPolicy(bucket string, body []byte) error {
	if len(body) == 0 || body[0] != '{' {
		return malformedPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	if len(body) > maxPolicySize {
		return malformedPolicy("Policy exceeds the maximum allowed document size.")
	}
	var doc policyDoc
	if json.Unmarshal(body, &doc) != nil {
		return malformedPolicy("This policy contains invalid Json")
	}
	if doc.Version != nil && *doc.Version != "2012-10-17" && *doc.Version != "2008-10-17" {
		return malformedPolicy("The policy must contain a valid version string")
	}
	if doc.Statement == nil {
		return malformedPolicy("Missing required field Statement")
	}
	var stmts []policyStatement
	raw := bytes.TrimSpace(*doc.Statement)
	if len(raw) > 0 && raw[0] == '{' {
		var one policyStatement
		if json.Unmarshal(raw, &one) != nil {
			return malformedPolicy("This policy contains invalid Json")
		}
		stmts = []policyStatement{one}
	} else if json.Unmarshal(raw, &stmts) != nil {
		return malformedPolicy("This policy contains invalid Json")
	}
	if len(stmts) == 0 {
		return malformedPolicy("Could not parse the policy: Statement is empty!")
	}
	for _, st := range stmts {
		if err := checkStatement(bucket, &st); err != nil {
			return err
		}
	}
	return nil
}

func checkStatement(bucket string, st *policyStatement) error {
	if st.Effect == nil {
		return malformedPolicy("Missing required field Effect")
	}
	if *st.Effect != "Allow" && *st.Effect != "Deny" {
		return malformedPolicy("Invalid effect: " + *st.Effect)
	}
	if st.Principal == nil && st.NotPrincipal == nil {
		return malformedPolicy("Missing required field Principal")
	}
	if !validPrincipal(st.Principal) || !validPrincipal(st.NotPrincipal) {
		return malformedPolicy("Invalid principal in policy")
	}
	actions := st.Action
	if actions == nil {
		actions = st.NotAction
	}
	if actions == nil {
		return malformedPolicy("Missing required field Action")
	}
	as, ok := oneOrMany(actions)
	if !ok {
		return malformedPolicy("Policy has invalid action")
	}
	for _, a := range as {
		if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
			return malformedPolicy("Policy has invalid action")
		}
	}
	resources := st.Resource
	if resources == nil {
		resources = st.NotResource
	}
	if resources == nil {
		return malformedPolicy("Missing required field Resource")
	}
	rs, ok := oneOrMany(resources)
	if !ok {
		return malformedPolicy("Policy has invalid resource")
	}
	for _, r := range rs {
		if !policyResourceOf(bucket, r) {
			return malformedPolicy("Policy has invalid resource")
		}
	}
	return nil
}

// validPrincipal accepts "*" and an object of principal types ("AWS",
// "Service", "CanonicalUser", "Federated") to a value or a list; absent is valid.
func validPrincipal(raw json.RawMessage) bool {
	if raw == nil {
		return true
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return false
	}
	for k, v := range m {
		switch k {
		case "AWS", "Service", "CanonicalUser", "Federated":
		default:
			return false
		}
		if vs, ok := oneOrMany(v); !ok || len(vs) == 0 {
			return false
		}
	}
	return true
}

// policyResourceOf reports whether an ARN (with wildcards) can name the bucket
// or objects in it, as S3 requires of a bucket policy's resources.
func policyResourceOf(bucket, arn string) bool {
	if arn == "*" {
		return true
	}
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(rest, "/")
	return wildcardMatch(name, bucket)
}

// wildcardMatch matches s against a pattern of '*' (any run) and '?' (one
// character), as IAM's ArnLike does.
func wildcardMatch(pattern, s string) bool {
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p, mark = star+1, mark+1
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// getBucketPolicy is GetBucketPolicy: the policy exactly as it was put.
func (s *Service) getBucketPolicy(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	doc := b.Config[objstore.ConfigPolicy]
	if doc == nil {
		return noSuchConfig(errNoSuchPolicy, c.bucket)
	}
	h := c.w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{itoa(len(doc))}
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(doc) //nolint:errcheck // the client went away
	return nil
}

// putBucketPolicy is PutBucketPolicy: 204 once stored.
func (s *Service) putBucketPolicy(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	if err := checkPolicy(c.bucket, body); err != nil {
		return err
	}
	if err := s.setConfig(c, objstore.ConfigPolicy, body); err != nil {
		return err
	}
	return noContent(c)
}

// deleteBucketPolicy is DeleteBucketPolicy: 204 whether there was one or not.
func (s *Service) deleteBucketPolicy(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	if err := s.setConfig(c, objstore.ConfigPolicy, nil); err != nil {
		return err
	}
	return noContent(c)
}
