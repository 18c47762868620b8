package dynamodb

import (
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Key limits: a hash key value of at most 2048 bytes, a range key value of at
// most 1024 (numbers are always within them).
const (
	maxHashKey  = 2048
	maxRangeKey = 1024
)

// keyAttrs lists a key schema's attribute names and kinds, hash first.
func keyAttrs(k tablestore.KeySchema) (names []string, kinds []attr.Kind) {
	if k.Range == "" {
		return []string{k.Hash}, []attr.Kind{k.HashKind}
	}
	return []string{k.Hash, k.Range}, []attr.Kind{k.HashKind, k.RangeKind}
}

// isKeyAttr reports whether name is one of the table's key attributes.
func isKeyAttr(k tablestore.KeySchema, name string) bool {
	return name == k.Hash || (k.Range != "" && name == k.Range)
}

// checkKeyValue checks one key value that already has the right kind: not
// empty, and within the key size limits.
func checkKeyValue(name string, v attr.Value, hash bool) error {
	var n int
	switch v.Kind {
	case attr.S:
		n = len(v.Str)
	case attr.B:
		n = len(v.Bin)
	default:
		return nil
	}
	if n == 0 {
		return errEmptyKey(name, v.Kind)
	}
	if hash && n > maxHashKey {
		return errHashKeySize
	}
	if !hash && n > maxRangeKey {
		return errRangeKeySize
	}
	return nil
}

// checkKey checks a Key parameter (GetItem, UpdateItem, DeleteItem, batch
// and transaction keys): exactly the table's key attributes, of their kinds.
func checkKey(t *tablestore.Table, key attr.Item) error {
	names, kinds := keyAttrs(t.Key)
	if len(key) != len(names) {
		return errKeySchema
	}
	for i, name := range names {
		v, ok := key[name]
		if !ok || v.Kind != kinds[i] {
			return errKeySchema
		}
	}
	for i, name := range names {
		if err := checkKeyValue(name, key[name], i == 0); err != nil {
			return err
		}
	}
	return nil
}

// itemKey returns an item's primary key, checking the key attributes as
// PutItem does (present, of their kinds, not empty, within size).
func itemKey(t *tablestore.Table, it attr.Item) (attr.Item, error) {
	names, kinds := keyAttrs(t.Key)
	key := make(attr.Item, len(names))
	for i, name := range names {
		v, ok := it[name]
		if !ok {
			return nil, errMissingKey(name)
		}
		if v.Kind != kinds[i] {
			return nil, errKeyType(name, kinds[i], v.Kind)
		}
		if err := checkKeyValue(name, v, i == 0); err != nil {
			return nil, err
		}
		key[name] = v
	}
	return key, nil
}

// checkIndexKeys checks the item's values of index key attributes: an item
// need not have them, but those it has must be of the defined kind and not
// empty.
func checkIndexKeys(t *tablestore.Table, it attr.Item) error {
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		names, kinds := keyAttrs(ix.Key)
		for j, name := range names {
			v, ok := it[name]
			if !ok || isKeyAttr(t.Key, name) {
				continue
			}
			if v.Kind != kinds[j] {
				return errIndexKeyType(name, kinds[j], v.Kind, ix.Name)
			}
			if (v.Kind == attr.S && v.Str == "") || (v.Kind == attr.B && len(v.Bin) == 0) {
				return errEmptyIndexKey(name, v.Kind, ix.Name)
			}
		}
	}
	return nil
}

// checkItem checks a whole item about to be written by PutItem (or a
// transaction's or batch's Put) and returns its key.
func checkItem(t *tablestore.Table, it attr.Item) (attr.Item, error) {
	key, err := itemKey(t, it)
	if err != nil {
		return nil, err
	}
	if err := checkIndexKeys(t, it); err != nil {
		return nil, err
	}
	if attr.ItemSize(it) > attr.MaxItemSize {
		return nil, errItemSize
	}
	return key, nil
}

// keyOf returns the attributes of item that key schema k names (nil when the
// item lacks one: it is not in that index).
func keyOf(k tablestore.KeySchema, it attr.Item) attr.Item {
	names, _ := keyAttrs(k)
	key := make(attr.Item, len(names))
	for _, name := range names {
		v, ok := it[name]
		if !ok {
			return nil
		}
		key[name] = v
	}
	return key
}

// keyID is a key's identity as bytes (the store's order-preserving encoding),
// for finding two requests on one item.
func keyID(table string, k tablestore.KeySchema, key attr.Item) string {
	b := append([]byte(table), 0)
	b = attr.AppendKey(b, key[k.Hash])
	if k.Range != "" {
		b = attr.AppendKey(b, key[k.Range])
	}
	return string(b)
}

// inIndex reports whether an item appears in an index: it has the index's
// key attributes (of the right kinds, as checkIndexKeys ensures on write).
func inIndex(ix *tablestore.Index, it attr.Item) bool {
	if it == nil {
		return false
	}
	if _, ok := it[ix.Key.Hash]; !ok {
		return false
	}
	if ix.Key.Range != "" {
		if _, ok := it[ix.Key.Range]; !ok {
			return false
		}
	}
	return true
}

// indexView returns what an index holds of an item: the table's and the
// index's key attributes and the projected ones (the whole item for ALL).
func indexView(t *tablestore.Table, ix *tablestore.Index, it attr.Item) attr.Item {
	if ix.Projection.Type == "ALL" || ix.Projection.Type == "" {
		return it
	}
	out := make(attr.Item, 4+len(ix.Projection.NonKeyAttributes))
	for _, name := range []string{t.Key.Hash, t.Key.Range, ix.Key.Hash, ix.Key.Range} {
		if v, ok := it[name]; ok && name != "" {
			out[name] = v
		}
	}
	if ix.Projection.Type == "INCLUDE" {
		for _, name := range ix.Projection.NonKeyAttributes {
			if v, ok := it[name]; ok {
				out[name] = v
			}
		}
	}
	return out
}

// pageKey is the LastEvaluatedKey after item: the table's key and, on an
// index, the index's key attributes too.
func pageKey(t *tablestore.Table, ix *tablestore.Index, it attr.Item) attr.Item {
	out := keyOf(t.Key, it)
	if ix != nil {
		for k, v := range keyOf(ix.Key, it) {
			out[k] = v
		}
	}
	return out
}

// checkStartKey checks an ExclusiveStartKey: exactly the table's key
// attributes (and on an index the index's), of their kinds.
func checkStartKey(t *tablestore.Table, ix *tablestore.Index, start attr.Item) error {
	want := map[string]attr.Kind{}
	names, kinds := keyAttrs(t.Key)
	for i, n := range names {
		want[n] = kinds[i]
	}
	if ix != nil {
		names, kinds = keyAttrs(ix.Key)
		for i, n := range names {
			want[n] = kinds[i]
		}
	}
	if len(start) != len(want) {
		return errStartKey
	}
	for n, k := range want {
		if v, ok := start[n]; !ok || v.Kind != k {
			return errStartKey
		}
	}
	return nil
}

// sameItem reports whether two items hold the same attributes and values, so
// a write that changes nothing leaves no stream record (as DynamoDB does).
func sameItem(a, b attr.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !attr.Equal(v, w) {
			return false
		}
	}
	return true
}
