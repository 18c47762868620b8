package ecr

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/registry"
	"github.com/stratus-run/stratus/internal/store"
)

// repoMeta is what ECR keeps of a repository besides the registry's state.
type repoMeta struct {
	Tags        []tag            `json:"tags,omitempty"`
	Encryption  encryptionConfig `json:"encryption"`
	ScanOnPush  bool             `json:"scanOnPush,omitempty"`
	Policy      string           `json:"policy,omitempty"`
	Lifecycle   string           `json:"lifecycle,omitempty"`
	LifecycleAt time.Time        `json:"lifecycleAt,omitzero"`
	Preview     *preview         `json:"preview,omitempty"`
}

func defaultMeta() repoMeta {
	return repoMeta{Encryption: encryptionConfig{EncryptionType: "AES256"}}
}

// getMeta returns the repository's ECR settings, after checking that the
// registry has the repository; one created on push has the defaults.
func (s *Service) getMeta(ctx context.Context, name string) (registry.Repository, repoMeta, error) {
	repo, err := s.Registry.GetRepository(ctx, name)
	if err != nil {
		return repo, repoMeta{}, repoErr(err, name, s.Account)
	}
	m, _, err := s.meta.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return repo, defaultMeta(), nil
	}
	return repo, m, err
}

// updateMeta applies fn to the repository's settings and saves them,
// retrying when another writer got there first. fn's error aborts it.
func (s *Service) updateMeta(ctx context.Context, name string, fn func(m *repoMeta) error) error {
	for {
		if _, err := s.Registry.GetRepository(ctx, name); err != nil {
			return repoErr(err, name, s.Account)
		}
		m, rev, err := s.meta.Get(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			m, rev = defaultMeta(), 0
		} else if err != nil {
			return err
		}
		if err := fn(&m); err != nil {
			return err
		}
		if rev == 0 {
			_, err = s.meta.Create(ctx, name, m)
			if errors.Is(err, store.ErrExists) {
				continue
			}
		} else {
			_, err = s.meta.Update(ctx, name, m, rev)
			if errors.Is(err, store.ErrConflict) {
				continue
			}
		}
		return err
	}
}

func (s *Service) arn(region, name string) string {
	return "arn:aws:ecr:" + region + ":" + s.Account + ":repository/" + name
}

func (s *Service) repositoryOut(region string, repo registry.Repository, m repoMeta) repositoryOut {
	return repositoryOut{
		RepositoryArn: s.arn(region, repo.Name), RegistryID: s.Account, RepositoryName: repo.Name,
		RepositoryURI: s.registryHost(region) + "/" + repo.Name, CreatedAt: epoch(repo.CreatedAt),
		ImageTagMutability: repo.TagMutability, ImageScanningConfiguration: scanningConfig{ScanOnPush: m.ScanOnPush},
		EncryptionConfiguration: m.Encryption,
	}
}

// checkName refuses a repository name ECR would, before it reaches the registry.
func checkName(name string) error {
	if name == "" {
		return errValidation("null", "repositoryName", "Member must not be null")
	}
	if len(name) < 2 || len(name) > 256 {
		return errValidation(name, "repositoryName", "Member must have length less than or equal to 256 and greater than or equal to 2")
	}
	if !registry.ValidName(name) {
		return errInvalidName()
	}
	return nil
}

func checkTags(tags []tag) error {
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return errInvalidParameter("Invalid parameter at 'tags' failed to satisfy constraint: 'Tag keys must be 1 to 128 characters and values at most 256'")
		}
	}
	return nil
}

