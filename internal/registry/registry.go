// Package registry is Stratus's OCI image registry: the distribution API at
// /v2/ (pull, push, mounts, tags, deletes, referrers) over content-addressed
// blobs, and the Go API the ECR service manages repositories and images with.
//
// State: a repository (its tags, manifests and blob links) is one JetStream KV
// record, written compare-and-set; upload sessions are KV records plus a file
// each under Dir/uploads; blob bytes live in Blobs, a blob.Backend of the
// registry's own (GC deletes from it, so it must not be shared with another
// service's blobs). Every blob is stored under the sha256 of its bytes whatever
// digest algorithm the client names it by, so content pushed to several
// repositories, or as sha256 and sha512, is stored once.
//
// Lock order: Registry.gcMu, then an upload's mutex. gcMu is held for reading
// by every write that makes a stored blob referenced (an upload's commit, a
// mount, a manifest put) and for writing by GC's sweep, so GC never deletes a
// blob such a write has just found present.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/blob"
	"github.com/stratus-run/stratus/internal/store"
)

// Tag mutability of a repository, as ECR names it.
const (
	Mutable   = "MUTABLE"
	Immutable = "IMMUTABLE"
)

// Registry serves /v2/ and holds the repositories. Set the exported fields,
// then Open; Close stops its background garbage collection.
type Registry struct {
	// Store holds repositories and upload sessions. Required.
	Store *store.Store
	// Blobs holds blob and manifest bytes. Required; the registry's own.
	Blobs blob.Backend
	// Dir holds upload sessions' bytes. Required.
	Dir string
	// CreateOnPush makes a push to a repository that does not exist create it,
	// and makes reads of such a repository answer as for an empty one. ECR
	// creates repositories only through CreateRepository (--auth strict);
	// --auth none sets this so a push works at once, as a plain registry's.
	CreateOnPush bool
	// Anonymous allows every request without credentials (--auth none).
	Anonymous bool
	// Authorize decides requests when Anonymous is false: nil refuses all of
	// them with UNAUTHORIZED; the ECR service sets it to accept its
	// GetAuthorizationToken tokens (Basic AWS:<token>). An error wrapping
	// ErrDenied answers 403, any other 401.
	Authorize func(r *http.Request) error
	// GCGrace protects blobs uploaded or mounted this recently from GC, so that
	// the manifest a client pushes after its layers finds them (default 1h).
	GCGrace time.Duration
	// GCInterval is how often GC runs besides after deletes (default 1h).
	GCInterval time.Duration
	// UploadTTL is how long an upload session may stay idle before GC drops
	// it (default 24h).
	UploadTTL time.Duration
	// Log gets GC's and unexpected errors; nil means slog.Default().
	Log *slog.Logger
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time

	repos   *store.Table[repoDoc]
	uploads *store.Table[uploadDoc]
	known   *store.Table[knownBlob]

	gcMu    sync.RWMutex
	upMu    sync.Mutex
	upLocks map[string]*sync.Mutex
	gcKick  chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
}

// repoDoc is one repository's whole state.
type repoDoc struct {
	Name          string                  `json:"name"`
	CreatedAt     time.Time               `json:"createdAt"`
	TagMutability string                  `json:"tagMutability"`
	Tags          map[string]string       `json:"tags"`      // tag → manifest digest
	Manifests     map[string]*manifestRec `json:"manifests"` // digest → manifest
	Links         map[string]blobLink     `json:"links"`     // blob digest → stored bytes
}

type manifestRec struct {
	MediaType    string            `json:"mediaType"`
	Size         int64             `json:"size"`
	Stored       string            `json:"stored"` // sha256 hex of the body in Blobs
	PushedAt     time.Time         `json:"pushedAt"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Subject      string            `json:"subject,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	ContentSize  int64             `json:"contentSize"`
	// Refs are the sha256 keys of the blobs the manifest references, which GC
	// keeps while the manifest exists.
	Refs []string `json:"refs,omitempty"`
}

type blobLink struct {
	Stored string `json:"stored"` // sha256 hex in Blobs
	Size   int64  `json:"size"`
}

// knownBlob is the registry-wide record of a stored blob by client digest,
// for anonymous mounts and for GC (Blobs itself cannot be listed).
type knownBlob struct {
	Stored  string    `json:"stored"`
	Size    int64     `json:"size"`
	Touched time.Time `json:"touched"`
}

