package template

import (
	"regexp"
	"strconv"
	"strings"
)

// Pseudo holds the values of the pseudo parameters (AWS::Region ...).
type Pseudo struct {
	AccountID, Region, StackName, StackID, Partition, URLSuffix string // Partition "aws", URLSuffix "amazonaws.com" when empty
	NotificationARNs                                            []string
}

// Stack is a template with its parameters bound and its conditions decided:
// everything needed to order and evaluate its resources.
type Stack struct {
	T          *Template
	Pseudo     Pseudo
	Params     map[string]any // string, or []string for list types
	Conditions map[string]bool
}

// Bind gives the parameters values (values override defaults) and evaluates
// the Conditions. Errors are ValidationErrors in CloudFormation's words.
func (t *Template) Bind(values map[string]string, p Pseudo) (*Stack, error) {
	var unknown, missing []string
	for name := range values {
		if _, ok := t.Parameters[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		return nil, validation("Parameters: [%s] do not exist in the template", list(unknown))
	}
	for name, param := range t.Parameters {
		if _, ok := values[name]; !ok && param.Default == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, validation("Parameters: [%s] must have values", list(missing))
	}
	if p.Partition == "" {
		p.Partition = "aws"
	}
	if p.URLSuffix == "" {
		p.URLSuffix = "amazonaws.com"
	}
	s := &Stack{T: t, Pseudo: p, Params: make(map[string]any, len(t.Parameters)), Conditions: map[string]bool{}}
	for _, name := range sortedKeys(t.Parameters) {
		param := t.Parameters[name]
		v, ok := values[name]
		if !ok {
			v = *param.Default
		}
		if isSSMType(param.Type) {
			// Stratus has no Systems Manager: no SSM parameter can be fetched.
			return nil, validation("Unable to fetch parameters [%s] from parameter store for this account.", v)
		}
		bound, err := param.bind(name, v)
		if err != nil {
			return nil, err
		}
		s.Params[name] = bound
	}
	visiting := map[string]bool{}
	for _, name := range sortedKeys(t.Conditions) {
		if _, err := s.namedCondition(name, visiting); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// isList reports whether values of typ are lists.
func isList(typ string) bool {
	return typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") ||
		typ == "AWS::SSM::Parameter::Value<CommaDelimitedList>" || strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<List<")
}

// bind checks v against p's type and constraints and returns the value Ref
// answers: a string, or a []string for list types (members space-trimmed, as
// CloudFormation documents for CommaDelimitedList).
func (p Parameter) bind(name, v string) (any, error) {
	if !isList(p.Type) {
		if p.Type == "Number" {
			if err := p.checkNumber(name, v); err != nil {
				return nil, err
			}
		}
		if err := p.checkString(name, v); err != nil {
			return nil, err
		}
		return v, nil
	}
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
		if p.Type == "List<Number>" {
			if err := p.checkNumber(name, parts[i]); err != nil {
				return nil, err
			}
		}
		if err := p.checkMember(name, parts[i]); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

func (p Parameter) violated(name, format string, args ...any) error {
	if p.ConstraintDescription != "" {
		return validation("Parameter '%s' failed to satisfy constraint: %s", name, p.ConstraintDescription)
	}
	return validation("Parameter '%s' "+format, append([]any{name}, args...)...)
}

func (p Parameter) checkNumber(name, v string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return validation("Parameter '%s' must be a number", name)
	}
	if p.MinValue != nil && f < *p.MinValue {
		return p.violated(name, "must be a number not less than %s", strconv.FormatFloat(*p.MinValue, 'f', -1, 64))
	}
	if p.MaxValue != nil && f > *p.MaxValue {
		return p.violated(name, "must be a number not greater than %s", strconv.FormatFloat(*p.MaxValue, 'f', -1, 64))
	}
	return nil
}

func (p Parameter) checkString(name, v string) error {
	n := len([]rune(v))
	if p.MinLength != nil && n < *p.MinLength {
		return p.violated(name, "must contain at least %d characters", *p.MinLength)
	}
	if p.MaxLength != nil && n > *p.MaxLength {
		return p.violated(name, "must contain at most %d characters", *p.MaxLength)
	}
	return p.checkMember(name, v)
}

// checkMember applies AllowedValues and AllowedPattern to one value (each
// member of a list).
func (p Parameter) checkMember(name, v string) error {
	if len(p.AllowedValues) > 0 && !contains(p.AllowedValues, v) {
		return p.violated(name, "must be one of AllowedValues")
	}
	if p.AllowedPattern != "" {
		// CloudFormation matches the whole value (Java's Pattern.matches).
		re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
		if err != nil {
			return validation("Parameter '%s' AllowedPattern %s uses regular expression syntax Stratus does not support", name, p.AllowedPattern)
		}
		if !re.MatchString(v) {
			return p.violated(name, "must match pattern %s", p.AllowedPattern)
		}
	}
	return nil
}

// namedCondition evaluates the condition called name once, remembering it.
func (s *Stack) namedCondition(name string, visiting map[string]bool) (bool, error) {
	if v, ok := s.Conditions[name]; ok {
		return v, nil
	}
	def, ok := s.T.Conditions[name]
	if !ok {
		return false, formatError("Condition %s is not defined.", name)
	}
	if visiting[name] {
		return false, validation("Circular dependency between conditions: [%s]", name)
	}
	visiting[name] = true
	v, err := s.condition(def, visiting)
	delete(visiting, name)
	if err != nil {
		return false, err
	}
	s.Conditions[name] = v
	return v, nil
}

// condition evaluates a condition function: Fn::Equals, And, Or, Not and
// Condition (a reference to another condition).
func (s *Stack) condition(v any, visiting map[string]bool) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false, templateError("Conditions can only be boolean operations on parameters and other conditions")
	}
	for fn, arg := range m {
		switch fn {
		case "Condition":
			name, ok := arg.(string)
			if !ok {
				return false, formatError("Every Condition member must be a string.")
			}
			return s.namedCondition(name, visiting)
		case "Fn::Equals":
			l, ok := arg.([]any)
			if !ok || len(l) != 2 {
				return false, templateError("every Fn::Equals object requires a list of 2 string parameters.")
			}
			a, err := s.Eval(l[0], nil)
			if err != nil {
				return false, err
			}
			b, err := s.Eval(l[1], nil)
			if err != nil {
				return false, err
			}
			return equal(a, b), nil
		case "Fn::Not":
			l, ok := arg.([]any)
			if !ok || len(l) != 1 {
				return false, templateError("every Fn::Not object requires a list of 1 boolean parameter.")
			}
			b, err := s.condition(l[0], visiting)
			return !b, err
		case "Fn::And", "Fn::Or":
			l, ok := arg.([]any)
			if !ok || len(l) < 2 || len(l) > 10 {
				return false, templateError("every %s object requires a list of at least 2 and at most 10 boolean parameters.", fn)
			}
			isAnd := fn == "Fn::And"
			for _, e := range l {
				b, err := s.condition(e, visiting)
				if err != nil {
					return false, err
				}
				if b != isAnd {
					return !isAnd, nil
				}
			}
			return isAnd, nil
		}
	}
	return false, templateError("Conditions can only be boolean operations on parameters and other conditions")
}

// equal compares evaluated values as CloudFormation does, on their string
// forms, so the parameter "3" equals the literal 3.
func equal(a, b any) bool {
	if sa, ok := scalarText(a); ok {
		sb, ok := scalarText(b)
		return ok && sa == sb
	}
	la, aok := a.([]any)
	lb, bok := b.([]any)
	if aok && bok {
		if len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !equal(la[i], lb[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }
