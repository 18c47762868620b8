// Package lambda serves the Lambda API (REST-JSON under /2015-03-31/ and its dated
// siblings): functions, their code and configuration, published versions and
// aliases, concurrency, tags, event invoke configs and Invoke. It keeps functions
// in the state store, caches them in memory (fresh through a store watch) and
// hands invocations to the invoke engine; Event invocations go through the
// durable queue of package async first.
package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/async"
	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	"github.com/stratus-run/stratus/internal/blob"
	"github.com/stratus-run/stratus/internal/codezip"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/imagefs"
	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/runtimes"
	"github.com/stratus-run/stratus/internal/store"
)

// Service is the Lambda API. Set the exported fields, then Open.
type Service struct {
	Store  *store.Store
	Blobs  *blob.Store
	Engine *invoke.Engine
	// CodeDir is where code packages are unpacked, one directory per code digest.
	CodeDir string
	// Account is the account id in ARNs (default 000000000000).
	Account string
	// URLKey signs GetFunction's Code.Location download URLs.
	URLKey []byte
	// Runtimes says which runtimes this server runs and how to start them.
	Runtimes *runtimes.Runtimes
	// Queue holds accepted Event invocations until Deliver has seen them through.
	Queue *async.Queue
	// Targets takes what Lambda sends to other services: destination records
	// for SQS queues, SNS topics and EventBridge buses, and the dead letters of
	// functions with a DeadLetterConfig. nil refuses such targets.
	Targets eventsource.Sender
	// RetryDelay is the wait before an event's first retry after a function
	// error, doubled for the second (default 1 minute, as Lambda's).
	RetryDelay time.Duration
	// AgeUnit is how long one second of MaximumEventAgeInSeconds lasts (default
	// 1 s); tests shorten it rather than wait minutes.
	AgeUnit time.Duration
	// URLPort is the edge's port, for the function URLs reported
	// (http://{url-id}.lambda-url.{region}.localhost:{URLPort}/).
	URLPort string
	// URLVerifier checks the SigV4 signature of requests to AWS_IAM function
	// URLs; nil accepts any credentials (as the edge does without --auth
	// strict) but still requires a signature.
	URLVerifier *sigv4.Verifier
	// Objects is S3, from which code packages named by S3Bucket/S3Key are
	// read; nil answers every such package as in a bucket that does not exist.
	Objects Objects
	// Images is the registry PackageType Image functions' images come from,
	// and ImageRoots where their roots are unpacked, once per image digest;
	// without both, CreateFunction refuses PackageType Image.
	Images     Images
	ImageRoots *imagefs.Cache

	urlTable *store.Table[urlConfig]
	urlCache *urls
	urlCx    context.CancelFunc

	functions     *store.Table[record]
	layerVersions *store.Table[layerVersion] // "region/name/version"
	layerHeads    *store.Table[layerHead]    // "region/name": last version number
	eventConfigs  *store.Table[eventConfig]  // eventConfigKey(region, name, qualifier)
	eventCache    sync.Map                   // eventConfigKey → *eventConfig, fresh through a watch

	versions *store.Table[versionRecord] // versionKey(region, name, n)
	aliases  *store.Table[aliasRecord]   // "region/name/alias"

	policies *store.Table[policyRecord] // policyKey(region, name, qualifier)
	pcache   *policyCache               // fresh through a watch, stopped by policyCx
	policyCx context.CancelFunc

	// mu guards the three caches. Deleted keys keep a tombstone, so a late watch
	// event cannot bring them back.
	mu      sync.RWMutex
	cache   map[string]*entry        // key(region, name) → the function ($LATEST)
	vcache  map[string]*versionEntry // versionKey(region, name, n) → a published version
	acache  map[string]*aliasEntry   // region/name/alias → an alias
	unpack  sync.Mutex               // serialises unpacking of one code digest at a time
	watchCx context.CancelFunc
}

// entry is a cached function: its record, the store revision it came from and the
// engine's snapshot of it.
type entry struct {
	rec     record
	rev     uint64
	deleted bool
	fn      *invoke.Function
}

