package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/stratus-run/stratus/internal/awsproto"
)

const (
	testKey    = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
	lambdaARN  = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn"
)

// signTime is when every test request is signed; tests verify a minute later
// unless they are about time.
var signTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func testSecrets(key string) (string, bool) {
	if key == testKey {
		return testSecret, true
	}
	return "", false
}

func verifierAt(now time.Time) *Verifier {
	return &Verifier{Secret: testSecrets, Now: func() time.Time { return now }}
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signed describes a request and how aws-sdk-go-v2's signer signs it.
type signed struct {
	method  string
	target  string // path and query, as sent
	body    string
	header  http.Header
	payload string // the payload hash handed to the signer; "" means the body's
	service string // "" means lambda
	presign bool
	expires int // X-Amz-Expires for presigned URLs; 0 leaves it out
	key     string
	secret  string
	at      time.Time
	s3Path  bool // sign the path as sent, as the S3 client does
}

// build returns the request addressed to base ("http://host[:port]"), signed.
func (s signed) build(t testing.TB, base string) *http.Request {
	t.Helper()
	method, service, key, secret, at := s.method, s.service, s.key, s.secret, s.at
	if method == "" {
		method = http.MethodGet
	}
	if service == "" {
		service = "lambda"
	}
	if key == "" {
		key = testKey
	}
	if secret == "" {
		secret = testSecret
	}
	if at.IsZero() {
		at = signTime
	}
	payload := s.payload
	if payload == "" {
		payload = hashOf(s.body)
	}
	target := s.target
	if s.expires != 0 {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "X-Amz-Expires=" + strconv.Itoa(s.expires)
	}
	newReq := func(url string) *http.Request {
		var body io.Reader
		if s.body != "" {
			body = strings.NewReader(s.body)
		}
		r, err := http.NewRequest(method, url, body)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := newReq(base + target)
	for k, vs := range s.header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	opt := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s.s3Path }
	signer := v4.NewSigner()
	if !s.presign {
		if err := signer.SignHTTP(context.Background(), creds, r, payload, service, testRegion, at, opt); err != nil {
			t.Fatal(err)
		}
		return r
	}
	url, headers, err := signer.PresignHTTP(context.Background(), creds, r, payload, service, testRegion, at, opt)
	if err != nil {
		t.Fatal(err)
	}
	p := newReq(url)
	for k, vs := range headers {
		if k != "Host" {
			p.Header[k] = vs
		}
	}
	return p
}

// The cases aws-sdk-go-v2 signs that must verify.
var goodRequests = []struct {
	name string
	req  signed
}{
	{"list functions", signed{target: "/2015-03-31/functions/"}},
	{"ARN in path", signed{target: "/2017-03-31/tags/" + lambdaARN}},
	{"ARN in path with query", signed{target: "/2015-03-31/functions/" + lambdaARN + "/configuration?Qualifier=%24LATEST"}},
	{"odd query", signed{target: "/2015-03-31/functions/?Marker=a%2Fb&Marker=a-b&Marker=A&MaxItems=10&empty=&flag&sp=a%20b&plus=a+b&lit=a%2Bb&uni=%C3%A9&star=*&tilde=~x&eq=a%3Db&amp=%26"}},
	{"body", signed{method: http.MethodPost, target: "/2015-03-31/functions/my-fn/invocations",
		body: `{"hello": "world"}`, header: http.Header{"Content-Type": {"application/json"}}}},
	{"signed content sha256", signed{method: http.MethodPost, target: "/2015-03-31/functions/my-fn/invocations",
		body: `{"a":1}`, header: http.Header{"X-Amz-Content-Sha256": {hashOf(`{"a":1}`)}}}},
	{"unsigned payload", signed{method: http.MethodPost, target: "/2015-03-31/functions/my-fn/invocations",
		body: `{"a":1}`, payload: unsigned, header: http.Header{"X-Amz-Content-Sha256": {unsigned}}}},
	{"streaming seed", signed{method: http.MethodPut, target: "/bucket/key", service: "s3", s3Path: true,
		body: "0;chunk-signature=x\r\n\r\n", payload: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
		header: http.Header{"X-Amz-Content-Sha256": {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}}}},
	{"messy headers", signed{target: "/2015-03-31/functions/", header: http.Header{
		"X-Custom": {"  a   b  c "}, "X-Multi": {"one", "two  three"}, "Content-Type": {"application/x-amz-json-1.1"}}}},
	{"dot segments", signed{target: "/2015-03-31/functions/x/../y/./z"}},
	{"s3 path signed once", signed{method: http.MethodPut, target: "/my-bucket/dir/a%20b%3Ac.txt?x-id=PutObject",
		service: "s3", s3Path: true, body: "hello", header: http.Header{"X-Amz-Content-Sha256": {hashOf("hello")}}}},
	{"presigned", signed{target: "/2015-03-31/functions/?MaxItems=5", presign: true, expires: 300, payload: unsigned}},
	{"presigned ARN", signed{target: "/2017-03-31/tags/" + lambdaARN, presign: true, expires: 60, payload: unsigned}},
	{"presigned empty-body hash", signed{target: "/?Action=GetCallerIdentity&Version=2011-06-15", service: "sts",
		presign: true, expires: 900}},
	{"presigned without expires", signed{target: "/2015-03-31/functions/", presign: true, payload: unsigned}},
	{"presigned signed content sha256", signed{method: http.MethodPut, target: "/b/k", service: "s3", s3Path: true,
		presign: true, expires: 3600, body: "data", header: http.Header{"X-Amz-Content-Sha256": {hashOf("data")}}}},
	{"presigned s3 upload", signed{method: http.MethodPut, target: "/b/k%20k", service: "s3", s3Path: true,
		presign: true, expires: 604800, payload: unsigned, body: "data"}},
}

func TestVerifySDKSigned(t *testing.T) {
	v := verifierAt(signTime.Add(time.Minute))
	for _, tc := range goodRequests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req.build(t, "http://lambda.us-east-1.amazonaws.com")
			id, err := v.Verify(r)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			service := tc.req.service
			if service == "" {
				service = "lambda"
			}
			want := Identity{AccessKeyID: testKey, Date: "20240101", Region: testRegion, Service: service}
			if id != want {
				t.Errorf("Identity = %+v, want %+v", id, want)
			}
			if scope, ok := Scope(r); !ok || scope != want {
				t.Errorf("Scope = %+v, %v; want %+v", scope, ok, want)
			}
			// The handler must still read the body that was signed.
			if r.Body != nil {
				b, err := io.ReadAll(r.Body)
				if err != nil || string(b) != tc.req.body {
					t.Errorf("body after Verify = %q, %v; want %q", b, err, tc.req.body)
				}
			}
		})
	}
}

