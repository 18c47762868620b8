package edge

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/caller"
)

// routeService is a one-route service for the edge's own tests: it answers
// status (0: writes nothing, so net/http sends 200) and, for a REST route, names
// its operation as a REST service does.
type routeService struct {
	op     string
	status int
}

func (s routeService) Handles(*http.Request, string) bool { return true }

func (s routeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.op != "" {
		awsproto.Info(r.Context()).Operation = s.op
	}
	w.Header()["X-Amzn-Requestid"] = []string{"rid-from-service"}
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
}

type observed []caller.Call

func (o *observed) Observe(c *caller.Call) { *o = append(*o, *c) }

func TestCallsFromFunctionsObserved(t *testing.T) {
	id := &caller.Identity{Region: "us-east-1", Function: "f", Version: "$LATEST"}
	for _, tc := range []struct {
		name   string
		svc    routeService
		target string
		fromFn bool
		op     string
		status int
	}{
		{"REST operation named by the service", routeService{op: "GetFunction", status: 404}, "", true, "GetFunction", 404},
		{"awsJson operation from X-Amz-Target", routeService{status: 200}, "Logs_20140328.PutLogEvents", true, "PutLogEvents", 200},
		{"no write means 200", routeService{status: 0}, "", true, "", 200},
		{"a user's own request", routeService{op: "Invoke", status: 200}, "", false, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var obs observed
			e := &Edge{Services: []Service{tc.svc}, Observer: &obs}
			req := httptest.NewRequest("POST", "/x", nil)
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00")
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
			}
			if tc.fromFn {
				req = req.WithContext(caller.With(req.Context(), id))
			}
			e.ServeHTTP(httptest.NewRecorder(), req)
			if !tc.fromFn {
				if len(obs) != 0 {
					t.Fatalf("a request from outside any function was observed: %+v", obs)
				}
				return
			}
			if len(obs) != 1 {
				t.Fatalf("observed %d calls", len(obs))
			}
			c := obs[0]
			if c.Caller != id || c.Operation != tc.op || c.Status != tc.status || c.Service != "lambda" || c.RequestID != "rid-from-service" {
				t.Errorf("observed %+v", c)
			}
		})
	}
}

// Stratus's own endpoints answer the user, not functions: from inside a
// function /_stratus/ is not found and an unsigned GET /metrics is not a scrape.
func TestAdminEndpointsHiddenFromFunctions(t *testing.T) {
	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("admin")) }) //nolint:errcheck
	e := &Edge{Internal: admin, Metrics: admin}
	id := &caller.Identity{Region: "us-east-1", Function: "f", Version: "$LATEST"}
	for _, path := range []string{"/_stratus/usage", "/_stratus/health", "/metrics"} {
		for _, fromFn := range []bool{false, true} {
			req := httptest.NewRequest("GET", path, nil)
			if fromFn {
				req = req.WithContext(caller.With(req.Context(), id))
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if served := rec.Body.String() == "admin"; served == fromFn {
				t.Errorf("GET %s from a function %v: served by the admin handler %v (%d %s)", path, fromFn, served, rec.Code, rec.Body)
			}
		}
	}
}