// Open binds the KV buckets, creates Dir and starts background GC.
func (r *Registry) Open(ctx context.Context) error {
	if r.Store == nil || r.Blobs == nil || r.Dir == "" {
		return errors.New("registry: Store, Blobs and Dir are required")
	}
	if r.GCGrace == 0 {
		r.GCGrace = time.Hour
	}
	if r.GCInterval == 0 {
		r.GCInterval = time.Hour
	}
	if r.UploadTTL == 0 {
		r.UploadTTL = 24 * time.Hour
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if err := os.MkdirAll(r.uploadDir(), 0o755); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	var err error
	if r.repos, err = store.OpenTable[repoDoc](ctx, r.Store, "registry-repos", 1); err != nil {
		return err
	}
	if r.uploads, err = store.OpenTable[uploadDoc](ctx, r.Store, "registry-uploads", 1); err != nil {
		return err
	}
	if r.known, err = store.OpenTable[knownBlob](ctx, r.Store, "registry-blobs", 1); err != nil {
		return err
	}
	r.upLocks = map[string]*sync.Mutex{}
	r.gcKick = make(chan struct{}, 1)
	gctx, cancel := context.WithCancel(context.Background())
	r.stop, r.done = cancel, make(chan struct{})
	go r.gcLoop(gctx)
	return nil
}

// Close stops background GC, waiting for a run in progress until ctx ends.
func (r *Registry) Close(ctx context.Context) error {
	if r.stop == nil {
		return nil
	}
	r.stop()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Registry) uploadDir() string { return filepath.Join(r.Dir, "uploads") }

// getRepo returns the repository; a missing one is ErrRepositoryNotFound, or
// with CreateOnPush an empty unsaved one (rev 0).
func (r *Registry) getRepo(ctx context.Context, name string) (*repoDoc, uint64, error) {
	doc, rev, err := r.repos.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		if !r.CreateOnPush {
			return nil, 0, ErrRepositoryNotFound
		}
		return newRepoDoc(name, Mutable, r.Now()), 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	doc.fill()
	return &doc, rev, nil
}

func newRepoDoc(name, mutability string, now time.Time) *repoDoc {
	d := &repoDoc{Name: name, CreatedAt: now.UTC(), TagMutability: mutability}
	d.fill()
	return d
}

func (d *repoDoc) fill() {
	if d.Tags == nil {
		d.Tags = map[string]string{}
	}
	if d.Manifests == nil {
		d.Manifests = map[string]*manifestRec{}
	}
	if d.Links == nil {
		d.Links = map[string]blobLink{}
	}
}

// updateRepo applies fn to the repository's latest state and saves it,
// retrying when another writer got there first. A missing repository is
// created only when create is true and CreateOnPush is set. fn's error
// aborts the update and is returned as it is.
func (r *Registry) updateRepo(ctx context.Context, name string, create bool, fn func(d *repoDoc) error) error {
	for {
		doc, rev, err := r.repos.Get(ctx, name)
		var d *repoDoc
		switch {
		case errors.Is(err, store.ErrNotFound):
			if !create || !r.CreateOnPush {
				return ErrRepositoryNotFound
			}
			d = newRepoDoc(name, Mutable, r.Now())
		case err != nil:
			return err
		default:
			doc.fill()
			d = &doc
		}
		if err := fn(d); err != nil {
			return err
		}
		if rev == 0 {
			_, err = r.repos.Create(ctx, name, *d)
			if errors.Is(err, store.ErrExists) {
				continue
			}
		} else {
			_, err = r.repos.Update(ctx, name, *d, rev)
			if errors.Is(err, store.ErrConflict) {
				continue
			}
		}
		return err
	}
}

// Repository is what ECR shows of a repository.
type Repository struct {
	Name          string
	CreatedAt     time.Time
	TagMutability string
}

// CreateRepository creates an empty repository. It fails with
// ErrInvalidParameter for a name ECR would refuse or a mutability that is
// neither Mutable nor Immutable ("" means Mutable), and ErrRepositoryExists.
func (r *Registry) CreateRepository(ctx context.Context, name, tagMutability string) (Repository, error) {
	if !ValidName(name) {
		return Repository{}, fmt.Errorf("%w: repository name %q", ErrInvalidParameter, name)
	}
	if tagMutability == "" {
		tagMutability = Mutable
	}
	if tagMutability != Mutable && tagMutability != Immutable {
		return Repository{}, fmt.Errorf("%w: tag mutability %q", ErrInvalidParameter, tagMutability)
	}
	d := newRepoDoc(name, tagMutability, r.Now())
	if _, err := r.repos.Create(ctx, name, *d); err != nil {
		if errors.Is(err, store.ErrExists) {
			return Repository{}, ErrRepositoryExists
		}
		return Repository{}, err
	}
	return d.repository(), nil
}

func (d *repoDoc) repository() Repository {
	return Repository{Name: d.Name, CreatedAt: d.CreatedAt, TagMutability: d.TagMutability}
}

// GetRepository returns a saved repository or ErrRepositoryNotFound.
func (r *Registry) GetRepository(ctx context.Context, name string) (Repository, error) {
	doc, _, err := r.repos.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Repository{}, ErrRepositoryNotFound
	}
	if err != nil {
		return Repository{}, err
	}
	return doc.repository(), nil
}

// ListRepositories returns every repository, sorted by name.
func (r *Registry) ListRepositories(ctx context.Context) ([]Repository, error) {
	var out []Repository
	err := r.repos.Each(ctx, func(_ string, d repoDoc) { out = append(out, d.repository()) })
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// DeleteRepository deletes a repository; one that still has images needs
// force (else ErrRepositoryNotEmpty). Its blobs go at the next GC.
func (r *Registry) DeleteRepository(ctx context.Context, name string, force bool) (Repository, error) {
	for {
		doc, rev, err := r.repos.Get(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return Repository{}, ErrRepositoryNotFound
		}
		if err != nil {
			return Repository{}, err
		}
		if len(doc.Manifests) > 0 && !force {
			return Repository{}, ErrRepositoryNotEmpty
		}
		err = r.repos.Delete(ctx, name, rev)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return Repository{}, err
		}
		r.KickGC()
		return doc.repository(), nil
	}
}

// PutImageTagMutability sets a repository's tag mutability.
func (r *Registry) PutImageTagMutability(ctx context.Context, name, tagMutability string) error {
	if tagMutability != Mutable && tagMutability != Immutable {
		return fmt.Errorf("%w: tag mutability %q", ErrInvalidParameter, tagMutability)
	}
	return r.updateRepo(ctx, name, false, func(d *repoDoc) error {
		d.TagMutability = tagMutability
		return nil
	})
}
