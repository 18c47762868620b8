package s3

import (
	"context"
	"crypto/md5" //nolint:gosec // MD5 is S3's ETag and Content-MD5, not a security measure
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// maxPutSize is the largest object one PUT (or one part) takes: 5 GiB.
const maxPutSize = 5 << 30

// checksumClaim is what a request says about its payload's flexible checksum: the
// algorithm, and the value from a header, or from the aws-chunked trailer.
type checksumClaim struct {
	algo    string // "" when the request names no checksum
	value   string // base64, from an x-amz-checksum-* header; "" for a trailer
	trailer bool   // the value comes in the trailer named by x-amz-trailer
}

// parseChecksumClaim reads x-amz-checksum-{algo}, x-amz-trailer and
// x-amz-sdk-checksum-algorithm as S3 does: one checksum at most, well-formed,
// and an SDK algorithm only with a value to back it.
func parseChecksumClaim(h http.Header) (checksumClaim, error) {
	var cl checksumClaim
	n := 0
	for _, a := range algorithms {
		vs := h.Values(checksumHeader(a))
		if len(vs) == 0 {
			continue
		}
		n += len(vs)
		cl.algo, cl.value = a, strings.TrimSpace(vs[0])
	}
	if n > 1 {
		return cl, invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	if n == 1 {
		if _, ok := decodeChecksum(cl.algo, cl.value); !ok {
			return cl, invalidRequest("Value for x-amz-checksum-" + strings.ToLower(cl.algo) + " header is invalid.")
		}
	}
	if t := h.Get("X-Amz-Trailer"); t != "" {
		for _, name := range strings.Split(t, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			a, ok := strings.CutPrefix(name, "x-amz-checksum-")
			if !ok {
				continue
			}
			algo, ok := parseAlgorithm(a)
			if !ok {
				return cl, invalidRequest("The value specified in the x-amz-trailer header is not supported")
			}
			if cl.algo != "" {
				return cl, invalidRequest("Expecting a single x-amz-checksum- header")
			}
			cl = checksumClaim{algo: algo, trailer: true}
		}
	}
	if sdk := h.Get("X-Amz-Sdk-Checksum-Algorithm"); sdk != "" {
		algo, ok := parseAlgorithm(sdk)
		switch {
		case !ok:
			return cl, errUnsupportedAlgorithm
		case cl.algo == "":
			return cl, invalidRequest("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		case algo != cl.algo:
			return cl, badChecksum(algo)
		}
	}
	return cl, nil
}

// badChecksum is S3's answer to a checksum that does not match the payload.
func badChecksum(algo string) *awsproto.Error {
	return s3err(http.StatusBadRequest, "BadDigest", "The "+algo+" you specified did not match the calculated checksum.")
}

// parseContentMD5 decodes Content-MD5; ok=false when the header is absent.
func parseContentMD5(h http.Header) (sum []byte, ok bool, err error) {
	v, present := h["Content-Md5"]
	if !present {
		return nil, false, nil
	}
	b, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(v[0]))
	if derr != nil || len(b) != md5.Size {
		return nil, false, errInvalidDigest.With(field("Content-MD5", v[0]))
	}
	return b, true, nil
}

// payload is what receiving a body produced.
type payload struct {
	Data objstore.Data
	Size int64
	MD5  [md5.Size]byte
	// Checksum is the base64 checksum of the spec's Store algorithm; Claimed is
	// the checksum the client sent, checked, with its value.
	Checksum string
	Claimed  checksumClaim
}

// ETag is the payload's ETag, unquoted.
func (p *payload) ETag() string { return hex.EncodeToString(p.MD5[:]) }

// receiveSpec says what to compute of a body and what to check.
type receiveSpec struct {
	// Max is the largest payload taken (EntityTooLarge beyond).
	Max int64
	// Store is the checksum algorithm to compute and keep ("" keeps none).
	Store string
	// Claim is the client's checksum, checked when the body ends.
	Claim checksumClaim
	// MD5 is Content-MD5, checked when the body ends; nil when not sent.
	MD5 []byte
	// Size is the payload's declared length, -1 when unknown (set by
	// requestBody); a body of another length is IncompleteBody.
	Size int64
}

// receive streams the request's body into new store data, decoding aws-chunked
// bodies, computing the ETag and checksums as the bytes pass, and checking
// Content-MD5 and the claimed checksum. On any failure the data is aborted and the
// error is S3's; the bytes are never held whole.
func (s *Service) receive(c *call, spec receiveSpec) (payload, error) {
	if err := checkObjectLength(c.r); err != nil {
		return payload{}, err
	}
	src, claimed, err := requestBody(c, &spec)
	if err != nil {
		return payload{}, err
	}
	return s.write(c.r.Context(), src, spec, claimed)
}

// check reads the request's body into dst with the checks receive makes.
func (s *Service) check(c *call, dst io.Writer, spec receiveSpec) error {
	src, claimed, err := requestBody(c, &spec)
	if err != nil {
		return err
	}
	_, err = pump(dst, src, spec, claimed)
	return err
}

// errTransferEncoding is S3's answer to an object body sent with
// Transfer-Encoding: chunked rather than a Content-Length (aws-chunked bodies
// declare their length in x-amz-decoded-content-length and are taken).
var errTransferEncoding = s3err(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented").With(field("Header", "Transfer-Encoding"))

// checkObjectLength refuses an object body (PutObject, UploadPart) whose length
// is not declared as S3 requires: 501 NotImplemented for Transfer-Encoding:
// chunked, 411 MissingContentLength when the request has no Content-Length at
// all (net/http reads such a request as an empty body).
func checkObjectLength(r *http.Request) error {
	if sigv4.IsStreaming(r.Header.Get("X-Amz-Content-Sha256")) {
		return nil
	}
	switch {
	case len(r.TransferEncoding) > 0:
		return errTransferEncoding
	case r.ContentLength == 0 && len(r.Header.Values("Content-Length")) == 0:
		return errMissingLength
	}
	return nil
}

// requestBody returns the payload of c's body, decoding aws-chunked, and the
// function that returns the claimed checksum once the payload is read (for a
// trailer, only then known). It sets spec.Size to the declared length.
func requestBody(c *call, spec *receiveSpec) (io.Reader, func() (string, error), error) {
	r := c.r
	var src io.Reader = r.Body
	var cr *sigv4.ChunkedReader
	size := r.ContentLength
	if sigv4.IsStreaming(r.Header.Get("X-Amz-Content-Sha256")) {
		stream, _ := sigv4.StreamFrom(r.Context())
		var err error
		if cr, err = sigv4.NewChunkedReader(r.Body, r.Header, stream); err != nil {
			return nil, nil, err
		}
		src, size = cr, cr.DecodedLength()
	} else if size < 0 {
		return nil, nil, errMissingLength
	}
	if size > spec.Max {
		return nil, nil, tooLarge(size, spec.Max)
	}
	spec.Size = size
	if spec.Claim.trailer && cr == nil {
		// x-amz-trailer promises a trailer that only an aws-chunked body has.
		return nil, nil, errMalformedTrailer
	}
	claim := spec.Claim
	return src, func() (string, error) {
		if !claim.trailer {
			return claim.value, nil
		}
		v := strings.TrimSpace(cr.Trailer().Get(checksumHeader(claim.algo)))
		if _, ok := decodeChecksum(claim.algo, v); !ok {
			return "", invalidRequest("Value for x-amz-checksum-" + strings.ToLower(claim.algo) + " trailing header is invalid.")
		}
		return v, nil
	}, nil
}

var errMalformedTrailer = s3err(http.StatusBadRequest, "MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema.")

func tooLarge(size, max int64) error {
	return errEntityTooLarge.With(field("ProposedSize", fmt.Sprint(size)), field("MaxSizeAllowed", fmt.Sprint(max)))
}

// bufPool holds the copy buffers of bodies going to and from the store.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// write copies src into new store data through pump, and commits the data only
// when every check passes.
func (s *Service) write(ctx context.Context, src io.Reader, spec receiveSpec, claimed func() (string, error)) (payload, error) {
	dw, err := s.Store.NewData(ctx)
	if err != nil {
		return payload{}, err
	}
	p, err := pump(dw, src, spec, claimed)
	if err != nil {
		dw.Abort()
		return p, err
	}
	if p.Data, err = dw.Commit(); err != nil {
		return p, err
	}
	return p, nil
}

// pump copies src to dst, computing MD5 and the checksums spec asks for as the
// bytes pass, then checks the length, Content-MD5 and the claimed checksum
// (claimed returns its value once src is at its end).
func pump(dst io.Writer, src io.Reader, spec receiveSpec, claimed func() (string, error)) (payload, error) {
	p := payload{Claimed: spec.Claim}
	sum := md5.New()         //nolint:gosec
	rest := []io.Writer{dst} // all but MD5
	var store, check hash.Hash
	if spec.Store != "" {
		store = newChecksum(spec.Store)
		rest = append(rest, store)
	}
	if spec.Claim.algo != "" && spec.Claim.algo != spec.Store {
		check = newChecksum(spec.Claim.algo)
		rest = append(rest, check)
	} else {
		check = store
	}
	var n int64
	var err error
	if spec.Size >= parallelFrom {
		// MD5 is the slowest of the sinks (about the disk's speed on its own):
		// beside the rest rather than after them.
		n, err = copyParallel(io.LimitReader(src, spec.Max+1), onlyWriter{io.MultiWriter(rest...)}, sum)
	} else {
		bp := bufPool.Get().(*[]byte)
		w := onlyWriter{io.MultiWriter(append(rest, sum)...)}
		n, err = io.CopyBuffer(w, onlyReader{io.LimitReader(src, spec.Max+1)}, *bp)
		bufPool.Put(bp)
	}
	p.Size = n
	if err != nil {
		return p, bodyError(err)
	}
	if n > spec.Max {
		return p, tooLarge(n, spec.Max)
	}
	if spec.Size >= 0 && n != spec.Size {
		return p, errIncompleteBody
	}
	sum.Sum(p.MD5[:0])
	if spec.MD5 != nil && string(spec.MD5) != string(p.MD5[:]) {
		return p, errBadDigest.With(field("ExpectedDigest", hex.EncodeToString(spec.MD5)),
			field("CalculatedDigest", base64.StdEncoding.EncodeToString(p.MD5[:])))
	}
	if spec.Claim.algo != "" {
		want, err := claimed()
		if err != nil {
			return p, err
		}
		if got := base64.StdEncoding.EncodeToString(check.Sum(nil)); got != want {
			return p, badChecksum(spec.Claim.algo)
		}
		p.Claimed.value = want
	}
	if store != nil {
		p.Checksum = base64.StdEncoding.EncodeToString(store.Sum(nil))
	}
	return p, nil
}

// bodyError is what a failure to read a request body becomes: S3's own errors
// (from the chunked decoder or the payload hash check) pass through; a body that
// ends early is IncompleteBody; anything else (the client gone) is wrapped.
func bodyError(err error) error {
	var cse *sigv4.ChunkSizeError
	if errors.As(err, &cse) {
		// S3 names the chunk and its size in the error body.
		return cse.Err.With(field("Chunk", itoa(cse.Chunk)), field("BadChunkSize", fmt.Sprint(cse.BadChunkSize)))
	}
	var ae *awsproto.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errIncompleteBody
	}
	return fmt.Errorf("s3: read body: %w", err)
}

// onlyWriter and onlyReader hide ReadFrom and WriteTo, so io.CopyBuffer uses the
// pooled buffer.
type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

// piece is one buffer's bytes handed to a sink of copyParallel.
type piece struct {
	b    []byte
	slot int
}

// parallelFrom is the body size from which copyParallel pays for its goroutines.
const parallelFrom = 4 << 20

// bigBufPool holds copyParallel's buffers.
var bigBufPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// copyParallel copies src to each of sinks, each sink in a goroutine of its own
// over the same buffers, so that the slowest sink, not their sum, sets the pace
// while the next buffer is read. It returns the bytes read and the first error of
// the read or of any sink; a failing sink is not written to again.
func copyParallel(src io.Reader, sinks ...io.Writer) (int64, error) {
	const nbuf = 3
	var (
		bufs  [nbuf]*[]byte
		busy  [nbuf]sync.WaitGroup // a buffer's sinks still writing it
		errs  = make([]error, len(sinks))
		feeds = make([]chan piece, len(sinks))
		total int64
		rerr  error
	)
	for i := range bufs {
		bufs[i] = bigBufPool.Get().(*[]byte)
	}
	var done sync.WaitGroup
	for i, w := range sinks {
		feeds[i] = make(chan piece, nbuf)
		done.Add(1)
		go func() {
			defer done.Done()
			for p := range feeds[i] {
				if errs[i] == nil {
					_, errs[i] = w.Write(p.b)
				}
				busy[p.slot].Done()
			}
		}()
	}
	for k := 0; ; k++ {
		slot := k % nbuf
		busy[slot].Wait() // its sinks are done with it
		n, err := io.ReadFull(src, *bufs[slot])
		if n > 0 {
			total += int64(n)
			busy[slot].Add(len(sinks))
			for i := range sinks {
				feeds[i] <- piece{(*bufs[slot])[:n], slot}
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	for i := range sinks {
		close(feeds[i])
	}
	done.Wait()
	for i := range bufs {
		bigBufPool.Put(bufs[i])
	}
	if rerr != nil {
		return total, rerr
	}
	for _, err := range errs {
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
