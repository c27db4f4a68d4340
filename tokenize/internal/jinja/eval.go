package jinja

import (
	"bytes"
	"math"
	"strings"
	"time"
)

// env is one scope; lookups walk to the parents.
type env struct {
	vars   map[string]Value
	parent *env
}

func newEnv(parent *env) *env { return &env{vars: map[string]Value{}, parent: parent} }

func (e *env) lookup(name string) Value {
	for s := e; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v
		}
	}
	return undefined
}

func (e *env) set(name string, v Value) { e.vars[name] = v }

type interp struct {
	now   time.Time
	depth int // macro calls in progress
}

// maxDepth bounds macro recursion, which JavaScript ends with a stack
// overflow error and Go would end with a crash.
const maxDepth = 500

// control is the panic value of {% break %} and {% continue %}.
type control struct{ brk bool }

// block renders statements into out.
func (in *interp) block(stmts []node, e *env, out *bytes.Buffer) {
	for _, s := range stmts {
		in.statement(s, e, out)
	}
}

func (in *interp) render(stmts []node, e *env) string {
	var b bytes.Buffer
	in.block(stmts, e, &b)
	return b.String()
}

func (in *interp) statement(s node, e *env, out *bytes.Buffer) {
	switch n := s.(type) {
	case *textNode:
		out.WriteString(n.s)
	case *commentNode:
	case *setNode:
		in.set(n, e)
	case *ifNode:
		if truthy(in.eval(n.test, e)) {
			in.block(n.body, e, out)
		} else {
			in.block(n.alt, e, out)
		}
	case *forNode:
		in.forLoop(n, e, out)
	case *macroNode:
		in.macro(n, e)
	case *breakNode:
		panic(control{brk: true})
	case *contNode:
		panic(control{})
	default:
		v := in.eval(s, e)
		switch v.(type) {
		case undefinedV, nullV:
		default:
			out.WriteString(display(v))
		}
	}
}

func (in *interp) set(n *setNode, e *env) {
	var rhs Value
	if n.value != nil {
		rhs = in.eval(n.value, e)
	} else {
		rhs = strV(in.render(n.body, e))
	}
	switch t := n.target.(type) {
	case *ident:
		e.set(t.name, rhs)
	case *tupleLit:
		arr, ok := rhs.(*arrayV)
		if !ok {
			raise("Cannot unpack non-iterable type in set: %s", typeName(rhs))
		}
		if len(arr.items) != len(t.items) {
			raise("Too %s items to unpack in set", fewOrMany(len(t.items), len(arr.items)))
		}
		for i, it := range t.items {
			id, ok := it.(*ident)
			if !ok {
				raise("Cannot unpack to non-identifier in set")
			}
			e.set(id.name, arr.items[i])
		}
	case *member:
		ns, ok := in.eval(t.obj, e).(*namespaceV)
		if !ok {
			raise("cannot assign attribute on non-namespace object")
		}
		id, ok := t.prop.(*ident)
		if !ok {
			raise("Cannot assign to member with non-identifier property")
		}
		ns.set(id.name, rhs)
	default:
		raise("Invalid LHS inside assignment expression")
	}
}

func fewOrMany(want, got int) string {
	if want > got {
		return "few"
	}
	return "many"
}

// loopBinder binds one item to the loop variable(s).
func loopBinder(target node, item Value) func(*env) {
	switch t := target.(type) {
	case *ident:
		return func(s *env) { s.set(t.name, item) }
	case *tupleLit:
		arr, ok := item.(*arrayV)
		if !ok || arr.tuple {
			raise("Cannot unpack non-iterable type: %s", typeName(item))
		}
		if len(t.items) != len(arr.items) {
			raise("Too %s items to unpack", fewOrMany(len(t.items), len(arr.items)))
		}
		return func(s *env) {
			for j, it := range t.items {
				id, ok := it.(*ident)
				if !ok {
					raise("Cannot unpack non-identifier type")
				}
				s.set(id.name, arr.items[j])
			}
		}
	}
	raise("Invalid loop variable(s)")
	return nil
}

