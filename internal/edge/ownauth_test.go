package edge

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
)

// fakeService answers 200 for the paths under its prefix.
type fakeService struct {
	prefix  string
	ownAuth bool
}

func (f *fakeService) Handles(r *http.Request, _ string) bool {
	return strings.HasPrefix(r.URL.Path, f.prefix)
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

func (f *fakeService) TakesUnsigned(*http.Request) bool { return f.ownAuth }

// ownAuthService also takes its own credential scheme.
type ownAuthService struct{ fakeService }

func (*ownAuthService) TakesOwnAuth(*http.Request) bool { return true }

// TestOtherSchemeLeftToOwnAuth checks that with SigV4 verified, a Basic
// Authorization header reaches only a service that checks such credentials
// itself, and that a malformed SigV4 header is refused even there.
func TestOtherSchemeLeftToOwnAuth(t *testing.T) {
	e := &Edge{
		Verifier: &sigv4.Verifier{Secret: func(string) (string, bool) { return "", false }},
		Services: []Service{&ownAuthService{fakeService{prefix: "/v2/", ownAuth: true}}, &fakeService{prefix: "/s3/", ownAuth: true}},
	}
	cases := []struct {
		path, auth string
		want       int
	}{
		{"/v2/", "Basic QVdTOnRva2Vu", http.StatusOK},
		{"/v2/", "", http.StatusOK}, // unsigned, taken as before
		{"/v2/", "AWS4-HMAC-SHA256 Credential=x", http.StatusForbidden},
		{"/v2/?X-Amz-Algorithm=AWS4-HMAC-SHA256", "Basic QVdTOnRva2Vu", http.StatusForbidden},
		// A service that takes unsigned requests but not other schemes.
		{"/s3/", "Basic QVdTOnRva2Vu", http.StatusForbidden},
		{"/s3/", "AWS AKID:sig", http.StatusForbidden},
		{"/s3/", "", http.StatusOK},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, c.path, nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s %q: %d, want %d (%s)", c.path, c.auth, w.Code, c.want, w.Body)
		}
	}
}
