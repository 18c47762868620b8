package ecr

import (
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/registry"
)

// FuzzPolicy feeds ParsePolicy arbitrary documents; those it accepts must
// evaluate without panicking and expire each image at most once, by one of
// the policy's rules.
func FuzzPolicy(f *testing.F) {
	f.Add(`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}`)
	f.Add(`{"rules":[{"rulePriority":3,"selection":{"tagStatus":"tagged","tagPatternList":["v*-*"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
		{"rulePriority":4,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}`)
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	images := []registry.Image{
		{Digest: "a", PushedAt: now.Add(-72 * time.Hour)},
		{Digest: "b", Tags: []string{"v1-x"}, PushedAt: now.Add(-48 * time.Hour)},
		{Digest: "c", Tags: []string{"v2", "prod"}, PushedAt: now.Add(-time.Hour)},
		{Digest: "d", Tags: []string{"latest"}, PushedAt: now},
	}
	age := func(im registry.Image) time.Duration { return now.Sub(im.PushedAt) }
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePolicy(text)
		if err != nil {
			return
		}
		prios := map[int]bool{}
		for _, r := range p.Rules {
			prios[r.RulePriority] = true
		}
		seen := map[string]bool{}
		for _, e := range p.Evaluate(images, age) {
			if seen[e.Image.Digest] || !prios[e.Priority] {
				t.Fatalf("expiry %+v repeated or by no rule of %s", e, text)
			}
			seen[e.Image.Digest] = true
		}
	})
}
