// Package caller carries the identity of the execution environment an AWS API
// request came from. The invoke engine serves the AWS endpoint to each environment
// on a listener of that environment's own and puts its Identity in the context of
// every connection accepted there, so the identity follows from where a connection
// arrived, never from anything the function sends.
package caller

import "context"

// Identity is the execution environment a request came from.
type Identity struct {
	Region   string
	Function string // the function's name
	Arn      string // the unqualified function ARN
	Version  string // "$LATEST" or a version number
	EnvID    string // the execution environment, unique per server run
	// RequestID returns the id of the invocation the environment is running, or ""
	// between invocations (a function's background work). Nil means unknown.
	RequestID func() string
}

// CurrentRequestID is id.RequestID(), or "" when id has none.
func (id *Identity) CurrentRequestID() string {
	if id == nil || id.RequestID == nil {
		return ""
	}
	return id.RequestID()
}

type key struct{}

// With returns ctx carrying id.
func With(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns the identity ctx carries; false for a request that did not come
// from an execution environment (a user's own client).
func From(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(key{}).(*Identity)
	return id, ok && id != nil
}

// Call is one AWS API request a function made, as the edge answered it.
type Call struct {
	Caller *Identity
	// Service is the SigV4 signing name ("lambda", "logs"); "" for an unsigned
	// request.
	Service string
	// Operation is the API operation ("Invoke", "PutLogEvents"); "" when the
	// service did not name it.
	Operation string
	Status    int    // the HTTP status answered
	RequestID string // the response's x-amzn-RequestId
}

// Observer hears of every AWS API request made from inside a function. Observe
// runs on the request's goroutine once it was answered; it must not block or keep c.
type Observer interface {
	Observe(c *Call)
}
