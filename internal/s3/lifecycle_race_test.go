package s3_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	stratuss3 "github.com/stratus-run/stratus/internal/s3"
)

// raceDay is how long a lifecycle day lasts in TestLifecycleRacesWrites, a
// whole number of milliseconds (S3's listings give times to the millisecond),
// and raceFor how long its writers write.
const (
	raceDay = 20 * time.Millisecond
	raceFor = 3 * time.Second
)

// TestLifecycleRacesWrites: lifecycle expiration never removes a write that
// lands while the worker runs, between its listing of the key and its delete.
// The worker runs every millisecond with 20 ms days, and a writer rewrites one
// key about once a day, so that its writes land around the moment the version
// they replace becomes due. Every removal must be one the rules allow for the
// version it removes; without the worker's IfSeq conditions (expire.go) the
// fresh write is hidden with the old version (subtest current, IfSeq of
// expireCurrent) or removed in its place (subtest null, IfSeq of
// removeVersion), as each subtest finds within its run.
func TestLifecycleRacesWrites(t *testing.T) {
	t.Parallel()
	start := func(t *testing.T) (*testServer, *s3.Client) {
		ts := startS3(t, func(s *stratuss3.Service) {
			s.LifecycleDay = raceDay
			s.LifecycleEvery = time.Millisecond
		})
		return ts, ts.client(t)
	}
	// jitter is a writer's pause: a day, give or take a few milliseconds.
	jitter := func() time.Duration {
		return raceDay - 3*time.Millisecond + rand.N(6*time.Millisecond)
	}

	// Current versions expire a day after they were written: a delete marker
	// hides each, never sooner. The writer puts over each expired one again.
	t.Run("current", func(t *testing.T) {
		t.Parallel()
		ts, c := start(t)
		ctx := context.Background()
		bucket := newBucket(t, c, true)
		putLifecycle(t, c, bucket, types.LifecycleRule{ID: aws.String("expire"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{Prefix: aws.String("k")}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}})
		var acked []string // version ids, in the order written
		for end := time.Now().Add(raceFor); time.Now().Before(end); time.Sleep(jitter()) {
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
				Body: strings.NewReader(fmt.Sprint("write ", len(acked)))})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			acked = append(acked, aws.ToString(out.VersionId))
		}
		last := acked[len(acked)-1]
		// The last write is still the current version, or was expired a day
		// or more after it was written.
		time.Sleep(2 * raceDay)

		hist := versionHistory(t, ts, bucket, "k")
		at := map[string]int{}
		for i, v := range hist {
			at[v.VersionID] = i
		}
		markers := 0
		for i, v := range hist {
			if !v.marker() {
				continue
			}
			markers++
			if i+1 == len(hist) || hist[i+1].marker() {
				t.Errorf("delete marker %s hides no object", v.VersionID)
				continue
			}
			hid := hist[i+1] // the next older entry
			if early := hid.LastModified.Add(raceDay).Sub(v.LastModified); early > 0 {
				t.Errorf("version %s (written %s) expired %s before its day was out, by the delete marker %s of %s",
					hid.VersionID, hid.LastModified.Format(time.StampMilli), early, v.VersionID, v.LastModified.Format(time.StampMilli))
			}
		}
		for _, id := range acked {
			if _, ok := at[id]; !ok {
				t.Errorf("acknowledged version %s is gone", id)
			}
		}
		if i, ok := at[last]; ok && i > 0 && !hist[i-1].marker() {
			t.Errorf("the last write %s has a newer version %s", last, hist[i-1].VersionID)
		}
		t.Logf("%d writes, %d of them expired", len(acked), markers)
		if markers < len(acked)/4 {
			t.Errorf("only %d of %d writes expired: the worker did not race the writer", markers, len(acked))
		}
	})

	// A noncurrent null version expires a day after a newer version replaced
	// it. With versioning suspended, a put replaces the null version: when
	// it lands as the worker removes the old null version by name, the
	// removal must not take the fresh null version, the key's current object,
	// with it.
	t.Run("null", func(t *testing.T) {
		t.Parallel()
		_, c := start(t)
		ctx := context.Background()
		bucket := newBucket(t, c, true)
		putLifecycle(t, c, bucket, types.LifecycleRule{ID: aws.String("noncurrent"), Status: types.ExpirationStatusEnabled,
			Filter:                      &types.LifecycleRuleFilter{Prefix: aws.String("k")},
			NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1)}})
		versioning := func(s types.BucketVersioningStatus) {
			t.Helper()
			if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
				VersioningConfiguration: &types.VersioningConfiguration{Status: s}}); err != nil {
				t.Fatal(err)
			}
		}
		put := func(body string) {
			t.Helper()
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
				Body: strings.NewReader(body)}); err != nil {
				t.Fatalf("PutObject %s: %v", body, err)
			}
		}
		get := func(version string) (string, error) {
			in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}
			if version != "" {
				in.VersionId = aws.String(version)
			}
			out, err := c.GetObject(ctx, in)
			if err != nil {
				return "", err
			}
			defer out.Body.Close()
			b, err := io.ReadAll(out.Body)
			return string(b), err
		}
		n := 0
		for end := time.Now().Add(raceFor); time.Now().Before(end); n++ {
			// A versioned write makes the null version noncurrent; a day later
			// it is due, and the suspended write that replaces it is aimed at
			// that moment, give or take the time a write takes.
			versioning(types.BucketVersioningStatusEnabled)
			sent := time.Now()
			put(fmt.Sprint("versioned ", n))
			versioning(types.BucketVersioningStatusSuspended)
			time.Sleep(time.Until(sent.Add(raceDay - 10*time.Millisecond + rand.N(14*time.Millisecond))))
			want := fmt.Sprint("null ", n)
			put(want)
			// The null version is the key's current version until the next
			// versioned write: nothing may remove it.
			for _, version := range []string{"", "null"} {
				if got, err := get(version); err != nil || got != want {
					t.Fatalf("write %d: GET version %q = %q, %v; want %q: the worker removed the null version written after its listing",
						n, version, got, err, want)
				}
			}
		}
		t.Logf("%d null versions written", n)
	})
}