// TestVerifyOverTheWire sends the same requests through Go's client and server, so
// the path, query and headers are the ones that crossed the network.
func TestVerifyOverTheWire(t *testing.T) {
	srv := httptest.NewServer(verifyingHandler(verifierAt(signTime.Add(time.Minute)), nil))
	defer srv.Close()
	for _, tc := range goodRequests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := srv.Client().Do(tc.req.build(t, srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("X-Body-Sha256"); got != hashOf(tc.req.body) {
				t.Errorf("handler read a body hashing to %s, want %s", got, hashOf(tc.req.body))
			}
		})
	}
}

// verifyingHandler verifies each request, rendering failures as Lambda does, then
// calls next (or echoes the body's hash).
func verifyingHandler(v *Verifier, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.Verify(r); err != nil {
			renderLambda(w, err)
			return
		}
		if next != nil {
			next(w, r)
			return
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			renderLambda(w, err)
			return
		}
		w.Header().Set("X-Body-Sha256", hashOf(string(b)))
		w.Write([]byte("{}"))
	}
}

// renderLambda writes err the way Lambda's REST-JSON protocol does.
func renderLambda(w http.ResponseWriter, err error) {
	e := awsproto.As(err)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	kind := "User"
	if e.Server {
		kind = "Service"
	}
	json.NewEncoder(w).Encode(map[string]string{"Type": kind, "Message": e.Message})
}

