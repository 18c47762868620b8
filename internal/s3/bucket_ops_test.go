package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// wantAPIError fails unless err is S3's error code with status.
func wantAPIError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want %d %s", err, status, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("err = %v, want status %d", err, status)
	}
}

// wantMessage fails unless err's message is msg.
func wantMessage(t *testing.T, err error, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorMessage() != msg {
		t.Fatalf("err = %v, want message %q", err, msg)
	}
}

// regionClient is a client signing for region.
func regionClient(ts *testServer, t *testing.T, region string) *s3.Client {
	return ts.client(t, func(o *s3.Options) { o.Region = region })
}

func mustCreate(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
}

func TestCreateHeadDeleteBucket(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	for name, c := range map[string]*s3.Client{"path": ts.client(t), "vhost": ts.vhostClient(t)} {
		t.Run(name, func(t *testing.T) {
			bucket := "made-" + name
			out, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.Location) != "/"+bucket {
				t.Errorf("Location = %q", aws.ToString(out.Location))
			}
			head, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(head.BucketRegion) != "us-east-1" || aws.ToBool(head.AccessPointAlias) {
				t.Errorf("HeadBucket = region %q alias %v", aws.ToString(head.BucketRegion), aws.ToBool(head.AccessPointAlias))
			}
			// Re-creating one's own bucket in us-east-1 is a 200, for legacy reasons.
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatalf("re-create in us-east-1: %v", err)
			}
			list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, b := range list.Buckets {
				found = found || aws.ToString(b.Name) == bucket
			}
			if !found {
				t.Fatalf("ListBuckets misses %s", bucket)
			}
			if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
			_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
			var nf *types.NotFound
			if !errors.As(err, &nf) {
				t.Fatalf("HeadBucket after delete = %v, want NotFound", err)
			}
			_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
			wantAPIError(t, err, 404, "NoSuchBucket")
		})
	}
}

func TestCreateBucketErrors(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	east := ts.client(t)
	west := regionClient(ts, t, "eu-west-1")
	cases := []struct {
		name   string
		c      *s3.Client
		in     *s3.CreateBucketInput
		status int
		code   string
		msg    string
	}{
		{"bad name", east, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")}, 400, "InvalidBucketName", "The specified bucket is not valid."},
		{"short name", east, &s3.CreateBucketInput{Bucket: aws.String("ab")}, 400, "InvalidBucketName", ""},
		{"us-east-1 named", east, &s3.CreateBucketInput{Bucket: aws.String("named-east"),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}},
			400, "InvalidLocationConstraint", "The specified location-constraint is not valid"},
		{"other region", east, &s3.CreateBucketInput{Bucket: aws.String("other-region"),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}},
			400, "IllegalLocationConstraintException", "The eu-west-1 location constraint is incompatible for the region specific endpoint this request was sent to."},
		{"unspecified elsewhere", west, &s3.CreateBucketInput{Bucket: aws.String("unspecified")},
			400, "IllegalLocationConstraintException", "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."},
		{"unknown region", east, &s3.CreateBucketInput{Bucket: aws.String("unknown-region"),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "mars-1"}},
			400, "InvalidLocationConstraint", ""},
		{"acl with ownership enforced", east, &s3.CreateBucketInput{Bucket: aws.String("acl-public"), ACL: types.BucketCannedACLPublicRead},
			400, "InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.CreateBucket(ctx, tc.in)
			wantAPIError(t, err, tc.status, tc.code)
			if tc.msg != "" {
				wantMessage(t, err, tc.msg)
			}
		})
	}
	list, err := east.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Buckets) != 0 {
		t.Fatalf("failed creates left %d buckets", len(list.Buckets))
	}

	// A malformed body.
	req, _ := http.NewRequest(http.MethodPut, ts.URL+"/malformed-body", strings.NewReader("<CreateBucketConfiguration><LocationConstraint>"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>MalformedXML</Code>") {
		t.Fatalf("malformed body = %d %s", resp.StatusCode, body)
	}

	// Another Region: the bucket is there, re-creating it is BucketAlreadyOwnedByYou.
	in := &s3.CreateBucketInput{Bucket: aws.String("in-ireland"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}
	out, err := west.CreateBucket(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if loc := aws.ToString(out.Location); loc != "http://in-ireland.s3.eu-west-1.localhost:"+ts.Port+"/" {
		t.Errorf("Location = %q", loc)
	}
	_, err = west.CreateBucket(ctx, in)
	wantAPIError(t, err, 409, "BucketAlreadyOwnedByYou")
	loc, err := west.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("in-ireland")})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Fatalf("GetBucketLocation = %v, %v", loc, err)
	}
	head, err := east.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("in-ireland")})
	if err != nil || aws.ToString(head.BucketRegion) != "eu-west-1" {
		t.Fatalf("HeadBucket = %v, %v", head, err)
	}

	mustCreate(t, east, "in-virginia")
	loc, err = east.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("in-virginia")})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("GetBucketLocation us-east-1 = %q, %v", loc.LocationConstraint, err)
	}
	_, err = east.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("no-such-bucket")})
	wantAPIError(t, err, 404, "NoSuchBucket")
}

