package lambda

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDecodeAlias: CreateAlias, UpdateAlias and PublishVersion bodies go through
// decodeBody and the alias validators, never panicking, answering nil or an
// AWS-shaped caller's error; an accepted alias is one Lambda would take.
func FuzzDecodeAlias(f *testing.F) {
	for _, b := range []string{
		`{"Name":"live","FunctionVersion":"1","Description":"d","RoutingConfig":{"AdditionalVersionWeights":{"2":0.3}}}`,
		`{"Name":"123","FunctionVersion":"$LATEST"}`, `{"Name":"a b","FunctionVersion":"x"}`,
		`{"Name":"live","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":1.5,"x":-1}}}`,
		`{"RoutingConfig":{"AdditionalVersionWeights":{"2":"heavy"}}}`, `{"RoutingConfig":{"AdditionalVersionWeights":null}}`,
		`{"RevisionId":"r","FunctionVersion":null}`, `{"CodeSha256":"abc","Description":"v","RevisionId":"x"}`,
		`{}`, `null`, `[]`, ``, `{`, "\xff",
	} {
		f.Add([]byte(b))
	}
	req := func(body []byte) *http.Request {
		return httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/fn/aliases", bytes.NewReader(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in aliasInput
		err := decodeBody(req(body), 1<<16, "CreateAlias", &in)
		if err != nil {
			checkAWSError(t, err)
		} else if err := validateAliasInput(in); err != nil {
			checkAWSError(t, err)
		} else {
			if in.Name != nil && (!reFunctionName.MatchString(*in.Name) || allDigits(*in.Name) || len(*in.Name) > 128) {
				t.Fatalf("alias name %q accepted", *in.Name)
			}
			if in.RoutingConfig != nil {
				for k, w := range in.RoutingConfig.AdditionalVersionWeights {
					if !allDigits(k) || w < 0 || w > 1 {
						t.Fatalf("weight %q=%v accepted", k, w)
					}
				}
			}
		}
		if err := decodeBody(req(body), 1<<16, "PublishVersion", &publishInput{}); err != nil {
			checkAWSError(t, err)
		}
	})
}

// FuzzListParams: the Marker and MaxItems of the version and alias listings are
// either read back exactly or refused with an AWS-shaped error.
func FuzzListParams(f *testing.F) {
	for _, s := range [][2]string{{"", ""}, {encodeMarker("v:", "3"), "2"}, {encodeMarker("al:", "live"), "10000"},
		{"not-a-marker!", "0"}, {"djo", "10001"}, {"YWw6", "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, marker, max string) {
		for _, tag := range []string{"v:", "al:"} {
			got, err := decodeMarker(marker, tag)
			if err != nil {
				checkAWSError(t, err)
			} else if marker != "" && encodeMarker(tag, got) != marker {
				t.Fatalf("marker %q read as %q", marker, got)
			}
		}
		n, err := maxItems(max)
		if err != nil {
			checkAWSError(t, err)
		} else if n < 1 || n > 10000 {
			t.Fatalf("MaxItems %q read as %d", max, n)
		}
	})
}