func (s *Service) createRepository(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	if in.ImageTagMutability != "" && in.ImageTagMutability != registry.Mutable && in.ImageTagMutability != registry.Immutable {
		return nil, errValidation(in.ImageTagMutability, "imageTagMutability", "Member must satisfy enum value set: [MUTABLE, IMMUTABLE]")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	m := defaultMeta()
	m.Tags = mergeTags(nil, in.Tags)
	if e := in.EncryptionConfiguration; e != nil {
		if e.EncryptionType != "AES256" && e.EncryptionType != "KMS" && e.EncryptionType != "KMS_DSSE" {
			return nil, errValidation(e.EncryptionType, "encryptionConfiguration.encryptionType", "Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]")
		}
		if e.EncryptionType == "AES256" && e.KmsKey != "" {
			return nil, errInvalidParameter("Invalid parameter: KMS key should not be specified when encryption type is AES256")
		}
		m.Encryption = *e
	}
	if c := in.ImageScanningConfiguration; c != nil {
		m.ScanOnPush = c.ScanOnPush
	}
	repo, err := s.Registry.CreateRepository(ctx, in.RepositoryName, in.ImageTagMutability)
	if err != nil {
		return nil, repoErr(err, in.RepositoryName, s.Account)
	}
	// A record left by a repository of the same name deleted earlier is
	// replaced: the new repository starts with its own settings.
	if err := s.updateMeta(ctx, in.RepositoryName, func(old *repoMeta) error { *old = m; return nil }); err != nil {
		return nil, err
	}
	return map[string]any{"repository": s.repositoryOut(s.region(r), repo, m)}, nil
}

func (s *Service) describeRepositories(ctx context.Context, r *http.Request, in *input) (any, error) {
	var repos []registry.Repository
	if len(in.RepositoryNames) > 0 {
		if in.NextToken != "" || in.MaxResults != nil {
			return nil, errInvalidParameter("Invalid parameter: maxResults and nextToken cannot be specified with repositoryNames")
		}
		for _, n := range in.RepositoryNames {
			repo, err := s.Registry.GetRepository(ctx, n)
			if err != nil {
				return nil, repoErr(err, n, s.Account)
			}
			repos = append(repos, repo)
		}
	} else {
		var err error
		if repos, err = s.Registry.ListRepositories(ctx); err != nil {
			return nil, err
		}
	}
	lo, hi, next, err := page(len(repos), in.NextToken, in.MaxResults, 100, 1000)
	if err != nil {
		return nil, err
	}
	out := []repositoryOut{}
	for _, repo := range repos[lo:hi] {
		_, m, err := s.getMeta(ctx, repo.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, s.repositoryOut(s.region(r), repo, m))
	}
	return map[string]any{"repositories": out, "nextToken": omitEmpty(next)}, nil
}

func omitEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Service) deleteRepository(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	_, m, err := s.getMeta(ctx, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	repo, err := s.Registry.DeleteRepository(ctx, in.RepositoryName, in.Force)
	if err != nil {
		return nil, repoErr(err, in.RepositoryName, s.Account)
	}
	if _, rev, err := s.meta.Get(ctx, in.RepositoryName); err == nil {
		s.meta.Delete(ctx, in.RepositoryName, rev) //nolint:errcheck // a stale record is replaced by the next CreateRepository
	}
	return map[string]any{"repository": s.repositoryOut(s.region(r), repo, m)}, nil
}

func (s *Service) putImageTagMutability(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	if in.ImageTagMutability != registry.Mutable && in.ImageTagMutability != registry.Immutable {
		return nil, errValidation(in.ImageTagMutability, "imageTagMutability", "Member must satisfy enum value set: [MUTABLE, IMMUTABLE]")
	}
	if err := s.Registry.PutImageTagMutability(ctx, in.RepositoryName, in.ImageTagMutability); err != nil {
		return nil, repoErr(err, in.RepositoryName, s.Account)
	}
	return map[string]any{"registryId": s.Account, "repositoryName": in.RepositoryName, "imageTagMutability": in.ImageTagMutability}, nil
}

// Repository policies: stored and returned as given (after checking they
// are JSON); Stratus does not evaluate IAM policies.

func (s *Service) setRepositoryPolicy(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	if !json.Valid([]byte(in.PolicyText)) {
		return nil, errInvalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'")
	}
	err := s.updateMeta(ctx, in.RepositoryName, func(m *repoMeta) error { m.Policy = in.PolicyText; return nil })
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.Account, "repositoryName": in.RepositoryName, "policyText": in.PolicyText}, nil
}

func (s *Service) getRepositoryPolicy(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	_, m, err := s.getMeta(ctx, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if m.Policy == "" {
		return nil, errRepositoryPolicyNotFound(in.RepositoryName, s.Account)
	}
	return map[string]any{"registryId": s.Account, "repositoryName": in.RepositoryName, "policyText": m.Policy}, nil
}

func (s *Service) deleteRepositoryPolicy(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	var old string
	err := s.updateMeta(ctx, in.RepositoryName, func(m *repoMeta) error {
		if m.Policy == "" {
			return errRepositoryPolicyNotFound(in.RepositoryName, s.Account)
		}
		old, m.Policy = m.Policy, ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.Account, "repositoryName": in.RepositoryName, "policyText": old}, nil
}

// Resource tags.

// repoFromArn returns the repository an ECR repository ARN names.
func (s *Service) repoFromArn(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ecr" || !strings.HasPrefix(parts[5], "repository/") {
		return "", errInvalidParameter("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'")
	}
	return strings.TrimPrefix(parts[5], "repository/"), nil
}

// mergeTags sets each of add on tags, replacing a tag of the same key.
func mergeTags(tags, add []tag) []tag {
	for _, a := range add {
		found := false
		for i := range tags {
			if tags[i].Key == a.Key {
				tags[i].Value, found = a.Value, true
			}
		}
		if !found {
			tags = append(tags, a)
		}
	}
	return tags
}

func (s *Service) tagResource(ctx context.Context, r *http.Request, in *input) (any, error) {
	name, err := s.repoFromArn(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	return struct{}{}, s.updateMeta(ctx, name, func(m *repoMeta) error { m.Tags = mergeTags(m.Tags, in.Tags); return nil })
}

func (s *Service) untagResource(ctx context.Context, r *http.Request, in *input) (any, error) {
	name, err := s.repoFromArn(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return struct{}{}, s.updateMeta(ctx, name, func(m *repoMeta) error {
		kept := m.Tags[:0]
		for _, t := range m.Tags {
			drop := false
			for _, k := range in.TagKeys {
				drop = drop || k == t.Key
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		m.Tags = kept
		return nil
	})
}

func (s *Service) listTagsForResource(ctx context.Context, r *http.Request, in *input) (any, error) {
	name, err := s.repoFromArn(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	_, m, err := s.getMeta(ctx, name)
	if err != nil {
		return nil, err
	}
	tags := m.Tags
	if tags == nil {
		tags = []tag{}
	}
	return map[string]any{"tags": tags}, nil
}

func (s *Service) describeRegistry(ctx context.Context, r *http.Request, in *input) (any, error) {
	return map[string]any{"registryId": s.Account, "replicationConfiguration": map[string]any{"rules": []any{}}}, nil
}
