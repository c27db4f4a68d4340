package jinja

import (
	"fmt"
	"slices"
	"strconv"
)

// node is a statement or an expression of the syntax tree.
type node any

type (
	textNode    struct{ s string }
	commentNode struct{}
	breakNode   struct{}
	contNode    struct{}
	setNode     struct {
		target node
		value  node // nil: a block set, whose body renders the value
		body   []node
	}
	ifNode struct {
		test      node
		body, alt []node
	}
	forNode struct {
		target    node // identifier or tuple
		iter      node
		body, alt []node
	}
	macroNode struct {
		name   string
		params []node // identifiers and keyword arguments (defaults)
		body   []node
	}
	callBlockNode struct {
		call       *callExpr
		callerArgs []node
		body       []node
	}
	filterBlockNode struct {
		filter node // identifier or call
		body   []node
	}

	intLit    struct{ v float64 }
	floatLit  struct{ v float64 }
	strLit    struct{ s string }
	ident     struct{ name string }
	arrayLit  struct{ items []node }
	tupleLit  struct{ items []node }
	objectLit struct{ keys, values []node }
	member    struct {
		obj, prop node
		computed  bool
	}
	sliceExpr struct{ start, stop, step node } // nil parts are absent
	callExpr  struct {
		callee node
		args   []node
	}
	binary struct {
		op   string
		l, r node
	}
	unary struct {
		op string
		x  node
	}
	filterExpr struct {
		x      node
		filter node // *ident or *callExpr
	}
	testExpr struct {
		x      node
		negate bool
		name   string
	}
	selectExpr struct{ lhs, test node } // "x if cond" without else
	ternary    struct{ cond, yes, no node }
	kwArg      struct {
		key   string
		value node
	}
	spreadArg   struct{ x node }
	kwSpreadArg struct{ x node }
)

type parser struct {
	toks []token
	pos  int
}

type syntaxError struct{ msg string }

func (e syntaxError) Error() string { return e.msg }

func fail(format string, a ...any) { panic(syntaxError{fmt.Sprintf(format, a...)}) }

// parse builds the syntax tree of a token list.
func parse(toks []token) (prog []node, err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(syntaxError)
			if !ok {
				panic(r)
			}
			prog, err = nil, se
		}
	}()
	p := &parser{toks: toks}
	for p.pos < len(p.toks) {
		prog = append(prog, p.any())
	}
	return prog, nil
}

func (p *parser) peek(off int) *token {
	if p.pos+off < len(p.toks) {
		return &p.toks[p.pos+off]
	}
	return nil
}

func (p *parser) next() token {
	t := p.peek(0)
	if t == nil {
		fail("unexpected end of template")
	}
	p.pos++
	return *t
}

func (p *parser) is(types ...tokType) bool {
	for i, typ := range types {
		if t := p.peek(i); t == nil || t.typ != typ {
			return false
		}
	}
	return true
}

func (p *parser) isIdent(names ...string) bool {
	for i, n := range names {
		if t := p.peek(i); t == nil || t.typ != tIdent || t.val != n {
			return false
		}
	}
	return true
}

func (p *parser) isStatement(names ...string) bool {
	return p.is(tOpenStmt, tIdent) && slices.Contains(names, p.toks[p.pos+1].val)
}

func (p *parser) expect(typ tokType, what string) token {
	t := p.next()
	if t.typ != typ {
		fail("expected %s, got %q", what, t.val)
	}
	return t
}

func (p *parser) expectIdent(name string) {
	if !p.isIdent(name) {
		fail("expected %s", name)
	}
	p.pos++
}

func (p *parser) any() node {
	t := p.peek(0)
	switch t.typ {
	case tComment:
		p.pos++
		return &commentNode{}
	case tText:
		p.pos++
		return &textNode{t.val}
	case tOpenStmt:
		return p.statement()
	case tOpenExpr:
		p.pos++
		e := p.expression()
		p.expect(tCloseExpr, "}}")
		return e
	}
	fail("unexpected %q", t.val)
	return nil
}

// blockUntil parses statements up to one of the named tags, which it leaves.
func (p *parser) blockUntil(names ...string) []node {
	var body []node
	for !p.isStatement(names...) {
		if p.pos >= len(p.toks) {
			fail("unexpected end of template: expected {%% %s %%}", names[0])
		}
		body = append(body, p.any())
	}
	return body
}

