package partiql

import (
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// DynamoDB runs PartiQL through AWS's PartiQL parser (partiql-lang-kotlin's
// SqlParser) and then through its own translation, and its messages come
// from those two: a statement the parser refuses is "Statement wasn't well
// formed, can't be processed: " and the parser's own words ("Unexpected
// term", "Expected identifier for simple path", ...) with no position; the
// lexer's refusals have nothing after the colon. The translation's messages
// have no envelope.
//
// Sources, best first: statements pinned against AWS (eu-west-2, 2026) by a
// public conformance suite ("confirmed" below); the parser's source
// (partiql-lang-kotlin lang/src/org/partiql/lang/syntax/SqlParser.kt, the
// version with DML lists and RETURNING); the message catalogue of DynamoDB
// Local (ddb.partiql.shared.exceptions.ValidationExceptionMessages, code it
// shares with the service); answers recorded from DynamoDB Local. The rest
// is marked unconfirmed.

const wellFormed = "Statement wasn't well formed, can't be processed: "

func validation(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: msg}
}

// malformed is a refusal of the parser or the lexer.
func malformed(detail string) *awsproto.Error { return validation(wellFormed + detail) }

// The parser's words, as SqlParser.kt words them.
const (
	sUnexpectedTerm     = "Unexpected term"                                      // confirmed: "SELECT * FROM t WHERE"
	sUnexpectedKeyword  = "Unexpected keyword"                                   // confirmed: "... WHERE ORDER BY pk"
	sUnexpectedOperator = "Unexpected operator"                                  // confirmed: "... WHERE IS NULL"
	sMissingRHS         = "Missing right-hand side expression of infix operator" // confirmed: "... WHERE pk = 'p1' AND"
	sSimplePath         = "Expected identifier for simple path"                  // confirmed: "DELETE FROM"
	sTypeName           = "Expected type name"                                   // confirmed: "x IS FOO"
	sLeftover           = "Unexpected token after expression"                    // confirmed: "... WHERE pk = 1 foo"
	sNoDML              = "Expected data manipulation"                           // confirmed: "SLECT * FROM t"
	sAfterSemicolon     = "Unexpected token after semicolon. (Only one query is allowed.)"
	sSimplePathDot      = "Invalid path dot component for simple path"
	sPathDot            = "Invalid path dot component"
	sSimplePathIndex    = "Invalid path component for simple path"
	sFromAfterDelete    = "Expected FROM after DELETE"
	sFromAfterSelect    = "Expected FROM after SELECT list"
	sExpectEquals       = "Expected '='"
	sAfterAnd           = "Expected expression after AND"
	sAggregateUnary     = "Aggregate functions are always unary"
	sTypeParam          = "Type parameter must be an unsigned integer literal"
	sOnConflict         = "invalid ON CONFLICT syntax"
	sReturningMapping   = "Expected ( MODIFIED | ALL ) ( NEW | OLD ) in each returning element."
	sReturningColumn    = "Unsupported syntax in RETURNING columns."
	sReturningPaths     = "More than two paths in RETURNING columns."
	sRowConstructor     = "Expected LEFT_PAREN for row value constructor"
)

// The translation's words (DynamoDB Local's catalogue unless marked).
const (
	mParamCount      = "Number of parameters in request and statement don't match."
	mAlias           = "Aliasing is not supported" // confirmed
	mMultipleFrom    = "Only select from a single table or index is supported."
	mDMLFrom         = "FROM clause may only contain a single table name in data manipulation statements"
	mFromSource      = "Unexpected from source"
	mFromPath        = "A path may contain at most 2 components in the FROM clause"
	mTableName       = "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'."
	mOnIndex         = "This operation is not supported on an index"
	mValueOrPivot    = "Select projection doesn't support value or pivot keywords"
	mStarAndOthers   = "Other attributes should not be present in the projection when '*' is used."
	mDuplicateSelect = "Duplicate identifiers in select clause: %s" // recorded from DynamoDB Local
	mClause          = "Unsupported clause: %s"                     // LIMIT recorded from DynamoDB Local
	mOperation       = "Unsupported operation: %s"                  // confirmed: "Unsupported operation: IsType"
	mFunction        = "Unrecognized function: %s"
	mConditionOp     = "Unsupported operator in Condition Expression. Operator: %s"
	mUpdateOp        = "Unsupported operator in Update Expression. Operator: %s"
	mISInUpdate      = "IS operator is not supported in update expressions"
	mWhereBoolean    = "WHERE clause must contain an expression that resolves to a boolean"
	mAndOrOperand    = "The arguments to AND/OR must be Expressions"
	mNotOperand      = "The argument to NOT must be a Type or Expression"
	mISOperand       = "The left hand side argument to IS must be a Variable Reference, Literal, or Path"
	mISType          = "Unsupported data type for IS operator: %s. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
	mIN              = "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"
	mMissing         = "MISSING must be compared using IS operator"
	mExists          = "EXISTS can only be used in ExecuteTransaction write requests."
	mPathComponent   = "Unexpected path component"
	mEmptyPath       = "Path component cannot be an empty string"
	mListIndex       = "List index is not within the allowable range; index: [%s]"
	mWildcard        = "Wildcard path component like a[*].b are not supported"
	mUnpivot         = "Unpivot path component like a.*.b are not supported"
	mOrderByWhere    = "Must have WHERE clause in the statement when using ORDER BY clause."
	mOrderByType     = "Argument to ORDER BY must be of type VariableReference. Type: %s"
	mItemSyntax      = "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement."
	mInsertMany      = "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead"
	mInsertFrom      = "Unsupported FROM ... WHERE ... clause in INSERT statement."
	mInsertAt        = "AT is not supported in insert statements."
	mInsertReturning = "RETURNING is not supported in INSERT"
	mDeleteReturning = "Invalid returning clause: RETURNING %s. Only RETURNING ALL OLD * is allowed in DELETE statements."
	mReturningMany   = "Invalid syntax with multiple returning elements in RETURNING clause"
	mReturningStar   = "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"
	mSetArgs         = "SET_%s must have exactly two arguments"
	mSetFirstArg     = "The first argument to SET_%s must equal the assignment value"
	mSetSecondArg    = "The second argument to SET_%s must be a value with type SET"
	mTupleKey        = "Tuple keys must be of type String. Actual type: %s under %s"
	mDuplicateKey    = "Duplicate keys in tuple. Key: %s under %s"
	mDataType        = "Unsupported data type: %s under key %s"
	mNegativeZero    = "Negative zero decimal is not supported under key %s"
	mEmptyBag        = "Empty bags are not supported" // recorded from DynamoDB Local
	mBagType         = "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"
	// Recorded from DynamoDB Local in these words; AWS's may name the members.
	mBagDuplicates = "Input collection contains duplicates"
	// The item API's message for values nested deeper than 32 levels; that
	// PartiQL literals get the same one is unconfirmed.
	mNesting = "Nesting Levels have exceeded supported limits"
)