func (in *interp) forLoop(n *forNode, e *env, out *bytes.Buffer) {
	scope := newEnv(e)
	var test node
	iterNode := n.iter
	if sel, ok := iterNode.(*selectExpr); ok {
		iterNode, test = sel.lhs, sel.test
	}
	var all []Value
	switch it := in.eval(iterNode, scope).(type) {
	case *arrayV:
		all = it.items
	case *objectV:
		for _, k := range it.keys {
			all = append(all, strV(k))
		}
	default:
		raise("Expected iterable or object type in for loop: got %s", typeName(it))
	}
	var items []Value
	var binders []func(*env)
	for _, cur := range all {
		bind := loopBinder(n.target, cur)
		if test != nil {
			ls := newEnv(scope)
			bind(ls)
			if !truthy(in.eval(test, ls)) {
				continue
			}
		}
		items = append(items, cur)
		binders = append(binders, bind)
	}
	none := true
	for i := range items {
		scope.set("loop", loopObject(items, i))
		binders[i](scope)
		mark := out.Len()
		c := in.iteration(n.body, scope, out)
		if c != nil {
			out.Truncate(mark)
			if c.brk {
				break
			}
			continue
		}
		none = false
	}
	if none {
		in.block(n.alt, scope, out)
	}
}

// iteration renders a loop body, returning the break or continue that ended it.
func (in *interp) iteration(body []node, scope *env, out *bytes.Buffer) (c *control) {
	defer func() {
		if r := recover(); r != nil {
			ctl, ok := r.(control)
			if !ok {
				panic(r)
			}
			c = &ctl
		}
	}()
	in.block(body, scope, out)
	return nil
}

func loopObject(items []Value, i int) Value {
	o := &objectV{dict: newDict()}
	n := len(items)
	o.set("index", intV(i+1))
	o.set("index0", intV(i))
	o.set("revindex", intV(n-i))
	o.set("revindex0", intV(n-i-1))
	o.set("first", boolV(i == 0))
	o.set("last", boolV(i == n-1))
	o.set("length", intV(n))
	prev, next := undefined, undefined
	if i > 0 {
		prev = items[i-1]
	}
	if i < n-1 {
		next = items[i+1]
	}
	o.set("previtem", prev)
	o.set("nextitem", next)
	return o
}

func (in *interp) eval(n node, e *env) Value {
	switch x := n.(type) {
	case *intLit:
		return intV(x.v)
	case *floatLit:
		return floatV(x.v)
	case *strLit:
		return strV(x.s)
	case *textNode:
		return strV(x.s)
	case *ident:
		return e.lookup(x.name)
	case *arrayLit:
		return newArray(in.evalAll(x.items, e))
	case *tupleLit:
		return &arrayV{items: in.evalAll(x.items, e), tuple: true}
	case *objectLit:
		o := &objectV{dict: newDict()}
		for i, kn := range x.keys {
			k, ok := in.eval(kn, e).(strV)
			if !ok {
				raise("Object keys must be strings")
			}
			o.set(string(k), in.eval(x.values[i], e))
		}
		return o
	case *member:
		return in.member(x, e)
	case *callExpr:
		args := in.callArgs(x.args, e)
		callee := in.eval(x.callee, e)
		fn, ok := callee.(*funcV)
		if !ok {
			raise("Cannot call something that is not a function: got %s", typeName(callee))
		}
		return fn.fn(in, args, e)
	case *binary:
		return in.binary(x, e)
	case *unary:
		return in.unary(x, e)
	case *filterExpr:
		return in.applyFilter(in.eval(x.x, e), x.filter, e)
	case *testExpr:
		return boolV(runTest(x.name, in.eval(x.x, e), nil) != x.negate)
	case *selectExpr:
		if !truthy(in.eval(x.test, e)) {
			return undefined
		}
		return in.eval(x.lhs, e)
	case *ternary:
		if truthy(in.eval(x.cond, e)) {
			return in.eval(x.yes, e)
		}
		return in.eval(x.no, e)
	case *callBlockNode:
		return in.callBlock(x, e)
	case *filterBlockNode:
		return in.applyFilter(strV(in.render(x.body, e)), x.filter, e)
	}
	raise("unknown node type %T", n)
	return nil
}

