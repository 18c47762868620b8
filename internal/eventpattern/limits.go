package eventpattern

// checkSNSLimits applies SNS's key and complexity limits to a compiled
// filter policy. The sentences are SNS's as moto's tests record them
// (moto/sns/utils.py, tests/test_sns/test_subscriptions_boto3.py).
func checkSNSLimits(root *object, d Dialect) error {
	keys := map[string]bool{}
	topLevelKeys(root, keys)
	if len(keys) > SNSMaxKeys {
		return invalid("Filter policy can not have more than 5 keys")
	}
	if combinations(root, 1, d == SNSMessageBody) > SNSMaxCombinations {
		return invalid("Filter policy is too complex")
	}
	return nil
}

// topLevelKeys collects the keys at the top of a policy, those of its
// top-level "$or" alternatives included: they name top-level properties too.
func topLevelKeys(o *object, into map[string]bool) {
	for _, f := range o.fields {
		into[f.key] = true
	}
	for _, alts := range o.ors {
		for _, alt := range alts {
			topLevelKeys(alt, into)
		}
	}
}

// combinations counts a policy's combinations of values as SNS's guide
// does: the product of each array's number of values (times its key's depth,
// for message-body policies: "3 x 4 x 2 x 3 = 72" for four values three
// levels down and three two levels down), an "$or" adding up its
// alternatives. The count saturates instead of overflowing.
func combinations(o *object, level int, byDepth bool) int {
	n := 1
	for _, f := range o.fields {
		if f.leaf != nil {
			k := f.leaf.entries
			if byDepth {
				k *= level
			}
			n = mulSat(n, k)
		} else {
			n = mulSat(n, combinations(f.obj, level+1, byDepth))
		}
	}
	for _, alts := range o.ors {
		sum := 0
		for _, alt := range alts {
			sum = addSat(sum, combinations(alt, level, byDepth))
		}
		n = mulSat(n, sum)
	}
	return n
}

const satMax = 1 << 40

func mulSat(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > satMax/b {
		return satMax
	}
	return a * b
}

func addSat(a, b int) int {
	if a+b > satMax {
		return satMax
	}
	return a + b
}
