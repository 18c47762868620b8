package s3

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Lifecycle expiration: every LifecycleEvery, each bucket's enabled rules are
// applied for real, reading the bucket page by page (never its whole listing):
//   - a current version past its rule's Days (or Date) is deleted as DeleteObject
//     without a version deletes it (a delete marker in a versioned bucket);
//   - a noncurrent version NoncurrentDays after it became noncurrent (when the
//     next newer version was written) is removed for good, the
//     NewerNoncurrentVersions newest noncurrent versions kept;
//   - an expired delete marker (the only version of its key left) is removed
//     when a rule says ExpiredObjectDeleteMarker, or when a rule expiring
//     current versions finds it old enough;
//   - an incomplete multipart upload DaysAfterInitiation after it began is
//     aborted.
//
// Removals send LifecycleExpiration:Delete and :DeleteMarkerCreated events.
//
// Every delete the worker makes is conditional on the key's latest version
// still being the one the walk listed (objstore.Condition.IfSeq), checked by
// the store atomically with the delete: a write landing between the listing
// and the delete makes the delete fail and changes nothing, and the next run
// decides again from what it lists then. Without it the fresh write would be
// deleted (or hidden by the delete marker) with the old version; for a
// noncurrent null version in a suspended bucket, deleting "null" by name would
// remove the put that replaced it.

// expirePage is how many entries one listing page of the worker holds.
const expirePage = 1000

// expireLoop applies lifecycle rules every LifecycleEvery until ctx ends.
func (s *Service) expireLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.LifecycleEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.expireAll(ctx)
		}
	}
}

// expireAll applies every bucket's rules once.
func (s *Service) expireAll(ctx context.Context) {
	bs, err := s.Store.Buckets(ctx)
	if err != nil {
		if ctx.Err() == nil {
			slog.Error("s3: lifecycle: listing buckets", "err", err)
		}
		return
	}
	for i := range bs {
		b := &bs[i]
		if b.Config[objstore.ConfigLifecycle] == nil {
			continue
		}
		lc := s.lifecycleOf(b)
		if lc == nil {
			continue
		}
		if err := s.expireBucket(ctx, b, lc); err != nil && ctx.Err() == nil && !isNoSuchBucket(err) {
			slog.Error("s3: lifecycle", "bucket", b.Name, "err", err)
		}
	}
}

// expireBucket applies one bucket's rules once.
func (s *Service) expireBucket(ctx context.Context, b *objstore.Bucket, lc *lifecycleConfig) error {
	now := s.Now()
	if lc.versions {
		if err := s.expireVersions(ctx, b, lc, now); err != nil {
			return err
		}
	}
	if lc.uploads {
		return s.abortUploads(ctx, b, lc, now)
	}
	return nil
}

// keyState is what the walk over a key's versions (newest first) remembers.
type keyState struct {
	key      string
	latest   uint64           // Seq of the key's latest version, as listed
	versions int              // versions of the key seen
	newer    time.Time        // LastModified of the version seen last (the next newer one)
	nc       int              // noncurrent versions (not markers) seen
	marker   *objstore.Object // the latest version, when it is a delete marker
}

