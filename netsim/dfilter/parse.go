package dfilter

import (
	"fmt"

	"netsim.dev/netsim/dissect"
)

// parser is a recursive-descent parser over the token list. Precedence,
// lowest first: or, and, not.
type parser struct {
	expr string
	toks []token
	i    int
	// curField and curSlice are the field side of the relation being
	// parsed, for range checks of literals.
	curField *dissect.Field
	curSlice *sliceSpec
	// depth is how many parentheses and "not"s enclose the next token.
	depth int
}

// MaxDepth is how deeply [Compile] lets parentheses and "not" nest: a
// filter nested deeper fails with a [*SyntaxError] at the level too deep,
// where the parser would otherwise recurse until the goroutine's stack
// overflowed, a fatal error no recover catches.
const MaxDepth = 1000

// enter counts one more level of nesting at t, failing past MaxDepth; a
// successful enter is paired with ps.depth--.
func (ps *parser) enter(t token) error {
	if ps.depth >= MaxDepth {
		return errAt(ps.expr, t.pos, t.end-t.pos, "Filter nested too deeply (more than %d levels of parentheses and \"not\").", MaxDepth)
	}
	ps.depth++
	return nil
}

func (ps *parser) peek() token { return ps.toks[ps.i] }

func (ps *parser) next() token {
	t := ps.toks[ps.i]
	if t.kind != tEOF {
		ps.i++
	}
	return t
}

func (ps *parser) unexpected(t token) error {
	if t.kind == tEOF {
		return errAt(ps.expr, t.pos, 0, "Unexpected end of filter expression.")
	}
	return errAt(ps.expr, t.pos, t.end-t.pos, "%q was unexpected in this context.", ps.expr[t.pos:t.end])
}

func (ps *parser) parseOr() (node, error) {
	l, err := ps.parseAnd()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == tOr {
		ps.next()
		r, err := ps.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &orNode{l, r}
	}
	return l, nil
}

func (ps *parser) parseAnd() (node, error) {
	l, err := ps.parseNot()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == tAnd {
		ps.next()
		r, err := ps.parseNot()
		if err != nil {
			return nil, err
		}
		l = &andNode{l, r}
	}
	return l, nil
}

func (ps *parser) parseNot() (node, error) {
	if t := ps.peek(); t.kind == tNot {
		if err := ps.enter(t); err != nil {
			return nil, err
		}
		ps.next()
		n, err := ps.parseNot()
		ps.depth--
		if err != nil {
			return nil, err
		}
		return &notNode{n}, nil
	}
	return ps.parsePrimary()
}

func (ps *parser) parsePrimary() (node, error) {
	t := ps.peek()
	if t.kind == tLParen {
		if err := ps.enter(t); err != nil {
			return nil, err
		}
		ps.next()
		n, err := ps.parseOr()
		ps.depth--
		if err != nil {
			return nil, err
		}
		if c := ps.next(); c.kind != tRParen {
			return nil, ps.unexpected(c)
		}
		return n, nil
	}
	return ps.parseRelation()
}

// operand is one side of a relation: a field (maybe sliced) or a literal.
type operand struct {
	tok   token
	field *dissect.Field
	slice *sliceSpec
	str   bool // a quoted string literal
}

func (ps *parser) parseOperand() (*operand, error) {
	t := ps.next()
	switch t.kind {
	case tString:
		return &operand{tok: t, str: true}, nil
	case tWord:
		if funcNames[t.val] && ps.peek().kind == tLParen {
			return ps.parseFunc(t)
		}
		o := &operand{tok: t, field: dissect.Lookup(t.val)}
		if o.field != nil && ps.peek().kind == tLBracket {
			open := ps.next()
			w := ps.next()
			if w.kind != tWord {
				return nil, ps.unexpected(w)
			}
			if c := ps.next(); c.kind != tRBracket {
				return nil, ps.unexpected(c)
			}
			s, err := parseSlice(w.val)
			if err != nil {
				return nil, errAt(ps.expr, open.pos, w.end+1-open.pos, "%s", err)
			}
			if !sliceable(o.field.Type) {
				return nil, errAt(ps.expr, o.tok.pos, w.end+1-o.tok.pos, "%q is a %s and cannot be sliced.", o.field.Name, o.field.Type)
			}
			o.slice = s
		}
		return o, nil
	}
	return nil, ps.unexpected(t)
}

func notAField(expr string, t token) error {
	return errAt(expr, t.pos, t.end-t.pos, "%q is not a valid protocol or protocol field", t.val)
}

func (ps *parser) parseRelation() (node, error) {
	lhs, err := ps.parseOperand()
	if err != nil {
		return nil, err
	}
	op := ps.peek()
	switch op.kind {
	case tOp, tContains, tMatches, tIn:
	default:
		if lhs.field == nil {
			if lhs.str {
				return nil, errAt(ps.expr, lhs.tok.pos, lhs.tok.end-lhs.tok.pos, "A string (%q) cannot be used alone as a test.", lhs.tok.val)
			}
			return nil, notAField(ps.expr, lhs.tok)
		}
		if lhs.slice != nil && lhs.slice.fn != "" {
			return nil, errAt(ps.expr, lhs.tok.pos, lhs.tok.end-lhs.tok.pos, "You cannot test whether a function is present.")
		}
		return &existsNode{f: lhs.field, slice: lhs.slice}, nil
	}
	ps.next()
	ps.curField, ps.curSlice = lhs.field, lhs.slice
	if op.kind == tIn {
		if lhs.field == nil {
			return nil, notAField(ps.expr, lhs.tok)
		}
		return ps.parseSet(lhs, op)
	}
	rhs, err := ps.parseOperand()
	if err != nil {
		return nil, err
	}
	if lhs.field == nil && rhs.field != nil && op.kind == tOp {
		// literal OP field: swap so the field drives the type.
		lhs, rhs = rhs, lhs
		op.val = flipOp(op.val)
		ps.curField, ps.curSlice = lhs.field, lhs.slice
	}
	if lhs.field == nil {
		return nil, notAField(ps.expr, lhs.tok)
	}
	return ps.buildCompare(lhs, op, rhs)
}

