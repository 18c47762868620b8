// Package msgstore is the durable log under SQS's queues: messages appended
// per queue, the per-message state that must survive a restart (receive
// counts), deletes and purges. The engine keeps its index of a queue in
// memory and rebuilds it from Load when it opens; every write here is durable
// when the call returns, so the engine may answer its client after it.
package msgstore

import (
	"context"
	"errors"
)

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("msgstore: closed")

// Record is one stored message: the queue it belongs to (the engine's queue
// id), the sequence number the store gave it (unique across queues, rising
// in append order) and the engine's encoding of it.
type Record struct {
	Queue string
	Seq   uint64
	Data  []byte
}

// State is the latest per-message state recorded for the message Seq of
// Queue (a receive count, a first-receive time), in the engine's encoding.
type State struct {
	Queue string
	Seq   uint64
	Data  []byte
}

// Store is a durable message log. Methods are safe for concurrent use.
type Store interface {
	// Append stores the messages of queue, in order, and returns their
	// sequence numbers once all are durable. On error none or some may be
	// stored; the caller answers its client with an error either way.
	Append(ctx context.Context, queue string, data [][]byte) ([]uint64, error)
	// SetStates records states, each replacing the message's previous state,
	// and returns once all are durable.
	SetStates(ctx context.Context, states []State) error
	// Delete removes messages (and their states) by sequence number once
	// durable; a sequence number not stored is no error.
	Delete(ctx context.Context, seqs []uint64) error
	// Purge removes every message of queue with a sequence number below
	// before (0: all of them), with their states.
	Purge(ctx context.Context, queue string, before uint64) error
	// Load calls rec for every stored message in sequence order, then state
	// for the latest state of every message still stored. A state whose
	// message is gone is dropped, not passed on.
	Load(ctx context.Context, rec func(Record) error, state func(State) error) error
	// LastSeq is the highest sequence number given so far (0 for none).
	LastSeq(ctx context.Context) (uint64, error)
}