// expireVersions walks every version of the bucket, in key order and newest
// first within a key, applying the rules that expire versions.
func (s *Service) expireVersions(ctx context.Context, b *objstore.Bucket, lc *lifecycleConfig, now time.Time) error {
	var st keyState
	flush := func() error {
		// A delete marker with no other version of its key left is expired:
		// removed by an ExpiredObjectDeleteMarker rule at once, and by a rule
		// expiring current versions once it is as old as the rule says.
		if st.marker == nil || st.versions != 1 {
			return nil
		}
		for i := range lc.rules {
			r := &lc.rules[i]
			if !r.enabled || !r.matches(st.key, nil, 0, true) {
				continue
			}
			due := r.marker || r.hasDate && !now.Before(r.expDate) ||
				r.expDays > 0 && !now.Before(s.lifecycleDue(st.marker.LastModified, r.expDays))
			if due {
				return s.removeVersion(ctx, b, st.marker, st.latest)
			}
		}
		return nil
	}
	q := objstore.ListQuery{MaxKeys: expirePage}
	for {
		page, err := s.Store.ListVersions(ctx, b.Name, q)
		if err != nil {
			return err
		}
		for i := range page.Objects {
			v := &page.Objects[i]
			if v.Key != st.key {
				if err := flush(); err != nil {
					return err
				}
				st = keyState{key: v.Key}
			}
			st.versions++
			if err := s.expireVersion(ctx, b, lc, &st, v, now); err != nil {
				return err
			}
			st.newer = v.LastModified
		}
		if !page.Truncated {
			return flush()
		}
		q.After, q.AfterVersion = page.NextKey, page.NextVersion
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// expireVersion applies the rules to one version, st holding what came before
// it in its key.
func (s *Service) expireVersion(ctx context.Context, b *objstore.Bucket, lc *lifecycleConfig, st *keyState, v *objstore.Object, now time.Time) error {
	if v.IsLatest {
		st.latest = v.Seq
		if v.DeleteMarker {
			m := *v
			st.marker = &m
			return nil
		}
		for i := range lc.rules {
			r := &lc.rules[i]
			if !r.enabled || r.expDays == 0 && !r.hasDate || !r.matches(v.Key, v.Tags, v.Size, false) {
				continue
			}
			due := r.expDate
			if !r.hasDate {
				due = s.lifecycleDue(v.LastModified, r.expDays)
			}
			if !now.Before(due) {
				return s.expireCurrent(ctx, b, v)
			}
		}
		return nil
	}
	if v.DeleteMarker || st.newer.IsZero() {
		return nil
	}
	rank := st.nc
	st.nc++
	for i := range lc.rules {
		r := &lc.rules[i]
		if !r.enabled || !r.hasNC || rank < r.ncNewer || !r.matches(v.Key, v.Tags, v.Size, false) {
			continue
		}
		if !now.Before(s.lifecycleDue(st.newer, r.ncDays)) {
			return s.removeVersion(ctx, b, v, st.latest)
		}
	}
	return nil
}

// expireCurrent deletes the current version v of its key as DeleteObject
// without a version does, when v is still the key's latest version.
func (s *Service) expireCurrent(ctx context.Context, b *objstore.Bucket, v *objstore.Object) error {
	_, err := s.Store.Delete(ctx, b.Name, v.Key, "", objstore.Condition{IfSeq: v.Seq}, s.lifecycleEvents(b))
	return ignoreStale(err)
}

// removeVersion removes one version (or delete marker) for good, when the
// key's latest version is still the one whose Seq is latest.
func (s *Service) removeVersion(ctx context.Context, b *objstore.Bucket, v *objstore.Object, latest uint64) error {
	_, err := s.Store.Delete(ctx, b.Name, v.Key, v.VersionID, objstore.Condition{IfSeq: latest}, s.lifecycleEvents(b))
	return ignoreStale(err)
}

// lifecycleEvents is the events hook of the removals lifecycle makes.
func (s *Service) lifecycleEvents(b *objstore.Bucket) objstore.Events {
	if b.Config[objstore.ConfigNotification] == nil {
		return nil
	}
	return s.eventsFor(b, s.lifecycleOrigin(), "LifecycleExpiration:")
}

// ignoreStale treats a version already gone as removed, and a key written
// since it was listed (its condition failed) as nothing to do until the next
// run.
func ignoreStale(err error) error {
	if errors.Is(err, objstore.ErrNoSuchKey) || errors.Is(err, objstore.ErrNoSuchVersion) ||
		errors.Is(err, objstore.ErrPreconditionFailed) {
		return nil
	}
	return err
}

// abortUploads aborts the incomplete multipart uploads a rule says are too old,
// page by page.
func (s *Service) abortUploads(ctx context.Context, b *objstore.Bucket, lc *lifecycleConfig, now time.Time) error {
	q := objstore.UploadQuery{MaxUploads: expirePage}
	for {
		page, err := s.Store.Uploads(ctx, b.Name, q)
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			for i := range lc.rules {
				r := &lc.rules[i]
				if !r.enabled || r.abort == 0 || !r.matches(u.Key, nil, 0, true) {
					continue
				}
				if !now.Before(s.lifecycleDue(u.Initiated, r.abort)) {
					err := s.Store.AbortUpload(ctx, b.Name, u.Key, u.ID)
					if err != nil && !errors.Is(err, objstore.ErrNoSuchUpload) {
						return err
					}
					break
				}
			}
		}
		if !page.Truncated {
			return nil
		}
		q.KeyMarker, q.UploadAfter = page.NextKey, page.NextUpload
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
