package attr

import "strings"

// MaxItemSize is DynamoDB's limit on an item's size (names and values).
const MaxItemSize = 400 * 1024

// ValueSize is a value's size as DynamoDB counts it for the item size limit
// and capacity units ("Item sizes and formats" in the developer guide):
// strings and binaries their length in bytes, numbers one byte per two
// significant digits plus one, BOOL and NULL one byte, lists and maps three
// bytes plus a byte per element beside the elements (and maps' key names).
func ValueSize(v Value) int64 {
	switch v.Kind {
	case S:
		return int64(len(v.Str))
	case B:
		return int64(len(v.Bin))
	case N:
		return numSize(v.N)
	case BOOL, NULL:
		return 1
	case SS, BS:
		var n int64
		for _, m := range v.Set {
			n += int64(len(m))
		}
		return n
	case NS:
		var n int64
		for _, m := range v.Set {
			n += numSize(m)
		}
		return n
	case L:
		n := int64(3)
		for _, e := range v.List {
			n += 1 + ValueSize(e)
		}
		return n
	case M:
		n := int64(3)
		for k, e := range v.Map {
			n += 1 + int64(len(k)) + ValueSize(e)
		}
		return n
	}
	return 0
}

func numSize(n string) int64 {
	neg, digits := significantDigits(n)
	s := int64((digits+1)/2 + 1)
	if neg {
		s++
	}
	return s
}

// significantDigits counts the significant digits of canonical number text
// (no exponent; leading zeros and, after the point, trailing zeros already
// gone) without allocating: ItemSize runs for every item a read returns.
func significantDigits(n string) (neg bool, digits int) {
	if n != "" && n[0] == '-' {
		neg, n = true, n[1:]
	}
	first, last := -1, -1
	for i := 0; i < len(n); i++ {
		if c := n[i]; c >= '1' && c <= '9' {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return neg, 0
	}
	digits = last - first + 1
	if p := strings.IndexByte(n, '.'); p > first && p < last {
		digits--
	}
	return neg, digits
}

// ItemSize is an item's size: each attribute's name length plus its value's size.
func ItemSize(it Item) int64 {
	var n int64
	for k, v := range it {
		n += int64(len(k)) + ValueSize(v)
	}
	return n
}
