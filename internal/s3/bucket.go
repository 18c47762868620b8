package s3

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Bucket operations: CreateBucket, HeadBucket, DeleteBucket, ListBuckets and
// GetBucketLocation.

// defaultRegion is where S3 puts a bucket created without a LocationConstraint.
const defaultRegion = "us-east-1"

// awsRegions are the Regions S3 knows, for telling a LocationConstraint or a
// bucket-region that names another Region from one that names none.
var awsRegions = wordSet(`us-east-1 us-east-2 us-west-1 us-west-2 af-south-1
		ap-east-1 ap-east-2 ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3
		ap-southeast-4 ap-southeast-5 ap-southeast-6 ap-southeast-7 ap-northeast-1 ap-northeast-2
		ap-northeast-3 ca-central-1 ca-west-1 eu-central-1 eu-central-2 eu-west-1 eu-west-2
		eu-west-3 eu-south-1 eu-south-2 eu-north-1 il-central-1 me-south-1 me-central-1
		mx-central-1 sa-east-1 us-gov-east-1 us-gov-west-1 cn-north-1 cn-northwest-1`)

// requestRegion is the Region a request was sent to (its SigV4 scope).
func (s *Service) requestRegion(c *call) string {
	if c.info.Region != "" {
		return c.info.Region
	}
	return s.Region
}

// createBucketConfiguration is CreateBucket's body.
type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint *string  `xml:"LocationConstraint"`
	// Location and Bucket are for directory buckets and ignored; Tags are not
	// kept (bucket tagging is PutBucketTagging's).
}

var (
	errInvalidLocation = s3err(http.StatusBadRequest, "InvalidLocationConstraint", "The specified location-constraint is not valid")
	errObjectLock      = errNotImplemented.With(field("Header", "x-amz-bucket-object-lock-enabled"))
)

// illegalLocation is S3's answer to a LocationConstraint (or none, named
// "unspecified") that is not the Region the request was sent to.
func illegalLocation(constraint string) *awsproto.Error {
	return s3err(http.StatusBadRequest, "IllegalLocationConstraintException",
		"The "+constraint+" location constraint is incompatible for the region specific endpoint this request was sent to.")
}

// parseCreateBucket decodes and checks CreateBucket's body against the Region
// the request was sent to, and returns the bucket's Region.
func parseCreateBucket(body []byte, region string) (string, error) {
	constraint := ""
	if len(strings.TrimSpace(string(body))) > 0 {
		var cfg createBucketConfiguration
		if err := decodeXML(body, &cfg); err != nil {
			return "", err
		}
		if cfg.LocationConstraint == nil {
			return "", errMalformedXML
		}
		if constraint = *cfg.LocationConstraint; constraint == "" {
			return "", errInvalidLocation.With(field("LocationConstraint", constraint))
		}
	}
	switch {
	case constraint == "":
		if region != defaultRegion {
			return "", illegalLocation("unspecified")
		}
		return defaultRegion, nil
	case constraint == defaultRegion:
		// us-east-1 is named by leaving the constraint out, never by name.
		return "", errInvalidLocation.With(field("LocationConstraint", constraint))
	case constraint == region:
		return region, nil
	case constraint == "EU" && region == "eu-west-1":
		return region, nil // the legacy name of eu-west-1
	case awsRegions[constraint] || constraint == "EU":
		return "", illegalLocation(constraint)
	}
	return "", errInvalidLocation.With(field("LocationConstraint", constraint))
}

// createBucket is CreateBucket.
func (s *Service) createBucket(c *call) error {
	if err := checkBucketName(c.bucket); err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	region, err := parseCreateBucket(body, s.requestRegion(c))
	if err != nil {
		return err
	}
	ownership, err := bucketOwnership(c.r.Header)
	if err != nil {
		return err
	}
	if err := checkBucketACLHeaders(c.r.Header, ownership); err != nil {
		return err
	}
	if v := c.r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"); strings.EqualFold(v, "true") {
		return errObjectLock
	}
	b := objstore.Bucket{Name: c.bucket, Region: region, Created: s.Now().UTC()}
	if ownership != ownershipEnforced {
		b.Config = map[string][]byte{configOwnership: []byte(ownership)}
	}
	err = s.Store.CreateBucket(c.r.Context(), b)
	s.bstate.forget(c.bucket)
	if errors.Is(err, objstore.ErrBucketExists) {
		old, gerr := s.Store.Bucket(c.r.Context(), c.bucket)
		// For legacy compatibility S3 answers 200 to re-creating a bucket one
		// already owns in us-east-1, and BucketAlreadyOwnedByYou elsewhere.
		if gerr != nil || old.Region != defaultRegion || region != defaultRegion {
			return storeError(err, c.bucket, "")
		}
	} else if err != nil {
		return storeError(err, c.bucket, "")
	}
	c.w.Header()["Location"] = []string{s.bucketLocation(c, region)}
	return ok(c)
}

