package s3

import (
	"bytes"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// The fuzzers feed the configuration decoders anything. None may panic, and a
// document accepted must be kept in a form that parses again the same way:
// a stored document that did not would silently turn the configuration off.

func FuzzNotificationConfiguration(f *testing.F) {
	for _, seed := range []string{
		`<NotificationConfiguration/>`,
		`<NotificationConfiguration><CloudFunctionConfiguration><Id>a</Id><CloudFunction>arn:aws:lambda:us-east-1:000000000000:function:f</CloudFunction><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>in/</Value></FilterRule><FilterRule><Name>Suffix</Name><Value>.jpg</Value></FilterRule></S3Key></Filter></CloudFunctionConfiguration></NotificationConfiguration>`,
		`<NotificationConfiguration><QueueConfiguration><Queue>arn:aws:sqs:us-east-1:1:q</Queue><Event>s3:ObjectRemoved:Delete</Event></QueueConfiguration><TopicConfiguration><Topic>arn:aws:sns:us-east-1:1:t</Topic><Event>s3:ObjectRemoved:*</Event></TopicConfiguration><EventBridgeConfiguration/></NotificationConfiguration>`,
		`<NotificationConfiguration><CloudFunctionConfiguration><CloudFunction>x</CloudFunction><Event>s3:Nope</Event></CloudFunctionConfiguration></NotificationConfiguration>`,
	} {
		f.Add([]byte(seed), "in/a b.jpg")
	}
	s := &Service{Account: "000000000000", HostID: "h", Now: time.Now}
	f.Fuzz(func(t *testing.T, body []byte, key string) {
		doc, cfg, err := parseNotification(body)
		if err != nil {
			return
		}
		doc.xmlns = ns()
		raw, err := encodeXML(doc)
		if err != nil {
			t.Fatalf("encoding an accepted document: %v", err)
		}
		again, err := parseStoredNotification(raw)
		if err != nil {
			t.Fatalf("stored document %s does not parse: %v", raw, err)
		}
		if len(again.targets) != len(cfg.targets) {
			t.Fatalf("%d targets, %d after storing", len(cfg.targets), len(again.targets))
		}
		b := objstore.Bucket{Name: "fuzz", Region: "us-east-1", Config: map[string][]byte{objstore.ConfigNotification: raw}}
		ev := s.eventsFor(&b, eventOrigin{principal: "AWS:x"}, "ObjectCreated:Put")
		if ev != nil {
			ev([]objstore.Change{{Kind: objstore.ChangePut, Object: objstore.Object{Key: key, Seq: 1}}})
		}
	})
}

func FuzzLifecycleConfiguration(f *testing.F) {
	for _, seed := range []string{
		`<LifecycleConfiguration><Rule><ID>a</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>`,
		`<LifecycleConfiguration><Rule><Filter><And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></And></Filter><Status>Disabled</Status><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>`,
		`<LifecycleConfiguration><Rule><Prefix></Prefix><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>`,
		`<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule></LifecycleConfiguration>`,
	} {
		f.Add([]byte(seed), "logs/x", int64(10))
	}
	s := &Service{LifecycleDay: 24 * time.Hour}
	f.Fuzz(func(t *testing.T, body []byte, key string, size int64) {
		doc, cfg, err := parseLifecycle(body)
		if err != nil {
			return
		}
		doc.xmlns = ns()
		raw, err := encodeXML(doc)
		if err != nil {
			t.Fatalf("encoding an accepted document: %v", err)
		}
		again, err := parseStoredLifecycle(raw)
		if err != nil {
			t.Fatalf("stored document %s does not parse: %v", raw, err)
		}
		if len(again.rules) != len(cfg.rules) || again.versions != cfg.versions || again.uploads != cfg.uploads {
			t.Fatalf("rules changed by storing: %+v, %+v", cfg, again)
		}
		b := objstore.Bucket{Name: "fuzz", Config: map[string][]byte{objstore.ConfigLifecycle: raw}}
		s.expiration(&b, &objstore.Object{Key: key, Size: size, LastModified: time.Unix(0, 0)})
	})
}

func FuzzCORSConfiguration(f *testing.F) {
	for _, seed := range []string{
		`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`,
		`<CORSConfiguration><CORSRule><ID>x</ID><AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`,
	} {
		f.Add([]byte(seed), "http://a.example.com", "PUT", "X-Amz-Date, content-type")
	}
	f.Fuzz(func(t *testing.T, body []byte, origin, method, headers string) {
		doc, cfg, err := parseCORS(body)
		if err != nil {
			return
		}
		doc.xmlns = ns()
		raw, err := encodeXML(doc)
		if err != nil {
			t.Fatalf("encoding an accepted document: %v", err)
		}
		again, err := parseStoredCORS(raw)
		if err != nil {
			t.Fatalf("stored document %s does not parse: %v", raw, err)
		}
		hs := requestedHeaders(headers)
		r1, r2 := cfg.match(origin, method, hs), again.match(origin, method, hs)
		if (r1 == nil) != (r2 == nil) || r1 != nil && r1.allowed != r2.allowed {
			t.Fatalf("matching changed by storing")
		}
	})
}

func FuzzCreateBucketConfiguration(f *testing.F) {
	for _, seed := range []string{
		``,
		`<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`,
		`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`,
		`<CreateBucketConfiguration/>`,
	} {
		f.Add([]byte(seed), "us-east-1")
	}
	f.Fuzz(func(t *testing.T, body []byte, region string) {
		got, err := parseCreateBucket(body, region)
		if err != nil {
			return
		}
		if got == "" || got != region && got != defaultRegion {
			t.Fatalf("bucket region %q for a request to %q", got, region)
		}
		if len(bytes.TrimSpace(body)) == 0 && got != defaultRegion {
			t.Fatalf("no body: region %q", got)
		}
	})
}
