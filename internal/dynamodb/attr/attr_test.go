package attr

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
)

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "000": "0", "0.000": "0", "+5": "5", "1.50": "1.5", "007": "7",
		"-12.5": "-12.5", "1e3": "1000", "1E-3": "0.001", ".5": "0.5", "5.": "5", "-0.0012e2": "-0.12",
		"12345678901234567890123456789012345678": "12345678901234567890123456789012345678",
		"1e125":                                  "1" + strings.Repeat("0", 125), "1e-130": "0." + strings.Repeat("0", 129) + "1",
	} {
		got, err := Canonical(in)
		if err != nil || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"":                            "The parameter cannot be converted to a numeric value",
		"abc":                         "The parameter cannot be converted to a numeric value: abc",
		"1e":                          "The parameter cannot be converted to a numeric value: 1e",
		"1.2.3":                       "The parameter cannot be converted to a numeric value: 1.2.3",
		" 1":                          "The parameter cannot be converted to a numeric value:  1",
		"1e126":                       "Number overflow. Attempting to store a number with magnitude larger than supported range",
		"1e-131":                      "Number underflow. Attempting to store a number with magnitude smaller than supported range",
		"1" + strings.Repeat("1", 38): "Attempting to store more than 38 significant digits in a Number",
	} {
		_, err := Canonical(in)
		var ae *awsproto.Error
		if !errors.As(err, &ae) || ae.Code != "ValidationException" || ae.Message != msg {
			t.Errorf("Canonical(%q): %v; want %q", in, err, msg)
		}
	}
}

// randomNumber returns canonical number text and its value as a big.Rat.
func randomNumber(r *rand.Rand) (string, *big.Rat) {
	digits := make([]byte, 1+r.IntN(6))
	for i := range digits {
		digits[i] = byte('0' + r.IntN(10))
	}
	s := string(digits)
	if e := r.IntN(8) - 4; e != 0 {
		s += "e" + string(rune('0'+abs(e)))
		if e < 0 {
			s = s[:len(s)-1] + "-" + s[len(s)-1:]
		}
	}
	if r.IntN(2) == 0 {
		s = "-" + s
	}
	c, err := Canonical(s)
	if err != nil {
		panic(err)
	}
	q, ok := new(big.Rat).SetString(c)
	if !ok {
		panic(c)
	}
	return c, q
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func TestNumbersOrderAndArithmetic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		a, qa := randomNumber(r)
		b, qb := randomNumber(r)
		if got, want := CompareNumbers(a, b), qa.Cmp(qb); got != want {
			t.Fatalf("CompareNumbers(%s, %s) = %d, want %d", a, b, got, want)
		}
		ka, kb := AppendKey(nil, Value{Kind: N, N: a}), AppendKey(nil, Value{Kind: N, N: b})
		if got, want := bytes.Compare(ka, kb), qa.Cmp(qb); got != want {
			t.Fatalf("key order of %s, %s = %d, want %d", a, b, got, want)
		}
		if v, rest, err := DecodeKey(N, append(ka, 7)); err != nil || v.N != a || !bytes.Equal(rest, []byte{7}) {
			t.Fatalf("DecodeKey(%s) = %v %v %v", a, v, rest, err)
		}
		sum, err := Add(a, b)
		if want := new(big.Rat).Add(qa, qb); err != nil || sum != ratText(want) {
			t.Fatalf("Add(%s, %s) = %s %v, want %s", a, b, sum, err, ratText(want))
		}
		diff, err := Sub(a, b)
		if want := new(big.Rat).Sub(qa, qb); err != nil || diff != ratText(want) {
			t.Fatalf("Sub(%s, %s) = %s %v, want %s", a, b, diff, err, ratText(want))
		}
	}
	if _, err := Add("9"+strings.Repeat("9", 37)+"e88", "1e126"); err == nil {
		t.Error("Add past the range succeeded")
	}
	if _, err := Add("1e30", "1e-10"); err == nil {
		t.Error("Add past 38 digits succeeded")
	}
}

