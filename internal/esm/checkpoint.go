package esm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stratus-run/stratus/internal/store"
)

// checkpoint is how far one mapping has got in one shard: Seq is the sequence
// number of the last record settled ("" for none), Done that the shard is
// closed and every record of it settled. Key: checkpointKey(uuid, shard).
type checkpoint struct {
	Seq  string `json:"seq,omitempty"`
	Done bool   `json:"done,omitempty"`
}

// checkpointKey is a KV key for (mapping, shard): KV keys take only
// [-/_=.a-zA-Z0-9], so other bytes of a shard id are escaped as =XX.
func checkpointKey(uuid, shard string) string {
	var b strings.Builder
	b.WriteString(uuid)
	b.WriteString(".s.")
	for i := 0; i < len(shard); i++ {
		c := shard[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}

// initKey marks a mapping whose starting positions are set: its shards
// without a checkpoint are read from their start.
func initKey(uuid string) string { return uuid + ".init" }

// cursor is a shard worker's handle on its checkpoint: the value and the
// revision it last wrote, so that each write is a compare-and-set.
type cursor struct {
	t   *store.Table[checkpoint]
	key string
	cp  checkpoint
	rev uint64
}

// loadCursor reads the checkpoint of (uuid, shard); a missing one is the zero
// checkpoint.
func (s *Service) loadCursor(ctx context.Context, uuid, shard string) (*cursor, error) {
	c := &cursor{t: s.checkpoints, key: checkpointKey(uuid, shard)}
	cp, rev, err := s.checkpoints.Get(ctx, c.key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	c.cp, c.rev = cp, rev
	return c, nil
}

// save writes cp as the shard's checkpoint.
func (c *cursor) save(ctx context.Context, cp checkpoint) error {
	if cp == c.cp && c.rev != 0 {
		return nil
	}
	var rev uint64
	var err error
	if c.rev == 0 {
		rev, err = c.t.Create(ctx, c.key, cp)
	} else {
		rev, err = c.t.Update(ctx, c.key, cp, c.rev)
	}
	if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrConflict) {
		// Written by an earlier poller of this mapping: take its revision.
		var cur uint64
		if _, cur, err = c.t.Get(ctx, c.key); err == nil {
			rev, err = c.t.Update(ctx, c.key, cp, cur)
		}
	}
	if err != nil {
		return err
	}
	c.cp, c.rev = cp, rev
	return nil
}

// dropCheckpoints removes every checkpoint of a mapping.
func (s *Service) dropCheckpoints(ctx context.Context, uuid string) error {
	keys, err := s.checkpoints.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if strings.HasPrefix(k, uuid+".") {
			if err := s.checkpoints.Delete(ctx, k, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}
