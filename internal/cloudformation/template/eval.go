package template

import (
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Resolver answers references to resources that exist.
type Resolver interface {
	Ref(logical string) (string, error)
	GetAtt(logical, attr string) (any, error)
	ImportValue(name string) (string, error)
}

// OutputValue is one evaluated stack output.
type OutputValue struct{ Key, Value, Description, ExportName string }

// noValue is what Ref AWS::NoValue evaluates to until the map key or list
// item holding it is removed.
type noValueT struct{}

var noValue = noValueT{}

var functions = []string{
	"Fn::And", "Fn::Base64", "Fn::Cidr", "Fn::Equals", "Fn::FindInMap", "Fn::GetAZs", "Fn::GetAtt",
	"Fn::If", "Fn::ImportValue", "Fn::Join", "Fn::Length", "Fn::Not", "Fn::Or", "Fn::Select",
	"Fn::Split", "Fn::Sub", "Fn::ToJsonString", "Fn::Transform",
}

// Eval evaluates every intrinsic function in v and returns plain JSON values.
// Ref of a parameter or pseudo parameter answers its value, Ref or GetAtt of a
// resource asks r (which may be nil where no resource may be named), and
// AWS::NoValue removes the key or list item holding it. Errors are
// ValidationErrors in CloudFormation's words, or what r returned.
func (s *Stack) Eval(v any, r Resolver) (any, error) {
	out, err := s.eval(v, r)
	if err != nil {
		return nil, err
	}
	if out == noValue {
		return nil, nil
	}
	return out, nil
}

func (s *Stack) eval(v any, r Resolver) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			ev, err := s.eval(e, r)
			if err != nil {
				return nil, err
			}
			if ev != noValue {
				out = append(out, ev)
			}
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return s.function(k, arg, r)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			ev, err := s.eval(e, r)
			if err != nil {
				return nil, err
			}
			if ev != noValue {
				out[k] = ev
			}
		}
		return out, nil
	}
	return v, nil
}

func (s *Stack) function(fn string, arg any, r Resolver) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, formatError("Every Ref object must have a single String value.")
		}
		return s.ref(name, r)
	case "Fn::GetAtt":
		return s.getAtt(arg, r)
	case "Fn::Sub":
		return s.sub(arg, r)
	case "Fn::Join":
		return s.join(arg, r)
	case "Fn::Select":
		return s.selectFn(arg, r)
	case "Fn::Split":
		return s.split(arg, r)
	case "Fn::If":
		l, ok := arg.([]any)
		cond, isName := []any(nil), false
		if ok && len(l) == 3 {
			_, isName = l[0].(string)
			cond = l
		}
		if !isName {
			return nil, templateError("Fn::If requires a list argument with the first element being a condition")
		}
		v, known := s.Conditions[cond[0].(string)]
		if !known {
			return nil, templateError("unresolved condition dependency %s in Fn::If", cond[0])
		}
		if v {
			return s.eval(cond[1], r)
		}
		return s.eval(cond[2], r)
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
		return s.condition(map[string]any{fn: arg}, map[string]bool{})
	case "Fn::FindInMap":
		return s.findInMap(arg, r)
	case "Fn::GetAZs":
		region, err := s.evalString(arg, r)
		if err != nil {
			return nil, templateError("every Fn::GetAZs object requires a string parameter")
		}
		if region == "" {
			region = s.Pseudo.Region
		}
		return []any{region + "a", region + "b", region + "c"}, nil
	case "Fn::ImportValue":
		name, err := s.evalString(arg, r)
		if err != nil {
			return nil, templateError("every Fn::ImportValue object requires a string parameter")
		}
		if r == nil {
			return nil, templateError("Fn::ImportValue cannot be used here")
		}
		return r.ImportValue(name)
	case "Fn::Base64":
		str, err := s.evalString(arg, r)
		if err != nil {
			return nil, templateError("every Fn::Base64 object requires a string parameter")
		}
		return base64.StdEncoding.EncodeToString([]byte(str)), nil
	case "Fn::Cidr":
		return s.cidr(arg, r)
	case "Fn::Length":
		v, err := s.eval(arg, r)
		if err != nil {
			return nil, err
		}
		l, ok := v.([]any)
		if !ok {
			return nil, templateError("Fn::Length object requires a list or intrinsic function that returns a list")
		}
		return float64(len(l)), nil
	case "Fn::ToJsonString":
		v, err := s.eval(arg, r)
		if err != nil {
			return nil, err
		}
		switch v.(type) {
		case map[string]any, []any:
		default:
			return nil, templateError("Fn::ToJsonString object requires a list or map")
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, templateError("Fn::ToJsonString cannot render its value")
		}
		return string(b), nil
	case "Fn::Transform":
		return nil, templateError("Fn::Transform macros are not supported by Stratus")
	}
	return nil, formatError("Encountered unsupported function: %s Supported functions are: [%s]", fn, strings.Join(functions, ", "))
}

