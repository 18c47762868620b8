package cloudformation

import (
	"context"
	"errors"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/cloudformation/sam"
	"github.com/stratus-run/stratus/internal/cloudformation/template"
)

const (
	samTransform    = "AWS::Serverless-2016-10-31"
	maxTemplateBody = 51200
	maxTemplateURL  = 1 << 20
)

// templateSource reads the template a request names: TemplateBody, or the
// object at TemplateURL in Stratus's own S3, or (UsePreviousTemplate, when
// prev is the stack being updated) prev's.
func (s *Service) templateSource(ctx context.Context, sc scope, q *awsproto.Query, prev *stack) (string, error) {
	body, hasBody := q.Lookup("TemplateBody")
	u, hasURL := q.Lookup("TemplateURL")
	usePrev := q.Get("UsePreviousTemplate") == "true"
	switch {
	case usePrev && prev != nil && !hasBody && !hasURL:
		return prev.Config.Body, nil
	case hasBody && hasURL:
		return "", validationError("Specify exactly one of TemplateBody or TemplateUrl.")
	case hasBody:
		if len(body) > maxTemplateBody {
			return "", validationError("1 validation error detected: Value '%s...' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to %d", body[:20], maxTemplateBody)
		}
		return body, nil
	case hasURL:
		return s.fetchTemplate(ctx, sc, u)
	}
	return "", validationError("Either Template URL or Template Body must be specified.")
}

// fetchTemplate reads a TemplateURL through the S3 API at the edge.
func (s *Service) fetchTemplate(ctx context.Context, sc scope, raw string) (string, error) {
	bucket, key, ok := parseS3URL(raw)
	if !ok {
		return "", validationError("TemplateURL must be a supported URL.")
	}
	cl := s3.NewFromConfig(s.awsConfig(sc.Region), func(o *s3.Options) { o.UsePathStyle = true })
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return "", validationError("S3 error: %s", ae.ErrorMessage())
		}
		s.Log.Warn("cloudformation: reading a template from S3", "url", raw, "err", err)
		return "", validationError("S3 error: the template could not be read from %s", raw)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxTemplateURL+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxTemplateURL {
		return "", validationError("Template may not exceed %d bytes in size.", maxTemplateURL)
	}
	return string(b), nil
}

// parseS3URL reads the bucket and key of the URL forms the aws CLI and SDKs
// send: path style on any endpoint (Stratus's own, https://s3.amazonaws.com/,
// https://s3.REGION.amazonaws.com/, https://s3-REGION.amazonaws.com/) and
// virtual-hosted style on amazonaws.com (https://BUCKET.s3.REGION.amazonaws.com/).
func parseS3URL(raw string) (bucket, key string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", false
	}
	host := strings.ToLower(u.Hostname())
	path := strings.TrimPrefix(u.Path, "/")
	if strings.HasSuffix(host, ".amazonaws.com") || strings.HasSuffix(host, ".amazonaws.com.cn") {
		if !strings.HasPrefix(host, "s3.") && !strings.HasPrefix(host, "s3-") {
			i := strings.Index(host, ".s3.")
			if i < 0 {
				i = strings.Index(host, ".s3-")
			}
			if i <= 0 || path == "" {
				return "", "", false
			}
			return host[:i], path, true
		}
	}
	bucket, key, _ = strings.Cut(path, "/")
	if bucket == "" || key == "" {
		return "", "", false
	}
	return bucket, key, true
}

// loaded is a template read, transformed and validated.
type loaded struct {
	t           *template.Template
	processed   map[string]any
	transformed bool
	transforms  []string
}

// load parses body, runs the transforms it declares and validates the
// result. params are the values given so far, for the SAM transform, which
// reads some of them.
func (s *Service) load(sc scope, stackName, body string, params map[string]string) (*loaded, error) {
	t, err := template.Parse([]byte(body))
	if err != nil {
		return nil, err
	}
	l := &loaded{t: t, processed: t.Doc, transforms: t.Transforms}
	for _, tr := range t.Transforms {
		if tr != samTransform {
			return nil, validationError("Stratus does not support the transform %s yet", tr)
		}
	}
	if len(t.Transforms) > 0 {
		vals := map[string]any{}
		for k, p := range t.Parameters {
			if p.Default != nil {
				vals[k] = *p.Default
			}
		}
		for k, v := range params {
			vals[k] = v
		}
		doc, err := sam.Transform(t.Doc, sam.Options{Region: sc.Region, AccountID: sc.Account, Partition: "aws", StackName: stackName, Params: vals})
		if err != nil {
			return nil, err
		}
		if t, err = template.FromDoc(doc); err != nil {
			return nil, err
		}
		l.t, l.processed, l.transformed = t, doc, true
	}
	if err := l.t.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// loadConfig rebuilds the template of a stored configuration.
func loadConfig(c stackConfig) (*template.Template, error) {
	return template.FromDoc(c.Processed)
}

// iamTypes are the resource types that need CAPABILITY_IAM, with the
// property that, when set, gives the resource a custom name and so needs
// CAPABILITY_NAMED_IAM instead.
var iamTypes = map[string]string{
	"AWS::IAM::Role":                "RoleName",
	"AWS::IAM::User":                "UserName",
	"AWS::IAM::Group":               "GroupName",
	"AWS::IAM::ManagedPolicy":       "ManagedPolicyName",
	"AWS::IAM::InstanceProfile":     "InstanceProfileName",
	"AWS::IAM::Policy":              "",
	"AWS::IAM::AccessKey":           "",
	"AWS::IAM::UserToGroupAddition": "",
}

// requiredCapabilities answers what a template needs acknowledged, and why,
// as ValidateTemplate and GetTemplateSummary show it.
func requiredCapabilities(t *template.Template) (caps []string, reason string) {
	var types []string
	named := false
	seen := map[string]bool{}
	for _, r := range t.Resources {
		nameProp, ok := iamTypes[r.Type]
		if !ok {
			continue
		}
		if nameProp != "" {
			if _, has := r.Properties[nameProp]; has {
				named = true
			}
		}
		if !seen[r.Type] {
			seen[r.Type] = true
			types = append(types, r.Type)
		}
	}
	if len(types) == 0 {
		return nil, ""
	}
	sort.Strings(types)
	c := "CAPABILITY_IAM"
	if named {
		c = "CAPABILITY_NAMED_IAM"
	}
	return []string{c}, "The following resource(s) require capabilities: " + bracket(types)
}

// checkCapabilities fails unless the capabilities given cover what the
// template needs. autoExpand is whether a transform must be acknowledged
// (CreateStack and UpdateStack; change sets show the processed template for
// review instead).
func checkCapabilities(l *loaded, given []string, autoExpand bool) error {
	has := map[string]bool{}
	for _, c := range given {
		has[c] = true
	}
	if autoExpand && len(l.transforms) > 0 && !has["CAPABILITY_AUTO_EXPAND"] {
		return errCapabilities([]string{"CAPABILITY_AUTO_EXPAND"})
	}
	caps, _ := requiredCapabilities(l.t)
	for _, c := range caps {
		if has[c] || (c == "CAPABILITY_IAM" && has["CAPABILITY_NAMED_IAM"]) {
			continue
		}
		return errCapabilities(caps)
	}
	for _, c := range given {
		switch c {
		case "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND":
		default:
			return validationError("1 validation error detected: Value '[%s]' at 'capabilities' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [CAPABILITY_AUTO_EXPAND, CAPABILITY_NAMED_IAM, CAPABILITY_IAM]]", c)
		}
	}
	return nil
}

func bracket(items []string) string { return "[" + strings.Join(items, ", ") + "]" }
