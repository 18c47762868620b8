package jsstore

import (
	"context"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/sqs/msgstore"
	"github.com/stratus-run/stratus/internal/sqs/msgstore/msgstoretest"
	"github.com/stratus-run/stratus/internal/store"
)

type harness struct {
	dir string
	st  *store.Store
	s   *Store
}

func (h *harness) Open(t *testing.T) msgstore.Store {
	t.Helper()
	ctx := context.Background()
	h.st = &store.Store{Dir: h.dir}
	if err := h.st.Open(ctx); err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	s, err := Open(ctx, h.st)
	if err != nil {
		t.Fatalf("jsstore.Open: %v", err)
	}
	h.s = s
	return s
}

func (h *harness) close() {
	if h.s != nil {
		h.s.Close()
		h.s = nil
	}
	if h.st != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.st.Close(ctx) //nolint:errcheck
		h.st = nil
	}
}

func (h *harness) Reopen(t *testing.T) msgstore.Store {
	h.close()
	return h.Open(t)
}

func TestConformance(t *testing.T) {
	msgstoretest.Run(t, func(t *testing.T) msgstoretest.Harness {
		h := &harness{dir: t.TempDir()}
		t.Cleanup(h.close)
		return h
	})
}