func (s *Stack) ref(name string, r Resolver) (any, error) {
	if v, ok := s.Params[name]; ok {
		if l, ok := v.([]string); ok {
			out := make([]any, len(l))
			for i, e := range l {
				out[i] = e
			}
			return out, nil
		}
		return v, nil
	}
	switch name {
	case "AWS::NoValue":
		return noValue, nil
	case "AWS::AccountId":
		return s.Pseudo.AccountID, nil
	case "AWS::Region":
		return s.Pseudo.Region, nil
	case "AWS::StackName":
		return s.Pseudo.StackName, nil
	case "AWS::StackId":
		return s.Pseudo.StackID, nil
	case "AWS::Partition":
		return s.Pseudo.Partition, nil
	case "AWS::URLSuffix":
		return s.Pseudo.URLSuffix, nil
	case "AWS::NotificationARNs":
		out := make([]any, len(s.Pseudo.NotificationARNs))
		for i, e := range s.Pseudo.NotificationARNs {
			out[i] = e
		}
		return out, nil
	}
	if !s.Active(name) {
		return nil, unresolved([]string{name}, "Resources")
	}
	if r == nil {
		return nil, formatError("Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", name)
	}
	return r.Ref(name)
}

func (s *Stack) getAtt(arg any, r Resolver) (any, error) {
	var res, attr string
	switch a := arg.(type) {
	case string:
		res, attr, _ = strings.Cut(a, ".")
	case []any:
		if len(a) == 2 {
			res, _ = a[0].(string)
			var err error
			if attr, err = s.evalString(a[1], r); err != nil {
				return nil, err
			}
		}
	}
	if res == "" || attr == "" {
		return nil, templateError("every Fn::GetAtt object requires two non-empty parameters")
	}
	if !s.Active(res) {
		return nil, templateError("instance of Fn::GetAtt references undefined resource %s", res)
	}
	if r == nil {
		return nil, formatError("Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", res)
	}
	return r.GetAtt(res, attr)
}

var subVarName = regexp.MustCompile(`^[A-Za-z0-9_.:]+$`)