func (in *interp) evalAll(ns []node, e *env) []Value {
	out := make([]Value, len(ns))
	for i, n := range ns {
		out[i] = in.eval(n, e)
	}
	return out
}

// evalArgs evaluates call arguments: positional ones (with * unpacked)
// first, then keyword ones (with ** unpacked).
func (in *interp) evalArgs(args []node, e *env) ([]Value, *objectV) {
	var pos []Value
	kw := &objectV{dict: newDict(), kwargs: true}
	for _, a := range args {
		switch x := a.(type) {
		case *spreadArg:
			arr, ok := in.eval(x.x, e).(*arrayV)
			if !ok {
				raise("Cannot unpack non-iterable type")
			}
			pos = append(pos, arr.items...)
		case *kwArg, *kwSpreadArg:
		default:
			pos = append(pos, in.eval(a, e))
		}
	}
	add := func(k string, v Value) {
		if _, dup := kw.get(k); dup {
			raise("Got multiple values for keyword argument '%s'", k)
		}
		kw.set(k, v)
	}
	for _, a := range args {
		switch x := a.(type) {
		case *kwArg:
			add(x.key, in.eval(x.value, e))
		case *kwSpreadArg:
			o, ok := in.eval(x.x, e).(*objectV)
			if !ok {
				raise("Argument after ** must be a mapping")
			}
			for _, k := range o.keys {
				add(k, o.m[k])
			}
		}
	}
	return pos, kw
}

// callArgs is evalArgs with the keyword arguments, if any, as a last argument.
func (in *interp) callArgs(args []node, e *env) []Value {
	pos, kw := in.evalArgs(args, e)
	if len(kw.keys) > 0 {
		pos = append(pos, kw)
	}
	return pos
}

func (in *interp) member(x *member, e *env) Value {
	obj := in.eval(x.obj, e)
	var prop Value
	switch p := x.prop.(type) {
	case *sliceExpr:
		if x.computed {
			return in.slice(obj, p, e)
		}
	case *intLit:
		if !x.computed {
			prop = intV(p.v)
		}
	case *ident:
		if !x.computed {
			prop = strV(p.name)
		}
	}
	if prop == nil {
		prop = in.eval(x.prop, e)
	}
	var v Value
	switch o := obj.(type) {
	case *objectV, *namespaceV:
		k, ok := prop.(strV)
		if !ok {
			raise("Cannot access property with non-string: got %s", typeName(prop))
		}
		v = attribute(obj, string(k))
	case *arrayV, strV:
		switch p := prop.(type) {
		case intV:
			v = index(o, int(p))
		case strV:
			v = builtin(obj, string(p))
		default:
			raise("Cannot access property with non-string/non-number: got %s", typeName(prop))
		}
	default:
		k, ok := prop.(strV)
		if !ok {
			raise("Cannot access property with non-string: got %s", typeName(prop))
		}
		v = builtin(obj, string(k))
	}
	if v == nil {
		return undefined
	}
	return v
}

// attribute is obj.k of an object (then its methods) or a namespace.
func attribute(obj Value, k string) Value {
	switch o := obj.(type) {
	case *objectV:
		if v, ok := o.get(k); ok {
			return v
		}
		return builtin(o, k)
	case *namespaceV:
		if v, ok := o.get(k); ok {
			return v
		}
	}
	return nil
}

// index is JavaScript's at(i) on an array or (by UTF-16 unit) a string.
func index(obj Value, i int) Value {
	switch o := obj.(type) {
	case *arrayV:
		if i < 0 {
			i += len(o.items)
		}
		if i >= 0 && i < len(o.items) {
			return o.items[i]
		}
	case strV:
		u := utf16Units(string(o))
		if i < 0 {
			i += len(u)
		}
		if i >= 0 && i < len(u) {
			return strV(unitsString(u[i : i+1]))
		}
	}
	return nil
}