// end consumes {% name %}.
func (p *parser) end(name string) {
	p.expect(tOpenStmt, "{%")
	p.expectIdent(name)
	p.expect(tCloseStmt, "%}")
}

func (p *parser) statement() node {
	p.expect(tOpenStmt, "{%")
	t := p.peek(0)
	if t == nil || t.typ != tIdent {
		fail("unknown statement")
	}
	p.pos++
	switch t.val {
	case "set":
		return p.set()
	case "if":
		n := p.ifStmt()
		p.end("endif")
		return n
	case "for":
		n := p.forStmt()
		p.end("endfor")
		return n
	case "macro":
		n := p.macro()
		p.end("endmacro")
		return n
	case "call":
		return p.callBlock()
	case "filter":
		return p.filterBlock()
	case "break":
		p.expect(tCloseStmt, "%}")
		return &breakNode{}
	case "continue":
		p.expect(tCloseStmt, "%}")
		return &contNode{}
	}
	fail("unknown statement type: %s", t.val)
	return nil
}

func (p *parser) set() node {
	n := &setNode{target: p.sequence(false)}
	if p.is(tEquals) {
		p.pos++
		n.value = p.sequence(false)
	} else {
		p.expect(tCloseStmt, "%}")
		n.body = p.blockUntil("endset")
		p.expect(tOpenStmt, "{%")
		p.expectIdent("endset")
	}
	p.expect(tCloseStmt, "%}")
	return n
}

func (p *parser) ifStmt() node {
	n := &ifNode{test: p.expression()}
	p.expect(tCloseStmt, "%}")
	n.body = p.blockUntil("elif", "else", "endif")
	switch {
	case p.isStatement("elif"):
		p.pos += 2
		n.alt = []node{p.ifStmt()}
	case p.isStatement("else"):
		p.pos += 2
		p.expect(tCloseStmt, "%}")
		n.alt = p.blockUntil("endif")
	}
	return n
}

func (p *parser) forStmt() node {
	n := &forNode{target: p.sequence(true)}
	switch n.target.(type) {
	case *ident, *tupleLit:
	default:
		fail("expected identifier/tuple for the loop variable")
	}
	if !p.isIdent("in") {
		fail("expected `in` keyword following loop variable")
	}
	p.pos++
	n.iter = p.expression()
	p.expect(tCloseStmt, "%}")
	n.body = p.blockUntil("endfor", "else")
	if p.isStatement("else") {
		p.pos += 2
		p.expect(tCloseStmt, "%}")
		n.alt = p.blockUntil("endfor")
	}
	return n
}

func (p *parser) macro() node {
	name, ok := p.primary().(*ident)
	if !ok {
		fail("expected identifier following macro statement")
	}
	n := &macroNode{name: name.name, params: p.args(true)}
	p.expect(tCloseStmt, "%}")
	n.body = p.blockUntil("endmacro")
	return n
}

func (p *parser) callBlock() node {
	n := &callBlockNode{}
	if p.is(tOpenParen) {
		n.callerArgs = p.args(true)
	}
	callee, ok := p.primary().(*ident)
	if !ok {
		fail("expected identifier following call statement")
	}
	n.call = &callExpr{callee: callee, args: p.args(false)}
	p.expect(tCloseStmt, "%}")
	n.body = p.blockUntil("endcall")
	p.end("endcall")
	return n
}

func (p *parser) filterBlock() node {
	f := p.primary()
	if id, ok := f.(*ident); ok && p.is(tOpenParen) {
		f = p.call(id)
	}
	n := &filterBlockNode{filter: f}
	p.expect(tCloseStmt, "%}")
	n.body = p.blockUntil("endfilter")
	p.end("endfilter")
	return n
}

// sequence parses "a" or "a, b, ..." (a tuple).
func (p *parser) sequence(primary bool) node {
	one := p.expression
	if primary {
		one = p.primary
	}
	items := []node{one()}
	tuple := p.is(tComma)
	for tuple {
		p.pos++
		items = append(items, one())
		if !p.is(tComma) {
			break
		}
	}
	if tuple {
		return &tupleLit{items}
	}
	return items[0]
}