func TestHeadBucketNotFoundHasNoBody(t *testing.T) {
	ts := startS3(t)
	resp, err := http.Head(ts.URL + "/no-such-bucket")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.ContentLength > 0 || resp.Header.Get("X-Amz-Bucket-Region") != "" {
		t.Fatalf("HEAD = %d, length %d, region %q", resp.StatusCode, resp.ContentLength, resp.Header.Get("X-Amz-Bucket-Region"))
	}
}

func TestListBucketsPaging(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	c := ts.client(t)
	var want []string
	for i := range 25 {
		name := fmt.Sprintf("page-%02d", i)
		mustCreate(t, c, name)
		want = append(want, name)
	}
	mustCreate(t, ts.vhostClient(t), "zz-other")

	var got []string
	var token *string
	pages := 0
	for {
		out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(10), Prefix: aws.String("page-"), ContinuationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if aws.ToString(out.Prefix) != "page-" {
			t.Errorf("Prefix = %q", aws.ToString(out.Prefix))
		}
		if out.Owner == nil || aws.ToString(out.Owner.ID) == "" {
			t.Errorf("Owner = %+v", out.Owner)
		}
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
			if aws.ToString(b.BucketRegion) != "us-east-1" || b.CreationDate == nil {
				t.Errorf("bucket %s: region %q created %v", aws.ToString(b.Name), aws.ToString(b.BucketRegion), b.CreationDate)
			}
		}
		if out.ContinuationToken == nil {
			break
		}
		token = out.ContinuationToken
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%d pages: %v", pages, got)
	}

	// Without parameters: everything, and no BucketRegion.
	out, err := ts.vhostClient(t).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Buckets) != 26 || out.ContinuationToken != nil || out.Buckets[0].BucketRegion != nil {
		t.Fatalf("unpaged listing: %d buckets, token %v", len(out.Buckets), out.ContinuationToken)
	}
	out, err = c.ListBuckets(ctx, &s3.ListBucketsInput{BucketRegion: aws.String("us-east-1"), Prefix: aws.String("zz")})
	if err != nil || len(out.Buckets) != 1 {
		t.Fatalf("bucket-region listing = %v, %v", out, err)
	}

	for _, tc := range []struct{ query, msg string }{
		{"max-buckets=0", "Argument max-buckets must be an integer between 1 and 10000"},
		{"max-buckets=10001", "Argument max-buckets must be an integer between 1 and 10000"},
		{"max-buckets=abc", "Provided max-buckets not an integer or within integer range"},
		{"continuation-token=garbage", "The continuation token provided is incorrect"},
		{"bucket-region=zz", "Argument value zz is not a valid AWS Region"},
		{"bucket-region=eu-west-1", "Requests with bucket-region specified must be made to the corresponding regional endpoint"},
	} {
		resp, err := http.Get(ts.URL + "/?" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>InvalidArgument</Code><Message>"+tc.msg+"</Message>") {
			t.Errorf("%s = %d %s", tc.query, resp.StatusCode, body)
		}
	}
}

func TestDeleteBucketNotEmpty(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	c := ts.client(t)
	mustCreate(t, c, "full")
	if _, err := ts.S3.Store.Put(ctx, "full", putObject("k", "v"), noCondition, nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("full")})
	wantAPIError(t, err, 409, "BucketNotEmpty")
	wantMessage(t, err, "The bucket you tried to delete is not empty")
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("full")}); err != nil {
		t.Fatalf("bucket gone after a refused delete: %v", err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("full"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("full")})
	wantMessage(t, err, "The bucket you tried to delete is not empty. You must delete all versions in the bucket.")
}

func TestBucketVersioning(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	c := ts.client(t)
	mustCreate(t, c, "versioned")
	get := func() types.BucketVersioningStatus {
		t.Helper()
		out, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("versioned")})
		if err != nil {
			t.Fatal(err)
		}
		if out.MFADelete != "" {
			t.Errorf("MFADelete = %q", out.MFADelete)
		}
		return out.Status
	}
	if s := get(); s != "" {
		t.Fatalf("never versioned: Status %q", s)
	}
	for _, status := range []types.BucketVersioningStatus{types.BucketVersioningStatusEnabled, types.BucketVersioningStatusSuspended} {
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("versioned"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: status}}); err != nil {
			t.Fatal(err)
		}
		if s := get(); s != status {
			t.Fatalf("Status = %q, want %q", s, status)
		}
	}
	_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("versioned"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: "On"}})
	wantAPIError(t, err, 400, "MalformedXML")
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("versioned"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled, MFADelete: types.MFADeleteEnabled}})
	wantAPIError(t, err, 403, "AccessDenied")
	wantMessage(t, err, "Mfa Authentication must be used for this request")
	if s := get(); s != types.BucketVersioningStatusSuspended {
		t.Fatalf("a refused put changed Status to %q", s)
	}
	_, err = c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("no-such-bucket")})
	wantAPIError(t, err, 404, "NoSuchBucket")
}

