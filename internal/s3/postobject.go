package s3

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // SigV2 POST signatures are HMAC-SHA1
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Browser-based uploads: a multipart/form-data POST to the bucket URL whose
// fields describe the object and whose "file" field is its content (S3 API
// Reference, "POST Object" and "Creating a POST policy").

// maxPostFields bounds the form fields before the file.
const maxPostFields = 1 << 20

// postForm is a POST upload's fields before the file, by lower-cased name (S3
// compares names without regard to case), with the names as sent.
type postForm struct {
	values map[string]string
	names  map[string]string
}

func (f *postForm) get(name string) string { return f.values[strings.ToLower(name)] }

func (f *postForm) has(name string) bool { _, ok := f.values[strings.ToLower(name)]; return ok }

// readPostForm reads the fields up to the file, and returns the file's part.
func readPostForm(r *http.Request) (*postForm, *multipart.Part, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, nil, errPrecondition.With(field("Condition", "Bucket POST must be of the enclosure-type multipart/form-data"))
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	f := &postForm{values: map[string]string{}, names: map[string]string{}}
	size := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return f, nil, nil
		}
		if err != nil {
			return nil, nil, errMalformedPOST
		}
		name := p.FormName()
		if name == "" {
			continue
		}
		if strings.EqualFold(name, "file") {
			return f, p, nil
		}
		b, err := io.ReadAll(io.LimitReader(p, int64(maxPostFields-size+1)))
		if err != nil {
			return nil, nil, errMalformedPOST
		}
		if size += len(b); size > maxPostFields {
			return nil, nil, s3err(http.StatusBadRequest, "MaxPostPreDataLengthExceeded", "Your POST request fields preceeding the upload file was too large.")
		}
		k := strings.ToLower(name)
		f.values[k], f.names[k] = string(b), name
	}
}

