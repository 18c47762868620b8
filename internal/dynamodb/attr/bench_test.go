package attr

import (
	"encoding/json"
	"strings"
	"testing"
)

var benchItem = []byte(`{"TableName":"bench","Item":{"pk":{"S":"put-c16"},"sk":{"S":"0000000042"},"n":{"N":"42"},"data":{"S":"` +
	strings.Repeat("x", 980) + `"},"tags":{"SS":["a","b"]},"m":{"M":{"k":{"N":"1.5"},"l":{"L":[{"BOOL":true}]}}}}}`)

type putInput struct {
	TableName string
	Item      Item
}

// BenchmarkDecodeRequest decodes a PutItem body as the service does, with the
// fast decoder and with the general one (its baseline, in the same run).
func BenchmarkDecodeRequest(b *testing.B) {
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(benchItem)))
		for b.Loop() {
			var in putInput
			if err := json.Unmarshal(benchItem, &in); err != nil || len(in.Item) != 6 {
				b.Fatal(err)
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		b.SetBytes(int64(len(benchItem)))
		var raw struct {
			TableName string
			Item      json.RawMessage
		}
		for b.Loop() {
			if err := json.Unmarshal(benchItem, &raw); err != nil {
				b.Fatal(err)
			}
			if it, err := decodeMap(raw.Item, 0); err != nil || len(it) != 6 {
				b.Fatal(err)
			}
		}
	})
}
