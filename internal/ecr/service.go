// Package ecr serves Amazon ECR's API (awsJson 1.1, X-Amz-Target
// AmazonEC2ContainerRegistry_V20150921.<Op>, signing name "ecr") over
// Stratus's OCI registry (internal/registry): repositories, images, tag
// mutability, lifecycle policies evaluated on a schedule, repository
// policies, resource tags and the authorization tokens registry clients log
// in with.
//
// The registry holds repositories and images; this service keeps what ECR
// adds to a repository (its tags, encryption and scanning settings,
// repository and lifecycle policies, the last lifecycle preview) in a KV
// record of its own per repository. A repository the registry created on
// push (--auth none) has no such record and shows ECR's defaults.
package ecr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/registry"
	"github.com/stratus-run/stratus/internal/schedule"
	"github.com/stratus-run/stratus/internal/store"
)

const (
	targetPrefix = "AmazonEC2ContainerRegistry_V20150921."
	contentType  = awsproto.AWSJSON11
	signingName  = "ecr"
)

// Service is ECR. Set the exported fields, then Open; Close stops the
// lifecycle policy runs.
type Service struct {
	// Store holds repository settings, the token key and the schedule anchor. Required.
	Store *store.Store
	// Registry holds repositories and images. Required.
	Registry *registry.Registry
	// Port is the edge's port, for repository URIs and the proxy endpoint.
	Port string
	// Region and Account name resources (defaults us-east-1, 000000000000).
	Region, Account string
	// Minute is how long one minute of lifecycle time lasts (default
	// time.Minute); --schedule-minute shrinks it in tests, so that a
	// sinceImagePushed rule of one day expires images in 1440 Minutes.
	Minute time.Duration
	// TokenTTL is how long an authorization token is good for (default 12h, as ECR).
	TokenTTL time.Duration
	// Now is the wall clock (default time.Now).
	Now func() time.Time
	// Log gets lifecycle runs' failures (default slog.Default()).
	Log *slog.Logger

	meta   *store.Table[repoMeta]
	tokens *tokenSigner
	clock  schedule.Clock

	// runMu serializes lifecycle runs (the schedule's and a test's RunLifecycle).
	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Open binds the tables, loads the token key and starts the lifecycle schedule.
func (s *Service) Open(ctx context.Context) error {
	if s.Store == nil || s.Registry == nil {
		return errors.New("ecr: Store and Registry are required")
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Minute <= 0 {
		s.Minute = time.Minute
	}
	if s.TokenTTL <= 0 {
		s.TokenTTL = 12 * time.Hour
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	var err error
	if s.meta, err = store.OpenTable[repoMeta](ctx, s.Store, "ecr-repos", 1); err != nil {
		return fmt.Errorf("ecr: %w", err)
	}
	keys, err := store.OpenTable[[]byte](ctx, s.Store, "ecr-keys", 1)
	if err != nil {
		return fmt.Errorf("ecr: %w", err)
	}
	if s.tokens, err = loadTokenSigner(ctx, keys, s.Now); err != nil {
		return fmt.Errorf("ecr: %w", err)
	}
	anchors, err := store.OpenTable[time.Time](ctx, s.Store, "ecr-clock", 1)
	if err != nil {
		return fmt.Errorf("ecr: %w", err)
	}
	anchor, err := schedule.LoadAnchor(ctx, anchors, "lifecycle", s.Now())
	if err != nil {
		return fmt.Errorf("ecr: %w", err)
	}
	s.clock = schedule.Clock{Minute: s.Minute, Anchor: anchor, Wall: s.Now}
	rctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go s.lifecycleLoop(rctx)
	return nil
}

// Close stops the lifecycle schedule, waiting for a run in progress until ctx ends.
func (s *Service) Close(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Authorize is the registry's Authorize: it accepts Basic AWS:<token> with a
// token GetAuthorizationToken issued that has not expired, and fails for
// anything else (the registry answers 401).
func (s *Service) Authorize(r *http.Request) error {
	user, pass, ok := r.BasicAuth()
	if !ok || user != "AWS" {
		return errors.New("ecr: no AWS credentials")
	}
	return s.tokens.verify(pass)
}

// Handles reports whether a request is ECR's: signed for "ecr", or unsigned
// with an ECR X-Amz-Target.
func (s *Service) Handles(r *http.Request, signing string) bool {
	if signing == signingName {
		return true
	}
	_, ok := awsproto.Target(r, targetPrefix)
	return signing == "" && ok
}

type handler = awsproto.JSONOperation[*Service, input]

// operations is the route table, one handler per operation.
var operations = map[string]handler{
	"CreateRepository":      (*Service).createRepository,
	"DescribeRepositories":  (*Service).describeRepositories,
	"DeleteRepository":      (*Service).deleteRepository,
	"PutImageTagMutability": (*Service).putImageTagMutability,

	"ListImages":       (*Service).listImages,
	"DescribeImages":   (*Service).describeImages,
	"BatchGetImage":    (*Service).batchGetImage,
	"BatchDeleteImage": (*Service).batchDeleteImage,
	"PutImage":         (*Service).putImage,

	"PutLifecyclePolicy":          (*Service).putLifecyclePolicy,
	"GetLifecyclePolicy":          (*Service).getLifecyclePolicy,
	"DeleteLifecyclePolicy":       (*Service).deleteLifecyclePolicy,
	"StartLifecyclePolicyPreview": (*Service).startLifecyclePolicyPreview,
	"GetLifecyclePolicyPreview":   (*Service).getLifecyclePolicyPreview,

	"SetRepositoryPolicy":    (*Service).setRepositoryPolicy,
	"GetRepositoryPolicy":    (*Service).getRepositoryPolicy,
	"DeleteRepositoryPolicy": (*Service).deleteRepositoryPolicy,

	"TagResource":         (*Service).tagResource,
	"UntagResource":       (*Service).untagResource,
	"ListTagsForResource": (*Service).listTagsForResource,

	"GetAuthorizationToken": (*Service).getAuthorizationToken,
	"DescribeRegistry":      (*Service).describeRegistry,
}

// ServeHTTP dispatches one awsJson request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	awsproto.ServeJSON(w, r, s, targetPrefix, contentType, operations, errUnknownOperation, s.Log, "ecr")
}

func (s *Service) region(r *http.Request) string {
	if info := awsproto.Info(r.Context()); info != nil && info.Region != "" {
		return info.Region
	}
	return s.Region
}

// registryHost is the registry's host name in region, as clients pull from it.
func (s *Service) registryHost(region string) string {
	h := s.Account + ".dkr.ecr." + region + ".localhost"
	if s.Port != "" {
		h += ":" + s.Port
	}
	return h
}
