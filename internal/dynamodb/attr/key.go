package attr

import (
	"errors"
	"strings"
)

// Key values (S, N, B) are encoded so that bytewise order of the encodings is
// DynamoDB's order of the values and no encoding is a prefix of another's:
// a stored key is the hash value's encoding followed by the range value's,
// and a range of keys is a range of bytes.
//
// S and B: the bytes with 0x00 escaped as 0x00 0xFF, ended by 0x00 0x01.
// N: a sign byte (0x01 negative, 0x02 zero, 0x03 positive); for non-zero
// numbers the exponent (exp-minExp, 0..255) and the digits as 0x01+d ended
// by 0x00, all inverted (255-x) for negative numbers so larger magnitudes
// sort first.
const (
	numNeg  = 0x01
	numZero = 0x02
	numPos  = 0x03
)

var errKeyEncoding = errors.New("attr: malformed key encoding")

// AppendKey appends the order-preserving encoding of a key value (S, N or B)
// to dst. Other kinds are not key values and append nothing.
func AppendKey(dst []byte, v Value) []byte {
	switch v.Kind {
	case S:
		return appendEscaped(dst, v.Str)
	case B:
		return appendEscaped(dst, string(v.Bin))
	case N:
		d, _ := parseDecimal(v.N)
		switch d.sign() {
		case 0:
			return append(dst, numZero)
		case 1:
			dst = append(dst, numPos, byte(d.exp-minExp))
			for i := 0; i < len(d.digits); i++ {
				dst = append(dst, 1+d.digits[i]-'0')
			}
			return append(dst, 0)
		default:
			dst = append(dst, numNeg, 255-byte(d.exp-minExp))
			for i := 0; i < len(d.digits); i++ {
				dst = append(dst, 255-(1+d.digits[i]-'0'))
			}
			return append(dst, 255)
		}
	}
	return dst
}

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			dst = append(dst, 0, 0xFF)
		} else {
			dst = append(dst, s[i])
		}
	}
	return append(dst, 0, 1)
}

// DecodeKey reads one key value of kind k from the front of b and returns
// it and what follows it.
func DecodeKey(k Kind, b []byte) (v Value, rest []byte, err error) {
	switch k {
	case S, B:
		var sb strings.Builder
		for i := 0; i < len(b); i++ {
			if b[i] != 0 {
				sb.WriteByte(b[i])
				continue
			}
			if i+1 < len(b) && b[i+1] == 0xFF {
				sb.WriteByte(0)
				i++
				continue
			}
			if i+1 < len(b) && b[i+1] == 1 {
				if k == S {
					return Str(sb.String()), b[i+2:], nil
				}
				return Bin([]byte(sb.String())), b[i+2:], nil
			}
			return Value{}, nil, errKeyEncoding
		}
		return Value{}, nil, errKeyEncoding
	case N:
		if len(b) == 0 {
			return Value{}, nil, errKeyEncoding
		}
		if b[0] == numZero {
			return Value{Kind: N, N: "0"}, b[1:], nil
		}
		if len(b) < 2 || (b[0] != numPos && b[0] != numNeg) {
			return Value{}, nil, errKeyEncoding
		}
		neg := b[0] == numNeg
		inv := func(c byte) byte {
			if neg {
				return 255 - c
			}
			return c
		}
		d := decimal{neg: neg, exp: int(inv(b[1])) + minExp}
		var digits strings.Builder
		for i := 2; i < len(b); i++ {
			c := inv(b[i])
			if c == 0 {
				d.digits = digits.String()
				if d.digits == "" {
					return Value{}, nil, errKeyEncoding
				}
				return Value{Kind: N, N: d.String()}, b[i+1:], nil
			}
			if c > 10 {
				return Value{}, nil, errKeyEncoding
			}
			digits.WriteByte('0' + c - 1)
		}
		return Value{}, nil, errKeyEncoding
	}
	return Value{}, nil, errKeyEncoding
}
