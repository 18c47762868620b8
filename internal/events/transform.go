package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// What a target receives: the whole event, Input (a constant), the value at
// InputPath, or an InputTransformer's template filled from the event.

// segment is one step of a JSONPath: a member name, or an array index when
// index is true.
type segment struct {
	name  string
	i     int
	index bool
}

var errBadPath = errors.New("events: invalid JSONPath")

// parsePath parses the JSONPath subset EventBridge accepts in InputPath and
// InputPathsMap: $ followed by .name, ['name'] and [n] steps.
func parsePath(p string) ([]segment, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, errBadPath
	}
	var segs []segment
	rest := p[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			n := strings.IndexAny(rest, ".[")
			if n < 0 {
				n = len(rest)
			}
			if n == 0 {
				return nil, errBadPath
			}
			segs = append(segs, segment{name: rest[:n]})
			rest = rest[n:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, errBadPath
			}
			in := rest[1:end]
			rest = rest[end+1:]
			if len(in) >= 2 && (in[0] == '\'' && in[len(in)-1] == '\'' || in[0] == '"' && in[len(in)-1] == '"') {
				segs = append(segs, segment{name: in[1 : len(in)-1]})
				continue
			}
			i, err := strconv.Atoi(in)
			if err != nil || i < 0 {
				return nil, errBadPath
			}
			segs = append(segs, segment{i: i, index: true})
		default:
			return nil, errBadPath
		}
	}
	return segs, nil
}

// lookup returns the value at path in v (decoded with UseNumber), or false.
func lookup(v any, path []segment) (any, bool) {
	for _, s := range path {
		if s.index {
			a, ok := v.([]any)
			if !ok || s.i >= len(a) {
				return nil, false
			}
			v = a[s.i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[s.name]; !ok {
			return nil, false
		}
	}
	return v, true
}

func jsonValid(s string) bool { return json.Valid([]byte(s)) }

// Variables EventBridge fills in every template; InputPathsMap may not name them.
const (
	varRuleArn       = "aws.events.rule-arn"
	varRuleName      = "aws.events.rule-name"
	varIngestionTime = "aws.events.event.ingestion-time"
	varEvent         = "aws.events.event"
	varEventJSON     = "aws.events.event.json"
)

func isReservedVariable(k string) bool { return strings.HasPrefix(k, "aws.events.") }

// templateKind tells how a template's placeholders are filled: a JSON
// template gets values as JSON outside strings and as text inside them; a
// text template gets them as text.
func isJSONTemplate(t string) bool {
	t = strings.TrimSpace(t)
	return t != "" && (t[0] == '{' || t[0] == '[' || t[0] == '"')
}

// fill replaces the template's <name> placeholders with value(name); value
// returns the JSON text of the variable, or false when it has none. A name
// value knows nothing of stays as written, as EventBridge leaves it.
func fill(tmpl string, value func(name string) (json.RawMessage, bool)) string {
	jsonT := isJSONTemplate(tmpl)
	var b strings.Builder
	inString := false
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case jsonT && c == '\\' && inString && i+1 < len(tmpl):
			b.WriteByte(c)
			b.WriteByte(tmpl[i+1])
			i++
			continue
		case jsonT && c == '"':
			inString = !inString
		case c == '<':
			end := strings.IndexByte(tmpl[i+1:], '>')
			if end < 0 {
				break
			}
			name := tmpl[i+1 : i+1+end]
			v, ok := value(name)
			if !ok {
				break
			}
			if !jsonT || inString {
				b.WriteString(asText(v, jsonT))
			} else {
				b.Write(v)
			}
			i += end + 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// asText is a value as placed inside a JSON string (escaped) or in a text
// template (raw): a string's characters, or any other value's JSON text.
func asText(v json.RawMessage, escape bool) string {
	var s string
	if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
		if !escape {
			return s
		}
		q, _ := json.Marshal(s)
		return string(q[1 : len(q)-1])
	}
	if !escape {
		return string(v)
	}
	q, _ := json.Marshal(string(v))
	return string(q[1 : len(q)-1])
}

// checkTemplate reports whether a JSON template is JSON once its placeholders
// are filled.
func checkTemplate(it *inputTransformer) error {
	t := *it.InputTemplate
	if !isJSONTemplate(t) {
		return nil
	}
	out := fill(t, func(name string) (json.RawMessage, bool) {
		if _, ok := it.InputPathsMap[name]; ok || isReservedVariable(name) {
			return json.RawMessage(`"x"`), true
		}
		return nil, false
	})
	if !jsonValid(out) {
		return errors.New("events: template is not JSON")
	}
	return nil
}

// payload is what target t of rule ruleArn receives for event (its JSON).
func payload(t *target, ruleArn string, event []byte, ingested time.Time) (string, error) {
	switch {
	case t.Input != nil:
		return *t.Input, nil
	case t.InputPath != nil:
		segs, err := parsePath(*t.InputPath)
		if err != nil {
			return "", err
		}
		v, ok := lookup(decodeEvent(event), segs)
		if !ok {
			return "", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	case t.InputTransformer != nil && t.InputTransformer.InputTemplate != nil:
		return transform(t.InputTransformer, ruleArn, event, ingested), nil
	}
	return string(event), nil
}

// transform fills an InputTransformer's template from event. A path that
// finds nothing fills its placeholder with null (empty inside a string).
func transform(it *inputTransformer, ruleArn string, event []byte, ingested time.Time) string {
	ev := decodeEvent(event)
	name := ruleArn[strings.LastIndexByte(ruleArn, '/')+1:]
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	return fill(*it.InputTemplate, func(k string) (json.RawMessage, bool) {
		switch k {
		case varRuleArn:
			return str(ruleArn), true
		case varRuleName:
			return str(name), true
		case varIngestionTime:
			return str(ingested.UTC().Format(time.RFC3339)), true
		case varEvent, varEventJSON:
			return compact(event), true
		}
		p, ok := it.InputPathsMap[k]
		if !ok {
			return nil, false
		}
		segs, err := parsePath(p)
		if err != nil {
			return json.RawMessage("null"), true
		}
		v, found := lookup(ev, segs)
		if !found {
			return json.RawMessage(`""`), true
		}
		b, err := json.Marshal(v)
		if err != nil {
			return json.RawMessage("null"), true
		}
		return b, true
	})
}

func decodeEvent(event []byte) any {
	d := json.NewDecoder(bytes.NewReader(event))
	d.UseNumber()
	var v any
	d.Decode(&v) //nolint:errcheck // events are built by this package
	return v
}

func compact(b []byte) json.RawMessage {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return b
	}
	return out.Bytes()
}
