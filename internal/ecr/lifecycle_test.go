package ecr

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/registry"
)

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	img := func(dg string, daysAgo int, tags ...string) registry.Image {
		return registry.Image{Digest: dg, Tags: tags, PushedAt: now.Add(-time.Duration(daysAgo) * 24 * time.Hour)}
	}
	images := []registry.Image{
		img("u1", 5), img("u2", 1),
		img("v1", 9, "v1"), img("v2", 8, "v2"), img("v3", 7, "v3"), img("v4", 6, "v4", "stable"),
		img("dev", 30, "dev-x"),
	}
	age := func(im registry.Image) time.Duration { return now.Sub(im.PushedAt) }
	cases := []struct {
		name, policy string
		want         []string // expired digests, in the order rules expire them
	}{
		{"untagged older than 2 days", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":2},"action":{"type":"expire"}}]}`,
			[]string{"u1"}},
		{"keep newest 2 tagged v", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}`,
			[]string{"v2", "v1"}},
		{"higher priority claims first", `{"rules":[
			{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["*stable*"],"countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}},
			{"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`,
			// v4 is claimed (kept) by rule 1; of the rest, u2 is the newest.
			[]string{"u1", "v3", "v2", "v1", "dev"}},
		{"every prefix must match a tag", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v","st"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}`,
			[]string{"v4"}},
		{"priority order, not document order", `{"rules":[
			{"rulePriority":9,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":3},"action":{"type":"expire"}},
			{"rulePriority":2,"selection":{"tagStatus":"tagged","tagPrefixList":["dev"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`,
			[]string{"u1", "v4", "v3", "v2", "v1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePolicy(c.policy)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range p.Evaluate(images, age) {
				got = append(got, e.Image.Digest)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("expired %v, want %v", got, c.want)
			}
		})
	}
}

func TestParsePolicyRefuses(t *testing.T) {
	for _, p := range []string{
		`{}`,
		`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`,
		`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":1},"action":{"type":"expire"}}]}`,
		`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":0},"action":{"type":"expire"}}]}`,
		`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"keep"}}]}`,
		`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
			{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`,
		`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
			{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}`,
	} {
		_, err := ParsePolicy(p)
		var ae *awsproto.Error
		if !errors.As(err, &ae) || ae.Code != "InvalidParameterException" {
			t.Errorf("%s: got %v, want InvalidParameterException", p, err)
		}
	}
}

func TestTokens(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := &tokenSigner{key: []byte("k1"), now: func() time.Time { return now }}
	pass := ts.issue(now.Add(12 * time.Hour))
	if err := ts.verify(pass); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	other := &tokenSigner{key: []byte("k2"), now: ts.now}
	if err := other.verify(pass); !errors.Is(err, errTokenInvalid) {
		t.Errorf("another key's token: %v", err)
	}
	b := []byte(pass)
	b[3] ^= 1
	if err := ts.verify(string(b)); !errors.Is(err, errTokenInvalid) {
		t.Errorf("altered token: %v", err)
	}
	now = now.Add(12 * time.Hour)
	if err := ts.verify(pass); !errors.Is(err, errTokenExpired) {
		t.Errorf("token at its expiry: %v", err)
	}
}
