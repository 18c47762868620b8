// Package expr is DynamoDB's expression languages: condition and filter
// expressions, update expressions, projection expressions and key condition
// expressions, parsed with DynamoDB's grammar and refused with DynamoDB's
// messages, then evaluated against items. The legacy parameters (Expected,
// KeyConditions, QueryFilter, ScanFilter, AttributeUpdates, AttributesToGet)
// are translated into the same evaluators.
//
// Errors come in three kinds, because DynamoDB reports them so: a syntax
// error stops the parse at once; semantic errors (reserved words, undefined
// placeholders, operand types, overlapping paths) are collected while the
// whole expression parses and the first of the first class is answered, in
// an order each grammar fixes (errs.go); runtime errors (an update operand
// of the wrong type, a document path the item does not have) come from
// evaluation.
//
// The grammars and messages follow what AWS answers as dynalite's tests,
// ScyllaDB Alternator's tests and DynamoDB Local record it; where a message
// could not be confirmed that way, the code says where it came from.
package expr

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// Limits DynamoDB enforces on expressions ("Expression parameters" in the
// developer guide's service quotas).
const (
	maxExprSize   = 4096 // bytes in one expression
	maxOperators  = 300  // operators in one expression (see parser.operator)
	maxInOperands = 100  // operands on the right of IN
	maxPathDepth  = 32   // elements of one document path
)

// Params are a request's ExpressionAttributeNames and
// ExpressionAttributeValues, shared by all of its expressions, which record
// the ones they use for Unused.
type Params struct {
	names      map[string]string
	values     attr.Item
	usedNames  map[string]bool
	usedValues map[string]bool
	err        error // a malformed placeholder key, returned by every Parse
}

// NewParams returns the placeholders of one request. Either map may be nil.
// A key that is not a placeholder ("a" rather than "#a"), or a map present but
// empty, makes every later Parse call fail with DynamoDB's message for it.
func NewParams(names map[string]string, values attr.Item) *Params {
	p := &Params{names: names, values: values, usedNames: map[string]bool{}, usedValues: map[string]bool{}}
	// DynamoDB checks the maps, names first, before it parses any
	// expression (dynalite's validations/index.js).
	p.err = checkKeys("ExpressionAttributeNames", names != nil, sortedKeys(names), '#')
	if p.err == nil {
		p.err = checkKeys("ExpressionAttributeValues", values != nil, sortedKeys(values), ':')
	}
	return p
}

// checkKeys refuses a placeholder map that is present but empty, or has a
// key that is not lead followed by letters, digits and underscores.
func checkKeys(param string, present bool, keys []string, lead byte) error {
	if present && len(keys) == 0 {
		return validation(param + " must not be empty")
	}
	for _, k := range keys {
		if !validPlaceholder(k, lead) {
			return validation(param + ` contains invalid key: Syntax error; key: "` + k + `"`)
		}
	}
	return nil
}

func validPlaceholder(k string, lead byte) bool {
	if len(k) < 2 || k[0] != lead {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isIdentPart(k[i]) {
			return false
		}
	}
	return true
}

// Unused returns DynamoDB's ValidationException for names or values no expression used ("Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"), nil otherwise. Called after every expression of a request was parsed.
func (p *Params) Unused() error {
	if p == nil {
		return nil
	}
	if p.err != nil {
		return p.err
	}
	var unused []string
	for _, k := range sortedKeys(p.names) {
		if !p.usedNames[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		return validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {" + strings.Join(unused, ", ") + "}")
	}
	for _, k := range sortedKeys(p.values) {
		if !p.usedValues[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		return validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {" + strings.Join(unused, ", ") + "}")
	}
	return nil
}

// check returns the error that makes every Parse with p fail, if any.
func (p *Params) check() error {
	if p == nil {
		return nil
	}
	return p.err
}

// name resolves #n, recording its use.
func (p *Params) name(n string) (string, bool) {
	if p == nil {
		return "", false
	}
	v, ok := p.names[n]
	if ok {
		p.usedNames[n] = true
	}
	return v, ok
}

// value resolves :v, recording its use.
func (p *Params) value(n string) (attr.Value, bool) {
	if p == nil {
		return attr.Value{}, false
	}
	v, ok := p.values[n]
	if ok {
		p.usedValues[n] = true
	}
	return v, ok
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// validation is DynamoDB's ValidationException with msg.
func validation(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: msg}
}

// invalid is the ValidationException for a bad expression in parameter
// param: "Invalid <param>: <msg>".
func invalid(param, format string, args ...any) *awsproto.Error {
	return validation("Invalid " + param + ": " + fmt.Sprintf(format, args...))
}

// checkSize refuses an empty expression and one over DynamoDB's size limit.
func checkSize(param, s string) error {
	if s == "" {
		return invalid(param, "The expression can not be empty;")
	}
	if len(s) > maxExprSize {
		// Wording from DynamoDB Local's message catalogue (EXPRESSION_SIZE_EXCEEDED);
		// the "; expression size: N" detail follows the catalogue's pattern but is unconfirmed.
		return invalid(param, "Expression size has exceeded the maximum allowed size; expression size: %d", len(s))
	}
	return nil
}

// typeName is a kind as DynamoDB's ADD and DELETE messages spell it.
func typeName(k attr.Kind) string {
	switch k {
	case attr.S:
		return "STRING"
	case attr.N:
		return "NUMBER"
	case attr.B:
		return "BINARY"
	case attr.BOOL:
		return "BOOLEAN"
	case attr.NULL:
		return "NULL"
	case attr.L:
		return "LIST"
	case attr.M:
		return "MAP"
	}
	return k.String()
}

func isSet(k attr.Kind) bool { return k == attr.SS || k == attr.NS || k == attr.BS }
