// Package eventpattern is the event pattern language AWS shares between
// EventBridge rules, Lambda event filtering (FilterCriteria of event source
// mappings) and Amazon SNS subscription filter policies.
//
// AWS implements the language with its open-source Event Ruler library
// (github.com/aws/event-ruler); this package follows its documented
// behaviour and words its validation errors the way it does, since that is
// what EventBridge returns after "Event pattern is not valid. Reason: ".
//
// The semantics, in short:
//
//   - A pattern is a JSON object. Its fields are ANDed; a field whose value
//     is an object matches the event's object of that name; a field whose
//     value is an array is a leaf, and matches when any of the event's values
//     there matches any of the array's entries.
//   - The event's values at a leaf are its scalar (string, number, boolean,
//     null), or every scalar of its array, arrays flattened. An object there,
//     or an empty array, is no value: "exists" looks at leaves only.
//   - A nested pattern object matched against an array of objects in the
//     event matches when one element matches the whole sub-pattern ("array
//     consistency": Event Ruler's rulesForJSONEvent refuses matches that take
//     fields from different elements of one array).
//   - "$or" takes an array of at least two objects, any of which must match
//     the event object the "$or" sits in.
//   - Numbers compare as numbers (3.018e2 equals 301.8) within -5e9..5e9 at six
//     decimal places, and also by their literal text, so an account number
//     such as 123456789012 still matches itself exactly.
//
// A compiled Pattern is immutable and safe for concurrent use.
package eventpattern

import (
	"bytes"
	"encoding/json"
)

// Dialect selects which service's rules a pattern is compiled under.
type Dialect uint8

const (
	// EventBridge is the language of EventBridge event patterns and of Lambda
	// event filtering, which uses the same engine. It is the zero value.
	EventBridge Dialect = iota
	// SNSMessageAttributes compiles an SNS filter policy whose
	// FilterPolicyScope is MessageAttributes (SNS's default): nesting is
	// refused, and every key counts toward the key limit. The event matched
	// is an object of the message's attributes by name: a String attribute
	// as a string, a String.Array as an array, a Number as a json.Number;
	// Binary attributes are left out (SNS never matches them).
	SNSMessageAttributes
	// SNSMessageBody compiles an SNS filter policy whose FilterPolicyScope is
	// MessageBody: nesting is allowed and only top-level keys count toward
	// the key limit. The event matched is the decoded message body.
	SNSMessageBody
)

// Limits of SNS filter policies ("Filter policy constraints" in the SNS
// developer guide). EventBridge and Lambda bound the pattern's length in
// their APIs (4096 characters), so Compile leaves that to their callers.
const (
	// SNSMaxPolicyBytes is the largest filter policy SNS accepts.
	SNSMaxPolicyBytes = 256 * 1024
	// SNSMaxKeys is how many keys a filter policy may name: all of them for
	// MessageAttributes, the top-level ones for MessageBody.
	SNSMaxKeys = 5
	// SNSMaxCombinations bounds a policy's total combination of values: the
	// product, over its arrays, of each array's number of values (times the
	// key's nesting depth, for message-body policies), summed over the
	// alternatives of every "$or".
	SNSMaxCombinations = 150
)

// maxNesting bounds how deep a pattern's objects and "$or"s may nest. AWS
// documents no such limit; Stratus sets one so that compiling a hostile
// pattern cannot exhaust the stack. No real pattern comes near it.
const maxNesting = 64

// Options select the dialect's differences. The zero value compiles
// EventBridge's (and Lambda filtering's) language.
type Options struct {
	// Dialect is the service whose rules apply.
	Dialect Dialect
}

// Error is a pattern that does not compile. Reason is Event Ruler's sentence
// (what EventBridge puts after "Reason: "); callers wrap it in their own
// service's exception: EventBridge's InvalidEventPatternException takes
// Error() whole, Lambda answers InvalidParameterValueException, and SNS
// words it as "Invalid parameter: FilterPolicy: " + Reason.
//
// EventBridge appends Jackson's location (" at [Source: ...; line: 1,
// column: 8]") to some reasons; Stratus does not reproduce it.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "Event pattern is not valid. Reason: " + e.Reason }

func invalid(reason string) *Error { return &Error{Reason: reason} }

// Pattern is a compiled event pattern.
type Pattern struct {
	root *object
}

// Compile parses a pattern (JSON text) under opts. It returns an *Error when
// the pattern is not valid JSON, breaks the language's grammar, or exceeds
// the dialect's limits.
func Compile(pattern []byte, opts Options) (*Pattern, error) {
	sns := opts.Dialect == SNSMessageAttributes || opts.Dialect == SNSMessageBody
	if sns && len(pattern) > SNSMaxPolicyBytes {
		// Stratus's sentence: AWS's answer to an oversized policy was not
		// found in its documentation or in public emulators' tests.
		return nil, invalid("Filter policy is too long")
	}
	c := newCompiler(pattern, opts)
	root, err := c.compile()
	if err != nil {
		return nil, err
	}
	if sns {
		if err := checkSNSLimits(root, opts.Dialect); err != nil {
			return nil, err
		}
	}
	return &Pattern{root: root}, nil
}

// Match reports whether a JSON event matches. An event that is not valid JSON
// matches nothing.
func (p *Pattern) Match(event []byte) bool {
	d := json.NewDecoder(bytes.NewReader(event))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return false
	}
	if d.More() {
		return false
	}
	return p.MatchValue(v)
}

// MatchValue matches an already decoded event: the map[string]any, []any,
// string, bool and nil that encoding/json produces, with numbers as
// json.Number (decode with UseNumber, so that large integers keep their
// literal text). float64, int and int64 numbers are accepted too.
func (p *Pattern) MatchValue(event any) bool {
	return p.root.matchAt(event)
}