// bucketLocation is CreateBucket's Location: the bucket's path in us-east-1,
// its virtual-hosted URL elsewhere.
func (s *Service) bucketLocation(c *call, region string) string {
	if region == defaultRegion {
		return "/" + c.bucket
	}
	scheme := c.info.Scheme
	if scheme == "" {
		scheme = "http"
	}
	host := "s3." + region + ".localhost"
	if _, port, err := net.SplitHostPort(c.info.Host); err == nil {
		host = net.JoinHostPort(host, port)
	}
	return scheme + "://" + c.bucket + "." + host + "/"
}

// headBucket is HeadBucket: 200 with the bucket's Region, or a bodiless 404.
func (s *Service) headBucket(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	h := c.w.Header()
	h["X-Amz-Bucket-Region"] = []string{b.Region}
	h["X-Amz-Access-Point-Alias"] = []string{"false"}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucket is DeleteBucket: 204, or BucketNotEmpty while any version,
// delete marker or upload is left.
func (s *Service) deleteBucket(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	err = s.Store.DeleteBucket(c.r.Context(), c.bucket)
	s.bstate.forget(c.bucket)
	switch {
	case errors.Is(err, objstore.ErrBucketNotEmpty) && b.Versioning != "":
		return s3err(http.StatusConflict, "BucketNotEmpty",
			"The bucket you tried to delete is not empty. You must delete all versions in the bucket.").With(field("BucketName", c.bucket))
	case err != nil:
		return storeError(err, c.bucket, "")
	}
	return noContent(c)
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	xmlns
	Region string `xml:",chardata"`
}

// getBucketLocation is GetBucketLocation: the bucket's Region, empty for
// us-east-1.
func (s *Service) getBucketLocation(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	v := locationConstraint{xmlns: ns()}
	if b.Region != defaultRegion {
		v.Region = b.Region
	}
	awsproto.WriteXML(c.w, http.StatusOK, v)
	return nil
}

// maxBuckets is the most buckets one ListBuckets page holds.
const maxBuckets = 10000

type listAllMyBucketsResult struct {
	XMLName xml.Name `xml:"ListAllMyBucketsResult"`
	xmlns
	Owner             owner          `xml:"Owner"`
	Buckets           []bucketListed `xml:"Buckets>Bucket"`
	ContinuationToken string         `xml:"ContinuationToken,omitempty"`
	Prefix            *string        `xml:"Prefix"`
}

type bucketListed struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

// Continuation tokens are opaque to clients: the last bucket listed, base64.
const bucketTokenPrefix = "stratus-buckets/"

func bucketToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(bucketTokenPrefix + after))
}

func parseBucketToken(tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", false
	}
	name, ok := strings.CutPrefix(string(b), bucketTokenPrefix)
	return name, ok && checkBucketName(name) == nil
}

// first returns a query parameter's first value and whether it was sent.
func first(c *call, name string) (string, bool) {
	v, ok := c.q[name]
	if !ok || len(v) == 0 {
		return "", ok
	}
	return v[0], true
}

// listBuckets is ListBuckets: every bucket of the account, by name, with
// max-buckets, continuation-token, prefix and bucket-region, refused with S3's
// own words.
func (s *Service) listBuckets(c *call) error {
	limit := maxBuckets
	paged := false
	mb, hasMax := first(c, "max-buckets")
	if hasMax {
		paged = true
		n, err := strconv.ParseInt(mb, 10, 32)
		if err != nil {
			return invalidArgument("Provided max-buckets not an integer or within integer range", "max-buckets", mb)
		}
		if n < 1 || n > maxBuckets {
			return invalidArgument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", strconv.FormatInt(n, 10))
		}
		limit = int(n)
	}
	region, hasRegion := first(c, "bucket-region")
	if hasRegion {
		paged = true
		if region != s.requestRegion(c) {
			msg := "Argument value " + region + " is not a valid AWS Region"
			if awsRegions[strings.ToLower(region)] {
				msg = "Requests with bucket-region specified must be made to the corresponding regional endpoint"
			}
			return s3err(http.StatusBadRequest, "InvalidArgument", msg).With(field("ArgumentName", "bucket-region"))
		}
	}
	after := ""
	if tok, ok := first(c, "continuation-token"); ok {
		paged = true
		if after, ok = parseBucketToken(tok); !ok {
			return s3err(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect").With(field("ArgumentName", "continuation-token"))
		}
	}
	prefix, hasPrefix := first(c, "prefix")
	paged = paged || hasPrefix

	all, err := s.Store.Buckets(c.r.Context())
	if err != nil {
		return err
	}
	res := listAllMyBucketsResult{xmlns: ns(), Owner: s.owner(), Buckets: []bucketListed{}}
	if hasPrefix {
		res.Prefix = &prefix
	}
	for _, b := range all {
		if b.Name <= after || !strings.HasPrefix(b.Name, prefix) || hasRegion && b.Region != region {
			continue
		}
		if len(res.Buckets) == limit {
			res.ContinuationToken = bucketToken(res.Buckets[len(res.Buckets)-1].Name)
			break
		}
		l := bucketListed{Name: b.Name, CreationDate: isoTime(b.Created)}
		if paged {
			// S3 names each bucket's Region when the request names any parameter.
			l.BucketRegion = b.Region
		}
		res.Buckets = append(res.Buckets, l)
	}
	awsproto.WriteXML(c.w, http.StatusOK, res)
	return nil
}
