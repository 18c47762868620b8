// Package partiql is the PartiQL dialect of DynamoDB's ExecuteStatement,
// BatchExecuteStatement and ExecuteTransaction. A statement is parsed and
// rewritten into DynamoDB's own expression languages (condition, update and
// projection expressions with #name and :value placeholders), so statements
// run through the same code as GetItem, Query, Scan, PutItem, UpdateItem and
// DeleteItem, with the same semantics and errors.
package partiql

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
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

// RangeCond is a top-level range-style condition of WHERE on one attribute.
type RangeCond struct {
	Op     string // as tablestore.Range: "=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"
	Values []attr.Value
}

// Statement is a parsed statement.
type Statement struct {
	Kind  Kind
	Table string
	Index string
	// Where is WHERE as a condition expression over Names and Values ("" when
	// there is none).
	Where  string
	Names  map[string]string
	Values attr.Item
	// Equal and Range are WHERE's top-level conjuncts on single attributes:
	// attribute = literal, and the range conditions (<, <=, >, >=, BETWEEN,
	// begins_with), for finding the key.
	Equal map[string]attr.Value
	Range map[string]RangeCond
	// Projection is SELECT's list as a projection expression ("" for *).
	Projection string
	Descending bool
	// Item is INSERT's VALUE.
	Item attr.Item
	// Update is UPDATE's SET and REMOVE clauses as an update expression.
	Update string
	// Returning is RETURNING's ALL OLD, MODIFIED OLD, ALL NEW or MODIFIED NEW,
	// spelt ALL_OLD, MODIFIED_OLD, ALL_NEW, MODIFIED_NEW.
	Returning string
}

// malformed is DynamoDB's answer to a statement it cannot parse.
func malformed(format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationException", Status: http.StatusBadRequest,
		Message: "Statement wasn't well formed, can't be processed: " + fmt.Sprintf(format, args...)}
}

func validation(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: msg}
}

var errParamCount = validation("Number of parameters in request and statement don't match.")

type parser struct {
	toks   []token
	i      int
	params []attr.Value
	used   int
	st     *Statement
	// placeholder per attribute name, so a name used twice has one
	names map[string]string
	err   error
	// the first name of the path last parsed, and whether it was all of it
	lastTop    string
	lastSimple bool
}

// Parse parses statement with its ? parameters.
func Parse(statement string, params []attr.Value) (*Statement, error) {
	toks, err := lex(statement)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, params: params, names: map[string]string{},
		st: &Statement{Names: map[string]string{}, Values: attr.Item{}, Equal: map[string]attr.Value{}, Range: map[string]RangeCond{}}}
	switch {
	case p.keyword("SELECT"):
		err = p.selectStmt()
	case p.keyword("INSERT"):
		err = p.insertStmt()
	case p.keyword("UPDATE"):
		err = p.updateStmt()
	case p.keyword("DELETE"):
		err = p.deleteStmt()
	default:
		err = p.unexpected()
	}
	if err == nil && p.err != nil {
		err = p.err
	}
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected()
	}
	if p.used != len(params) {
		return nil, errParamCount
	}
	if len(p.st.Names) == 0 {
		p.st.Names = nil
	}
	if len(p.st.Values) == 0 {
		p.st.Values = nil
	}
	return p.st, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// keyword consumes keyword kw (any case) when it is next.
