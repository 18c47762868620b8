package attr

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
	d, _ := parseDecimal(n)
	s := int64((len(d.digits)+1)/2 + 1)
	if d.neg {
		s++
	}
	return s
}

// ItemSize is an item's size: each attribute's name length plus its value's size.
func ItemSize(it Item) int64 {
	var n int64
	for k, v := range it {
		n += int64(len(k)) + ValueSize(v)
	}
	return n
}
