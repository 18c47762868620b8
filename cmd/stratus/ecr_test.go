package main

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func (ts *testServer) ecrClient(key, secret string) *ecr.Client {
	return ecr.New(ecr.Options{
		BaseEndpoint: aws.String(ts.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		Retryer:      aws.NopRetryer{},
	})
}

// pushRandom pushes a random image with crane to repo (host/name) under tag,
// or by digest only when tag is "", and returns its digest.
func pushRandom(t *testing.T, repo, tag string, opts ...crane.Option) string {
	t.Helper()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	dg, _ := img.Digest()
	ref := repo + "@" + dg.String()
	if tag != "" {
		ref = repo + ":" + tag
	}
	if err := crane.Push(img, ref, append(opts, crane.Insecure)...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return dg.String()
}

func TestECRRepositoriesAndImages(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	c := ts.ecrClient("AKIDTEST", "secret")
	host := strings.TrimPrefix(ts.URL, "http://")
	_, port, _ := strings.Cut(host, ":")

	out, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team/app"),
		Tags:                       []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}},
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		EncryptionConfiguration:    &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeKms, KmsKey: aws.String("alias/k")}})
	if err != nil {
		t.Fatal(err)
	}
	repo := out.Repository
	if aws.ToString(repo.RepositoryArn) != "arn:aws:ecr:us-east-1:000000000000:repository/team/app" ||
		aws.ToString(repo.RepositoryUri) != "000000000000.dkr.ecr.us-east-1.localhost:"+port+"/team/app" ||
		repo.ImageTagMutability != types.ImageTagMutabilityMutable || repo.CreatedAt == nil {
		t.Errorf("created %+v", repo)
	}
	_, err = c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team/app")})
	apiError(t, err, "RepositoryAlreadyExistsException")
	_, err = c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("Bad_Name")})
	apiError(t, err, "InvalidParameterException")
	_, err = c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"nope"}})
	if ae := apiError(t, err, "RepositoryNotFoundException"); ae.ErrorMessage() != "The repository with name 'nope' does not exist in the registry with id '000000000000'" {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	for _, n := range []string{"a1", "a2"} {
		if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := ecr.NewDescribeRepositoriesPaginator(c, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range pg.Repositories {
			names = append(names, aws.ToString(r.RepositoryName))
			if aws.ToString(r.RepositoryName) == "team/app" && (r.EncryptionConfiguration.EncryptionType != types.EncryptionTypeKms || !r.ImageScanningConfiguration.ScanOnPush) {
				t.Errorf("stored settings: %+v %+v", r.EncryptionConfiguration, r.ImageScanningConfiguration)
			}
		}
	}
	if pages != 2 || !slices.Equal(names, []string{"a1", "a2", "team/app"}) {
		t.Errorf("%d pages: %v", pages, names)
	}

	// Images pushed over /v2/ show through the ECR API.
	d1 := pushRandom(t, host+"/team/app", "v1")
	d2 := pushRandom(t, host+"/team/app", "v2")
	d3 := pushRandom(t, host+"/team/app", "")
	rn := aws.String("team/app")
	tagged, err := c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: rn, Filter: &types.ListImagesFilter{TagStatus: types.TagStatusTagged}})
	if err != nil {
		t.Fatal(err)
	}
	untagged, err := c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: rn, Filter: &types.ListImagesFilter{TagStatus: types.TagStatusUntagged}})
	if err != nil {
		t.Fatal(err)
	}
	if got := imageRefs(tagged.ImageIds); !slices.Equal(got, sorted(d1+":v1", d2+":v2")) {
		t.Errorf("tagged %v", got)
	}
	if got := imageRefs(untagged.ImageIds); !slices.Equal(got, []string{d3 + ":"}) {
		t.Errorf("untagged %v", got)
	}
	lp, err := c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: rn, MaxResults: aws.Int32(2)})
	if err != nil || len(lp.ImageIds) != 2 || lp.NextToken == nil {
		t.Fatalf("first page: %v %+v", err, lp)
	}
	if lp, err = c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: rn, NextToken: lp.NextToken}); err != nil || len(lp.ImageIds) != 1 || lp.NextToken != nil {
		t.Fatalf("second page: %v %+v", err, lp)
	}

	di, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: rn, ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(di.ImageDetails) != 1 {
		t.Fatalf("details %+v", di.ImageDetails)
	}
	det := di.ImageDetails[0]
	if aws.ToString(det.ImageDigest) != d1 || !slices.Equal(det.ImageTags, []string{"v1"}) || aws.ToInt64(det.ImageSizeInBytes) < 2048 ||
		det.ImagePushedAt == nil || time.Since(*det.ImagePushedAt) > time.Minute ||
		aws.ToString(det.ImageManifestMediaType) != "application/vnd.docker.distribution.manifest.v2+json" ||
		aws.ToString(det.ArtifactMediaType) != "application/vnd.docker.container.image.v1+json" {
		t.Errorf("detail %+v", det)
	}
	_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: rn, ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("nope")}}})
	apiError(t, err, "ImageNotFoundException")
	_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("nope")})
	apiError(t, err, "RepositoryNotFoundException")

	bg, err := c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: rn,
		ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v2")}, {ImageTag: aws.String("missing")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bg.Images) != 1 || aws.ToString(bg.Images[0].ImageId.ImageDigest) != d2 || !strings.Contains(aws.ToString(bg.Images[0].ImageManifest), `"layers"`) ||
		len(bg.Failures) != 1 || bg.Failures[0].FailureCode != types.ImageFailureCodeImageNotFound || aws.ToString(bg.Failures[0].ImageId.ImageTag) != "missing" {
		t.Errorf("BatchGetImage %+v %+v", bg.Images, bg.Failures)
	}
	manifest := aws.ToString(bg.Images[0].ImageManifest)
	if bg, err = c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: rn, ImageIds: []types.ImageIdentifier{{ImageDigest: aws.String(d2)}},
		AcceptedMediaTypes: []string{"application/vnd.oci.image.manifest.v1+json"}}); err != nil || len(bg.Images) != 0 || len(bg.Failures) != 1 {
		t.Errorf("BatchGetImage of an unaccepted media type: %v %+v", err, bg)
	}

	// PutImage: the same manifest under a new tag, then again.
	pi, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: rn, ImageManifest: aws.String(manifest), ImageTag: aws.String("copy")})
	if err != nil || aws.ToString(pi.Image.ImageId.ImageDigest) != d2 {
		t.Fatalf("PutImage: %v %+v", err, pi)
	}
	_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: rn, ImageManifest: aws.String(manifest), ImageTag: aws.String("copy")})
	apiError(t, err, "ImageAlreadyExistsException")
	_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: rn, ImageManifest: aws.String("{not json"), ImageTag: aws.String("x")})
	apiError(t, err, "InvalidParameterException")

	// IMMUTABLE: a tag may not move, neither over /v2/ nor through PutImage.
	if _, err := c.PutImageTagMutability(ctx, &ecr.PutImageTagMutabilityInput{RepositoryName: rn, ImageTagMutability: types.ImageTagMutabilityImmutable}); err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(512, 1)
	err = crane.Push(img, host+"/team/app:v1", crane.Insecure)
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusBadRequest || len(te.Errors) == 0 || te.Errors[0].Code != "TAG_INVALID" {
		t.Errorf("push over an immutable tag: %v", err)
	}
	_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: rn, ImageManifest: aws.String(manifest), ImageTag: aws.String("v1")})
	apiError(t, err, "ImageTagAlreadyExistsException")

	// BatchDeleteImage by tag and by digest, with a failure.
	bd, err := c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: rn, ImageIds: []types.ImageIdentifier{
		{ImageTag: aws.String("v1")}, {ImageDigest: aws.String(d3)}, {ImageTag: aws.String("gone")}}})
	if err != nil || len(bd.ImageIds) != 2 || len(bd.Failures) != 1 || bd.Failures[0].FailureCode != types.ImageFailureCodeImageNotFound {
		t.Fatalf("BatchDeleteImage: %v %+v", err, bd)
	}
	if _, err := crane.Digest(host+"/team/app:v1", crane.Insecure); err == nil {
		t.Error("v1 still pulls after BatchDeleteImage")
	}

	// Repository policies and tags.
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}`
	if _, err := c.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: rn, PolicyText: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: rn})
	if err != nil || aws.ToString(gp.PolicyText) != pol {
		t.Errorf("GetRepositoryPolicy: %v %+v", err, gp)
	}
	if _, err := c.DeleteRepositoryPolicy(ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: rn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: rn})
	apiError(t, err, "RepositoryPolicyNotFoundException")
	_, err = c.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: rn})
	apiError(t, err, "LifecyclePolicyNotFoundException")
	arn := repo.RepositoryArn
	if _, err := c.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}, {Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &ecr.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	lt, err := c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil || len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Key) != "env" || aws.ToString(lt.Tags[0].Value) != "prod" {
		t.Errorf("tags: %v %+v", err, lt)
	}

	// A repository with images needs force to go, and then its images go too.
	_, err = c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: rn})
	apiError(t, err, "RepositoryNotEmptyException")
	if _, err := c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: rn, Force: true}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: rn})
	apiError(t, err, "RepositoryNotFoundException")
	_, err = c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: rn})
	apiError(t, err, "RepositoryNotFoundException")
}

func imageRefs(ids []types.ImageIdentifier) []string {
	var out []string
	for _, id := range ids {
		out = append(out, aws.ToString(id.ImageDigest)+":"+aws.ToString(id.ImageTag))
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string {
	sort.Strings(s)
	return s
}

// lifecycleMinute compresses lifecycle time: one day of it lasts 1440 of
// these, about 4.3 s.
const lifecycleMinute = 3 * time.Millisecond

// TestECRLifecycle runs a policy that expires untagged images a day old and
// keeps the newest two v* tags, previewed first, then applied by the
// schedule on the compressed clock.
func TestECRLifecycle(t *testing.T) {
	ts := startServer(t, "", "--schedule-minute", lifecycleMinute.String())
	ctx := context.Background()
	c := ts.ecrClient("AKIDTEST", "secret")
	host := strings.TrimPrefix(ts.URL, "http://")
	rn := aws.String("life")
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: rn}); err != nil {
		t.Fatal(err)
	}
	u1 := pushRandom(t, host+"/life", "")
	u2 := pushRandom(t, host+"/life", "")
	pushedUntagged := time.Now()
	var v []string
	for _, tag := range []string{"v1", "v2", "v3", "v4"} {
		v = append(v, pushRandom(t, host+"/life", tag))
	}
	other := pushRandom(t, host+"/life", "latest")
	policy := `{"rules":[
		{"rulePriority":1,"description":"untagged after a day","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}},
		{"rulePriority":2,"description":"newest two releases","selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}`

	if _, err := c.StartLifecyclePolicyPreview(ctx, &ecr.StartLifecyclePolicyPreviewInput{RepositoryName: rn, LifecyclePolicyText: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	pv, err := c.GetLifecyclePolicyPreview(ctx, &ecr.GetLifecyclePolicyPreviewInput{RepositoryName: rn})
	if err != nil {
		t.Fatal(err)
	}
	var previewed []string
	for _, r := range pv.PreviewResults {
		previewed = append(previewed, aws.ToString(r.ImageDigest))
		if r.Action.Type != types.ImageActionTypeExpire || aws.ToInt32(r.AppliedRulePriority) != 2 {
			t.Errorf("preview result %+v", r)
		}
	}
	// The untagged images are not a day old yet (unless this machine took
	// over 4 s to push), so only the older releases would go.
	if time.Since(pushedUntagged) < 3*time.Second {
		if pv.Status != types.LifecyclePolicyPreviewStatusComplete || !slices.Equal(sorted(previewed...), sorted(v[0], v[1])) ||
			aws.ToInt32(pv.Summary.ExpiringImageTotalCount) != 2 {
			t.Errorf("preview %s %v (%d), want %v", pv.Status, previewed, aws.ToInt32(pv.Summary.ExpiringImageTotalCount), v[:2])
		}
	}
	if imgs := listDigests(t, c, rn); len(imgs) != 7 {
		t.Fatalf("a preview expired images: %v", imgs)
	}

	if _, err := c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: rn, LifecyclePolicyText: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	putAt := time.Since(pushedUntagged)
	gl, err := c.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: rn})
	if err != nil || aws.ToString(gl.LifecyclePolicyText) != policy {
		t.Fatalf("GetLifecyclePolicy: %v %+v", err, gl)
	}
	want := sorted(v[2], v[3], other)
	deadline := time.Now().Add(15 * time.Second)
	sawReleasesFirst := false
	for {
		imgs := listDigests(t, c, rn)
		if !slices.Contains(imgs, v[0]) && !slices.Contains(imgs, v[1]) && slices.Contains(imgs, u1) && slices.Contains(imgs, u2) {
			sawReleasesFirst = true
		}
		if slices.Equal(imgs, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("images %v, want %v", imgs, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The count rule applies at the first run, the age rule only once the
	// untagged images are a (compressed) day old, 4.3 s after their push.
	if !sawReleasesFirst && putAt < 3*time.Second {
		t.Error("the untagged images went no later than the releases")
	}
	if _, err := c.DeleteLifecyclePolicy(ctx, &ecr.DeleteLifecyclePolicyInput{RepositoryName: rn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteLifecyclePolicy(ctx, &ecr.DeleteLifecyclePolicyInput{RepositoryName: rn})
	apiError(t, err, "LifecyclePolicyNotFoundException")
	_, err = c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: rn, LifecyclePolicyText: aws.String(
		`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`)})
	apiError(t, err, "InvalidParameterException")
}

func listDigests(t *testing.T, c *ecr.Client, rn *string) []string {
	t.Helper()
	out, err := c.DescribeImages(context.Background(), &ecr.DescribeImagesInput{RepositoryName: rn})
	if err != nil {
		t.Fatal(err)
	}
	var ds []string
	for _, d := range out.ImageDetails {
		ds = append(ds, aws.ToString(d.ImageDigest))
	}
	return sorted(ds...)
}

// TestECRStrictAuth logs in as `aws ecr get-login-password | docker login`
// does: with --auth strict the registry takes only Basic AWS:<token> with a
// token GetAuthorizationToken issued, and pushes only to repositories
// CreateRepository made.
func TestECRStrictAuth(t *testing.T) {
	awsBin := awsCLIv2(t)
	credsFile := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(credsFile, []byte("[default]\naws_access_key_id = AKIDSTRICT\naws_secret_access_key = s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "", "--auth", "strict", "--credentials-file", credsFile)
	ctx := context.Background()
	host := strings.TrimPrefix(ts.URL, "http://")
	c := ts.ecrClient("AKIDSTRICT", "s3cret")
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("secure/app")}); err != nil {
		t.Fatal(err)
	}
	_, err := ts.ecrClient("AKIDSTRICT", "wrong").GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	apiError(t, err, "InvalidSignatureException")

	cmd := exec.Command(awsBin, "--endpoint-url", ts.URL, "ecr", "get-login-password")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDSTRICT", "AWS_SECRET_ACCESS_KEY=s3cret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		errors.As(err, &ee)
		t.Fatalf("get-login-password: %v %s", err, ee.Stderr)
	}
	pw := strings.TrimSpace(string(out))
	login := crane.WithAuth(&authn.Basic{Username: "AWS", Password: pw})
	dg := pushRandom(t, host+"/secure/app", "v1", login)
	if got, err := crane.Digest(host+"/secure/app:v1", crane.Insecure, login); err != nil || got != dg {
		t.Errorf("pull with the token: %s %v", got, err)
	}

	unauthorized := func(what string, opts ...crane.Option) {
		t.Helper()
		_, err := crane.Digest(host+"/secure/app:v1", append(opts, crane.Insecure)...)
		var te *transport.Error
		if !errors.As(err, &te) || te.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %v, want 401", what, err)
		}
	}
	unauthorized("anonymous")
	unauthorized("bad token", crane.WithAuth(&authn.Basic{Username: "AWS", Password: pw[:len(pw)-2] + "xx"}))
	unauthorized("another user", crane.WithAuth(&authn.Basic{Username: "admin", Password: pw}))

	// ECR creates repositories only through CreateRepository.
	img, _ := random.Image(256, 1)
	err = crane.Push(img, host+"/never/created:v1", crane.Insecure, login)
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusNotFound || len(te.Errors) == 0 || te.Errors[0].Code != transport.NameUnknownErrorCode {
		t.Errorf("push to a repository never created: %v", err)
	}

	// The SDK's view of the same token.
	at, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil || len(at.AuthorizationData) != 1 {
		t.Fatalf("GetAuthorizationToken: %v %+v", err, at)
	}
	ad := at.AuthorizationData[0]
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(ad.AuthorizationToken))
	user, pass, _ := strings.Cut(string(raw), ":")
	if left := time.Until(aws.ToTime(ad.ExpiresAt)); user != "AWS" || pass == "" || left < 11*time.Hour || left > 12*time.Hour+time.Minute ||
		aws.ToString(ad.ProxyEndpoint) != "http://000000000000.dkr.ecr.us-east-1.localhost:"+strings.Split(host, ":")[1] {
		t.Errorf("authorization data %s %+v (expires in %s)", raw, ad, time.Until(aws.ToTime(ad.ExpiresAt)))
	}
	if _, err := crane.Digest(host+"/secure/app:v1", crane.Insecure, crane.WithAuth(&authn.Basic{Username: user, Password: pass})); err != nil {
		t.Errorf("pull with the SDK's token: %v", err)
	}
}
