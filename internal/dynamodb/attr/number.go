package attr

import (
	"math/big"
	"net/http"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// DynamoDB's numbers: up to 38 significant digits, magnitudes from 1E-130 to
// 9.99...E+125. In the decomposition used here a number is
// ±0.d1d2...dn × 10^exp, so the range is exp in [minExp, maxExp].
const (
	maxDigits = 38
	minExp    = -129
	maxExp    = 126
)

func validation(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: msg}
}

var (
	errNotNumber = validation("The parameter cannot be converted to a numeric value")
	errOverflow  = validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
	errUnderflow = validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	errPrecision = validation("Attempting to store more than 38 significant digits in a Number")
)

// decimal is a number taken apart: value = (neg ? -1 : 1) × 0.digits × 10^exp.
// Zero has no digits.
type decimal struct {
	neg    bool
	digits string // no leading or trailing zeros
	exp    int
}

// parseDecimal reads number text as DynamoDB accepts it (Java's BigDecimal
// syntax: an optional sign, digits with an optional point, an optional
// exponent) without checking DynamoDB's limits.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	var mant strings.Builder
	point, seen := -1, 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			mant.WriteByte(c)
			seen++
		case c == '.' && point < 0:
			point = seen
		default:
			goto exponent
		}
	}
exponent:
	if seen == 0 {
		return d, false
	}
	e := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return d, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return d, false
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return d, false
			}
			if e < 1e6 { // beyond any range DynamoDB accepts; stop growing
				e = e*10 + int(c-'0')
			}
		}
		if eneg {
			e = -e
		}
	}
	if point < 0 {
		point = seen
	}
	m := mant.String()
	lead := len(m) - len(strings.TrimLeft(m, "0"))
	m = strings.TrimRight(m[lead:], "0")
	if m == "" {
		return decimal{}, true
	}
	d.digits = m
	d.exp = point - lead + e
	return d, true
}

// check applies DynamoDB's limits.
func (d decimal) check() error {
	switch {
	case d.digits == "":
		return nil
	case len(d.digits) > maxDigits:
		return errPrecision
	case d.exp > maxExp:
		return errOverflow
	case d.exp < minExp:
		return errUnderflow
	}
	return nil
}

// String is the canonical text: no exponent, no leading or trailing zeros.
func (d decimal) String() string {
	if d.digits == "" {
		return "0"
	}
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	n := len(d.digits)
	switch {
	case d.exp <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -d.exp))
		b.WriteString(d.digits)
	case d.exp >= n:
		b.WriteString(d.digits)
		b.WriteString(strings.Repeat("0", d.exp-n))
	default:
		b.WriteString(d.digits[:d.exp])
		b.WriteByte('.')
		b.WriteString(d.digits[d.exp:])
	}
	return b.String()
}

// Canonical returns number text in canonical form, or DynamoDB's
// ValidationException for text that is not a number or is out of its range.
func Canonical(n string) (string, error) {
	d, ok := parseDecimal(n)
	if !ok {
		if n == "" {
			return "", errNotNumber
		}
		return "", validation("The parameter cannot be converted to a numeric value: " + n)
	}
	if err := d.check(); err != nil {
		return "", err
	}
	return d.String(), nil
}

// Num returns the N value of number text.
func Num(s string) (Value, error) {
	c, err := Canonical(s)
	if err != nil {
		return Value{}, err
	}
	return Value{Kind: N, N: c}, nil
}

// CompareNumbers orders two numbers given in canonical form.
func CompareNumbers(a, b string) int {
	if a == b {
		return 0
	}
	x, _ := parseDecimal(a)
	y, _ := parseDecimal(b)
	return compareDecimal(x, y)
}

func compareDecimal(x, y decimal) int {
	sx, sy := x.sign(), y.sign()
	if sx != sy {
		if sx < sy {
			return -1
		}
		return 1
	}
	if sx == 0 {
		return 0
	}
	c := 0
	switch {
	case x.exp != y.exp:
		c = 1
		if x.exp < y.exp {
			c = -1
		}
	default:
		c = strings.Compare(x.digits, y.digits)
	}
	return c * sx
}

func (d decimal) sign() int {
	switch {
	case d.digits == "":
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// Add returns a+b exactly, or DynamoDB's error when the sum leaves its range
// or precision.
func Add(a, b string) (string, error) { return arith(a, b, false) }

// Sub returns a-b exactly.
func Sub(a, b string) (string, error) { return arith(a, b, true) }

func arith(a, b string, sub bool) (string, error) {
	x, ok1 := parseDecimal(a)
	y, ok2 := parseDecimal(b)
	if !ok1 || !ok2 {
		return "", errNotNumber
	}
	if sub {
		y.neg = !y.neg
	}
	// As integers scaled by 10^scale, scale being the smaller exponent of a
	// last digit.
	ix, ex := x.unscaled()
	iy, ey := y.unscaled()
	scale := min(ex, ey)
	ix.Mul(ix, pow10(ex-scale))
	iy.Mul(iy, pow10(ey-scale))
	ix.Add(ix, iy)
	var r decimal
	if ix.Sign() != 0 {
		r.neg = ix.Sign() < 0
		s := ix.Abs(ix).String()
		r.exp = len(s) + scale
		r.digits = strings.TrimRight(s, "0")
	}
	if err := r.check(); err != nil {
		return "", err
	}
	return r.String(), nil
}

// unscaled returns the digits as an integer i and e with value = i × 10^e.
func (d decimal) unscaled() (*big.Int, int) {
	i := new(big.Int)
	if d.digits == "" {
		return i, 0
	}
	i.SetString(d.digits, 10)
	if d.neg {
		i.Neg(i)
	}
	return i, d.exp - len(d.digits)
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