func (in *interp) slice(obj Value, s *sliceExpr, e *env) Value {
	bound := func(n node, what string) *int {
		if n == nil {
			return nil
		}
		switch v := in.eval(n, e).(type) {
		case intV:
			i := int(v)
			return &i
		case undefinedV:
			return nil
		}
		raise("Slice %s must be numeric or undefined", what)
		return nil
	}
	start, stop, step := bound(s.start, "start"), bound(s.stop, "stop"), bound(s.step, "step")
	switch o := obj.(type) {
	case *arrayV:
		var out []Value
		for _, i := range sliceIndexes(len(o.items), start, stop, step) {
			out = append(out, o.items[i])
		}
		return newArray(out)
	case strV:
		rs := []rune(string(o))
		var b strings.Builder
		for _, i := range sliceIndexes(len(rs), start, stop, step) {
			b.WriteRune(rs[i])
		}
		return strV(b.String())
	}
	raise("Slice object must be an array or string")
	return nil
}

// sliceIndexes is Python's slicing of a sequence of length n, as the reference computes it.
func sliceIndexes(n int, start, stop, step *int) []int {
	st := 1
	if step != nil {
		st = *step
	}
	var a, b int
	if st >= 0 {
		a, b = 0, n
		if start != nil {
			a = clampIndex(*start, n, 0, n)
		}
		if stop != nil {
			b = clampIndex(*stop, n, 0, n)
		}
	} else {
		a, b = n-1, -1
		if start != nil {
			a = clampIndex(*start, n, -1, n-1)
		}
		if stop != nil && *stop < -1 {
			b = max(n+*stop, -1)
		} else if stop != nil {
			b = min(*stop, n-1)
		}
	}
	if st == 0 { // the reference's loop condition 0*i < 0*stop never holds
		return nil
	}
	var out []int
	for i := a; (st > 0 && i < b) || (st < 0 && i > b); i += st {
		out = append(out, i)
	}
	return out
}

func clampIndex(i, n, lo, hi int) int {
	if i < 0 {
		return max(n+i, lo)
	}
	return min(i, hi)
}

func (in *interp) unary(x *unary, e *env) Value {
	v := in.eval(x.x, e)
	if x.op == "not" {
		return boolV(!truthy(v))
	}
	sign := 1.0
	if x.op == "-" {
		sign = -1
	}
	switch a := v.(type) {
	case floatV:
		return floatV(sign * float64(a))
	case intV, boolV:
		f, _ := numericLike(a)
		return intV(sign * f)
	}
	raise("Unknown operator %q for %s", x.op, typeName(v))
	return nil
}

func (in *interp) binary(x *binary, e *env) Value {
	l := in.eval(x.l, e)
	switch x.op {
	case "and":
		if !truthy(l) {
			return l
		}
		return in.eval(x.r, e)
	case "or":
		if truthy(l) {
			return l
		}
		return in.eval(x.r, e)
	}
	r := in.eval(x.r, e)
	switch x.op {
	case "==":
		return boolV(looseEqual(l, r))
	case "!=":
		return boolV(!looseEqual(l, r))
	}
	_, lu := l.(undefinedV)
	_, ru := r.(undefinedV)
	_, ln := l.(nullV)
	_, rn := r.(nullV)
	switch {
	case lu || ru:
		if ru && (x.op == "in" || x.op == "not in") {
			return boolV(x.op == "not in")
		}
		raise("Cannot perform operation %s on undefined values", x.op)
	case ln || rn:
		raise("Cannot perform operation on null values")
	case x.op == "~":
		return strV(rawString(l) + rawString(r))
	}
	if v := arithmetic(x.op, l, r); v != nil {
		return v
	}
	if v := membership(x.op, l, r); v != nil {
		return v
	}
	raise("Unknown operator %q between %s and %s", x.op, typeName(l), typeName(r))
	return nil
}