// Open binds the functions bucket and fills the cache from it.
func (s *Service) Open(ctx context.Context) error {
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if len(s.URLKey) == 0 {
		return errors.New("lambda: URLKey is required")
	}
	t, err := store.OpenTable[record](ctx, s.Store, "lambda_functions", 1)
	if err != nil {
		return err
	}
	s.functions = t
	if s.RetryDelay <= 0 {
		s.RetryDelay = time.Minute
	}
	if s.AgeUnit <= 0 {
		s.AgeUnit = time.Second
	}
	s.cache = map[string]*entry{}
	s.vcache = map[string]*versionEntry{}
	s.acache = map[string]*aliasEntry{}
	if err := os.MkdirAll(s.CodeDir, 0o755); err != nil {
		return fmt.Errorf("lambda: code dir: %w", err)
	}
	if err := s.openLayers(ctx); err != nil {
		return err
	}
	// An unpack that a crash interrupted leaves its temporary directory behind.
	if partial, err := filepath.Glob(filepath.Join(s.CodeDir, ".*.unpack-*")); err == nil {
		for _, p := range partial {
			os.RemoveAll(p)
		}
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.watchCx = cancel
	err = watchTable(ctx, wctx, t, func(k string, rec record, rev uint64) {
		// Unpacked code is a cache of the blob: unpack it again if it is gone.
		if err := s.ensureCode(rec.CodeDigest, nil); err != nil {
			slog.Error("lambda: cannot unpack code", "function", k, "err", err)
		}
		if err := s.ensureLayers(rec.Layers); err != nil {
			slog.Error("lambda: cannot unpack layers", "function", k, "err", err)
		}
		s.remember(rec, rev)
	}, s.forget)
	if err == nil {
		// Versions after functions, so a version finds its function's reserved
		// concurrency; aliases last, so they find their versions.
		err = s.openVersions(ctx, wctx)
	}
	if err != nil {
		cancel()
		return err
	}
	s.updateReservedTotal()
	// Event invoke configs: after the functions, so s.watchCx stops both watches.
	if err := s.openEventConfigs(ctx); err != nil {
		return err
	}
	if err := s.openURLs(ctx); err != nil {
		return err
	}
	return s.openPolicies(ctx)
}

// Close stops the caches' watches.
func (s *Service) Close(ctx context.Context) error {
	if s.watchCx != nil {
		s.watchCx()
	}
	if s.urlCx != nil {
		s.urlCx()
	}
	if s.policyCx != nil {
		s.policyCx()
	}
	return nil
}

func key(region, name string) string { return region + "/" + name }

// lookup returns the cached function, or nil.
func (s *Service) lookup(region, name string) *entry {
	s.mu.RLock()
	e := s.cache[key(region, name)]
	s.mu.RUnlock()
	if e == nil || e.deleted {
		return nil
	}
	return e
}

// remember caches rec at revision rev unless the cache already holds a newer one.
func (s *Service) remember(rec record, rev uint64) *entry {
	k := key(rec.Region, rec.Name)
	s.mu.Lock()
	old := s.cache[k]
	if old != nil && old.rev >= rev {
		s.mu.Unlock()
		return old
	}
	s.mu.Unlock()
	// Built outside the lock: finding a runtime's command may compile its client
	// once (Java), and invocations must not wait on that.
	e := &entry{rec: rec, rev: rev, fn: s.snapshot(&rec)}
	s.mu.Lock()
	old = s.cache[k]
	if old != nil && old.rev >= rev {
		s.mu.Unlock()
		return old
	}
	e.fn.Generation = rev
	// Generation changes only with code or configuration (which set LastModified),
	// so setting concurrency or tags, or publishing a version, keeps the warm
	// environments.
	if old != nil && !old.deleted && old.rec.LastModified.Equal(rec.LastModified) &&
		old.rec.CodeDigest == rec.CodeDigest && old.fn != nil {
		e.fn.Generation = old.fn.Generation
	}
	s.cache[k] = e
	if old != nil && !old.deleted && !sameReserved(old.rec.Reserved, rec.Reserved) {
		s.setVersionsReservedLocked(k, e.fn.Reserved)
	}
	s.mu.Unlock()
	if old == nil || old.deleted || !sameReserved(old.rec.Reserved, rec.Reserved) {
		s.updateReservedTotal()
	}
	return e
}

// forget records a deletion at revision rev and drops the function's environments.
func (s *Service) forget(k string, rev uint64) {
	s.mu.Lock()
	old := s.cache[k]
	if old != nil && old.rev >= rev {
		s.mu.Unlock()
		return
	}
	s.cache[k] = &entry{rev: rev, deleted: true}
	s.mu.Unlock()
	if old != nil && !old.deleted {
		s.Engine.Forget(context.Background(), old.fn.Key)
		s.updateReservedTotal()
	}
}

func sameReserved(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// reservedTotal sums the reserved concurrency of every function, all regions.
func (s *Service) reservedTotal() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, e := range s.cache {
		if !e.deleted && e.rec.Reserved != nil {
			n += *e.rec.Reserved
		}
	}
	return n
}

func (s *Service) updateReservedTotal() { s.Engine.SetReservedTotal(s.reservedTotal()) }

// snapshot builds the engine's view of rec; the caller sets its Generation.
func (s *Service) snapshot(rec *record) *invoke.Function {
	reserved := -1
	if rec.Reserved != nil {
		reserved = *rec.Reserved
	}
	env := rec.Env
	if env == nil {
		env = map[string]string{}
	}
	// A runtime that cannot start leaves Command nil; the invocation then fails as
	// a missing bootstrap does, with Runtime.InvalidEntrypoint.
	command, _ := s.Runtimes.Command(rec.Runtime)
	codeDir, optDir := s.codePath(rec.CodeDigest), s.optPath(rec.Layers)
	var root, workDir string
	var imageEnv []string
	handler := rec.Handler
	if img := rec.Image; img != nil {
		codeDir, optDir = "", ""
		command, imageEnv, workDir = img.command(rec.ImageConfig), img.Env, img.workingDir(rec.ImageConfig)
		// An image's CMD names its handler, as AWS's base images take it;
		// _HANDLER carries it to a runtime client that reads it from there.
		handler = img.handler(rec.ImageConfig)
		if s.ImageRoots != nil {
			root, _ = s.ImageRoots.Path(img.Root)
		}
		if root == "" {
			// No place for the root: the invocation fails as one without an
			// entry point does, rather than run the command on the host's root.
			command = nil
			root = "/nonexistent"
		}
	}
	return &invoke.Function{
		Key:          key(rec.Region, rec.Name) + "/$LATEST",
		Group:        key(rec.Region, rec.Name),
		Name:         rec.Name,
		Region:       rec.Region,
		Arn:          s.arn(rec.Region, rec.Name),
		Version:      "$LATEST",
		Runtime:      rec.Runtime,
		Handler:      handler,
		CodeDir:      codeDir,
		OptDir:       optDir,
		Root:         root,
		ImageEnv:     imageEnv,
		WorkingDir:   workDir,
		MemoryMB:     rec.MemorySize,
		EphemeralMB:  rec.EphemeralStorage,
		Architecture: rec.Architecture,
		Timeout:      time.Duration(rec.Timeout) * time.Second,
		Env:          env,
		Reserved:     reserved,
		Command:      command,
		// Stratus's Node.js client speaks the Runtime API over a socket handed to
		// it, sparing its cold start node:net.
		RuntimeAPISocket: runtimes.Family(rec.Runtime) == runtimes.NodeJS,

		LogFormat:           rec.loggingConfig().LogFormat,
		ApplicationLogLevel: rec.ApplicationLogLevel,
		SystemLogLevel:      rec.SystemLogLevel,
		LogGroup:            rec.logGroup(),
	}
}

func (s *Service) codePath(digest string) string { return filepath.Join(s.CodeDir, digest) }

// ensureCode makes sure the code package with this digest is unpacked, once per
// digest (functions sharing a package share the directory). After a restart the
// directory is normally still there; if not, it is unpacked again from the blob.
func (s *Service) ensureCode(digest string, zip []byte) error {
	dir := s.codePath(digest)
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	s.unpack.Lock()
	defer s.unpack.Unlock()
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if zip == nil {
		f, err := s.Blobs.Open(digest)
		if err != nil {
			return fmt.Errorf("lambda: code %s: %w", digest, err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		zip = make([]byte, st.Size())
		if _, err := f.ReadAt(zip, 0); err != nil {
			return err
		}
	}
	return codezip.Unpack(zip, dir, codezip.Limits{})
}

// checkRuntime refuses a runtime this server cannot run, saying what is missing.
func (s *Service) checkRuntime(runtime *string) error {
	if runtime == nil {
		return nil
	}
	if err := s.Runtimes.Check(*runtime); err != nil {
		return invalidParameter(err.Error())
	}
	return nil
}

// runtimeVersionHash is a stable identifier for a runtime's build.
func runtimeVersionHash(runtime string) string {
	h := sha256.Sum256([]byte("stratus-runtime:" + runtime))
	return hex.EncodeToString(h[:])
}

func (s *Service) logUnpack(k string, err error) {
	slog.Error("lambda: cannot unpack code or layers", "key", k, "err", err)
}

func newRevisionID() string { return awsproto.NewRequestID() }
