// Command s3-backup is a Lambda function (provided.al2023, aws-lambda-go) that backs
// up a bucket into another: every object an s3:ObjectCreated:* notification names
// is copied, with its metadata, to the bucket named by BACKUP_BUCKET under the same
// key. It runs unchanged on AWS and on Stratus.
//
// Objects uploaded in parts are copied part by part with the same part sizes, so the
// copy's ETag (an MD5 of the parts' MD5s) equals the original's, and a backup can be
// checked by comparing ETags.
//
//	GOOS=linux CGO_ENABLED=0 go build -o bootstrap ./examples/s3-backup && zip backup.zip bootstrap
package main

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// maxSingleCopy is the largest object one CopyObject may copy (5 GiB).
const maxSingleCopy = 5 << 30

type backup struct {
	client *s3.Client
	dest   string
}

func (b *backup) handle(ctx context.Context, ev events.S3Event) error {
	for _, rec := range ev.Records {
		if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
			continue
		}
		// Keys arrive URL-encoded, spaces as '+', as S3 sends them.
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			return fmt.Errorf("key %q: %w", rec.S3.Object.Key, err)
		}
		src := rec.S3.Bucket.Name
		if src == b.dest {
			continue // never back up the backup
		}
		if err := b.copy(ctx, src, key, rec.S3.Object.VersionID); err != nil {
			return fmt.Errorf("copy s3://%s/%s: %w", src, key, err)
		}
		log.Printf("backed up s3://%s/%s to s3://%s/%s", src, key, b.dest, key)
	}
	return nil
}

// copy copies one object version, part by part when it was uploaded in parts.
func (b *backup) copy(ctx context.Context, bucket, key, version string) error {
	source := url.PathEscape(bucket) + "/" + escapeKey(key)
	if version != "" {
		source += "?versionId=" + url.QueryEscape(version)
	}
	head, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key, VersionId: nonEmpty(version), PartNumber: aws.Int32(1)})
	if err != nil {
		return err
	}
	parts := aws.ToInt32(head.PartsCount)
	if parts <= 1 && aws.ToInt64(head.ContentLength) <= maxSingleCopy {
		_, err := b.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b.dest, Key: &key, CopySource: &source})
		return err
	}
	up, err := b.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &b.dest, Key: &key, ContentType: head.ContentType, Metadata: head.Metadata,
		CacheControl: head.CacheControl, ContentDisposition: head.ContentDisposition,
		ContentEncoding: head.ContentEncoding, ContentLanguage: head.ContentLanguage,
	})
	if err != nil {
		return err
	}
	done := make([]types.CompletedPart, 0, parts)
	var off int64
	for n := int32(1); n <= parts; n++ {
		size := aws.ToInt64(head.ContentLength)
		if n > 1 {
			h, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key, VersionId: nonEmpty(version), PartNumber: aws.Int32(n)})
			if err != nil {
				return b.abort(ctx, key, up.UploadId, err)
			}
			size = aws.ToInt64(h.ContentLength)
		}
		rng := fmt.Sprintf("bytes=%d-%d", off, off+size-1)
		p, err := b.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: &b.dest, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(n),
			CopySource: &source, CopySourceRange: &rng,
		})
		if err != nil {
			return b.abort(ctx, key, up.UploadId, err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(n), ETag: p.CopyPartResult.ETag})
		off += size
	}
	_, err = b.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &b.dest, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	})
	if err != nil {
		return b.abort(ctx, key, up.UploadId, err)
	}
	return nil
}

func (b *backup) abort(ctx context.Context, key string, id *string, cause error) error {
	b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b.dest, Key: &key, UploadId: id}) //nolint:errcheck // the cause is what matters
	return cause
}

// escapeKey escapes a key for x-amz-copy-source, keeping its slashes.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func main() {
	dest := os.Getenv("BACKUP_BUCKET")
	if dest == "" {
		log.Fatal("BACKUP_BUCKET is not set")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	// One client for every invocation, as AWS advises: it keeps its connections.
	b := &backup{client: s3.NewFromConfig(cfg), dest: dest}
	lambda.Start(b.handle)
}