// arithmetic handles the numeric operators, list and string concatenation.
func arithmetic(op string, l, r Value) Value {
	if op == "**" {
		a, ok1 := numericLike(l)
		b, ok2 := numericLike(r)
		if ok1 && ok2 {
			if a == 0 && b < 0 {
				raise("0.0 cannot be raised to a negative power")
			}
			res := math.Pow(a, b)
			if math.IsNaN(res) || math.IsInf(res, 0) {
				raise("Exponentiation result is not a finite real number")
			}
			_, lf := l.(floatV)
			_, rf := r.(floatV)
			if lf || rf || b < 0 {
				return floatV(res)
			}
			return intV(res)
		}
	}
	a, ok1 := number(l)
	b, ok2 := number(r)
	if ok1 && ok2 {
		_, lf := l.(floatV)
		_, rf := r.(floatV)
		num := func(f float64) Value {
			if lf || rf {
				return floatV(f)
			}
			return intV(f)
		}
		switch op {
		case "+":
			return num(a + b)
		case "-":
			return num(a - b)
		case "*":
			return num(a * b)
		case "/":
			return floatV(a / b)
		case "//":
			return num(math.Floor(a / b))
		case "%":
			return num(math.Mod(a, b))
		case "<":
			return boolV(a < b)
		case ">":
			return boolV(a > b)
		case "<=":
			return boolV(a <= b)
		case ">=":
			return boolV(a >= b)
		}
		return nil
	}
	la, lok := l.(*arrayV)
	ra, rok := r.(*arrayV)
	if lok && rok && op == "+" {
		return newArray(append(append([]Value{}, la.items...), ra.items...))
	}
	return nil
}

// membership handles in / not in, and + on strings.
func membership(op string, l, r Value) Value {
	not := op == "not in"
	if ra, ok := r.(*arrayV); ok && !isArray(l) {
		if op == "in" || not {
			found := false
			for _, it := range ra.items {
				if strictEqual(it, l) {
					found = true
					break
				}
			}
			return boolV(found != not)
		}
	}
	ls, lStr := l.(strV)
	rs, rStr := r.(strV)
	if (lStr || rStr) && op == "+" {
		return strV(rawString(l) + rawString(r))
	}
	if lStr && rStr && (op == "in" || not) {
		return boolV(strings.Contains(string(rs), string(ls)) != not)
	}
	if ro, ok := r.(*objectV); ok && lStr && (op == "in" || not) {
		_, has := ro.get(string(ls))
		return boolV(has != not)
	}
	return nil
}

func isArray(v Value) bool {
	_, ok := v.(*arrayV)
	return ok
}

func (in *interp) macro(n *macroNode, e *env) {
	special := accessedSpecials(n.params, n.body)
	e.set(n.name, &funcV{fn: func(in *interp, args []Value, scope *env) Value {
		if in.depth++; in.depth > maxDepth {
			raise("Maximum call stack size exceeded")
		}
		defer func() { in.depth-- }()
		ms := newEnv(scope)
		in.bindParams("'"+n.name+"'", n.params, special, args, ms)
		return strV(in.render(n.body, ms))
	}})
}

func (in *interp) callBlock(n *callBlockNode, e *env) Value {
	special := accessedSpecials(n.callerArgs, n.body)
	caller := &funcV{fn: func(in *interp, args []Value, _ *env) Value {
		cs := newEnv(e)
		in.bindParams("None", n.callerArgs, special, args, cs)
		return strV(in.render(n.body, cs))
	}}
	pos, kw := in.evalArgs(n.call.args, e)
	pos = append(pos, kw)
	fn, ok := in.eval(n.call.callee, e).(*funcV)
	if !ok {
		raise("Cannot call something that is not a function")
	}
	ce := newEnv(e)
	ce.set("caller", caller)
	return fn.fn(in, pos, ce)
}

type specials struct{ kwargs, varargs bool }

