package ecr

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/stratus-run/stratus/internal/registry"
)

// preview is the stored result of StartLifecyclePolicyPreview.
type preview struct {
	PolicyText string          `json:"policyText"`
	Results    []previewResult `json:"results"`
}

type previewResult struct {
	Digest   string    `json:"digest"`
	Tags     []string  `json:"tags,omitempty"`
	PushedAt time.Time `json:"pushedAt"`
	Priority int       `json:"priority"`
}

// age is how old an image is in lifecycle time, which --schedule-minute
// compresses as it does schedules.
func (s *Service) age(im registry.Image) time.Duration {
	return s.clock.Now().Sub(s.clock.Virtual(im.PushedAt))
}

// lifecycleLoop applies every repository's lifecycle policy once a
// lifecycle-time minute (ECR promises only within 24 hours; a minute costs
// a read of each repository that has a policy), until ctx ends.
func (s *Service) lifecycleLoop(ctx context.Context) {
	defer close(s.done)
	tick := max(s.clock.Scale(time.Minute), 20*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.RunLifecycle(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("ecr: lifecycle run", "err", err)
			}
		}
	}
}

// RunLifecycle applies each repository's lifecycle policy now, expiring the
// images it selects. It returns the first failure after trying every
// repository.
func (s *Service) RunLifecycle(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	policies := map[string]string{}
	if err := s.meta.Each(ctx, func(name string, m repoMeta) {
		if m.Lifecycle != "" {
			policies[name] = m.Lifecycle
		}
	}); err != nil {
		return err
	}
	var first error
	for name, text := range policies {
		if err := s.applyLifecycle(ctx, name, text); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *Service) applyLifecycle(ctx context.Context, name, text string) error {
	p, err := ParsePolicy(text)
	if err != nil {
		return err // stored only after the same check: not reached
	}
	images, _, err := s.Registry.DescribeImages(ctx, name, nil)
	if err != nil {
		if errors.Is(err, registry.ErrRepositoryNotFound) {
			return nil // the repository went since the policy was read
		}
		return err
	}
	var ids []registry.ImageID
	for _, e := range p.Evaluate(images, s.age) {
		ids = append(ids, registry.ImageID{Digest: e.Image.Digest})
	}
	if len(ids) == 0 {
		return nil
	}
	_, _, err = s.Registry.BatchDeleteImage(ctx, name, ids)
	if err == nil {
		s.Log.Info("ecr: lifecycle policy expired images", "repository", name, "images", len(ids))
	}
	return err
}

func (s *Service) putLifecyclePolicy(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	if len(in.LifecyclePolicyText) < 100 || len(in.LifecyclePolicyText) > 30720 {
		return nil, errValidation(in.LifecyclePolicyText, "lifecyclePolicyText", "Member must have length less than or equal to 30720 and greater than or equal to 100")
	}
	if _, err := ParsePolicy(in.LifecyclePolicyText); err != nil {
		return nil, err
	}
	err := s.updateMeta(ctx, in.RepositoryName, func(m *repoMeta) error {
		m.Lifecycle, m.LifecycleAt = in.LifecyclePolicyText, s.Now().UTC()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.Account, "repositoryName": in.RepositoryName, "lifecyclePolicyText": in.LifecyclePolicyText}, nil
}

func (s *Service) getLifecyclePolicy(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	_, m, err := s.getMeta(ctx, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if m.Lifecycle == "" {
		return nil, errLifecyclePolicyNotFound(in.RepositoryName, s.Account)
	}
	return map[string]any{"registryId": s.Account, "repositoryName": in.RepositoryName, "lifecyclePolicyText": m.Lifecycle,
		"lastEvaluatedAt": epoch(m.LifecycleAt)}, nil
}

func (s *Service) deleteLifecyclePolicy(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	var old repoMeta
	err := s.updateMeta(ctx, in.RepositoryName, func(m *repoMeta) error {
		if m.Lifecycle == "" {
			return errLifecyclePolicyNotFound(in.RepositoryName, s.Account)
		}
		old = *m
		m.Lifecycle = ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.Account, "repositoryName": in.RepositoryName, "lifecyclePolicyText": old.Lifecycle,
		"lastEvaluatedAt": epoch(old.LifecycleAt)}, nil
}

// startLifecyclePolicyPreview evaluates the given policy (or the stored one)
// against the repository's images now and stores what it would expire. ECR
// runs previews in the background and answers IN_PROGRESS; Stratus's is
// done before it answers, so GetLifecyclePolicyPreview is COMPLETE at once.
func (s *Service) startLifecyclePolicyPreview(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	_, m, err := s.getMeta(ctx, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	text := in.LifecyclePolicyText
	if text == "" {
		if text = m.Lifecycle; text == "" {
			return nil, errLifecyclePolicyNotFound(in.RepositoryName, s.Account)
		}
	}
	p, err := ParsePolicy(text)
	if err != nil {
		return nil, err
	}
	images, _, err := s.Registry.DescribeImages(ctx, in.RepositoryName, nil)
	if err != nil {
		return nil, repoErr(err, in.RepositoryName, s.Account)
	}
	pv := &preview{PolicyText: text, Results: []previewResult{}}
	for _, e := range p.Evaluate(images, s.age) {
		pv.Results = append(pv.Results, previewResult{Digest: e.Image.Digest, Tags: e.Image.Tags, PushedAt: e.Image.PushedAt, Priority: e.Priority})
	}
	if err := s.updateMeta(ctx, in.RepositoryName, func(m *repoMeta) error { m.Preview = pv; return nil }); err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.Account, "repositoryName": in.RepositoryName, "lifecyclePolicyText": text, "status": "IN_PROGRESS"}, nil
}

func (s *Service) getLifecyclePolicyPreview(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	_, m, err := s.getMeta(ctx, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if m.Preview == nil {
		return nil, errPreviewNotFound(in.RepositoryName, s.Account)
	}
	type action struct {
		Type string `json:"type"`
	}
	type result struct {
		ImageTags           []string `json:"imageTags,omitempty"`
		ImageDigest         string   `json:"imageDigest"`
		ImagePushedAt       epoch    `json:"imagePushedAt"`
		Action              action   `json:"action"`
		AppliedRulePriority int      `json:"appliedRulePriority"`
	}
	lo, hi, next, err := page(len(m.Preview.Results), in.NextToken, in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	results := []result{}
	for _, pr := range m.Preview.Results[lo:hi] {
		results = append(results, result{ImageTags: pr.Tags, ImageDigest: pr.Digest, ImagePushedAt: epoch(pr.PushedAt),
			Action: action{Type: "EXPIRE"}, AppliedRulePriority: pr.Priority})
	}
	return map[string]any{"registryId": s.Account, "repositoryName": in.RepositoryName, "lifecyclePolicyText": m.Preview.PolicyText,
		"status": "COMPLETE", "previewResults": results, "nextToken": omitEmpty(next),
		"summary": map[string]any{"expiringImageTotalCount": len(m.Preview.Results)}}, nil
}