func ratText(q *big.Rat) string {
	s := q.FloatString(10)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

func TestStringKeysOrderAndDelimit(t *testing.T) {
	vals := []string{"", "\x00", "\x00\x00", "\x00a", "a", "a\x00", "a\x00\x01", "a\x01", "ab", "abc", "b", "\xff", "\xff\xff"}
	for i, a := range vals {
		for j, b := range vals {
			ka := AppendKey(nil, Str(a))
			kb := AppendKey(nil, Str(b))
			if got, want := bytes.Compare(ka, kb), cmpInt(i, j); got != want {
				t.Errorf("order of %q, %q: %d want %d", a, b, got, want)
			}
			if i != j && bytes.HasPrefix(kb, ka) {
				t.Errorf("%q's key is a prefix of %q's", a, b)
			}
		}
		for _, k := range []Kind{S, B} {
			v := Str(a)
			if k == B {
				v = Bin([]byte(a))
			}
			got, rest, err := DecodeKey(k, AppendKey(AppendKey(nil, v), Str("z")))
			if err != nil || !Equal(got, v) || len(rest) != 3 {
				t.Errorf("DecodeKey(%v, %q) = %v %q %v", k, a, got, rest, err)
			}
		}
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestJSONRoundTrip(t *testing.T) {
	in := `{"b":{"B":"AAEC"},"bs":{"BS":["AQ==","Ag=="]},"l":{"L":[{"S":"x"},{"N":"1"},{"NULL":true},{"M":{}}]},` +
		`"m":{"M":{"k":{"BOOL":false},"q":{"S":"\"\u0001é"}}},"n":{"N":"-1.50"},"ns":{"NS":["1","2.0"]},"s":{"S":""},"ss":{"SS":["a","b"]}}`
	var it Item
	if err := json.Unmarshal([]byte(in), &it); err != nil {
		t.Fatal(err)
	}
	if it["n"].N != "-1.5" || it["ns"].Set[1] != "2" || string(it["b"].Bin) != "\x00\x01\x02" || it["bs"].Set[0] != "\x01" {
		t.Errorf("decoded %+v", it)
	}
	out, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	var back Item
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if !ItemsEqual(it, back) {
		t.Errorf("round trip:\n%s\n%s", in, out)
	}
	if !json.Valid(out) {
		t.Errorf("invalid JSON %s", out)
	}
}

func TestJSONValidation(t *testing.T) {
	for in, msg := range map[string]string{
		`{}`:                     "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
		`{"S":"a","N":"1"}`:      "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
		`{"NULL":false}`:         "One or more parameter values were invalid: Null attribute value types must have the value of true",
		`{"SS":[]}`:              "One or more parameter values were invalid: An string set  may not be empty",
		`{"NS":[]}`:              "One or more parameter values were invalid: An number set  may not be empty",
		`{"BS":[]}`:              "One or more parameter values were invalid: Binary sets should not be empty",
		`{"SS":["a","a"]}`:       "One or more parameter values were invalid: Input collection [a, a] contains duplicates.",
		`{"NS":["1","1.0"]}`:     "Input collection contains duplicates",
		`{"N":"x"}`:              "The parameter cannot be converted to a numeric value: x",
		`{"L":[{"M":{"a":{}}}]}`: "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
		strings.Repeat(`{"L":[`, 33) + `{"S":"x"}` + strings.Repeat(`]}`, 33): "Nesting Levels have exceeded supported limits",
	} {
		var v Value
		err := json.Unmarshal([]byte(in), &v)
		var ae *awsproto.Error
		if !errors.As(err, &ae) || ae.Message != msg {
			t.Errorf("%.60s: %v; want %q", in, err, msg)
		}
	}
	for _, in := range []string{`[]`, `"x"`, `{"S":1}`, `{"X":"1"}`, `{"B":"!!"}`, `{"BOOL":"true"}`} {
		var v Value
		err := json.Unmarshal([]byte(in), &v)
		var ae *awsproto.Error
		if err == nil || errors.As(err, &ae) {
			t.Errorf("%s: %v; want a shape error", in, err)
		}
	}
}

func TestEqualAndSize(t *testing.T) {
	a := Value{Kind: NS, Set: []string{"1", "2"}}
	b := Value{Kind: NS, Set: []string{"2", "1"}}
	if !Equal(a, b) || Equal(a, Value{Kind: NS, Set: []string{"1"}}) || Equal(Str("1"), Value{Kind: N, N: "1"}) {
		t.Error("set equality")
	}
	m := Value{Kind: M, Map: map[string]Value{"l": {Kind: L, List: []Value{Str("x")}}}}
	c := m.Clone()
	c.Map["l"].List[0] = Str("y")
	if m.Map["l"].List[0].Str != "x" {
		t.Error("Clone shares lists")
	}
	if ItemSize(Item{"ab": Str("xyz")}) != 5 || ValueSize(Value{Kind: N, N: "123"}) != 3 || ValueSize(Bool(true)) != 1 {
		t.Errorf("sizes %d %d", ItemSize(Item{"ab": Str("xyz")}), ValueSize(Value{Kind: N, N: "123"}))
	}
	if c, ok := Compare(Value{Kind: N, N: "10"}, Value{Kind: N, N: "9"}); !ok || c != 1 {
		t.Error("numbers compare by value")
	}
	if _, ok := Compare(Str("a"), Bin([]byte("a"))); ok {
		t.Error("different kinds compared")
	}
	if !slices.Equal(Item{"b": Null(), "a": Null()}.Names(), []string{"a", "b"}) {
		t.Error("Names")
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"S":"a"}`, `{"N":"1e5"}`, `{"L":[{"NS":["1","2"]}]}`, `{"M":{"a":{"BS":["AQ=="]}}}`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Value
		if json.Unmarshal(b, &v) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back Value
		if err := json.Unmarshal(out, &back); err != nil || !Equal(v, back) {
			t.Fatalf("%s -> %s: %v", b, out, err)
		}
		switch v.Kind {
		case S, N, B:
			k, rest, err := DecodeKey(v.Kind, AppendKey(nil, v))
			if err != nil || len(rest) != 0 || !Equal(k, v) {
				t.Fatalf("key of %s: %v %v", b, k, err)
			}
		}
	})
}

// FuzzFastDecode: whatever the fast decoder accepts, the general decoder
// accepts too, with the same value.
func FuzzFastDecode(f *testing.F) {
	for _, s := range []string{`{"a":{"S":"x"},"b":{"N":"1.50"}}`, `{"l":{"L":[{"M":{"k":{"SS":["a","b"]}}},{"NULL":true}]}}`,
		`{"s":{"S":"\u00e9\n"},"b":{"B":"AQI="},"t":{"BOOL":false}}`, `{"n":{"NS":["1","1.0"]}}`, `{"x":{"S":"a","N":"1"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := fastItem(b)
		if !ok {
			return
		}
		slow, err := decodeMap(b, 0)
		if err != nil {
			t.Fatalf("%q: fast decoded, general refused: %v", b, err)
		}
		if !ItemsEqual(fast, slow) {
			t.Fatalf("%q: fast %v, general %v", b, fast, slow)
		}
	})
}

func TestSignificantDigits(t *testing.T) {
	for _, n := range []string{"0", "1", "-1", "10", "1000", "1.5", "-0.001", "0.0012", "120.05", "-9e125", "1e-130", "12345678901234567890123456789012345678"} {
		c, err := Canonical(n)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := parseDecimal(c)
		neg, got := significantDigits(c)
		if got != len(d.digits) || neg != d.neg {
			t.Errorf("%s (%s): %d digits, neg %v; want %d, %v", n, c, got, neg, len(d.digits), d.neg)
		}
	}
}