// putLifecycle sets bucket's lifecycle configuration to rules.
func putLifecycle(t testing.TB, c *s3.Client, bucket string, rules ...types.LifecycleRule) {
	t.Helper()
	if _, err := c.PutBucketLifecycleConfiguration(context.Background(), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
}

// listedVersion is a Version or DeleteMarker of ListObjectVersions' answer.
type listedVersion struct {
	XMLName      xml.Name
	Key          string    `xml:"Key"`
	VersionID    string    `xml:"VersionId"`
	IsLatest     bool      `xml:"IsLatest"`
	LastModified time.Time `xml:"LastModified"`
}

func (v *listedVersion) marker() bool { return v.XMLName.Local == "DeleteMarker" }

// versionHistory lists key's versions and delete markers, newest first, as
// ListObjectVersions' document orders them (the SDK splits them into two lists
// and loses that order).
func versionHistory(t testing.TB, ts *testServer, bucket, key string) []listedVersion {
	t.Helper()
	r := ts.raw(t, http.MethodGet, "/"+bucket+"?versions&max-keys=1000&prefix="+key, nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("ListObjectVersions = %d %s", r.Status, r.Body)
	}
	var doc struct {
		IsTruncated bool            `xml:"IsTruncated"`
		Entries     []listedVersion `xml:",any"`
	}
	if err := xml.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.IsTruncated {
		t.Fatal("more than 1000 versions: shorten the test")
	}
	var out []listedVersion
	for _, e := range doc.Entries {
		if e.XMLName.Local == "Version" || e.XMLName.Local == "DeleteMarker" {
			if e.Key != key {
				t.Fatalf("listed key %q, want %q", e.Key, key)
			}
			out = append(out, e)
		}
	}
	return out
}