func TestBucketPolicy(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	c := ts.client(t)
	mustCreate(t, c, "with-policy")
	_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("with-policy")})
	wantAPIError(t, err, 404, "NoSuchBucketPolicy")
	wantMessage(t, err, "The bucket policy does not exist")

	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Read",  "Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::with-policy/*"}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("with-policy"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("with-policy")})
	if err != nil || aws.ToString(out.Policy) != policy {
		t.Fatalf("GetBucketPolicy = %q, %v", aws.ToString(out.Policy), err)
	}
	resp, err := http.Get(ts.URL + "/with-policy?policy")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}

	for _, tc := range []struct{ policy, msg string }{
		{` {"Statement":[]}`, "Policies must be valid JSON and the first byte must be '{'"},
		{`[]`, "Policies must be valid JSON and the first byte must be '{'"},
		{`{"Statement":`, "This policy contains invalid Json"},
		{`{"Version":"2012-10-17"}`, "Missing required field Statement"},
		{`{"Version":"2012-10-17","Statement":[]}`, "Could not parse the policy: Statement is empty!"},
		{`{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::with-policy"}]}`, "The policy must contain a valid version string"},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::another-bucket/*"}]}`, "Policy has invalid resource"},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::with-policy/*"}]}`, "Policy has invalid action"},
		{`{"Statement":[{"Effect":"Allow","Principal":{"Nobody":"x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::with-policy/*"}]}`, "Invalid principal in policy"},
	} {
		_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("with-policy"), Policy: aws.String(tc.policy)})
		wantAPIError(t, err, 400, "MalformedPolicy")
		wantMessage(t, err, tc.msg)
	}
	out, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("with-policy")})
	if err != nil || aws.ToString(out.Policy) != policy {
		t.Fatalf("refused puts changed the policy: %q, %v", aws.ToString(out.Policy), err)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("with-policy")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("with-policy")})
	wantAPIError(t, err, 404, "NoSuchBucketPolicy")
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("no-such-bucket"), Policy: aws.String(policy)})
	wantAPIError(t, err, 404, "NoSuchBucket")
}

func TestBucketAndObjectACL(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	c := ts.client(t)
	mustCreate(t, c, "acls")
	check := func(owner *types.Owner, grants []types.Grant) {
		t.Helper()
		if owner == nil || len(aws.ToString(owner.ID)) != 64 || len(grants) != 1 {
			t.Fatalf("owner %+v, %d grants", owner, len(grants))
		}
		g := grants[0]
		if g.Permission != types.PermissionFullControl || g.Grantee == nil || g.Grantee.Type != types.TypeCanonicalUser ||
			aws.ToString(g.Grantee.ID) != aws.ToString(owner.ID) {
			t.Fatalf("grant = %+v %+v", g, g.Grantee)
		}
	}
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("acls")})
	if err != nil {
		t.Fatal(err)
	}
	check(acl.Owner, acl.Grants)

	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("acls"), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatalf("private: %v", err)
	}
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("acls"), ACL: types.BucketCannedACLPublicRead})
	wantAPIError(t, err, 400, "AccessControlListNotSupported")
	wantMessage(t, err, "The bucket does not allow ACLs")
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("acls"), AccessControlPolicy: &types.AccessControlPolicy{
		Owner:  acl.Owner,
		Grants: acl.Grants,
	}}); err != nil {
		t.Fatalf("owner's full control as a document: %v", err)
	}

	// A bucket with ACLs enabled takes any.
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acls-on"), ObjectOwnership: types.ObjectOwnershipObjectWriter,
		ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("acls-on"), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}

	// Objects.
	_, err = c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("acls"), Key: aws.String("nothing")})
	wantAPIError(t, err, 404, "NoSuchKey")
	if _, err := ts.S3.Store.Put(ctx, "acls", putObject("obj", "data"), noCondition, nil); err != nil {
		t.Fatal(err)
	}
	oacl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("acls"), Key: aws.String("obj")})
	if err != nil {
		t.Fatal(err)
	}
	check(oacl.Owner, oacl.Grants)
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("acls"), Key: aws.String("obj"), ACL: types.ObjectCannedACLBucketOwnerFullControl}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("acls"), Key: aws.String("obj"), ACL: types.ObjectCannedACLPublicRead})
	wantAPIError(t, err, 400, "AccessControlListNotSupported")
}
