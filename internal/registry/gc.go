package registry

import (
	"context"
	"os"
	"strings"
	"time"
)

// GCStats is what one GC run did.
type GCStats struct {
	BlobsDeleted   int
	BytesFreed     int64
	UploadsExpired int
}

// KickGC asks the background collector to run soon; calls while a run is
// pending coalesce into it.
func (r *Registry) KickGC() {
	select {
	case r.gcKick <- struct{}{}:
	default:
	}
}

func (r *Registry) gcLoop(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.gcKick:
		}
		if _, err := r.GC(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("registry gc failed", "err", err)
		}
	}
}

// GC deletes the stored blobs that no manifest of any repository references
// and that were not uploaded or mounted within GCGrace, unlinking them from
// every repository, and drops upload sessions idle for UploadTTL. It holds
// gcMu exclusively while it decides and deletes, so no upload commit, mount
// or manifest put can start using a blob it is deleting.
func (r *Registry) GC(ctx context.Context) (GCStats, error) {
	var st GCStats
	r.gcMu.Lock()
	defer r.gcMu.Unlock()
	now := r.Now()

	referenced := map[string]bool{}
	var repoNames []string
	err := r.repos.Each(ctx, func(name string, d repoDoc) {
		repoNames = append(repoNames, name)
		for _, m := range d.Manifests {
			referenced[m.Stored] = true
			for _, s := range m.Refs {
				referenced[s] = true
			}
		}
	})
	if err != nil {
		return st, err
	}
	type known struct {
		key string
		kb  knownBlob
	}
	var all []known
	if err := r.known.Each(ctx, func(k string, kb knownBlob) { all = append(all, known{k, kb}) }); err != nil {
		return st, err
	}
	// A blob is kept if any digest naming it is young: the sha256 and sha512
	// names of one content share its bytes.
	young := map[string]bool{}
	for _, k := range all {
		if now.Sub(k.kb.Touched) < r.GCGrace {
			young[k.kb.Stored] = true
		}
	}
	doomed := map[string]bool{} // client digests to unlink
	freed := map[string]bool{}
	for _, k := range all {
		s := k.kb.Stored
		if referenced[s] || young[s] {
			continue
		}
		doomed[strings.Replace(k.key, ".", ":", 1)] = true
		if !freed[s] {
			if size, err := r.Blobs.Stat(s); err == nil {
				st.BytesFreed += size
			}
			if err := r.Blobs.Delete(s); err != nil {
				return st, err
			}
			freed[s] = true
			st.BlobsDeleted++
		}
		if err := r.known.Delete(ctx, k.key, 0); err != nil {
			r.Log.Warn("registry gc: forgetting a blob", "digest", k.key, "err", err)
		}
	}
	if len(doomed) > 0 {
		for _, name := range repoNames {
			err := r.updateRepo(ctx, name, false, func(d *repoDoc) error {
				for dg, l := range d.Links {
					if doomed[dg] || freed[l.Stored] {
						delete(d.Links, dg)
					}
				}
				return nil
			})
			if err != nil && err != ErrRepositoryNotFound {
				return st, err
			}
		}
	}

	var stale []string
	err = r.uploads.Each(ctx, func(id string, u uploadDoc) {
		if now.Sub(u.Touched) > r.UploadTTL {
			stale = append(stale, id)
		}
	})
	if err != nil {
		return st, err
	}
	for _, id := range stale {
		mu := r.lockUpload(id)
		r.dropUpload(ctx, id)
		mu.Unlock()
		st.UploadsExpired++
	}
	r.removeOrphanFiles(ctx, now)
	return st, nil
}

// removeOrphanFiles deletes upload files no session names: monolithic pushes
// a crash interrupted, or sessions whose record a crash kept from being
// written. Only files older than an hour, so a push in progress keeps its own.
func (r *Registry) removeOrphanFiles(ctx context.Context, now time.Time) {
	ents, err := os.ReadDir(r.uploadDir())
	if err != nil {
		return
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < time.Hour {
			continue
		}
		if !strings.HasPrefix(e.Name(), "mono-") {
			if _, _, err := r.uploads.Get(ctx, e.Name()); err == nil {
				continue
			}
		}
		os.Remove(r.uploadDir() + "/" + e.Name())
	}
}