func flipOp(op string) string {
	switch op {
	case "<":
		return ">"
	case ">":
		return "<"
	case "<=":
		return ">="
	case ">=":
		return "<="
	}
	return op
}

func (ps *parser) parseSet(lhs *operand, inTok token) (node, error) {
	if t := ps.next(); t.kind != tLBrace {
		return nil, ps.unexpected(t)
	}
	n := &inNode{f: lhs.field, slice: lhs.slice}
	typ := operandType(lhs)
	for {
		lo, err := ps.parseOperand()
		if err != nil {
			return nil, err
		}
		if lo.field != nil {
			return nil, errAt(ps.expr, lo.tok.pos, lo.tok.end-lo.tok.pos, "Only values can be used in a set, not the field %q.", lo.tok.val)
		}
		lv, err := ps.literal(typ, lo)
		if err != nil {
			return nil, err
		}
		el := setElem{lo: lv, hi: lv}
		if ps.peek().kind == tDotDot {
			ps.next()
			hi, err := ps.parseOperand()
			if err != nil {
				return nil, err
			}
			hv, err := ps.literal(typ, hi)
			if err != nil {
				return nil, err
			}
			el.hi, el.isRange = hv, true
		}
		n.elems = append(n.elems, el)
		t := ps.next()
		if t.kind == tRBrace {
			break
		}
		if t.kind != tComma {
			return nil, ps.unexpected(t)
		}
	}
	return n, nil
}

func (ps *parser) buildCompare(lhs *operand, op token, rhs *operand) (node, error) {
	typ := operandType(lhs)
	if typ == dissect.TypeNone {
		return nil, errAt(ps.expr, lhs.tok.pos, lhs.tok.end-lhs.tok.pos, "%s (type=Label) cannot participate in %s comparison.", lhs.tok.val, op.val)
	}
	c := &cmpNode{f: lhs.field, slice: lhs.slice, op: op.val}
	switch op.kind {
	case tContains:
		c.op = "contains"
		if !sliceable(typ) && typ != dissect.TypeString {
			return nil, errAt(ps.expr, lhs.tok.pos, op.end-lhs.tok.pos, "%q is a %s and cannot be used with \"contains\".", lhs.tok.val, typ)
		}
	case tMatches:
		c.op = "matches"
		if !sliceable(typ) && typ != dissect.TypeString {
			return nil, errAt(ps.expr, lhs.tok.pos, op.end-lhs.tok.pos, "%q is a %s and cannot be used with \"matches\".", lhs.tok.val, typ)
		}
		if !rhs.str {
			return nil, errAt(ps.expr, rhs.tok.pos, rhs.tok.end-rhs.tok.pos, "Matches requires a double quoted string on the right side.")
		}
		re, err := compileRegexp(rhs.tok.val)
		if err != nil {
			return nil, errAt(ps.expr, rhs.tok.pos, rhs.tok.end-rhs.tok.pos, "%s", err)
		}
		c.re = re
		return c, nil
	}
	if rhs.field != nil {
		rt := operandType(rhs)
		if !compatible(typ, rt) {
			return nil, errAt(ps.expr, lhs.tok.pos, rhs.tok.end-lhs.tok.pos, "%s and %s are not of compatible types.", lhs.tok.val, rhs.tok.val)
		}
		c.rf, c.rslice = rhs.field, rhs.slice
	} else {
		v, err := ps.literal(typ, rhs)
		if err != nil {
			return nil, err
		}
		if op.kind == tContains && typ == dissect.TypeString {
			v.b = []byte(v.s)
		}
		c.lit = v
	}
	return c, nil
}

func operandType(o *operand) dissect.FieldType {
	return specType(o.field.Type, o.slice)
}

func sliceable(t dissect.FieldType) bool {
	switch t {
	case dissect.TypeBytes, dissect.TypeEther, dissect.TypeProtocol, dissect.TypeIPv6, dissect.TypeString:
		return true
	}
	return false
}

func compatible(a, b dissect.FieldType) bool {
	if a == b {
		return true
	}
	bytesLike := func(t dissect.FieldType) bool {
		return t == dissect.TypeBytes || t == dissect.TypeEther || t == dissect.TypeProtocol
	}
	num := func(t dissect.FieldType) bool {
		return t == dissect.TypeUint || t == dissect.TypeInt || t == dissect.TypeFrameNum || t == dissect.TypeBool
	}
	return bytesLike(a) && bytesLike(b) || num(a) && num(b)
}

// Compile parses a display filter. An empty (or blank) expression matches
// every packet.
func Compile(expr string) (*Filter, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	f := &Filter{expr: expr}
	if toks[0].kind == tEOF {
		return f, nil
	}
	ps := &parser{expr: expr, toks: toks}
	n, err := ps.parseOr()
	if err != nil {
		return nil, err
	}
	if t := ps.peek(); t.kind != tEOF {
		return nil, ps.unexpected(t)
	}
	f.root = n
	return f, nil
}

// MustCompile is Compile that panics on error, for filters written in
// source code.
func MustCompile(expr string) *Filter {
	f, err := Compile(expr)
	if err != nil {
		panic(fmt.Sprintf("dfilter: Compile(%q): %v", expr, err))
	}
	return f
}
