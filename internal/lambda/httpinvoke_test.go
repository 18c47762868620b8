package lambda

import "testing"

func TestPlainARN(t *testing.T) {
	s := &Service{Account: "000000000000"}
	cases := []struct {
		ref, name, qual string
		ok              bool
	}{
		{"arn:aws:lambda:us-east-1:000000000000:function:f", "f", "", true},
		{"arn:aws:lambda:us-east-1:000000000000:function:f:live", "f", "live", true},
		{"arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST", "f", "$LATEST", true},
		{"arn:aws:lambda:us-east-1:000000000000:function:f:7", "f", "7", true},
		{"arn:aws:lambda:eu-west-1:000000000000:function:f", "", "", false},   // another region: the slow path says why
		{"arn:aws:lambda:us-east-1:111111111111:function:f", "", "", false},   // another account
		{"arn:aws:lambda:us-east-1:000000000000:function:f.x", "", "", false}, // not a plain name
		{"arn:aws:lambda:us-east-1:000000000000:function:f:", "", "", false},
		{"arn:aws:lambda:us-east-1:000000000000:layer:f", "", "", false},
		{"f", "", "", false},
	}
	for _, c := range cases {
		name, qual, ok := s.plainARN(c.ref, "us-east-1")
		if name != c.name || qual != c.qual || ok != c.ok {
			t.Errorf("%s: %q %q %v", c.ref, name, qual, ok)
		}
		if ok { // the fast path agrees with the regular expression
			n2, q2, err := s.parseFunctionRef(c.ref, "us-east-1", "functionName", 170)
			if err != nil || n2 != name || q2 != qual {
				t.Errorf("%s: parseFunctionRef says %q %q %v", c.ref, n2, q2, err)
			}
		}
	}
}
