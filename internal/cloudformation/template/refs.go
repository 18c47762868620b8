package template

import "strings"

// refKind says how a template names something.
type refKind int

const (
	kindRef    refKind = iota // {"Ref": X}
	kindGetAtt                // {"Fn::GetAtt": [X, Attr]}
	kindSub                   // ${X} or ${X.Attr} in Fn::Sub
)

// ref is one reference found in a value: the logical name it points at.
type ref struct {
	Name string
	Attr string // for kindGetAtt and dotted Sub variables
	Kind refKind
}

// walker finds the references and condition names in a value. When taken is
// set and answers for a condition, only the Fn::If branch taken is walked;
// otherwise both are.
type walker struct {
	refs  []ref
	conds []string // conditions named by Fn::If (and Condition in condition context)
	taken func(cond string) (value, known bool)

	// condContext is set inside the Conditions section, where {"Condition": X}
	// refers to another condition (elsewhere it is an ordinary key, as in IAM
	// policies).
	condContext bool
}

func (w *walker) walk(v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			w.walk(e)
		}
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if w.intrinsic(k, arg) {
					return
				}
			}
		}
		for _, e := range x {
			w.walk(e)
		}
	}
}

// intrinsic handles a one-key map that is a function; it reports false when
// the key is not one, so the map is walked as data.
func (w *walker) intrinsic(k string, arg any) bool {
	switch k {
	case "Ref":
		if s, ok := arg.(string); ok {
			w.refs = append(w.refs, ref{Name: s, Kind: kindRef})
		}
		return true
	case "Condition":
		if !w.condContext {
			return false
		}
		if s, ok := arg.(string); ok {
			w.conds = append(w.conds, s)
		}
		return true
	case "Fn::GetAtt":
		if res, attr, ok := getAttTarget(arg); ok {
			w.refs = append(w.refs, ref{Name: res, Attr: attr, Kind: kindGetAtt})
		}
		if l, ok := arg.([]any); ok && len(l) == 2 {
			w.walk(l[1]) // the attribute may be a Ref
		}
		return true
	case "Fn::Sub":
		str, vars, ok := subArgs(arg)
		if !ok {
			w.walk(arg)
			return true
		}
		for _, part := range parseSub(str) {
			if !part.isVar {
				continue
			}
			name, attr, _ := strings.Cut(part.text, ".")
			if _, local := vars[part.text]; local {
				continue
			}
			if _, local := vars[name]; local && attr != "" {
				continue
			}
			w.refs = append(w.refs, ref{Name: name, Attr: attr, Kind: kindSub})
		}
		for _, e := range vars {
			w.walk(e)
		}
		return true
	case "Fn::If":
		l, ok := arg.([]any)
		if !ok || len(l) != 3 {
			w.walk(arg)
			return true
		}
		cond, _ := l[0].(string)
		w.conds = append(w.conds, cond)
		if w.taken != nil {
			if value, known := w.taken(cond); known {
				if value {
					w.walk(l[1])
				} else {
					w.walk(l[2])
				}
				return true
			}
		}
		w.walk(l[1])
		w.walk(l[2])
		return true
	}
	return false
}

// getAttTarget reads Fn::GetAtt's resource and (literal) attribute, in the
// list form or the "Res.Attr" string form.
func getAttTarget(arg any) (res, attr string, ok bool) {
	switch a := arg.(type) {
	case string:
		res, attr, ok = strings.Cut(a, ".")
		return res, attr, ok && res != ""
	case []any:
		if len(a) != 2 {
			return "", "", false
		}
		res, ok = a[0].(string)
		attr, _ = a[1].(string)
		return res, attr, ok
	}
	return "", "", false
}

// subArgs reads Fn::Sub's two forms: a string, or [string, {var: value}].
func subArgs(arg any) (string, map[string]any, bool) {
	switch a := arg.(type) {
	case string:
		return a, nil, true
	case []any:
		if len(a) != 2 {
			return "", nil, false
		}
		s, ok := a[0].(string)
		if !ok {
			return "", nil, false
		}
		vars, ok := a[1].(map[string]any)
		return s, vars, ok
	}
	return "", nil, false
}

// subPart is a piece of an Fn::Sub string: literal text or a variable name.
type subPart struct {
	text  string
	isVar bool
}

// parseSub splits an Fn::Sub string. ${!X} is the literal text ${X}; a "${"
// never closed is literal text.
func parseSub(s string) []subPart {
	var parts []subPart
	var lit strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			lit.WriteString(s)
			break
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			lit.WriteString(s)
			break
		}
		lit.WriteString(s[:i])
		body := s[i+2 : i+j]
		if strings.HasPrefix(body, "!") {
			lit.WriteString("${" + body[1:] + "}")
		} else {
			if lit.Len() > 0 {
				parts = append(parts, subPart{text: lit.String()})
				lit.Reset()
			}
			parts = append(parts, subPart{text: strings.TrimSpace(body), isVar: true})
		}
		s = s[i+j+1:]
	}
	if lit.Len() > 0 {
		parts = append(parts, subPart{text: lit.String()})
	}
	return parts
}
