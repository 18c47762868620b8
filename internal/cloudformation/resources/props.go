package resources

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

// ValidationError is a template's resource properties rejected before any
// service is called, worded as CloudFormation words it.
type ValidationError struct{ Message string }

func (e *ValidationError) Error() string { return e.Message }

// requireProps fails with CloudFormation's schema message for the first
// required property missing from p.
func requireProps(env Env, p props, keys ...string) error {
	for _, k := range keys {
		if v, ok := p[k]; !ok || v == nil {
			return &ValidationError{Message: fmt.Sprintf(
				"Properties validation failed for resource %s with message: #: required key [%s] not found", env.LogicalID, k)}
		}
	}
	return nil
}

// props are one resource's evaluated properties. Templates write numbers and
// booleans as strings as often as not ("128", "true"), and CloudFormation
// accepts both, so every accessor coerces.
type props map[string]any

func (p props) has(k string) bool { v, ok := p[k]; return ok && v != nil }

func (p props) str(k string) string { return scalarString(p[k]) }

// strp is nil for an absent property, so optional API fields stay unset.
func (p props) strp(k string) *string {
	if !p.has(k) {
		return nil
	}
	return aws.String(p.str(k))
}

func (p props) int32p(k string) (*int32, error) {
	if !p.has(k) {
		return nil, nil
	}
	n, err := toInt(p[k])
	if err != nil {
		return nil, &ValidationError{Message: fmt.Sprintf("Property %s: %v", k, err)}
	}
	v := int32(n)
	return &v, nil
}

func (p props) int64p(k string) (*int64, error) {
	if !p.has(k) {
		return nil, nil
	}
	n, err := toInt(p[k])
	if err != nil {
		return nil, &ValidationError{Message: fmt.Sprintf("Property %s: %v", k, err)}
	}
	return &n, nil
}

func (p props) boolp(k string) *bool {
	if !p.has(k) {
		return nil
	}
	b := toBool(p[k])
	return &b
}

func (p props) obj(k string) props {
	m, _ := p[k].(map[string]any)
	return m
}

func (p props) list(k string) []props {
	raw, _ := p[k].([]any)
	out := make([]props, 0, len(raw))
	for _, v := range raw {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// strs is nil for an absent property, so that SDK inputs leave it out.
func (p props) strs(k string) []string {
	raw, ok := p[k].([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		out = append(out, scalarString(v))
	}
	return out
}

// strMap reads an object property whose values are strings (Tags on
// API Gateway V2, stage variables); empty, not nil, when it is absent.
func (p props) strMap(k string) map[string]string {
	out := map[string]string{}
	for name, v := range p.obj(k) {
		out[name] = scalarString(v)
	}
	return out
}

// sortedKeys lists an object's keys in order, so that what is built from
// it is built the same way every time.
func sortedKeys(p props) []string { return slices.Sorted(maps.Keys(p)) }

// tags reads CloudFormation's [{Key, Value}] list.
func (p props) tags(k string) map[string]string {
	out := map[string]string{}
	for _, t := range p.list(k) {
		out[t.str("Key")] = t.str("Value")
	}
	return out
}

// retag moves a resource's tags from old to new: untag gets the keys new
// no longer has, then tag gets new; neither is called with nothing to do.
func retag(old, new map[string]string, untag func(keys []string) error, tag func(tags map[string]string) error) error {
	var gone []string
	for k := range old {
		if _, ok := new[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		if err := untag(gone); err != nil {
			return err
		}
	}
	if len(new) > 0 {
		return tag(new)
	}
	return nil
}

// jsonDoc is a property CloudFormation takes as either a JSON object or a
// string holding one (policy documents, event patterns).
func (p props) jsonDoc(k string) (string, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return "", nil
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case float64:
		return int64(x), nil
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", x)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%v is not an integer", v)
}

func toBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// changed reports whether any of keys differs between old and new, comparing
// scalars by their string form so that 128 and "128" are the same value.
func changed(old, new props, keys ...string) bool {
	for _, k := range keys {
		if !sameValue(old[k], new[k]) {
			return true
		}
	}
	return false
}

func sameValue(a, b any) bool {
	return reflect.DeepEqual(normalize(a), normalize(b))
}

func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case props:
		return normalize(map[string]any(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case nil:
		return nil
	default:
		return scalarString(x)
	}
}

const nameAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// physicalName generates a name as CloudFormation does for a resource the
// template does not name: stack-logical-RANDOM, the stack and logical parts
// cut so that the whole fits max characters.
func physicalName(env Env, max int) string {
	suffix := make([]byte, 13)
	for i := range suffix {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(nameAlphabet))))
		suffix[i] = nameAlphabet[n.Int64()]
	}
	prefix := env.StackName + "-" + env.LogicalID
	if room := max - len(suffix) - 1; len(prefix) > room {
		prefix = prefix[:room]
	}
	return prefix + "-" + string(suffix)
}

// state and loadState keep a provider's own record of a resource in
// Result.State.
func state(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func loadState(r Result, v any) error {
	if len(r.State) == 0 {
		return nil
	}
	return json.Unmarshal(r.State, v)
}

// isCode reports whether err is the service error code (a resource already
// gone on delete, for instance).
func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}
