package eventpattern

// Numbers compare as Event Ruler's ComparableNumber does: as a count of
// millionths, within -5e9..5e9 inclusive ("Numeric matching ... limited to
// values between -5.0e9 and +5.0e9 inclusive, with 15 digits of precision,
// that is to say 6 digits to the right of the decimal point"). A number
// outside that range, in an event, takes part only in literal matching.
//
// Event Ruler's newer releases refuse a pattern operand with more than six
// decimals; its older ones (and, as far as Stratus can tell, the service)
// round. Stratus rounds, half away from zero, so that no pattern AWS accepts
// is refused here.

const (
	microsPerUnit = 1_000_000
	maxMicros     = 5_000_000_000 * microsPerUnit

	// rangeReason is Event Ruler's sentence for an operand out of range
	// (ComparableNumber.generate; Java prints the double 5E9 as "5.0E9").
	rangeReason = "Value must be between -5.0E9 and 5.0E9, inclusive"
)

// parseMicros returns the JSON number text s in millionths, rounded half away
// from zero, and whether s is a number within -5e9..5e9. It does exact decimal
// arithmetic, so 0.1+0.2-style binary rounding never makes equal numbers
// differ.
func parseMicros(s string) (int64, bool) {
	v, ok, _ := parseMicrosExact(s)
	return v, ok
}

// parseMicrosExact is parseMicros that also reports whether the value was
// exact, no digit lost to rounding.
func parseMicrosExact(s string) (v int64, ok, exact bool) {
	i, n := 0, len(s)
	neg := false
	if i < n && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < n && isDigit(s[i]) {
		i++
	}
	intPart := s[intStart:i]
	frac := ""
	if i < n && s[i] == '.' {
		i++
		fs := i
		for i < n && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
	}
	if intPart == "" && frac == "" {
		return 0, false, false
	}
	exp := 0
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < n && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == n {
			return 0, false, false
		}
		for i < n && isDigit(s[i]) {
			if exp < 1_000_000 { // beyond this the number is out of range (or zero) anyway
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if eneg {
			exp = -exp
		}
	}
	if i != n {
		return 0, false, false
	}

	// The digits D of intPart+frac, read as one sequence, give the value
	// D × 10^(exp-len(frac)), so D × 10^k millionths.
	k := exp - len(frac) + 6
	total := len(intPart) + len(frac)
	digit := func(j int) byte {
		if j < len(intPart) {
			return intPart[j]
		}
		return frac[j-len(intPart)]
	}
	start := 0
	for start < total && digit(start) == '0' {
		start++
	}
	if start == total {
		return 0, true, true
	}
	// keep is how many digits the whole number of millionths has; maxMicros
	// has 16.
	keep := total - start + k
	if keep > 16 {
		return 0, false, false
	}
	var u uint64
	exact = true
	if k >= 0 {
		for j := start; j < total; j++ {
			u = u*10 + uint64(digit(j)-'0')
		}
		for ; k > 0; k-- {
			u *= 10
		}
	} else {
		end := start + keep
		for j := start; j < end; j++ {
			u = u*10 + uint64(digit(j)-'0')
		}
		for j := max(end, start); j < total; j++ {
			if digit(j) != '0' {
				exact = false
				break
			}
		}
		if end >= start && end < total && digit(end) >= '5' {
			u++
		}
	}
	if u > maxMicros {
		return 0, false, false
	}
	if neg {
		return -int64(u), true, exact
	}
	return int64(u), true, exact
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
