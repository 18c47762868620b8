package lambda

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The fuzz targets below drive the Lambda API's request decoders with arbitrary
// input. None may panic, and every refusal must be an *awsproto.Error a client
// can act on: a code, a message, a 4xx status, rendered as AWS renders it.
//
//	go test ./internal/lambda -run '^$' -fuzz FuzzParseFunctionRef -fuzztime 30s

// checkAWSError fails t unless err is a caller's error in AWS's shape.
func checkAWSError(t *testing.T, err error) {
	t.Helper()
	var ae *awsproto.Error
	if !errors.As(err, &ae) {
		t.Fatalf("not an *awsproto.Error (renders as ServiceException): %T %v", err, err)
	}
	if ae.Code == "" || ae.Message == "" || ae.Status < 400 || ae.Status > 499 || ae.Server {
		t.Fatalf("bad error %+v", ae)
	}
	rec := httptest.NewRecorder()
	awsproto.WriteRESTJSONError(rec, err)
	var body struct{ Type, Message string }
	if rec.Code != ae.Status || rec.Header().Get("X-Amzn-ErrorType") != ae.Code ||
		json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Type != "User" || body.Message == "" {
		t.Fatalf("rendered as %d %q: %s", rec.Code, rec.Header().Get("X-Amzn-ErrorType"), rec.Body.Bytes())
	}
}

func fuzzService() *Service { return &Service{Account: "000000000000"} }

var (
	reValidName      = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,64}$`)
	reValidQualifier = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9-_]+)$`)
)

// FuzzParseFunctionRef: anything the FunctionName parser accepts is a valid
// function name (at most 64 of [a-zA-Z0-9-_]) and a valid qualifier, and the
// name's canonical forms (name, partial ARN, ARN, qualified ARN) parse back to it.
func FuzzParseFunctionRef(f *testing.F) {
	for _, s := range []string{
		"victim", "victim:$LATEST", "victim:1", "victim:live-alias", "function:victim",
		"000000000000:function:victim", "000000000000:victim", "us-east-1:victim",
		"arn:aws:lambda:us-east-1:000000000000:function:victim",
		"arn:aws:lambda:us-east-1:000000000000:function:victim:$LATEST",
		"arn:aws-us-gov:lambda:us-gov-west-1:000000000000:function:f",
		"arn:aws-iso-b:lambda:us-isob-east-1:000000000000:function:f",
		"arn:aws:lambda:eu-west-1:000000000000:function:victim",
		"arn:aws:lambda:us-east-1:111111111111:function:victim",
		"arn:aws:lambda:us-east-1:123400000000@function:myfn",
		"invalid:function:name", "my.fn", "vic/tim", "vic tim", "", ":", "::", "a:b:c",
		strings.Repeat("a", 64), strings.Repeat("a", 65), "arn:aws:lambda:us-east-1:000000000000:function:" + strings.Repeat("b", 130),
		"123456789012", "123456789012:x", "ab-cd-1:x", "$LATEST", "victim:", "victim:$latest", "ünïcode",
	} {
		f.Add(s)
	}
	s := fuzzService()
	f.Fuzz(func(t *testing.T, ref string) {
		name, qualifier, err := s.parseFunctionRef(ref, "us-east-1", "functionName", 170)
		if err != nil {
			checkAWSError(t, err)
			return
		}
		if !reValidName.MatchString(name) {
			t.Fatalf("%q accepted with name %q", ref, name)
		}
		if qualifier != "" && !reValidQualifier.MatchString(qualifier) {
			t.Fatalf("%q accepted with qualifier %q", ref, qualifier)
		}
		if err := checkCreateName(name); err != nil {
			t.Fatalf("accepted name %q refused by CreateFunction: %v", name, err)
		}
		arn := s.arn("us-east-1", name)
		for _, form := range []string{name, "000000000000:function:" + name, arn} {
			n, q, err := s.parseFunctionRef(form, "us-east-1", "functionName", 170)
			if err != nil || n != name || q != "" {
				t.Fatalf("%q (from %q) parsed as %q %q %v", form, ref, n, q, err)
			}
		}
		if qualifier != "" {
			n, q, err := s.parseFunctionRef(arn+":"+qualifier, "us-east-1", "functionName", 170)
			if err != nil || n != name || q != qualifier {
				t.Fatalf("%q parsed as %q %q %v", arn+":"+qualifier, n, q, err)
			}
		}
	})
}

// FuzzDecodeCreate: a request body goes through decodeBody and the validators
// CreateFunction runs (and the other operations' decoders), never panicking, each
// answering nil or an AWS-shaped caller's error.
func FuzzDecodeCreate(f *testing.F) {
	for _, b := range []string{
		`{"FunctionName":"fn","Runtime":"provided.al2023","Handler":"bootstrap","Role":"arn:aws:iam::000000000000:role/r","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`,
		`{"FunctionName":"arn:aws:lambda:us-east-1:000000000000:function:fn","Runtime":"python3.7","Handler":"h","Role":"r1","Code":{},` +
			`"Timeout":0,"MemorySize":10241,"EphemeralStorage":{"Size":511},"Architectures":["x86_64","arm64"],"TracingConfig":{"Mode":"x"},` +
			`"Environment":{"Variables":{"AWS_REGION":"x","1BAD":"y"}},"Tags":{"aws:x":"y"},"Layers":["l"],"PackageType":"Image"}`,
		`{"Environment":{"Variables":{"BIG":"` + strings.Repeat("x", 4100) + `"}}}`,
		`{"Description":"` + strings.Repeat("d", 257) + `","Handler":"a b"}`,
		`{"MemorySize":"abc"}`, `{"Timeout":1e100}`, `{"Tags":["a"]}`, `{"Code":{"ZipFile":"!!!"}}`,
		`{"ReservedConcurrentExecutions":-1}`, `{"RevisionId":null,"DryRun":true}`,
		`{}`, `null`, `[]`, `"s"`, `1`, ``, `{`, `{"a":1} x`, "\xff\xfe",
	} {
		f.Add([]byte(b))
	}
	s := fuzzService()
	check := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			checkAWSError(t, err)
		}
	}
	req := func(body []byte) *http.Request {
		return httptest.NewRequest(http.MethodPost, "/2015-03-31/functions", bytes.NewReader(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in createInput
		err := decodeBody(req(body), maxCodeRequest, "CreateFunction", &in)
		check(t, err)
		if err == nil {
			check(t, validateConfig(configFields{Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, Description: in.Description,
				Timeout: in.Timeout, MemorySize: in.MemorySize, Environment: in.Environment, TracingConfig: in.TracingConfig,
				EphemeralStorage: in.EphemeralStorage, Layers: in.Layers}))
			if in.Environment != nil {
				check(t, validateEnv(in.Environment.Variables))
			}
			arch, err := validateArchitectures(in.Architectures)
			check(t, err)
			if err == nil && arch != "x86_64" && arch != "arm64" {
				t.Fatalf("architecture %q accepted", arch)
			}
			check(t, validateTags(in.Tags))
			if in.FunctionName != nil {
				check(t, checkCreateName(*in.FunctionName))
				_, _, err := s.parseFunctionRef(*in.FunctionName, "us-east-1", "functionName", 140)
				check(t, err)
			}
		}
		// The other operations' bodies.
		check(t, decodeBody(req(body), 5120, "UpdateFunctionConfiguration", &updateConfigInput{}))
		check(t, decodeBody(req(body), maxCodeRequest, "UpdateFunctionCode", &updateCodeInput{}))
		check(t, decodeBody(req(body), 1<<16, "PutFunctionConcurrency", &putConcurrencyInput{}))
		check(t, decodeBody(req(body), 1<<16, "TagResource", &tagResourceInput{}))
	})
}