func (p *parser) expression() node {
	a := p.or()
	if p.isIdent("if") {
		p.pos++
		test := p.or()
		if p.isIdent("else") {
			p.pos++
			return &ternary{cond: test, yes: a, no: p.expression()}
		}
		return &selectExpr{lhs: a, test: test}
	}
	return a
}

// leftAssoc parses operand (op operand)..., left-associative; op consumes
// and returns the operator at the cursor, if any.
func (p *parser) leftAssoc(operand func() node, op func() (string, bool)) node {
	l := operand()
	for {
		o, ok := op()
		if !ok {
			return l
		}
		l = &binary{op: o, l: l, r: operand()}
	}
}

func (p *parser) keyword(name string) func() (string, bool) {
	return func() (string, bool) {
		if !p.isIdent(name) {
			return "", false
		}
		p.pos++
		return name, true
	}
}

func (p *parser) symbol(typ tokType) func() (string, bool) {
	return func() (string, bool) {
		if !p.is(typ) {
			return "", false
		}
		return p.next().val, true
	}
}

func (p *parser) or() node  { return p.leftAssoc(p.and, p.keyword("or")) }
func (p *parser) and() node { return p.leftAssoc(p.not, p.keyword("and")) }

func (p *parser) not() node {
	if p.isIdent("not") {
		p.pos++
		return &unary{op: "not", x: p.not()}
	}
	return p.comparison()
}

// comparison: membership (in, not in) has the precedence of comparisons.
func (p *parser) comparison() node {
	return p.leftAssoc(p.additive, func() (string, bool) {
		switch {
		case p.isIdent("not", "in"):
			p.pos += 2
			return "not in", true
		case p.isIdent("in"):
			p.pos++
			return "in", true
		}
		return p.symbol(tComparison)()
	})
}

func (p *parser) additive() node       { return p.leftAssoc(p.multiplicative, p.symbol(tAdditive)) }
func (p *parser) multiplicative() node { return p.leftAssoc(p.power, p.symbol(tMultiplicative)) }

// power: unlike Python, Jinja's ** is left-associative.
func (p *parser) power() node { return p.leftAssoc(p.test, p.symbol(tPower)) }

func (p *parser) test() node {
	x := p.filter()
	for p.isIdent("is") {
		p.pos++
		neg := p.isIdent("not")
		if neg {
			p.pos++
		}
		name, ok := p.primary().(*ident)
		if !ok {
			fail("expected identifier for the test")
		}
		x = &testExpr{x: x, negate: neg, name: name.name}
	}
	return x
}

func (p *parser) filter() node {
	x := p.sign()
	for p.is(tPipe) {
		p.pos++
		f := p.primary()
		id, ok := f.(*ident)
		if !ok {
			fail("expected identifier for the filter")
		}
		if p.is(tOpenParen) {
			f = p.call(id)
		}
		x = &filterExpr{x: x, filter: f}
	}
	return x
}

func (p *parser) sign() node {
	if t := p.peek(0); t != nil && (t.typ == tUnary || t.typ == tAdditive) && (t.val == "-" || t.val == "+") {
		p.pos++
		return &unary{op: t.val, x: p.sign()}
	}
	x := p.members(p.primary())
	if p.is(tOpenParen) {
		return p.call(x)
	}
	return x
}

func (p *parser) call(callee node) node {
	var x node = &callExpr{callee: callee, args: p.args(false)}
	x = p.members(x)
	if p.is(tOpenParen) {
		x = p.call(x)
	}
	return x
}

// args parses a parenthesized argument list: call arguments, or with
// params a macro's parameters.
func (p *parser) args(params bool) []node {
	p.expect(tOpenParen, "(")
	var args []node
	seen := map[string]bool{}
	sawKw, sawSpread := false, false
	for !p.is(tCloseParen) {
		if p.pos >= len(p.toks) {
			fail("unexpected end of template in an argument list")
		}
		kwSpread := p.is(tPower)
		spread := p.is(tMultiplicative) && p.toks[p.pos].val == "*"
		if params && (kwSpread || spread) {
			fail("argument unpacking is not allowed in parameter declarations")
		}
		if kwSpread {
			p.pos++
			args = append(args, &kwSpreadArg{p.expression()})
			if p.is(tComma) {
				p.pos++
			}
			if !p.is(tCloseParen) {
				fail("expected closing parenthesis: `**` must be applied to the final argument")
			}
			break
		}
		args = append(args, p.argument(params, spread, seen, &sawKw, &sawSpread))
		if p.is(tComma) {
			p.pos++
		}
	}
	p.expect(tCloseParen, ")")
	return args
}

