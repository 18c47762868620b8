package lambda

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// reResourceArn is the model's pattern for a tagging API's Resource.
var reResourceArn = regexp.MustCompile(`^` + patternResourceArn + `$`)

const patternResourceArn = `arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`

// taggedFunction resolves a tagging API's resource ARN to a function.
func (s *Service) taggedFunction(r *http.Request, arn string) (*entry, error) {
	region := awsproto.Info(r.Context()).Region
	prefix := "arn:aws:lambda:" + region + ":" + s.Account + ":function:"
	if !reResourceArn.MatchString(arn) {
		return nil, awsproto.Validation(arn, "resource", "Member must satisfy regular expression pattern: "+patternResourceArn)
	}
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" {
		return nil, invalidParameter("Resource ARN is not a valid function ARN in this account and region: " + arn)
	}
	if strings.Contains(name, ":") {
		return nil, errTagsQualified
	}
	e := s.lookup(region, name)
	if e == nil {
		return nil, functionNotFound(arn)
	}
	return e, nil
}

type tagResourceInput struct {
	Tags map[string]string `json:"Tags"`
}

// tagResource is TagResource.
func (s *Service) tagResource(w http.ResponseWriter, r *http.Request, p params) error {
	var in tagResourceInput
	if err := decodeBody(r, 1<<16, "TagResource", &in); err != nil {
		return err
	}
	if in.Tags == nil {
		return mustNotBeNull("tags")
	}
	e, err := s.taggedFunction(r, p.resource)
	if err != nil {
		return err
	}
	if len(in.Tags) == 0 {
		return errNoTags
	}
	tags := cloneMap(e.rec.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	for k, v := range in.Tags {
		tags[k] = v
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	rec := e.rec
	rec.Tags = tags
	if _, err := s.save(r.Context(), e, rec); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// untagResource is UntagResource (?tagKeys=k1&tagKeys=k2).
func (s *Service) untagResource(w http.ResponseWriter, r *http.Request, p params) error {
	keys, ok := r.URL.Query()["tagKeys"]
	if !ok {
		return mustNotBeNull("tagKeys")
	}
	e, err := s.taggedFunction(r, p.resource)
	if err != nil {
		return err
	}
	tags := cloneMap(e.rec.Tags)
	for _, k := range keys {
		delete(tags, k)
	}
	rec := e.rec
	rec.Tags = tags
	if _, err := s.save(r.Context(), e, rec); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type listTagsOutput struct {
	Tags map[string]string `json:"Tags"`
}

// listTags is ListTags.
func (s *Service) listTags(w http.ResponseWriter, r *http.Request, p params) error {
	e, err := s.taggedFunction(r, p.resource)
	if err != nil {
		return err
	}
	tags := e.rec.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	awsproto.WriteJSON(w, http.StatusOK, listTagsOutput{Tags: tags})
	return nil
}