// bindParams binds a macro's parameters to the arguments of a call.
func (in *interp) bindParams(name string, params []node, sp specials, args []Value, scope *env) {
	pos := args
	kw := newDict()
	if n := len(pos); n > 0 {
		if o, ok := pos[n-1].(*objectV); ok && o.kwargs {
			pos = pos[:n-1]
			for _, k := range o.keys {
				kw.set(k, o.m[k])
			}
		}
	}
	type pending struct {
		name string
		def  node
	}
	var defaults []pending
	for i, p := range params {
		pname, def := paramName(p)
		var v Value
		if i < len(pos) {
			v = pos[i]
		} else if kv, ok := kw.get(pname); ok {
			v = kv
			kw.keys = removeKey(kw.keys, pname)
			delete(kw.m, pname)
		}
		if v == nil && def != nil {
			defaults = append(defaults, pending{pname, def})
		}
		if v == nil {
			v = undefined
		}
		scope.set(pname, v)
	}
	if sp.kwargs {
		scope.set("kwargs", &objectV{dict: kw})
	} else if len(kw.keys) > 0 {
		raise("macro %s takes no keyword argument '%s'", name, kw.keys[0])
	}
	if sp.varargs {
		var rest []Value
		if len(pos) > len(params) {
			rest = pos[len(params):]
		}
		scope.set("varargs", newArray(rest))
	} else if len(pos) > len(params) {
		raise("macro %s takes not more than %d argument(s)", name, len(params))
	}
	for _, d := range defaults {
		scope.set(d.name, in.eval(d.def, scope))
	}
}

func paramName(p node) (string, node) {
	if kw, ok := p.(*kwArg); ok {
		return kw.key, kw.value
	}
	return p.(*ident).name, nil
}

func removeKey(keys []string, k string) []string {
	out := keys[:0:0]
	for _, x := range keys {
		if x != k {
			out = append(out, x)
		}
	}
	return out
}

// accessedSpecials reports whether a macro body reads kwargs or varargs
// without declaring them.
func accessedSpecials(params []node, body []node) specials {
	var sp specials
	declared := map[string]bool{}
	for _, p := range params {
		n, _ := paramName(p)
		declared[n] = true
	}
	walk(body, func(n node) {
		if id, ok := n.(*ident); ok && !declared[id.name] {
			sp.kwargs = sp.kwargs || id.name == "kwargs"
			sp.varargs = sp.varargs || id.name == "varargs"
		}
	})
	return sp
}

// walk calls f on every node under v (a node or a slice of nodes).
func walk(v any, f func(node)) {
	switch n := v.(type) {
	case nil:
		return
	case []node:
		for _, c := range n {
			walk(c, f)
		}
		return
	}
	f(v)
	for _, c := range children(v) {
		walk(c, f)
	}
}

// children lists the nodes and node slices directly under n.
func children(n node) []any {
	switch n := n.(type) {
	case *setNode:
		return []any{n.value, n.body}
	case *ifNode:
		return []any{n.test, n.body, n.alt}
	case *forNode:
		return []any{n.iter, n.body, n.alt}
	case *macroNode:
		return []any{n.body}
	case *callBlockNode:
		return []any{n.call, n.body}
	case *filterBlockNode:
		return []any{n.filter, n.body}
	case *arrayLit:
		return []any{n.items}
	case *tupleLit:
		return []any{n.items}
	case *objectLit:
		return []any{n.keys, n.values}
	case *member:
		if n.computed {
			return []any{n.obj, n.prop}
		}
		return []any{n.obj}
	case *sliceExpr:
		return []any{n.start, n.stop, n.step}
	case *callExpr:
		return []any{n.callee, n.args}
	case *binary:
		return []any{n.l, n.r}
	case *unary:
		return []any{n.x}
	case *filterExpr:
		if c, ok := n.filter.(*callExpr); ok {
			return []any{n.x, c.args}
		}
		return []any{n.x}
	case *testExpr:
		return []any{n.x}
	case *selectExpr:
		return []any{n.lhs, n.test}
	case *ternary:
		return []any{n.cond, n.yes, n.no}
	case *kwArg:
		return []any{n.value}
	case *spreadArg:
		return []any{n.x}
	case *kwSpreadArg:
		return []any{n.x}
	}
	return nil
}