func (p *parser) keyword(kw string) bool {
	t := p.peek()
	if t.kind == tIdent && strings.EqualFold(t.text, kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) punct(s string) bool {
	t := p.peek()
	if t.kind == tPunct && t.text == s {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(s string) error {
	if !p.punct(s) {
		return p.unexpected()
	}
	return nil
}

func (p *parser) expectKeyword(kw string) error {
	if !p.keyword(kw) {
		return p.unexpected()
	}
	return nil
}

func (p *parser) unexpected() error {
	t := p.peek()
	if t.kind == tEOF {
		return malformed("unexpected end of statement")
	}
	text := t.text
	switch t.kind {
	case tQuoted:
		text = `"` + text + `"`
	case tString:
		text = "'" + text + "'"
	}
	return malformed("unexpected token %s at position %d", text, t.pos+1)
}

// target parses table or "table"."index".
func (p *parser) target() error {
	name, err := p.identifier()
	if err != nil {
		return err
	}
	p.st.Table = name
	if p.punct(".") {
		if p.st.Index, err = p.identifier(); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) identifier() (string, error) {
	t := p.peek()
	if t.kind != tIdent && t.kind != tQuoted {
		return "", p.unexpected()
	}
	p.i++
	return t.text, nil
}

func (p *parser) selectStmt() error {
	var proj []string
	if !p.punct("*") {
		for {
			pa, err := p.path()
			if err != nil {
				return err
			}
			proj = append(proj, pa)
			if !p.punct(",") {
				break
			}
		}
	}
	if err := p.expectKeyword("FROM"); err != nil {
		return err
	}
	p.st.Kind = Select
	if err := p.target(); err != nil {
		return err
	}
	p.st.Projection = strings.Join(proj, ", ")
	if p.keyword("WHERE") {
		if err := p.where(); err != nil {
			return err
		}
	}
	if p.keyword("ORDER") {
		if err := p.expectKeyword("BY"); err != nil {
			return err
		}
		if _, err := p.identifier(); err != nil {
			return err
		}
		switch {
		case p.keyword("DESC"):
			p.st.Descending = true
		case p.keyword("ASC"):
		}
	}
	return nil
}

func (p *parser) insertStmt() error {
	if err := p.expectKeyword("INTO"); err != nil {
		return err
	}
	p.st.Kind = Insert
	if err := p.target(); err != nil {
		return err
	}
	if err := p.expectKeyword("VALUE"); err != nil {
		return err
	}
	if p.peek().kind != tPunct || p.peek().text != "{" {
		return p.unexpected()
	}
	v, err := p.literal()
	if err != nil {
		return err
	}
	p.st.Item = attr.Item(v.Map)
	return nil
}

func (p *parser) updateStmt() error {
	p.st.Kind = Update
	if err := p.target(); err != nil {
		return err
	}
	var set, remove, add, del []string
	for {
		switch {
		case p.keyword("SET"):
			for {
				clause, kind, err := p.setAction()
				if err != nil {
					return err
				}
				switch kind {
				case "ADD":
					add = append(add, clause)
				case "DELETE":
					del = append(del, clause)
				default:
					set = append(set, clause)
				}
				if !p.punct(",") {
					break
				}
			}
			continue
		case p.keyword("REMOVE"):
			for {
				pa, err := p.path()
				if err != nil {
					return err
				}
				remove = append(remove, pa)
				if !p.punct(",") {
					break
				}
			}
			continue
		}
		break
	}
	if len(set)+len(remove)+len(add)+len(del) == 0 {
		return p.unexpected()
	}
	var u []string
	for _, c := range []struct {
		kw      string
		actions []string
	}{{"SET", set}, {"REMOVE", remove}, {"ADD", add}, {"DELETE", del}} {
		if len(c.actions) > 0 {
			u = append(u, c.kw+" "+strings.Join(c.actions, ", "))
		}
	}
	p.st.Update = strings.Join(u, " ")
	if err := p.expectKeyword("WHERE"); err != nil {
		return err
	}
	if err := p.where(); err != nil {
		return err
	}
	return p.returning()
}

// setAction parses path = value, where value may be arithmetic,
// list_append, if_not_exists, or set_add/set_delete (which become ADD and
// DELETE actions).
func (p *parser) setAction() (clause, kind string, err error) {
	target, err := p.path()
	if err != nil {
		return "", "", err
	}
	if err := p.expect("="); err != nil {
		return "", "", err
	}
	if t := p.peek(); t.kind == tIdent && (strings.EqualFold(t.text, "set_add") || strings.EqualFold(t.text, "set_delete")) {
		p.i++
		kind = "ADD"
		if strings.EqualFold(t.text, "set_delete") {
			kind = "DELETE"
		}
		if err := p.expect("("); err != nil {
			return "", "", err
		}
		pa, err := p.path()
		if err != nil {
			return "", "", err
		}
		if pa != target {
			return "", "", malformed("%s must name the attribute it sets", strings.ToLower(t.text))
		}
		if err := p.expect(","); err != nil {
			return "", "", err
		}
		v, err := p.value()
		if err != nil {
			return "", "", err
		}
		if err := p.expect(")"); err != nil {
			return "", "", err
		}
		return target + " " + v, kind, nil
	}
	v, err := p.setValue()
	if err != nil {
		return "", "", err
	}
	if p.punct("+") {
		w, err := p.setValue()
		if err != nil {
			return "", "", err
		}
		v += " + " + w
	} else if p.punct("-") {
		w, err := p.setValue()
		if err != nil {
			return "", "", err
		}
		v += " - " + w
	}
	return target + " = " + v, "SET", nil
}

func (p *parser) setValue() (string, error) {
	t := p.peek()
	if t.kind == tIdent && (strings.EqualFold(t.text, "list_append") || strings.EqualFold(t.text, "if_not_exists")) &&
		p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(" {
		p.i += 2
		a, err := p.setValue()
		if err != nil {
			return "", err
		}
		if err := p.expect(","); err != nil {
			return "", err
		}
		b, err := p.setValue()
		if err != nil {
			return "", err
		}
		if err := p.expect(")"); err != nil {
			return "", err
		}
		return strings.ToLower(t.text) + "(" + a + ", " + b + ")", nil
	}
	return p.operand()
}

func (p *parser) deleteStmt() error {
	if err := p.expectKeyword("FROM"); err != nil {
		return err
	}
	p.st.Kind = Delete
	if err := p.target(); err != nil {
		return err
	}
	if err := p.expectKeyword("WHERE"); err != nil {
		return err
	}
	if err := p.where(); err != nil {
		return err
	}
	return p.returning()
}

// returning parses RETURNING (ALL | MODIFIED) (OLD | NEW) *.
func (p *parser) returning() error {
	if !p.keyword("RETURNING") {
		return nil
	}
	var which, age string
	switch {
	case p.keyword("ALL"):
		which = "ALL"
	case p.keyword("MODIFIED"):
		which = "MODIFIED"
	default:
		return p.unexpected()
	}
	switch {
	case p.keyword("OLD"):
		age = "OLD"
	case p.keyword("NEW"):
		age = "NEW"
	default:
		return p.unexpected()
	}
	what := which + "_" + age
	if p.st.Kind == Delete && what != "ALL_OLD" {
		return malformed("DELETE supports RETURNING ALL OLD * only")
	}
	if err := p.expect("*"); err != nil {
		return err
	}
	p.st.Returning = what
	return nil
}

// name is the placeholder of an attribute name.
func (p *parser) name(n string) string {
	if ph, ok := p.names[n]; ok {
		return ph
	}
	ph := "#p" + strconv.Itoa(len(p.names))
	p.names[n] = ph
	p.st.Names[ph] = n
	return ph
}

// valueRef is the placeholder of a value.
func (p *parser) valueRef(v attr.Value) string {
	ph := ":v" + strconv.Itoa(len(p.st.Values))
	p.st.Values[ph] = v
	return ph
}

// path parses a document path and renders it with placeholders. Its first
// element's name is p.lastTop afterwards, and p.lastSimple says whether it
// had only that element.
func (p *parser) path() (string, error) {
	top, err := p.identifier()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(p.name(top))
	p.lastTop, p.lastSimple = top, true
	for {
		switch {
		case p.punct("."):
			n, err := p.identifier()
			if err != nil {
				return "", err
			}
			b.WriteString("." + p.name(n))
		case p.punct("["):
			t := p.next()
			switch t.kind {
			case tNumber:
				if _, err := strconv.Atoi(t.text); err != nil {
					return "", malformed("invalid list index %s", t.text)
				}
				b.WriteString("[" + t.text + "]")
			case tString:
				b.WriteString("." + p.name(t.text))
			default:
				p.i--
				return "", p.unexpected()
			}
			if err := p.expect("]"); err != nil {
				return "", err
			}
		default:
			return b.String(), nil
		}
		p.lastSimple = false
	}
}