var errMalformedPOST = s3err(http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")

// postPolicy is a decoded POST policy document.
type postPolicy struct {
	Expiration *string           `json:"expiration"`
	Conditions []json.RawMessage `json:"conditions"`
}

func invalidPolicy(msg string) error {
	return s3err(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: "+msg)
}

func policyFailed(msg string) error {
	return s3err(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: "+msg)
}

// lengthRange is a policy's content-length-range; ok=false when it has none.
type lengthRange struct {
	min, max int64
	ok       bool
}

// checkPostPolicy decodes the policy document (base64 JSON) and checks the form
// against it: not expired, every condition met, and every field (but those S3
// exempts) named by a condition. It returns the content-length-range to check
// once the file is read.
func checkPostPolicy(doc string, f *postForm, bucket string, now time.Time) (lengthRange, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(doc))
	if err != nil {
		return lengthRange{}, invalidPolicy("Invalid JSON.")
	}
	var p postPolicy
	if err := json.Unmarshal(raw, &p); err != nil {
		return lengthRange{}, invalidPolicy("Invalid JSON.")
	}
	if p.Expiration == nil {
		return lengthRange{}, invalidPolicy("Policy missing expiration.")
	}
	exp, err := time.Parse(time.RFC3339, *p.Expiration)
	if err != nil {
		return lengthRange{}, invalidPolicy("Invalid 'expiration' value: '" + *p.Expiration + "'")
	}
	if !now.Before(exp) {
		return lengthRange{}, policyFailed("Policy expired.")
	}
	if p.Conditions == nil {
		return lengthRange{}, invalidPolicy("Policy missing conditions.")
	}
	value := func(name string) string {
		if name == "bucket" {
			return bucket
		}
		return f.get(name)
	}
	covered := map[string]bool{"bucket": true}
	var lr lengthRange
	for _, c := range p.Conditions {
		var obj map[string]any
		if json.Unmarshal(c, &obj) == nil {
			if len(obj) != 1 {
				return lr, invalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
			}
			for k, v := range obj {
				want, ok := v.(string)
				if !ok {
					return lr, invalidPolicy("Invalid Simple-Condition: value must be a string.")
				}
				k = strings.ToLower(k)
				covered[k] = true
				if value(k) != want {
					return lr, policyFailed(fmt.Sprintf("Policy Condition failed: [\"eq\", \"$%s\", %q]", k, want))
				}
			}
			continue
		}
		var arr []any
		if json.Unmarshal(c, &arr) != nil || len(arr) != 3 {
			return lr, invalidPolicy("Invalid Condition: conditions must be objects or three-element arrays.")
		}
		op, _ := arr[0].(string)
		switch strings.ToLower(op) {
		case "content-length-range":
			lo, ok1 := arr[1].(float64)
			hi, ok2 := arr[2].(float64)
			if !ok1 || !ok2 || lo < 0 || hi < lo {
				return lr, invalidPolicy("Invalid content-length-range: the range must be two non-negative integers, the first no greater than the second.")
			}
			lr = lengthRange{min: int64(lo), max: int64(hi), ok: true}
		case "eq", "starts-with":
			name, ok1 := arr[1].(string)
			want, ok2 := arr[2].(string)
			if !ok1 || !ok2 || !strings.HasPrefix(name, "$") {
				return lr, invalidPolicy("Invalid Condition: the field must be a string starting with $.")
			}
			k := strings.ToLower(name[1:])
			covered[k] = true
			got := value(k)
			okay := got == want
			if op == "starts-with" {
				okay = strings.HasPrefix(got, want)
				if k == "content-type" && !okay && want != "" {
					// starts-with on Content-Type checks each of a comma-separated list.
					okay = true
					for _, t := range strings.Split(got, ",") {
						okay = okay && strings.HasPrefix(strings.TrimSpace(t), want)
					}
				}
			}
			if !okay {
				return lr, policyFailed(fmt.Sprintf("Policy Condition failed: [%q, \"$%s\", %q]", strings.ToLower(op), k, want))
			}
		default:
			return lr, invalidPolicy("Invalid Condition: unknown operator " + strconv.Quote(op) + ".")
		}
	}
	var extra []string
	for k := range f.values {
		switch {
		case covered[k], k == "policy", k == "x-amz-signature", k == "signature", k == "awsaccesskeyid",
			k == "file", strings.HasPrefix(k, "x-ignore-"):
		default:
			extra = append(extra, f.names[k])
		}
	}
	if len(extra) > 0 {
		return lr, policyFailed("Extra input fields: " + strings.Join(extra, ", "))
	}
	return lr, nil
}

// checkPostSignature verifies the form's signature of the policy with the
// service's Verifier: SigV4 (x-amz-algorithm, x-amz-credential, x-amz-date,
// x-amz-signature) or SigV2 (AWSAccessKeyId, signature).
func (s *Service) checkPostSignature(f *postForm) error {
	v := s.Verifier
	policy := f.get("policy")
	if policy == "" {
		return errAccessDenied
	}
	mismatch := s3err(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	unknown := s3err(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	secret := func(id string) (string, bool) {
		if v.Secret == nil {
			return "", false
		}
		return v.Secret(id)
	}
	if f.has("x-amz-signature") {
		if !strings.EqualFold(f.get("x-amz-algorithm"), "AWS4-HMAC-SHA256") {
			return invalidArgument("Only AWS4-HMAC-SHA256 is supported", "X-Amz-Algorithm", f.get("x-amz-algorithm"))
		}
		parts := strings.Split(f.get("x-amz-credential"), "/")
		if len(parts) != 5 || parts[3] != "s3" || parts[4] != "aws4_request" {
			return invalidArgument("Invalid credential", "X-Amz-Credential", f.get("x-amz-credential"))
		}
		key, ok := secret(parts[0])
		if !ok {
			return unknown
		}
		k := hmacSum([]byte("AWS4"+key), parts[1])
		for _, p := range parts[2:] {
			k = hmacSum(k, p)
		}
		want := hex.EncodeToString(hmacSum(k, policy))
		if !hmac.Equal([]byte(want), []byte(strings.ToLower(f.get("x-amz-signature")))) {
			return mismatch
		}
		return nil
	}
	if f.has("signature") {
		key, ok := secret(f.get("awsaccesskeyid"))
		if !ok {
			return unknown
		}
		m := hmac.New(sha1.New, []byte(key))
		m.Write([]byte(policy))
		if !hmac.Equal([]byte(base64.StdEncoding.EncodeToString(m.Sum(nil))), []byte(f.get("signature"))) {
			return mismatch
		}
		return nil
	}
	return errAccessDenied
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// objectFromForm returns the object a POST's fields describe, as
// objectFromHeaders does for a PUT.
func objectFromForm(f *postForm) (objstore.Object, error) {
	h := http.Header{}
	for k, v := range f.values {
		switch {
		case k == "content-type", k == "cache-control", k == "content-disposition", k == "content-encoding",
			k == "content-language", k == "expires", k == "x-amz-storage-class", k == "x-amz-website-redirect-location",
			strings.HasPrefix(k, "x-amz-meta-"):
			h[http.CanonicalHeaderKey(k)] = []string{v}
		}
	}
	o, err := objectFromHeaders(h)
	if err != nil {
		return o, err
	}
	if doc := f.get("tagging"); doc != "" {
		tags, err := parseTagging([]byte(doc))
		if err != nil {
			return o, err
		}
		if err := validateTags(tags, false); err != nil {
			return o, err
		}
		o.Tags = tags
	}
	return o, nil
}

// postResponse is the answer to a POST with success_action_status 201.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

func (s *Service) postObject(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	f, file, err := readPostForm(c.r)
	if err != nil {
		return err
	}
	if file == nil {
		return invalidArgument("POST requires exactly one file upload per request.", "file", "0")
	}
	key := f.get("key")
	if !f.has("key") || key == "" {
		return invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", "key", "")
	}
	key = strings.ReplaceAll(key, "${filename}", file.FileName())
	if err := checkKey(key); err != nil {
		return err
	}
	if s.Verifier != nil {
		if err := s.checkPostSignature(f); err != nil {
			return err
		}
	}
	lr := lengthRange{}
	if f.has("policy") {
		if lr, err = checkPostPolicy(f.get("policy"), f, c.bucket, s.Now()); err != nil {
			return err
		}
	}
	o, err := objectFromForm(f)
	if err != nil {
		return err
	}
	algo := algoCRC64NVME
	var claim checksumClaim
	if v := f.get("x-amz-checksum-algorithm"); v != "" {
		a, ok := parseAlgorithm(v)
		if !ok {
			return errUnsupportedAlgorithm
		}
		algo = a
		if val := f.get("x-amz-checksum-" + strings.ToLower(a)); val != "" {
			if _, ok := decodeChecksum(a, val); !ok {
				return invalidRequest("Value for x-amz-checksum-" + strings.ToLower(a) + " header is invalid.")
			}
			claim = checksumClaim{algo: a, value: val}
		}
	}
	limit := int64(maxPutSize)
	if lr.ok {
		limit = min(limit, lr.max)
	}
	p, err := s.write(c.r.Context(), file, receiveSpec{Max: limit, Store: algo, Claim: claim, Size: -1},
		func() (string, error) { return claim.value, nil })
	if err != nil {
		if ae := asError(err); ae != nil && ae.Code == "EntityTooLarge" && lr.ok {
			return errEntityTooLarge.With(field("ProposedSize", strconv.FormatInt(p.Size, 10)), field("MaxSizeAllowed", strconv.FormatInt(lr.max, 10)))
		}
		return err
	}
	if lr.ok && p.Size < lr.min {
		return errEntityTooSmall.With(field("ProposedSize", strconv.FormatInt(p.Size, 10)), field("MinSizeAllowed", strconv.FormatInt(lr.min, 10)))
	}
	o.Key, o.Size, o.ETag, o.Data = key, p.Size, p.ETag(), p.Data
	o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = algo, p.Checksum, typeFullObject
	stored, err := s.Store.Put(c.r.Context(), c.bucket, o, objstore.Condition{}, s.events(c, &b, "Post"))
	if err != nil {
		return storeError(err, c.bucket, key)
	}
	c.key = key
	loc := s.location(c)
	h := c.w.Header()
	h["Etag"] = []string{quote(stored.ETag)}
	h["Location"] = []string{loc}
	s.newVersionHeader(c, &b, stored.VersionID)
	h["X-Amz-Server-Side-Encryption"] = []string{"AES256"}
	redirect := f.get("success_action_redirect")
	if redirect == "" {
		redirect = f.get("redirect")
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && u.Host != "" {
		q := u.Query()
		q.Set("bucket", c.bucket)
		q.Set("key", key)
		q.Set("etag", quote(stored.ETag))
		u.RawQuery = q.Encode()
		h["Location"] = []string{u.String()}
		c.w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	switch f.get("success_action_status") {
	case "200":
		c.w.WriteHeader(http.StatusOK)
	case "201":
		awsproto.WriteXML(c.w, http.StatusCreated, &postResponse{Location: loc, Bucket: c.bucket, Key: key, ETag: quote(stored.ETag)})
	default:
		c.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}
