package bolt

import (
	"testing"

	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore/tablestoretest"
)

func TestStore(t *testing.T) {
	tablestoretest.Run(t, func(t *testing.T, dir string) tablestore.Store { return openTest(t, dir, Options{}) })
}

// TestStoreSmallChunks runs the suite with chunks of 7 keys, so every
// background job (backfill, purge, trim) works in many transactions.
func TestStoreSmallChunks(t *testing.T) {
	tablestoretest.Run(t, func(t *testing.T, dir string) tablestore.Store { return openTest(t, dir, Options{Chunk: 7}) })
}

func openTest(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
