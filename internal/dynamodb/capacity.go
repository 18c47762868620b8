package dynamodb

import (
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Consumed capacity as DynamoDB computes it: a read unit is 4 KB read with
// strong consistency (an eventually consistent read costs half), a write unit
// is 1 KB written (the larger of the old and new item); each item costs at
// least one unit; transactions cost twice; an index's entry that changes costs
// the index writes of its own (two when its index key changes: a delete and a
// put). Query and Scan round the total size of the items they read, not each.

// capacityUnits is one entry of ConsumedCapacity's Table or index maps.
type capacityUnits struct {
	CapacityUnits      float64  `json:"CapacityUnits"`
	ReadCapacityUnits  *float64 `json:"ReadCapacityUnits,omitempty"`
	WriteCapacityUnits *float64 `json:"WriteCapacityUnits,omitempty"`
}

// consumedCapacity is the ConsumedCapacity shape of every item operation.
type consumedCapacity struct {
	TableName              string                   `json:"TableName"`
	CapacityUnits          float64                  `json:"CapacityUnits"`
	ReadCapacityUnits      *float64                 `json:"ReadCapacityUnits,omitempty"`
	WriteCapacityUnits     *float64                 `json:"WriteCapacityUnits,omitempty"`
	Table                  *capacityUnits           `json:"Table,omitempty"`
	GlobalSecondaryIndexes map[string]capacityUnits `json:"GlobalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes  map[string]capacityUnits `json:"LocalSecondaryIndexes,omitempty"`
}

// readUnits is the read capacity of size bytes read at once.
func readUnits(size int64, consistent bool) float64 {
	u := float64((size + 4095) / 4096)
	if u < 1 {
		u = 1
	}
	if !consistent {
		u /= 2
	}
	return u
}

// writeUnits is the write capacity of writing an item of size bytes.
func writeUnits(size int64) float64 {
	u := float64((size + 1023) / 1024)
	if u < 1 {
		u = 1
	}
	return u
}

// meter adds up one table's consumed capacity over an operation.
type meter struct {
	table       string
	mode        string // ReturnConsumedCapacity: INDEXES, TOTAL or NONE/""
	read, write float64
	indexes     map[string]*[2]float64 // index name → read, write
	global      map[string]bool
}

func newMeter(t *tablestore.Table, mode string) *meter {
	return &meter{table: t.Name, mode: mode}
}

func (m *meter) on() bool { return m != nil && (m.mode == "TOTAL" || m.mode == "INDEXES") }

func (m *meter) index(ix *tablestore.Index) *[2]float64 {
	if m.indexes == nil {
		m.indexes, m.global = map[string]*[2]float64{}, map[string]bool{}
	}
	u := m.indexes[ix.Name]
	if u == nil {
		u = new([2]float64)
		m.indexes[ix.Name], m.global[ix.Name] = u, ix.Global
	}
	return u
}

// addRead counts reading size bytes from the table, or from index ix.
func (m *meter) addRead(ix *tablestore.Index, size int64, consistent bool, factor float64) {
	u := readUnits(size, consistent) * factor
	if ix != nil {
		m.index(ix)[0] += u
		return
	}
	m.read += u
}

// addWrite counts one item's change from old to cur (either nil) in the
// table and in every index whose entry for the item changes.
func (m *meter) addWrite(t *tablestore.Table, old, cur attr.Item, factor float64) {
	m.write += writeUnits(max(itemSize(old), itemSize(cur))) * factor
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		oldIn, newIn := inIndex(ix, old), inIndex(ix, cur)
		var u float64
		switch {
		case oldIn && newIn:
			ov, nv := indexView(t, ix, old), indexView(t, ix, cur)
			if sameItem(ov, nv) {
				continue
			}
			if sameItem(keyOf(ix.Key, old), keyOf(ix.Key, cur)) {
				u = writeUnits(max(attr.ItemSize(ov), attr.ItemSize(nv)))
			} else {
				u = writeUnits(attr.ItemSize(ov)) + writeUnits(attr.ItemSize(nv))
			}
		case oldIn:
			u = writeUnits(attr.ItemSize(indexView(t, ix, old)))
		case newIn:
			u = writeUnits(attr.ItemSize(indexView(t, ix, cur)))
		default:
			continue
		}
		m.index(ix)[1] += u * factor
	}
}

func itemSize(it attr.Item) int64 {
	if it == nil {
		return 0
	}
	return attr.ItemSize(it)
}

// out returns the ConsumedCapacity to answer, or nil when none was asked for.
func (m *meter) out() *consumedCapacity {
	if !m.on() {
		return nil
	}
	c := &consumedCapacity{TableName: m.table}
	total := m.read + m.write
	for _, u := range m.indexes {
		total += u[0] + u[1]
	}
	c.CapacityUnits = total
	c.ReadCapacityUnits, c.WriteCapacityUnits = units(sumRead(m)), units(sumWrite(m))
	if m.mode != "INDEXES" {
		return c
	}
	c.Table = &capacityUnits{CapacityUnits: m.read + m.write, ReadCapacityUnits: units(m.read), WriteCapacityUnits: units(m.write)}
	for name, u := range m.indexes {
		cu := capacityUnits{CapacityUnits: u[0] + u[1], ReadCapacityUnits: units(u[0]), WriteCapacityUnits: units(u[1])}
		if m.global[name] {
			if c.GlobalSecondaryIndexes == nil {
				c.GlobalSecondaryIndexes = map[string]capacityUnits{}
			}
			c.GlobalSecondaryIndexes[name] = cu
		} else {
			if c.LocalSecondaryIndexes == nil {
				c.LocalSecondaryIndexes = map[string]capacityUnits{}
			}
			c.LocalSecondaryIndexes[name] = cu
		}
	}
	return c
}

func sumRead(m *meter) float64 {
	r := m.read
	for _, u := range m.indexes {
		r += u[0]
	}
	return r
}

func sumWrite(m *meter) float64 {
	w := m.write
	for _, u := range m.indexes {
		w += u[1]
	}
	return w
}

// units is a ReadCapacityUnits/WriteCapacityUnits member: left out when zero.
func units(u float64) *float64 {
	if u == 0 {
		return nil
	}
	return &u
}

// meters keeps one meter per table, for operations over several tables.
type meters struct {
	mode  string
	order []string
	by    map[string]*meter
}

func newMeters(mode string) *meters { return &meters{mode: mode, by: map[string]*meter{}} }

func (ms *meters) of(t *tablestore.Table) *meter {
	m := ms.by[t.Name]
	if m == nil {
		m = newMeter(t, ms.mode)
		ms.by[t.Name] = m
		ms.order = append(ms.order, t.Name)
	}
	return m
}

// out returns the ConsumedCapacity list, or nil when none was asked for.
func (ms *meters) out() []*consumedCapacity {
	if ms.mode != "TOTAL" && ms.mode != "INDEXES" {
		return nil
	}
	out := make([]*consumedCapacity, 0, len(ms.order))
	for _, name := range ms.order {
		out = append(out, ms.by[name].out())
	}
	return out
}
