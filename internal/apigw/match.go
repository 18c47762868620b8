package apigw

import (
	"errors"
	"net/url"
	"strings"
)

// A path template is a route's or resource's path: literal segments, {name}
// variables that match one segment, and a last {name+} that matches the rest.
type segment struct {
	lit    string
	param  string // variable name, when not a literal
	greedy bool
}

var errTemplate = errors.New("apigw: invalid path template")

// parseTemplate reads a path template ("/", "/items/{id}", "/{proxy+}").
func parseTemplate(p string) ([]segment, error) {
	if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") {
		return nil, errTemplate
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil, nil
	}
	parts := strings.Split(p, "/")
	segs := make([]segment, 0, len(parts))
	for i, part := range parts {
		if part == "" {
			return nil, errTemplate
		}
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			name := part[1 : len(part)-1]
			greedy := strings.HasSuffix(name, "+")
			name = strings.TrimSuffix(name, "+")
			if name == "" || strings.ContainsAny(name, "{}+/") || (greedy && i != len(parts)-1) {
				return nil, errTemplate
			}
			segs = append(segs, segment{param: name, greedy: greedy})
			continue
		}
		if strings.ContainsAny(part, "{}") {
			return nil, errTemplate
		}
		segs = append(segs, segment{lit: part})
	}
	return segs, nil
}

// requestSegments splits a request path (escaped form) into segments; a trailing
// slash adds no segment.
func requestSegments(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// matchTemplate matches request segments against a template, returning the
// variables (unescaped) on a match.
func matchTemplate(segs []segment, path []string) (map[string]string, bool) {
	var params map[string]string
	for i, s := range segs {
		if s.greedy {
			if i >= len(path) {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.param] = unescape(strings.Join(path[i:], "/"))
			return params, true
		}
		if i >= len(path) {
			return nil, false
		}
		if s.param == "" {
			if unescape(path[i]) != s.lit {
				return nil, false
			}
			continue
		}
		if params == nil {
			params = map[string]string{}
		}
		params[s.param] = unescape(path[i])
	}
	return params, len(path) == len(segs)
}

// specificity ranks a matching template as API Gateway prefers routes: a full
// literal match before one with variables, variables before a greedy variable,
// then the more literal segments, then the longer template.
func specificity(segs []segment) int {
	score, literals := 0, 0
	greedy, vars := false, false
	for _, s := range segs {
		switch {
		case s.greedy:
			greedy = true
		case s.param != "":
			vars = true
		default:
			literals++
		}
	}
	switch {
	case !greedy && !vars:
		score = 3 << 20
	case !greedy:
		score = 2 << 20
	default:
		score = 1 << 20
	}
	return score + literals<<8 + len(segs)
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

func urlUnescape(s string) (string, error) { return url.PathUnescape(s) }

// routeMethods are the methods an HTTP API route key may name.
var routeMethods = map[string]bool{"ANY": true, "GET": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "HEAD": true, "OPTIONS": true}

// parseRouteKey reads an HTTP API route key: "$default" or "METHOD /path".
func parseRouteKey(k string) (method string, segs []segment, err error) {
	if k == "$default" {
		return "", nil, nil
	}
	method, path, ok := strings.Cut(k, " ")
	if !ok || !routeMethods[method] {
		return "", nil, errTemplate
	}
	segs, err = parseTemplate(path)
	return method, segs, err
}

// candidate is a route or method that may answer a request.
type candidate struct {
	method string // "ANY" or a method
	segs   []segment
	ref    int // the caller's index
}

// selectRoute picks the most specific candidate for method and path, and the
// path's variables: a route naming the method beats ANY at equal specificity.
// It returns ref -1 when none matches.
func selectRoute(cands []candidate, method string, path []string) (int, map[string]string) {
	best, bestScore := -1, -1
	var bestParams map[string]string
	for _, c := range cands {
		if c.method != "ANY" && c.method != method {
			continue
		}
		params, ok := matchTemplate(c.segs, path)
		if !ok {
			continue
		}
		score := specificity(c.segs) << 1
		if c.method != "ANY" {
			score++
		}
		if score > bestScore {
			best, bestScore, bestParams = c.ref, score, params
		}
	}
	return best, bestParams
}