// FuzzRoute: any method and path gets exactly one of a handler or an
// UnknownOperationException, and a handler only for a path of its route.
func FuzzRoute(f *testing.F) {
	for _, s := range [][2]string{
		{"POST", "/2015-03-31/functions"}, {"GET", "/2015-03-31/functions/"}, {"GET", "/2015-03-31/functions/fn"},
		{"DELETE", "/2015-03-31/functions/fn"}, {"GET", "/2015-03-31/functions/fn/configuration"},
		{"PUT", "/2015-03-31/functions/fn/configuration"}, {"PUT", "/2015-03-31/functions/fn/code"},
		{"POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Afn/invocations"},
		{"PUT", "/2017-10-31/functions/fn/concurrency"}, {"DELETE", "/2017-10-31/functions/fn/concurrency"},
		{"GET", "/2019-09-30/functions/fn/concurrency"}, {"GET", "/2016-08-19/account-settings"},
		{"POST", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Afn"},
		{"GET", "/2015-03-31/functionsfn"}, {"GET", "/2015-03-31/functions//"}, {"GET", "/2015-03-31/functions/%zz"},
		{"GET", "/2015-03-31/functions/a/b/c"}, {"PATCH", "/2015-03-31/functions/fn"}, {"GET", "/2017-10-31/functions/"},
		{"GET", "/2017-03-31/tags/"}, {"", ""}, {"GET", "/"}, {"GET", "/2019-09-30/functions/fn/concurrencyx"},
		{"POST", "/2015-03-31/functions/fn/versions"}, {"GET", "/2015-03-31/functions/fn/versions"},
		{"POST", "/2015-03-31/functions/fn/aliases"}, {"GET", "/2015-03-31/functions/fn/aliases/"},
		{"PUT", "/2015-03-31/functions/fn/aliases/live"}, {"DELETE", "/2015-03-31/functions/fn/aliases/a%2Fb"},
		{"GET", "/2015-03-31/functions/fn/aliases/live/x"}, {"GET", "/2015-03-31/functions/fn/aliases/%zz"},
		{"GET", "/2017-10-31/functions/fn/aliases/live"},
	} {
		f.Add(s[0], s[1])
	}
	s := fuzzService()
	f.Fuzz(func(t *testing.T, method, path string) {
		o, p, err := s.route(method, path)
		if (o.h == nil) == (err == nil) {
			t.Fatalf("%s %q: handler %v, error %v", method, path, o.h != nil, err)
		}
		if err == nil && o.name == "" {
			t.Fatalf("%s %q: routed to an operation without a name", method, path)
		}
		if err != nil {
			checkAWSError(t, err)
			if ae := awsproto.As(err); ae.Code != "UnknownOperationException" {
				t.Fatalf("%s %q: %v", method, path, err)
			}
			return
		}
		trimmed := strings.TrimSuffix(path, "/")
		switch {
		case p.function != "":
			if !strings.Contains(trimmed, "/functions/") {
				t.Fatalf("%s %q routed with function %q", method, path, p.function)
			}
		case p.resource != "":
			if !strings.HasPrefix(trimmed, "/2017-03-31/tags/") {
				t.Fatalf("%s %q routed with resource %q", method, path, p.resource)
			}
		case trimmed != "/2015-03-31/functions" && trimmed != "/2016-08-19/account-settings":
			t.Fatalf("%s %q routed without a function or resource", method, path)
		}
	})
}

// FuzzHandlers drives the handlers that decode input and then look the function
// up (which, on this empty service, never finds one) with arbitrary names, query
// strings, Invoke headers and bodies: each must refuse with an AWS-shaped error.
func FuzzHandlers(f *testing.F) {
	for op := range 20 {
		f.Add(uint8(op), "victim", "Qualifier=$LATEST", "RequestResponse|Tail|eyJjdXN0b20iOnt9fQ==", []byte(`{"Timeout":5}`))
	}
	f.Add(uint8(0), "arn:aws:lambda:eu-west-1:000000000000:function:fn", "Qualifier=bad%20qual", "Later|Verbose|not base64", []byte(`{not json`))
	f.Add(uint8(7), "arn:aws:lambda:us-east-1:000000000000:function:fn:1", "tagKeys=a&tagKeys=b", "", []byte(`{"Tags":{}}`))
	f.Add(uint8(9), "", "MaxItems=0&Marker=Zm46eA&FunctionVersion=ALL", "DryRun||", []byte(`null`))
	s := fuzzService()
	f.Fuzz(func(t *testing.T, op uint8, ref, query, headers string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.URL.RawQuery = query
		h := strings.SplitN(headers, "|", 3)
		for i, name := range []string{"X-Amz-Invocation-Type", "X-Amz-Log-Type", "X-Amz-Client-Context"} {
			if i < len(h) {
				r.Header[name] = []string{h[i]}
			}
		}
		handlers := []handlerFunc{s.invoke, s.getFunction, s.getFunctionConfiguration, s.deleteFunction,
			s.updateFunctionCode, s.updateFunctionConfiguration, s.putFunctionConcurrency, s.tagResource,
			s.untagResource, s.listTags, s.getFunctionConcurrency, s.deleteFunctionConcurrency,
			s.publishVersion, s.listVersionsByFunction, s.createAlias, s.listAliases, s.getAlias, s.updateAlias,
			s.deleteAlias, s.listFunctions}
		rec := httptest.NewRecorder()
		err := handlers[int(op)%len(handlers)](rec, r, params{function: ref, resource: ref, alias: ref})
		if err != nil {
			checkAWSError(t, err)
			return
		}
		// Only ListFunctions can succeed on an empty service.
		var out struct{ Functions []json.RawMessage }
		if int(op)%len(handlers) != len(handlers)-1 || rec.Code != http.StatusOK ||
			json.Unmarshal(rec.Body.Bytes(), &out) != nil || out.Functions == nil || len(out.Functions) != 0 {
			t.Fatalf("op %d answered %d %s", op, rec.Code, rec.Body.Bytes())
		}
	})
}