// raw returns an unsigned request with the given headers.
func raw(t *testing.T, target string, header map[string]string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, "http://lambda.us-east-1.amazonaws.com"+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return r
}

func TestVerifyFailures(t *testing.T) {
	const (
		invalidSig = "InvalidSignatureException"
		incomplete = "IncompleteSignatureException"
		mismatch   = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
		goodCred   = "AKIDEXAMPLE/20240101/us-east-1/lambda/aws4_request"
		amzDate    = "20240101T000000Z"
	)
	post := signed{method: http.MethodPost, target: "/2015-03-31/functions/f/invocations?Qualifier=1",
		body: `{"a":1}`, header: http.Header{"Content-Type": {"application/json"}}}
	withSHA := post
	withSHA.header = http.Header{"X-Amz-Content-Sha256": {hashOf(post.body)}}
	build := func(s signed, mutate func(*http.Request)) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := s.build(t, "http://lambda.us-east-1.amazonaws.com")
			if mutate != nil {
				mutate(r)
			}
			return r
		}
	}
	setBody := func(b string) func(*http.Request) {
		return func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader(b)) }
	}
	setAuth := func(a string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", a) }
	}
	later := signed{target: "/", at: signTime.Add(30 * time.Minute)}

	tests := []struct {
		name    string
		req     func(*testing.T) *http.Request
		now     time.Time // zero: a minute after signTime
		failure Failure
		code    string
		message string // "" skips the check
	}{
		{"wrong secret", build(signed{target: "/", secret: "not-the-secret"}, nil), time.Time{}, BadSignature, invalidSig, mismatch},
		{"unknown key", build(signed{target: "/", key: "AKIDUNKNOWN"}, nil), time.Time{}, UnknownKey,
			"UnrecognizedClientException", "The security token included in the request is invalid."},
		{"tampered body", build(post, setBody(`{"a":2}`)), time.Time{}, BadSignature, invalidSig, mismatch},
		{"tampered body under signed sha256", build(withSHA, setBody(`{"a":2}`)), time.Time{}, BadSignature, invalidSig, mismatch},
		{"tampered header", build(post, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }), time.Time{}, BadSignature, invalidSig, mismatch},
		{"tampered query", build(post, func(r *http.Request) { r.URL.RawQuery = "Qualifier=2" }), time.Time{}, BadSignature, invalidSig, mismatch},
		{"added query", build(post, func(r *http.Request) { r.URL.RawQuery += "&x=1" }), time.Time{}, BadSignature, invalidSig, mismatch},
		{"tampered path", build(post, func(r *http.Request) { r.URL.Path = "/2015-03-31/functions/g/invocations" }), time.Time{}, BadSignature, invalidSig, mismatch},
		{"tampered method", build(post, func(r *http.Request) { r.Method = http.MethodPut }), time.Time{}, BadSignature, invalidSig, mismatch},
		{"tampered host", build(post, func(r *http.Request) { r.Host = "evil.example.com" }), time.Time{}, BadSignature, invalidSig, mismatch},
		{"tampered presigned query", build(signed{target: "/?a=1", presign: true, expires: 60, payload: unsigned},
			func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "a=1", "a=2", 1) }), time.Time{}, BadSignature, invalidSig, mismatch},
		{"missing auth", func(t *testing.T) *http.Request { return raw(t, "/2015-03-31/functions/", nil) }, time.Time{}, Missing,
			"MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"missing signature", func(t *testing.T) *http.Request {
			return raw(t, "/", map[string]string{"X-Amz-Date": amzDate,
				"Authorization": "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host;x-amz-date"})
		}, time.Time{}, Incomplete, incomplete,
			"Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host;x-amz-date"},
		{"SigV2 header", func(t *testing.T) *http.Request {
			return raw(t, "/", map[string]string{"Date": "Mon, 01 Jan 2024 00:00:00 GMT", "Authorization": "AWS AKIDEXAMPLE:c2lnbmF0dXJl"})
		}, time.Time{}, Incomplete, incomplete,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS AKIDEXAMPLE:c2lnbmF0dXJl"},
		{"no date", build(signed{target: "/"}, func(r *http.Request) { r.Header.Del("X-Amz-Date") }), time.Time{}, Incomplete, incomplete, ""},
		{"missing equal sign", func(t *testing.T) *http.Request {
			return raw(t, "/", map[string]string{"X-Amz-Date": amzDate,
				"Authorization": "AWS4-HMAC-SHA256 Credential= " + goodCred + ", SignedHeaders=host, Signature=abc"})
		}, time.Time{}, Incomplete, incomplete,
			"'" + goodCred + "' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= " + goodCred + ", SignedHeaders=host, Signature=abc'"},
		{"short credential", build(signed{target: "/"}, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/", 1))
		}), time.Time{}, Incomplete, incomplete,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20240101/lambda/aws4_request'"},
		{"bad terminator", build(signed{target: "/"}, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "aws4_request", "aws4_reqest", 1))
		}), time.Time{}, Incomplete, incomplete, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'."},
		{"bad date format", build(signed{target: "/"}, func(r *http.Request) { r.Header.Set("X-Amz-Date", "2024-01-01T00:00:00Z") }),
			time.Time{}, Incomplete, incomplete, "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"scope date differs", build(signed{target: "/"}, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20240101/", "/20231231/", 1))
		}), time.Time{}, BadSignature, invalidSig,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20231231' != '20240101', from '20240101T000000Z'."},
		{"host unsigned", func(t *testing.T) *http.Request {
			return raw(t, "/", map[string]string{"X-Amz-Date": amzDate,
				"Authorization": "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=x-amz-date, Signature=abc"})
		}, time.Time{}, BadSignature, invalidSig, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"header and query", build(signed{target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256"}, nil), time.Time{}, BadSignature, invalidSig,
			"Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."},
		{"skew, too old", build(signed{target: "/"}, nil), signTime.Add(30 * time.Minute), Expired, invalidSig,
			"Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z (20240101T003000Z - 15 min.)"},
		{"skew, too new", build(later, nil), signTime, Expired, invalidSig,
			"Signature expired: 20240101T003000Z is now later than 20240101T001500Z (20240101T000000Z + 15 min.)"},
		{"skew just inside", build(signed{target: "/", secret: "wrong"}, nil), signTime.Add(15 * time.Minute), BadSignature, invalidSig, mismatch},
		{"skew on Date header", func(t *testing.T) *http.Request {
			return raw(t, "/", map[string]string{"Date": "Mon, 01 Jan 2024 00:00:00 GMT",
				"Authorization": "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=date;host, Signature=abc"})
		}, signTime.Add(-20 * time.Minute), Expired, invalidSig,
			"Signature expired: 20240101T000000Z is now later than 20231231T235500Z (20231231T234000Z + 15 min.)"},
		{"presigned expired", build(signed{target: "/", presign: true, expires: 90, payload: unsigned}, nil),
			signTime.Add(2 * time.Minute), Expired, invalidSig,
			"Signature expired: 20240101T000000Z is now earlier than 20240101T000030Z (20240101T000200Z - 90 sec.)"},
		{"presigned expired, minutes", build(signed{target: "/", presign: true, expires: 300, payload: unsigned}, nil),
			signTime.Add(6 * time.Minute), Expired, invalidSig,
			"Signature expired: 20240101T000000Z is now earlier than 20240101T000100Z (20240101T000600Z - 5 min.)"},
		{"presigned from the future", build(signed{target: "/", presign: true, expires: 300, payload: unsigned, at: signTime.Add(time.Hour)}, nil),
			signTime, Expired, invalidSig, ""},
		{"presigned expires 0", build(signed{target: "/?X-Amz-Expires=0", presign: true, payload: unsigned}, nil), time.Time{}, Incomplete, incomplete, ""},
		{"presigned expires > week", build(signed{target: "/", presign: true, expires: 604801, payload: unsigned}, nil), time.Time{}, Incomplete, incomplete,
			"X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{"presigned expires not a number", build(signed{target: "/?X-Amz-Expires=soon", presign: true, payload: unsigned}, nil), time.Time{}, Incomplete, incomplete,
			"X-Amz-Expires should be a number"},
		{"presigned expires negative", build(signed{target: "/?X-Amz-Expires=-5", presign: true, payload: unsigned}, nil), time.Time{}, Incomplete, incomplete,
			"X-Amz-Expires must be non-negative"},
		{"presigned missing parts", func(t *testing.T) *http.Request {
			return raw(t, "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+goodCred, nil)
		}, time.Time{}, Incomplete, incomplete,
			"AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."},
		{"presigned wrong secret", build(signed{target: "/", presign: true, expires: 60, payload: unsigned, secret: "x"}, nil), time.Time{}, BadSignature, invalidSig, mismatch},
		{"empty authorization parts", build(signed{target: "/"}, setAuth("AWS4-HMAC-SHA256 ")), time.Time{}, Incomplete, incomplete, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = signTime.Add(time.Minute)
			}
			_, err := verifierAt(now).Verify(tc.req(t))
			if !errors.Is(err, tc.failure) {
				t.Fatalf("Verify error = %v, want failure %v", err, tc.failure)
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *VerifyError", err)
			}
			e := awsproto.As(err)
			if e.Code != tc.code || e.Status != http.StatusForbidden {
				t.Errorf("got %d %s, want 403 %s", e.Status, e.Code, tc.code)
			}
			if tc.message != "" && e.Message != tc.message {
				t.Errorf("message:\n got %s\nwant %s", e.Message, tc.message)
			}
			if !errors.Is(err, &awsproto.Error{Code: tc.code}) {
				t.Errorf("errors.Is does not see %s through the VerifyError", tc.code)
			}
		})
	}
}

