package awsproto

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
)

// The REST-XML protocol (S3): operations are named by method, path and query; bodies
// are XML documents whose root element is the shape's name. Errors are an <Error>
// document with Code, Message, the request's ids and any Fields.

// XMLNamespace is the namespace S3's documents declare.
const XMLNamespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// xmlHeader starts every XML body, as S3 writes it.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// WriteXML writes v (a struct with an XMLName) as an XML document with status.
func WriteXML(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		WriteXMLError(w, nil, "", err)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/xml"}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

// WriteXMLError renders err as S3 does: the status, and unless the request is a
// HEAD (whose answer has no body) an <Error> document with Code, Message, the
// error's Fields, RequestId and HostId. Errors that are not an *Error render as
// InternalError and leak nothing.
func WriteXMLError(w http.ResponseWriter, r *http.Request, hostID string, err error) {
	e := As(err)
	if e == ServiceFailure {
		e = xmlInternalError
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	h := w.Header()
	if r != nil && r.Method == http.MethodHead {
		h.Del("Content-Type")
		h.Del("Content-Length")
		w.WriteHeader(status)
		return
	}
	var info *RequestInfo
	if r != nil {
		info = Info(r.Context())
	}
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	buf.WriteString("<Error>")
	element(&buf, "Code", e.Code)
	element(&buf, "Message", e.Message)
	for _, f := range e.Fields {
		element(&buf, f.Name, f.Value)
	}
	if info != nil {
		element(&buf, "RequestId", info.RequestID)
	}
	element(&buf, "HostId", hostID)
	buf.WriteString("</Error>")
	h["Content-Type"] = []string{"application/xml"}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck
}

// xmlInternalError is S3's word for a failure of its own.
var xmlInternalError = &Error{Code: "InternalError", Status: http.StatusInternalServerError, Server: true,
	Message: "We encountered an internal error. Please try again."}

func element(buf *bytes.Buffer, name, value string) {
	buf.WriteString("<" + name + ">")
	xml.EscapeText(buf, []byte(value)) //nolint:errcheck // a bytes.Buffer does not fail
	buf.WriteString("</" + name + ">")
}

// ReadXML decodes an XML request body of at most max bytes into v. A body that is
// not well-formed XML of v's shape, empty, or larger than max gives err (S3 answers
// MalformedXML for most documents).
func ReadXML(r *http.Request, max int64, v any, malformed *Error) error {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, max))
	if err != nil || n == 0 {
		return malformed
	}
	if err := xml.Unmarshal(buf.Bytes(), v); err != nil {
		return malformed
	}
	return nil
}
