// Package store runs Stratus's state store and queues: an embedded NATS server with
// JetStream on local disk, reached in-process, plus typed key-value helpers.
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Store is an embedded NATS JetStream server and a client connection to it.
// Set the exported fields, then call Open; Close stops both.
type Store struct {
	// Dir holds JetStream's files. Required.
	Dir string
	// Listen, when set (host:port, port 0 for any), also serves NATS clients on TCP,
	// e.g. for another node or the nats CLI. Empty means in-process only.
	Listen string

	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
}

// Open starts the server, waits until it is ready and connects to it in-process.
func (s *Store) Open(ctx context.Context) error {
	if s.Dir == "" {
		return errors.New("store: Dir is required")
	}
	opts := &server.Options{
		ServerName: "stratus",
		JetStream:  true,
		StoreDir:   filepath.Clean(s.Dir),
		DontListen: s.Listen == "",
		NoLog:      true,
		NoSigs:     true,
		// Queued events carry payloads up to 1 MB plus their envelope (and a
		// destination record a response besides); NATS's 1 MB default is too small.
		MaxPayload: 8 << 20,
		// Stratus's own writes are small; the defaults (64 GB memory, 1 TB file) are
		// just ceilings, so leave them.
	}
	if s.Listen != "" {
		host, port, err := splitHostPort(s.Listen)
		if err != nil {
			return fmt.Errorf("store: listen address: %w", err)
		}
		opts.Host, opts.Port = host, port
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("store: new server: %w", err)
	}
	go srv.Start()
	deadline := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		deadline = time.Until(d)
	}
	if !srv.ReadyForConnections(deadline) {
		srv.Shutdown()
		return errors.New("store: NATS server did not become ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("stratus"), nats.MaxReconnects(-1))
	if err != nil {
		srv.Shutdown()
		return fmt.Errorf("store: connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return fmt.Errorf("store: jetstream: %w", err)
	}
	s.srv, s.nc, s.js = srv, nc, js
	return nil
}

// JetStream returns the JetStream client of an open store.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Conn returns the NATS connection of an open store.
func (s *Store) Conn() *nats.Conn { return s.nc }

// ClientURL is the address NATS clients can connect to, when Listen was set.
func (s *Store) ClientURL() string { return s.srv.ClientURL() }

// Close drains the connection and shuts the server down, waiting for it.
func (s *Store) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	if s.nc != nil {
		s.nc.Close()
	}
	s.srv.Shutdown()
	done := make(chan struct{})
	go func() { s.srv.WaitForShutdown(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func splitHostPort(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	var port int
	if _, err := fmt.Sscanf(portStr, "%d", &port); err != nil {
		return "", 0, fmt.Errorf("bad port %q", portStr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}