func (p *parser) argument(params, spread bool, seen map[string]bool, sawKw, sawSpread *bool) node {
	if spread {
		if *sawSpread {
			fail("only one `*` argument unpacking is allowed")
		}
		*sawSpread = true
		p.pos++
		return &spreadArg{p.expression()}
	}
	var arg node = p.expression()
	if p.is(tEquals) {
		p.pos++
		id, ok := arg.(*ident)
		if !ok {
			fail("expected identifier for keyword argument")
		}
		arg = &kwArg{key: id.name, value: p.expression()}
	}
	if params {
		var name string
		switch a := arg.(type) {
		case *ident:
			name = a.name
		case *kwArg:
			name = a.key
		default:
			fail("expected identifier for parameter declaration")
		}
		if seen[name] {
			fail("duplicate parameter name: %s", name)
		}
		seen[name] = true
	}
	if _, ok := arg.(*kwArg); ok {
		*sawKw = true
	} else if *sawKw {
		fail("positional arguments must come before keyword arguments")
	} else if *sawSpread {
		fail("positional arguments must not follow `*` argument unpacking")
	}
	return arg
}

// subscript parses what is inside [...]: an index or a slice.
func (p *parser) subscript() node {
	var parts []node
	isSlice := false
	for !p.is(tCloseBracket) {
		if p.pos >= len(p.toks) {
			fail("unexpected end of template in a subscript")
		}
		if p.is(tColon) {
			parts = append(parts, nil)
			p.pos++
			isSlice = true
			continue
		}
		parts = append(parts, p.expression())
		if p.is(tColon) {
			p.pos++
			isSlice = true
		}
	}
	switch {
	case len(parts) == 0:
		fail("expected at least one argument for member/slice expression")
	case !isSlice:
		return parts[0]
	case len(parts) > 3:
		fail("expected 0-3 arguments for slice expression")
	}
	parts = append(parts, nil, nil)
	return &sliceExpr{start: parts[0], stop: parts[1], step: parts[2]}
}

func (p *parser) members(x node) node {
	for p.is(tDot) || p.is(tOpenBracket) {
		computed := p.next().typ == tOpenBracket
		var prop node
		if computed {
			prop = p.subscript()
			p.expect(tCloseBracket, "]")
		} else {
			prop = p.primary()
			switch prop.(type) {
			case *ident, *intLit:
			default:
				fail("expected identifier or integer following dot operator")
			}
		}
		x = &member{obj: x, prop: prop, computed: computed}
	}
	return x
}

func (p *parser) primary() node {
	t := p.next()
	switch t.typ {
	case tNumber:
		v, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			fail("bad number %q", t.val)
		}
		for _, c := range t.val {
			if c == '.' {
				return &floatLit{v}
			}
		}
		return &intLit{v}
	case tString:
		s := t.val
		for p.is(tString) {
			s += p.next().val
		}
		return &strLit{s}
	case tIdent:
		return &ident{t.val}
	case tOpenParen:
		x := p.sequence(false)
		p.expect(tCloseParen, ")")
		return x
	case tOpenBracket:
		a := &arrayLit{}
		for !p.is(tCloseBracket) {
			if p.pos >= len(p.toks) {
				fail("unexpected end of template in a list")
			}
			a.items = append(a.items, p.expression())
			if p.is(tComma) {
				p.pos++
			}
		}
		p.pos++
		return a
	case tOpenCurly:
		o := &objectLit{}
		for !p.is(tCloseCurly) {
			if p.pos >= len(p.toks) {
				fail("unexpected end of template in a dict")
			}
			o.keys = append(o.keys, p.expression())
			p.expect(tColon, ":")
			o.values = append(o.values, p.expression())
			if p.is(tComma) {
				p.pos++
			}
		}
		p.pos++
		return o
	}
	fail("unexpected token: %q", t.val)
	return nil
}