// An S3 body is checked against its signed hash as the handler reads it, since S3
// bodies are not buffered.
func TestVerifyS3PayloadCheckedOnRead(t *testing.T) {
	s := signed{method: http.MethodPut, target: "/bucket/key", service: "s3", s3Path: true,
		body: "hello", header: http.Header{"X-Amz-Content-Sha256": {hashOf("hello")}}}
	v := verifierAt(signTime.Add(time.Minute))

	r := s.build(t, "http://s3.amazonaws.com")
	if _, err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(r.Body); err != nil || string(b) != "hello" {
		t.Fatalf("honest body: %q, %v", b, err)
	}

	r = s.build(t, "http://s3.amazonaws.com")
	r.Body = io.NopCloser(strings.NewReader("HELLO"))
	if _, err := v.Verify(r); err != nil {
		t.Fatalf("Verify does not read S3 bodies, so should pass: %v", err)
	}
	_, err := io.ReadAll(r.Body)
	if !errors.Is(err, PayloadMismatch) {
		t.Fatalf("reading a tampered body: %v, want PayloadMismatch", err)
	}
	if e := awsproto.As(err); e.Code != "XAmzContentSHA256Mismatch" || e.Status != http.StatusBadRequest {
		t.Errorf("got %d %s", e.Status, e.Code)
	}
}

func TestScopeUnsigned(t *testing.T) {
	if id, ok := Scope(raw(t, "/", nil)); ok {
		t.Errorf("Scope of an unsigned request = %+v, true", id)
	}
	r := raw(t, "/", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=x"})
	if id, ok := Scope(r); !ok || id != (Identity{"AKID", "20240101", "eu-west-1", "sqs"}) {
		t.Errorf("Scope = %+v, %v", id, ok)
	}
}

func TestFailureNames(t *testing.T) {
	for f := Missing; f <= PayloadMismatch; f++ {
		if s := f.String(); s == "" || strings.HasPrefix(s, "Failure(") {
			t.Errorf("Failure %d has no name", int(f))
		}
	}
	if Failure(99).String() != "Failure(99)" {
		t.Errorf("unknown Failure = %q", Failure(99).String())
	}
}