func (s *Stack) sub(arg any, r Resolver) (any, error) {
	str, vars, ok := subArgs(arg)
	if !ok {
		return nil, templateError("One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
	}
	var b strings.Builder
	for _, part := range parseSub(str) {
		if !part.isVar {
			b.WriteString(part.text)
			continue
		}
		if !subVarName.MatchString(part.text) {
			return nil, templateError("variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods, and colons")
		}
		var v any
		var err error
		if local, ok := vars[part.text]; ok {
			v, err = s.eval(local, r)
		} else if res, attr, dotted := strings.Cut(part.text, "."); dotted {
			if _, isRes := s.T.Resources[res]; !isRes {
				return nil, unresolved([]string{part.text}, "Resources")
			}
			v, err = s.getAtt([]any{res, attr}, r)
		} else {
			v, err = s.ref(part.text, r)
		}
		if err != nil {
			return nil, err
		}
		text, ok := scalarText(v)
		if !ok {
			return nil, templateError("variable %s in Fn::Sub expression does not resolve to a string", part.text)
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

func (s *Stack) join(arg any, r Resolver) (any, error) {
	bad := templateError("every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.")
	l, ok := arg.([]any)
	if !ok || len(l) != 2 {
		return nil, bad
	}
	delim, ok := l[0].(string)
	if !ok {
		return nil, bad
	}
	v, err := s.eval(l[1], r)
	if err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		return nil, bad
	}
	parts := make([]string, len(items))
	for i, e := range items {
		if parts[i], ok = scalarText(e); !ok {
			return nil, bad
		}
	}
	return strings.Join(parts, delim), nil
}

func (s *Stack) selectFn(arg any, r Resolver) (any, error) {
	bad := templateError("every Fn::Select object requires two parameters, (1) an index and (2) a list of values")
	l, ok := arg.([]any)
	if !ok || len(l) != 2 {
		return nil, bad
	}
	idxText, err := s.evalString(l[0], r)
	if err != nil {
		return nil, bad
	}
	idx, err := strconv.Atoi(strings.TrimSpace(idxText))
	if err != nil {
		return nil, bad
	}
	v, err := s.eval(l[1], r)
	if err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		return nil, bad
	}
	if idx < 0 || idx >= len(items) {
		return nil, templateError("Fn::Select  cannot select nonexistent value at index %d", idx)
	}
	return items[idx], nil
}

func (s *Stack) split(arg any, r Resolver) (any, error) {
	bad := templateError("every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.")
	l, ok := arg.([]any)
	if !ok || len(l) != 2 {
		return nil, bad
	}
	delim, ok := l[0].(string)
	if !ok || delim == "" {
		return nil, bad
	}
	str, err := s.evalString(l[1], r)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(str, delim)
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func (s *Stack) findInMap(arg any, r Resolver) (any, error) {
	l, ok := arg.([]any)
	if !ok || len(l) < 3 || len(l) > 4 {
		return nil, templateError("every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value")
	}
	keys := make([]string, 3)
	for i := range keys {
		k, err := s.evalString(l[i], r)
		if err != nil {
			return nil, templateError("every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value")
		}
		keys[i] = k
	}
	top, _ := s.T.Mappings[keys[0]].(map[string]any)
	second, _ := top[keys[1]].(map[string]any)
	if v, ok := second[keys[2]]; ok {
		return s.eval(v, r)
	}
	// The AWS::LanguageExtensions form: a fourth argument {DefaultValue: x}.
	if len(l) == 4 {
		if d, ok := l[3].(map[string]any); ok {
			if dv, ok := d["DefaultValue"]; ok {
				return s.eval(dv, r)
			}
		}
	}
	return nil, templateError("Unable to get mapping for %s::%s::%s", keys[0], keys[1], keys[2])
}

// evalString evaluates v and requires a scalar, rendered as a string.
func (s *Stack) evalString(v any, r Resolver) (string, error) {
	ev, err := s.eval(v, r)
	if err != nil {
		return "", err
	}
	str, ok := scalarText(ev)
	if !ok {
		return "", templateError("a string was expected")
	}
	return str, nil
}

// cidr is Fn::Cidr: count blocks with cidrBits host bits each, carved in order
// from the start of ipBlock.
func (s *Stack) cidr(arg any, r Resolver) (any, error) {
	bad := templateError("every Fn::Cidr object requires three parameters, (1) an ip block, (2) a count and (3) the number of subnet bits")
	l, ok := arg.([]any)
	if !ok || len(l) != 3 {
		return nil, bad
	}
	var vals [3]string
	for i := range vals {
		v, err := s.evalString(l[i], r)
		if err != nil {
			return nil, bad
		}
		vals[i] = strings.TrimSpace(v)
	}
	prefix, err := netip.ParsePrefix(vals[0])
	if err != nil {
		return nil, bad
	}
	count, err1 := strconv.Atoi(vals[1])
	hostBits, err2 := strconv.Atoi(vals[2])
	if err1 != nil || err2 != nil || count < 1 || count > 256 || hostBits < 1 {
		return nil, bad
	}
	prefix = prefix.Masked()
	total := prefix.Addr().BitLen()
	newLen := total - hostBits
	if newLen < prefix.Bits() || newLen < 0 {
		return nil, templateError("Fn::Cidr: cidrBits %d is too large for %s", hostBits, vals[0])
	}
	if avail := newLen - prefix.Bits(); avail < 9 && count > 1<<avail {
		return nil, templateError("Fn::Cidr: %s has room for %d subnets of %d bits, not %d", vals[0], 1<<avail, hostBits, count)
	}
	start := new(big.Int).SetBytes(prefix.Addr().AsSlice())
	step := new(big.Int).Lsh(big.NewInt(1), uint(hostBits))
	out := make([]any, 0, count)
	for i := 0; i < count; i++ {
		b := start.FillBytes(make([]byte, total/8))
		addr, _ := netip.AddrFromSlice(b)
		out = append(out, netip.PrefixFrom(addr, newLen).String())
		start.Add(start, step)
	}
	return out, nil
}

// Outputs evaluates the active outputs, sorted by key. A list value is
// comma-joined, as CloudFormation shows it.
func (s *Stack) Outputs(r Resolver) ([]OutputValue, error) {
	var out []OutputValue
	for _, key := range sortedKeys(s.T.Outputs) {
		o := s.T.Outputs[key]
		if o.Condition != "" && !s.Conditions[o.Condition] {
			continue
		}
		v, err := s.Eval(o.Value, r)
		if err != nil {
			return nil, err
		}
		ov := OutputValue{Key: key, Description: o.Description, Value: outputText(v)}
		if o.ExportName != nil {
			name, err := s.evalString(o.ExportName, r)
			if err != nil {
				return nil, err
			}
			ov.ExportName = name
		}
		out = append(out, ov)
	}
	return out, nil
}

func outputText(v any) string {
	if s, ok := scalarText(v); ok {
		return s
	}
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = outputText(e)
		}
		return strings.Join(parts, ",")
	}
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}
