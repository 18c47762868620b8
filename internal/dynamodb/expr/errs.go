package expr

// errClass is a kind of semantic error. DynamoDB does not answer the first
// semantic error it meets: it parses the whole expression, then answers the
// first error of the first class that has one, in an order fixed per
// grammar. The classes and orders follow dynalite (db/*.pegjs), whose tests
// were written against AWS's answers.
type errClass uint8

const (
	eParens      errClass = iota // ((x))
	eUnknownFn                   // foo(a)
	eMisusedFn                   // a condition function used as an operand, or size() as a condition
	eReserved                    // a reserved word used as a name
	eSection                     // an update clause given twice
	eDepth                       // a document path nested too deeply
	ePlaceholder                 // the first undefined #name or :value, whichever comes first
	eAttrName                    // the first undefined #name
	eAttrVal                     // the first undefined :value
	eOverlap                     // two update or projection paths, one a prefix of the other
	eConflict                    // two paths, one indexing a list where the other names a map key
	eOperand                     // a function's number of operands (conditions), ADD/DELETE operand types (updates)
	eDistinct                    // a path compared with itself
	eFunction                    // operand types and the like
	nClasses
)

type errs struct {
	first [nClasses]error
	// cond is, for the condition grammar, the undefined-placeholder, operand,
	// distinct or function error of the first condition that had one:
	// DynamoDB reports those per condition, so an error in the first of
	// "a = :x AND begins_with(a)" wins over a higher class in the second.
	cond error
}

// add records err as the error of class c, unless c has one already.
func (e *errs) add(c errClass, err error) {
	if e.first[c] == nil {
		e.first[c] = err
	}
}

// firstOf returns the error of the first class of cs that has one.
func (e *errs) firstOf(cs ...errClass) error {
	for _, c := range cs {
		if err := e.first[c]; err != nil {
			return err
		}
	}
	return nil
}

// closeCondition is called as each comparison or function condition ends.
func (e *errs) closeCondition() {
	if e.cond == nil {
		e.cond = e.firstOf(ePlaceholder, eOperand, eDistinct, eFunction)
	}
}

// conditionError is the error DynamoDB answers for a condition expression.
func (e *errs) conditionError() error {
	if err := e.firstOf(eParens, eUnknownFn, eMisusedFn, eReserved, eDepth); err != nil {
		return err
	}
	return e.cond
}
