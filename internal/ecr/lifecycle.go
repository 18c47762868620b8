package ecr

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/registry"
)

// Policy is a lifecycle policy (ECR's lifecycle policy document).
type Policy struct {
	Rules []Rule `json:"rules"`
}

// Rule is one rule of a lifecycle policy.
type Rule struct {
	RulePriority int       `json:"rulePriority"`
	Description  string    `json:"description,omitempty"`
	Selection    Selection `json:"selection"`
	Action       struct {
		Type string `json:"type"`
	} `json:"action"`
}

// Selection picks the images a rule applies to and how many or how old
// ones it expires.
type Selection struct {
	TagStatus      string   `json:"tagStatus"` // tagged, untagged or any
	TagPrefixList  []string `json:"tagPrefixList,omitempty"`
	TagPatternList []string `json:"tagPatternList,omitempty"`
	CountType      string   `json:"countType"` // imageCountMoreThan or sinceImagePushed
	CountUnit      string   `json:"countUnit,omitempty"`
	CountNumber    int      `json:"countNumber"`

	patterns []*regexp.Regexp
}

func policyErr(format string, args ...any) error {
	return errInvalidParameter("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: %s'", fmt.Sprintf(format, args...))
}

// ParsePolicy decodes and checks a lifecycle policy as ECR does, returning
// its rules sorted by priority, or an InvalidParameterException naming what
// is wrong.
func ParsePolicy(text string) (*Policy, error) {
	var p Policy
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, policyErr("could not parse the policy: %v", err)
	}
	if len(p.Rules) == 0 {
		return nil, policyErr("a policy needs at least one rule")
	}
	seen := map[int]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		sel := &r.Selection
		if r.RulePriority < 1 || seen[r.RulePriority] {
			return nil, policyErr("rulePriority must be a unique positive integer, got %d", r.RulePriority)
		}
		seen[r.RulePriority] = true
		if r.Action.Type != "expire" {
			return nil, policyErr("action type must be expire, got %q", r.Action.Type)
		}
		switch sel.TagStatus {
		case "tagged":
			if (len(sel.TagPrefixList) == 0) == (len(sel.TagPatternList) == 0) {
				return nil, policyErr("a tagged selection needs exactly one of tagPrefixList and tagPatternList")
			}
		case "untagged", "any":
			if len(sel.TagPrefixList) > 0 || len(sel.TagPatternList) > 0 {
				return nil, policyErr("tagPrefixList and tagPatternList are for tagStatus tagged only")
			}
		default:
			return nil, policyErr("tagStatus must be tagged, untagged or any, got %q", sel.TagStatus)
		}
		for _, pat := range sel.TagPatternList {
			if strings.Count(pat, "*") > 4 {
				return nil, policyErr("a tag pattern may hold at most 4 wildcards: %q", pat)
			}
			sel.patterns = append(sel.patterns, regexp.MustCompile("^"+strings.ReplaceAll(regexp.QuoteMeta(pat), `\*`, ".*")+"$"))
		}
		if sel.CountNumber < 1 {
			return nil, policyErr("countNumber must be a positive integer, got %d", sel.CountNumber)
		}
		switch sel.CountType {
		case "imageCountMoreThan":
			if sel.CountUnit != "" {
				return nil, policyErr("countUnit is for countType sinceImagePushed only")
			}
		case "sinceImagePushed":
			if sel.CountUnit != "days" {
				return nil, policyErr("countUnit must be days, got %q", sel.CountUnit)
			}
		default:
			return nil, policyErr("countType must be imageCountMoreThan or sinceImagePushed, got %q", sel.CountType)
		}
	}
	sort.Slice(p.Rules, func(i, j int) bool { return p.Rules[i].RulePriority < p.Rules[j].RulePriority })
	// ECR requires the catch-all rule to come last: it would leave nothing to
	// the rules after it.
	for _, r := range p.Rules[:len(p.Rules)-1] {
		if r.Selection.TagStatus == "any" {
			return nil, policyErr("the rule with tagStatus any must have the highest rulePriority")
		}
	}
	return &p, nil
}

// matches reports whether the selection's tag filter picks an image with tags.
// Several prefixes or patterns must each match one of the image's tags.
func (sel *Selection) matches(tags []string) bool {
	switch sel.TagStatus {
	case "untagged":
		return len(tags) == 0
	case "any":
		return true
	}
	if len(tags) == 0 {
		return false
	}
	for _, p := range sel.TagPrefixList {
		if !slices.ContainsFunc(tags, func(t string) bool { return strings.HasPrefix(t, p) }) {
			return false
		}
	}
	for _, re := range sel.patterns {
		if !slices.ContainsFunc(tags, re.MatchString) {
			return false
		}
	}
	return true
}

// Expiry is one image a policy expires, and the rule that does.
type Expiry struct {
	Image    registry.Image
	Priority int
}

// Evaluate decides which images the policy expires at time now, given each
// image's push time as age(image) converts it: rules go in priority order,
// and an image the tag filter of a rule picks is kept or expired by that
// rule alone (ECR: an image matching a rule's tagging requirements cannot be
// expired by a rule of lower priority). It has no side effects.
func (p *Policy) Evaluate(images []registry.Image, age func(registry.Image) time.Duration) []Expiry {
	// Newest first, so that imageCountMoreThan keeps the first countNumber.
	images = slices.Clone(images)
	sort.SliceStable(images, func(i, j int) bool { return images[i].PushedAt.After(images[j].PushedAt) })
	claimed := map[string]bool{}
	var out []Expiry
	for _, r := range p.Rules {
		kept := 0
		for _, im := range images {
			if claimed[im.Digest] || !r.Selection.matches(im.Tags) {
				continue
			}
			claimed[im.Digest] = true
			expire := false
			switch r.Selection.CountType {
			case "imageCountMoreThan":
				kept++
				expire = kept > r.Selection.CountNumber
			case "sinceImagePushed":
				expire = age(im) > time.Duration(r.Selection.CountNumber)*24*time.Hour
			}
			if expire {
				out = append(out, Expiry{Image: im, Priority: r.RulePriority})
			}
		}
	}
	return out
}
