// Package partiql is the PartiQL dialect of DynamoDB's ExecuteStatement,
// BatchExecuteStatement and ExecuteTransaction. A statement is parsed as
// DynamoDB's parser parses it, and rewritten into DynamoDB's own expression
// languages (condition, update and projection expressions over #name and
// :value placeholders), so that statements run through the same code as
// GetItem, Query, Scan, PutItem, UpdateItem and DeleteItem, with the same
// semantics and errors.
//
// Parse needs no table: what depends on the key schema (whether WHERE names
// the key, ORDER BY's attribute, key types) is the caller's to check, with
// Equal and Range.
package partiql

import (
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// Kind is a statement's verb.
type Kind uint8

// The statements DynamoDB runs.
const (
	Select Kind = iota + 1
	Insert
	Update
	Delete
)

// RangeCond is a top-level range condition of WHERE on one attribute.
type RangeCond struct {
	Op     string // as tablestore.Range: "=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"
	Values []attr.Value
}

// Statement is a parsed statement. Every map is nil when empty (expr.NewParams
// refuses empty name and value maps as a request's would be refused).
type Statement struct {
	Kind Kind
	// Table is the table of FROM, INTO, UPDATE or DELETE FROM; Index is the
	// index of FROM "Table"."Index", or "".
	Table string
	Index string
	// Where is WHERE in DynamoDB's condition expression language, every
	// attribute name a #placeholder of Names and every literal and ?
	// parameter a :placeholder of Values ("" when there is no WHERE).
	Where  string
	Names  map[string]string
	Values attr.Item
	// Equal holds WHERE's top-level conjuncts "attribute = value" (under
	// AND only, not OR or NOT), by attribute, for finding the key; Range its
	// top-level <, <=, >, >=, BETWEEN and begins_with on single attributes.
	// When an attribute has several, the first is kept: WHERE still holds
	// them all.
	Equal map[string]attr.Value
	Range map[string]RangeCond
	// Projection is SELECT's list as a projection expression over Names
	// ("" for SELECT *).
	Projection string
	// OrderBy are ORDER BY's attributes (DynamoDB allows only key
	// attributes, which the caller checks); Descending is whether the last
	// of them is DESC.
	OrderBy    []string
	Descending bool
	// Item is INSERT's VALUE.
	Item attr.Item
	// Update is UPDATE's SET and REMOVE clauses as an update expression over
	// Names and Values; set_add and set_delete become ADD and DELETE.
	Update string
	// Returning is RETURNING's ALL_OLD, MODIFIED_OLD, ALL_NEW or
	// MODIFIED_NEW ("" without RETURNING).
	Returning string
}

// Parse parses statement, binding its ? parameters to params in order. It
// fails with DynamoDB's ValidationException (*awsproto.Error) for a
// statement DynamoDB refuses without reading a table: one its parser cannot
// read, one it does not run (joins, GROUP BY, LIMIT, aliases, ...), values
// out of DynamoDB's ranges, and a count of parameters that is not the
// statement's.
func Parse(statement string, params []attr.Value) (*Statement, error) {
	toks, err := lex(statement)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.statement()
	if err != nil {
		return nil, err
	}
	count := 0
	for _, t := range toks {
		if t.kind == tParam {
			count++
		}
	}
	if count != len(params) {
		return nil, validation(mParamCount)
	}
	return translate(n, params)
}
