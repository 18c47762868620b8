package edge

import (
	"net/http"
	"strings"
)

// App is one kind of user endpoint, reached in one of two forms:
//
//	http://{id}.{Label}[.{region}].localhost:4566/{path}   by Host
//	http://127.0.0.1:4566/_aws/{Label}/{id}/{path}          by path, for clients that cannot set Host
type App struct {
	// Label is the second label of the host name: "execute-api" or "lambda-url".
	Label string
	// Serve answers the request for endpoint id; path is the request's path as the
	// client sent it (escaped), without the path form's prefix, starting with "/".
	Serve func(w http.ResponseWriter, r *http.Request, id, path string)
}

// appPrefix starts every path-form app URL.
const appPrefix = "/_aws/"

// app finds the App a request is for. It costs the Lambda API two string
// comparisons: AWS API requests name no ".localhost" host and no /_aws/ path.
func (e *Edge) app(r *http.Request) (App, string, string, bool) {
	if len(e.Apps) == 0 {
		return App{}, "", "", false
	}
	host := r.Host
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	if strings.HasSuffix(host, ".localhost") {
		labels := strings.Split(strings.TrimSuffix(host, ".localhost"), ".")
		if len(labels) >= 2 {
			for _, a := range e.Apps {
				if labels[1] == a.Label {
					return a, labels[0], r.URL.EscapedPath(), true
				}
			}
		}
		return App{}, "", "", false
	}
	if !strings.HasPrefix(r.URL.Path, appPrefix) {
		return App{}, "", "", false
	}
	rest := strings.TrimPrefix(r.URL.EscapedPath(), appPrefix)
	label, rest, _ := strings.Cut(rest, "/")
	id, path, _ := strings.Cut(rest, "/")
	for _, a := range e.Apps {
		if a.Label == label && id != "" {
			return a, id, "/" + path, true
		}
	}
	return App{}, "", "", false
}
