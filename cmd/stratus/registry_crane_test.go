package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestRegistryCrane pushes and pulls a random multi-layer image and an index
// with crane against a real server, through both host forms: 127.0.0.1:PORT
// and {account}.dkr.ecr.{region}.localhost:PORT.
func TestRegistryCrane(t *testing.T) {
	ts := startServer(t, "")
	host := strings.TrimPrefix(ts.URL, "http://")
	_, port, _ := strings.Cut(host, ":")

	img, err := random.Image(4096, 4)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	ref := host + "/team/app:v1"
	if err := crane.Push(img, ref, crane.Insecure); err != nil {
		t.Fatalf("push: %v", err)
	}
	got, err := crane.Pull(ref, crane.Insecure)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	if d, _ := got.Digest(); d != want {
		t.Fatalf("pulled %s, pushed %s", d, want)
	}
	layers, err := got.Layers()
	if err != nil || len(layers) != 4 {
		t.Fatalf("pulled %d layers (%v), want 4", len(layers), err)
	}
	for _, l := range layers {
		// go-containerregistry checks a remote layer's bytes against its
		// digest as they are read to the end.
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatalf("layer: %v", err)
		}
		rc.Close()
	}

	idx, err := random.Index(2048, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	wantIdx, _ := idx.Digest()
	iref, err := name.ParseReference("000000000000.dkr.ecr.us-east-1.localhost:"+port+"/team/multi:latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	// *.localhost need not resolve here; dial the server for it, as a
	// resolver that follows RFC 6761 would.
	dialer := &net.Dialer{}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, host)
	}
	if err := remote.WriteIndex(iref, idx, remote.WithTransport(tr)); err != nil {
		t.Fatalf("push index: %v", err)
	}
	pulled, err := remote.Index(iref, remote.WithTransport(tr))
	if err != nil {
		t.Fatalf("pull index: %v", err)
	}
	im, err := pulled.IndexManifest()
	if d, _ := pulled.Digest(); err != nil || d != wantIdx || len(im.Manifests) != 3 {
		t.Fatalf("pulled index %s with %d manifests (%v), want %s with 3", d, len(im.Manifests), err, wantIdx)
	}
	for _, desc := range im.Manifests {
		child, err := pulled.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := child.Layers(); err != nil {
			t.Fatal(err)
		}
	}
	tags, err := crane.ListTags(host+"/team/multi", crane.Insecure)
	if err != nil || len(tags) != 1 || tags[0] != "latest" {
		t.Fatalf("tags %v (%v), want [latest]", tags, err)
	}
}
