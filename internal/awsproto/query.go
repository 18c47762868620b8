package awsproto

import (
	"bytes"
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The query protocol (SQS's older clients, SNS, CloudFormation, CloudWatch): an
// operation is a form-encoded POST (or a GET with the same parameters in the
// URL) naming it in Action. Structures, lists and maps are flattened into dotted
// names ("Attribute.1.Name", "MessageAttributes.entry.2.Value.DataType",
// "Tags.member.3.Key"). The answer is an XML document
// <ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>; an error is
// an <ErrorResponse> with Type, Code and Message.

// MaxQueryBody bounds what ReadQuery reads of a request body.
const MaxQueryBody = 8 << 20

// Query is a decoded query-protocol request, or a view of one of its nested
// structures (Entries).
type Query struct {
	Action  string
	Version string
	values  url.Values
	prefix  string // "" or "Name.N." for an entry
}

// errMalformedQuery is what query services answer for a body that cannot be
// decoded at all.
var errMalformedQuery = &Error{Code: "MalformedQueryString", Status: http.StatusBadRequest,
	Message: "The request body could not be decoded as a form."}

// IsQuery reports whether r looks like a query-protocol request: a form POST, or
// a GET or POST carrying Action in its URL.
func IsQuery(r *http.Request) bool {
	if r.URL.Query().Has("Action") {
		return true
	}
	if r.Method != http.MethodPost {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// ReadQuery decodes r's parameters: the URL's and, for a form POST, the body's
// (at most MaxQueryBody bytes). A body that is not a form gives
// MalformedQueryString; a missing Action gives the empty Action, for the service
// to answer as it does.
func ReadQuery(r *http.Request) (*Query, error) {
	v := r.URL.Query()
	if r.Method == http.MethodPost && r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxQueryBody+1))
		if err != nil || len(b) > MaxQueryBody {
			return nil, errMalformedQuery
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, errMalformedQuery
		}
		for k, vs := range form {
			v[k] = append(v[k], vs...)
		}
	}
	return &Query{Action: v.Get("Action"), Version: v.Get("Version"), values: v}, nil
}

// NewQuery returns a Query of the given parameters, for tests and fuzzing.
func NewQuery(v url.Values) *Query {
	return &Query{Action: v.Get("Action"), Version: v.Get("Version"), values: v}
}

// Get returns the parameter name ("" when absent).
func (q *Query) Get(name string) string { return q.values.Get(q.prefix + name) }

// Lookup returns the parameter name and whether it was given.
func (q *Query) Lookup(name string) (string, bool) {
	vs, ok := q.values[q.prefix+name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// Has reports whether the parameter name, or any member of a structure, list
// or map of that name, was given.
func (q *Query) Has(name string) bool {
	full := q.prefix + name
	if _, ok := q.values[full]; ok {
		return true
	}
	for k := range q.values {
		if strings.HasPrefix(k, full+".") {
			return true
		}
	}
	return false
}

// List returns the members of a flattened list of strings: name.1, name.2, ...
// up to the first index missing (as AWS reads them). For a list with a member
// name ("AttributeNames.member") pass it as part of name.
func (q *Query) List(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := q.Lookup(name + "." + strconv.Itoa(i))
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

// Entries returns views of the structures of a flattened list: name.1.*,
// name.2.*, ... up to the first index with no member.
func (q *Query) Entries(name string) []*Query {
	var out []*Query
	for i := 1; ; i++ {
		p := name + "." + strconv.Itoa(i)
		if !q.Has(p) {
			return out
		}
		out = append(out, &Query{Action: q.Action, Version: q.Version, values: q.values, prefix: q.prefix + p + "."})
	}
}

// Map returns a flattened map of strings: the entries name.N.key and
// name.N.value (e.g. Map("Attribute", "Name", "Value") for SQS,
// Map("Attributes.entry", "key", "value") for SNS). An entry without a key is
// skipped.
func (q *Query) Map(name, key, value string) map[string]string {
	var out map[string]string
	for _, e := range q.Entries(name) {
		k, ok := e.Lookup(key)
		if !ok {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = e.Get(value)
	}
	return out
}

// Names returns the parameter names given, without the view's prefix, for a
// service that refuses unknown parameters.
func (q *Query) Names() []string {
	var out []string
	for k := range q.values {
		if strings.HasPrefix(k, q.prefix) {
			out = append(out, k[len(q.prefix):])
		}
	}
	return out
}

// WriteQueryResult writes the answer to action: result (a struct, or nil for an
// operation without output) encoded as the children of <ActionResult>, inside
// <ActionResponse xmlns=namespace> with the request id in ResponseMetadata.
func WriteQueryResult(w http.ResponseWriter, r *http.Request, namespace, action string, result any) {
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	buf.WriteString("<" + action + `Response xmlns="` + namespace + `">`)
	if result != nil {
		enc := xml.NewEncoder(&buf)
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			WriteQueryError(w, r, namespace, err)
			return
		}
	}
	buf.WriteString("<ResponseMetadata>")
	element(&buf, "RequestId", Info(r.Context()).RequestID)
	buf.WriteString("</ResponseMetadata></" + action + "Response>")
	h := w.Header()
	h["Content-Type"] = []string{"text/xml"}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

// WriteQueryError renders err as query services do: the status and an
// <ErrorResponse> with the fault's Type (Sender or Receiver), the code (the
// error's QueryCode when it has one), the message and the request id. Errors
// that are not an *Error render as InternalFailure and leak nothing.
func WriteQueryError(w http.ResponseWriter, r *http.Request, namespace string, err error) {
	e := As(err)
	if e == ServiceFailure {
		e = queryInternalFailure
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	buf.WriteString(`<ErrorResponse xmlns="` + namespace + `"><Error>`)
	element(&buf, "Type", e.Fault())
	element(&buf, "Code", e.QueryErrorCode())
	element(&buf, "Message", e.Message)
	for _, f := range e.Fields {
		element(&buf, f.Name, f.Value)
	}
	buf.WriteString("<Detail/></Error>")
	element(&buf, "RequestId", Info(r.Context()).RequestID)
	buf.WriteString("</ErrorResponse>")
	h := w.Header()
	h["Content-Type"] = []string{"text/xml"}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck
}

var queryInternalFailure = &Error{Code: "InternalFailure", Status: http.StatusInternalServerError, Server: true,
	Message: "The request processing has failed because of an unknown error, exception or failure."}

// Fault is the query protocol's word for whose fault e is: "Sender" or "Receiver".
func (e *Error) Fault() string {
	if e.Server {
		return "Receiver"
	}
	return "Sender"
}

// QueryErrorCode is e's code in the query protocol: QueryCode when set, else Code.
func (e *Error) QueryErrorCode() string {
	if e.QueryCode != "" {
		return e.QueryCode
	}
	return e.Code
}
