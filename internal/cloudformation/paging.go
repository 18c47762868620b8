package cloudformation

import (
	"encoding/base64"
	"sort"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// Paging: DescribeStacks, ListStacks, DescribeStackEvents,
// ListStackResources, ListChangeSets, ListExports and ListImports take no
// MaxResults; CloudFormation answers a page and a NextToken for the rest
// (ListExports documents 100 values a page, the others "1 MB", which in
// practice is 100 items too). A token names the first item of the next page
// by its key rather than by an offset, so that a list that grows at its
// head (events, newest first; stacks, newest first) while a caller pages
// neither repeats nor skips items. It is opaque to callers, and bound to the
// operation that issued it.

// defaultPageSize is how many items a page holds unless Service.PageSize says.
const defaultPageSize = 100

// tokenSep separates the operation from the key inside a token; neither
// an action name nor any key the service pages by contains it.
const tokenSep = "\x00"

func encodeToken(action, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(action + tokenSep + key))
}

func errBadToken(token string) *awsproto.Error {
	return validationError("%s is not a valid NextToken", token)
}

// tokenKey decodes a token q's operation issued, "" when there is none.
func tokenKey(q *awsproto.Query) (string, bool, error) {
	token := q.Get("NextToken")
	if token == "" {
		return "", false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	action, key, ok := strings.Cut(string(raw), tokenSep)
	if err != nil || !ok || action != q.Action || key == "" {
		return "", false, errBadToken(token)
	}
	return key, true, nil
}

// page picks the page of a list that q asks for. keys are the list's items'
// keys in the order the list is answered; sorted says they ascend, so a
// token whose item is gone resumes at the next key instead of failing. It
// returns the bounds of the page and the token of the next one ("" on the
// last page), or a ValidationError for a token that is not one this
// operation issued or whose item is gone from an unsorted list.
func (s *Service) page(q *awsproto.Query, keys []string, sorted bool) (lo, hi int, next string, err error) {
	key, ok, err := tokenKey(q)
	if err != nil {
		return 0, 0, "", err
	}
	if ok {
		if sorted {
			lo = sort.SearchStrings(keys, key)
		} else {
			lo = -1
			for i, k := range keys {
				if k == key {
					lo = i
					break
				}
			}
			if lo < 0 {
				return 0, 0, "", errBadToken(q.Get("NextToken"))
			}
		}
	}
	size := s.PageSize
	if size <= 0 {
		size = defaultPageSize
	}
	hi = min(lo+size, len(keys))
	if hi < len(keys) {
		next = encodeToken(q.Action, keys[hi])
	}
	return lo, hi, next, nil
}
