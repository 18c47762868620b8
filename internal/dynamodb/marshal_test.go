package dynamodb

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// TestOutputsEncodeAsEncodingJSON: the outputs that encode themselves give
// the document encoding/json gives for them (which escapes <, > and & too).
func TestOutputsEncodeAsEncodingJSON(t *testing.T) {
	it := attr.Item{"pk": attr.Str("a\"<>\u2028"), "n": {Kind: attr.N, N: "-1.5"}, "l": {Kind: attr.L, List: []attr.Value{attr.Null(), attr.Bin([]byte{0, 1})}},
		"m": {Kind: attr.M, Map: map[string]attr.Value{"z": attr.Bool(true), "a": {Kind: attr.SS, Set: []string{"x", "y"}}}}}
	cc := &consumedCapacity{TableName: "t", CapacityUnits: 0.5}
	items := []attr.Item{it, {"pk": attr.Str("b")}}
	empty := []attr.Item{}
	for _, v := range []jsonAppender{
		getItemOutput{}, getItemOutput{Item: it}, getItemOutput{Item: it, ConsumedCapacity: cc}, getItemOutput{ConsumedCapacity: cc},
		readOutput{}, readOutput{Items: &empty}, readOutput{Items: &items, Count: 2, ScannedCount: 3, LastEvaluatedKey: attr.Item{"pk": attr.Str("b")}, ConsumedCapacity: cc},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.appendJSON(nil)
		var g, w any
		if err == nil {
			err = json.Unmarshal(got, &g)
		}
		json.Unmarshal(want, &w) //nolint:errcheck
		if err != nil || !reflect.DeepEqual(g, w) {
			t.Errorf("%T:\n got  %s %v\n want %s", v, got, err, want)
		}
	}
}
