package dynamodb

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Tags of tables: TagResource, UntagResource, ListTagsOfResource.

const maxTags = 50

// tagsPageSize is how many tags one ListTagsOfResource answer holds. AWS does
// not document its page size; a table holds at most 50 tags, so one page
// holds them all unless a test lowers this to see NextToken work.
var tagsPageSize = maxTags

type tagWire struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

// tagChars reports whether s holds only the characters AWS allows in tags:
// letters, digits, white space and + - = . _ : / @.
func tagChars(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && !strings.ContainsRune("+-=._:/@", r) {
			return false
		}
	}
	return true
}

// checkTags checks tags and returns them as a map.
func checkTags(tags []tagWire) (map[string]string, error) {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		if t.Key == nil {
			return nil, validation("The Tag Key provided is invalid, Key: null")
		}
		k := *t.Key
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || !tagChars(k) {
			return nil, validation("The Tag Key provided is invalid, Key: " + k)
		}
		if strings.HasPrefix(k, "aws:") {
			return nil, validation("Tag Key cannot be prefixed with aws:, Key: " + k)
		}
		if t.Value == nil {
			return nil, validation("The Tag Value provided is invalid, Value: null")
		}
		if v := *t.Value; utf8.RuneCountInString(v) > 256 || !tagChars(v) {
			return nil, validation("The Tag Value provided is invalid, Value: " + v)
		}
		if _, dup := out[k]; dup {
			return nil, validation("Duplicate Tag Keys provided as input: Duplicate Tag Key found " + k)
		}
		out[k] = *t.Value
	}
	return out, nil
}

// arnTable returns the table a ResourceArn names. An ARN of another region
// or account still names the server's table of that name: the server's
// tables are one set.
func (s *Service) arnTable(arn *string) (string, error) {
	if arn == nil {
		return "", validation("1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null")
	}
	a := *arn
	var fe fieldErrors
	if len(a) < 1 {
		fe.add(a, "resourceArn", minLen(1))
	} else if len(a) > 1283 {
		fe.add(a, "resourceArn", maxLen(1283))
	}
	if err := fe.err(); err != nil {
		return "", err
	}
	if !strings.HasPrefix(a, "arn:") {
		return "", invalid("ARNs must start with 'arn:': %s", a)
	}
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 || parts[2] != "dynamodb" {
		return "", invalid("Provided Arn is not a DynamoDB resource arn: %s", a)
	}
	res, ok := strings.CutPrefix(parts[5], "table/")
	if !ok || res == "" {
		return "", validation("Invalid TableArn: Invalid ResourceArn provided as input " + a)
	}
	if strings.Contains(res, "/") {
		return "", invalid("Invalid resource arn provided, only table or stream is accepted. Provided resource arn: %s", a)
	}
	return res, nil
}

// taggedTable loads the table of a ResourceArn.
func (s *Service) taggedTable(ctx context.Context, arn *string) (tablestore.Table, error) {
	name, err := s.arnTable(arn)
	if err != nil {
		return tablestore.Table{}, err
	}
	return s.lookupTable(ctx, name, func() error { return errResourceArnNotFound(*arn) })
}

// setTags replaces the tags of a ResourceArn's table with what change makes
// of them.
func (s *Service) setTags(ctx context.Context, arn *string, change func(tags map[string]string) (map[string]string, error)) (any, error) {
	name, _ := s.arnTable(arn)
	_, err := s.Store.UpdateTable(ctx, name, func(t *tablestore.Table) error {
		tags, err := change(t.Tags)
		t.Tags = tags
		return err
	})
	if errors.Is(err, tablestore.ErrTableNotFound) {
		return nil, errResourceArnNotFound(*arn)
	}
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type tagResourceInput struct {
	ResourceArn *string   `json:"ResourceArn"`
	Tags        []tagWire `json:"Tags"`
}

func (s *Service) tagResource(ctx context.Context, r *http.Request) (any, error) {
	var in tagResourceInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, validation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	if _, err := s.taggedTable(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errNoTags
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	return s.setTags(ctx, in.ResourceArn, func(old map[string]string) (map[string]string, error) {
		merged := maps.Clone(old)
		if merged == nil {
			merged = make(map[string]string, len(tags))
		}
		maps.Copy(merged, tags)
		if len(merged) > maxTags {
			return old, errTagsTooMany
		}
		return merged, nil
	})
}

type untagResourceInput struct {
	ResourceArn *string  `json:"ResourceArn"`
	TagKeys     []string `json:"TagKeys"`
}

func (s *Service) untagResource(ctx context.Context, r *http.Request) (any, error) {
	var in untagResourceInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
	}
	if _, err := s.taggedTable(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, errNoTagKeys
	}
	if len(in.TagKeys) > maxTags {
		return nil, errTagsTooMany
	}
	for _, k := range in.TagKeys {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 {
			return nil, validation("The Tag Key provided is invalid, Key: " + k)
		}
	}
	return s.setTags(ctx, in.ResourceArn, func(old map[string]string) (map[string]string, error) {
		if len(old) == 0 {
			return old, nil
		}
		kept := maps.Clone(old)
		maps.DeleteFunc(kept, func(k, _ string) bool { return slices.Contains(in.TagKeys, k) })
		return kept, nil
	})
}

type listTagsInput struct {
	ResourceArn *string `json:"ResourceArn"`
	NextToken   *string `json:"NextToken"`
}

type tagOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// listTagsOfResource answers the tags in key order; NextToken is the last
// key of the page before.
func (s *Service) listTagsOfResource(ctx context.Context, r *http.Request) (any, error) {
	var in listTagsInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	t, err := s.taggedTable(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(t.Tags))
	for k := range t.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if in.NextToken != nil {
		i, found := slices.BinarySearch(keys, *in.NextToken)
		if found {
			i++
		}
		keys = keys[i:]
	}
	out := struct {
		Tags      []tagOut `json:"Tags"`
		NextToken string   `json:"NextToken,omitempty"`
	}{Tags: []tagOut{}}
	if len(keys) > tagsPageSize {
		keys = keys[:tagsPageSize]
		out.NextToken = keys[len(keys)-1]
	}
	for _, k := range keys {
		out.Tags = append(out.Tags, tagOut{k, t.Tags[k]})
	}
	return out, nil
}
