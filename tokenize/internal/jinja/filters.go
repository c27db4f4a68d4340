package jinja

import (
	"math"
	"slices"
	"strings"
)

// applyFilter applies x|name or x|name(args).
func (in *interp) applyFilter(v Value, f node, e *env) Value {
	switch fn := f.(type) {
	case *ident:
		return plainFilter(v, fn.name)
	case *callExpr:
		id, ok := fn.callee.(*ident)
		if !ok {
			raise("Unknown filter")
		}
		return in.callFilter(v, id.name, fn.args, e)
	}
	raise("Unknown filter")
	return nil
}

// plainFilter applies a filter written without arguments.
func plainFilter(v Value, name string) Value {
	switch name {
	case "safe":
		return v
	case "tojson":
		return strV(toJSON(v, jsonOptions{}, 0))
	}
	switch x := v.(type) {
	case *arrayV:
		return arrayFilter(x, name)
	case strV:
		return stringFilter(x, name)
	case intV, floatV:
		return numberFilter(x, name)
	case *objectV:
		switch name {
		case "items":
			return items(&x.dict)
		case "length":
			return intV(len(x.keys))
		}
		if b := builtin(x, name); b != nil {
			if fn, ok := b.(*funcV); ok {
				return fn.fn(nil, nil, nil)
			}
			return b
		}
		raise("Unknown ObjectValue filter: %s", name)
	case boolV:
		switch name {
		case "bool":
			return x
		case "int":
			return intV(b2f(bool(x)))
		case "float":
			return floatV(b2f(bool(x)))
		case "string":
			return strV(rawString(x))
		}
		raise("Unknown BooleanValue filter: %s", name)
	}
	raise("Cannot apply filter \"%s\" to type: %s", name, typeName(v))
	return nil
}

func arrayFilter(x *arrayV, name string) Value {
	switch name {
	case "list":
		return x
	case "first":
		return index(x, 0)
	case "last":
		return index(x, -1)
	case "length":
		return intV(len(x.items))
	case "reverse":
		r := slices.Clone(x.items)
		slices.Reverse(r)
		return newArray(r)
	case "sort":
		return newArray(sorted(x.items, func(v Value) Value { return v }, false, false))
	case "join":
		return strV(joinRaw(x.items, ""))
	case "string":
		return strV(toJSON(x, jsonOptions{undefinedName: true}, 0))
	case "unique":
		var out []Value
		for _, it := range x.items {
			if !slices.ContainsFunc(out, func(o Value) bool { return sameValueZero(o, it) }) {
				out = append(out, it)
			}
		}
		return newArray(out)
	}
	raise("Unknown ArrayValue filter: %s", name)
	return nil
}

func stringFilter(x strV, name string) Value {
	switch name {
	case "length", "upper", "lower", "title", "capitalize":
		b := builtin(x, name)
		if fn, ok := b.(*funcV); ok {
			return fn.fn(nil, nil, nil)
		}
		return b
	case "trim":
		return strV(jsTrim(string(x)))
	case "indent":
		return strV(indent(string(x), "    ", false, false))
	case "join", "string":
		return x
	case "int":
		f := parseIntPrefix(string(x))
		if math.IsNaN(f) {
			f = 0
		}
		return intV(f)
	case "float":
		f := parseFloatPrefix(string(x))
		if math.IsNaN(f) {
			f = 0
		}
		return floatV(f)
	}
	raise("Unknown StringValue filter: %s", name)
	return nil
}

func numberFilter(x Value, name string) Value {
	f, _ := number(x)
	_, isFloat := x.(floatV)
	switch name {
	case "abs":
		if isFloat {
			return floatV(math.Abs(f))
		}
		return intV(math.Abs(f))
	case "int":
		return intV(math.Floor(f))
	case "float":
		return floatV(f)
	case "string":
		return strV(display(x))
	}
	raise("Unknown NumericValue filter: %s", name)
	return nil
}

// joinRaw joins the JavaScript values of items, null and undefined as "".
func joinRaw(items []Value, sep string) string {
	parts := make([]string, len(items))
	for i, it := range items {
		switch it.(type) {
		case nullV, undefinedV:
		default:
			parts[i] = rawString(it)
		}
	}
	return strings.Join(parts, sep)
}

// sameValueZero is the equality of a JavaScript Set.
func sameValueZero(a, b Value) bool {
	x, ok1 := number(a)
	y, ok2 := number(b)
	if ok1 && ok2 && math.IsNaN(x) && math.IsNaN(y) {
		return true
	}
	return strictEqual(a, b)
}

func items(d *dict) Value {
	out := make([]Value, len(d.keys))
	for i, k := range d.keys {
		out[i] = newArray([]Value{strV(k), d.m[k]})
	}
	return newArray(out)
}

// kwOrArg returns the i-th positional argument, else the keyword one, else def.
func kwOrArg(args []Value, kw *objectV, i int, key string, def Value) Value {
	if i >= 0 && i < len(args) {
		return args[i]
	}
	if kw != nil {
		if v, ok := kw.get(key); ok {
			return v
		}
	}
	return def
}

func (in *interp) callFilter(v Value, name string, argNodes []node, e *env) Value {
	switch name {
	case "tojson":
		_, kw := in.evalArgs(argNodes, e)
		return strV(toJSON(v, jsonArgs(kw), 0))
	case "join":
		return joinFilter(v, in, argNodes, e)
	case "int", "float":
		args, kw := in.evalArgs(argNodes, e)
		def := Value(intV(0))
		if name == "float" {
			def = floatV(0)
		}
		return numberConversion(v, name, kwOrArg(args, kw, 0, "default", def))
	case "default":
		args, kw := in.evalArgs(argNodes, e)
		def := kwOrArg(args, nil, 0, "", strV(""))
		flag, ok := kwOrArg(args, kw, 1, "boolean", boolV(false)).(boolV)
		if !ok {
			raise("`default` filter flag must be a boolean")
		}
		if _, u := v.(undefinedV); u || (bool(flag) && !truthy(v)) {
			return def
		}
		return v
	}
	switch x := v.(type) {
	case *arrayV:
		return in.arrayCallFilter(x, name, argNodes, e)
	case strV:
		args, kw := in.evalArgs(argNodes, e)
		switch name {
		case "indent":
			width, ok := kwOrArg(args, kw, 0, "width", intV(4)).(intV)
			if !ok {
				raise("width must be a number")
			}
			first := truthy(kwOrArg(args, kw, 1, "first", boolV(false)))
			blank := truthy(kwOrArg(args, kw, 2, "blank", boolV(false)))
			return strV(indent(string(x), spaces(float64(width)), first, blank))
		case "replace":
			return builtin(x, "replace").(*funcV).fn(in, append(args, kw), e)
		}
		raise("Unknown StringValue filter: %s", name)
	case *objectV:
		if fn, ok := builtin(x, name).(*funcV); ok {
			return fn.fn(in, in.callArgs(argNodes, e), e)
		}
		raise("Unknown ObjectValue filter: %s", name)
	}
	raise("Cannot apply filter \"%s\" to type: %s", name, typeName(v))
	return nil
}

func jsonArgs(kw *objectV) jsonOptions {
	var o jsonOptions
	switch x := kwOrArg(nil, kw, -1, "indent", null).(type) {
	case intV:
		o.indent = int(x)
	case nullV:
	default:
		raise("If set, indent must be a number")
	}
	ascii, ok1 := kwOrArg(nil, kw, -1, "ensure_ascii", boolV(false)).(boolV)
	sortKeys, ok2 := kwOrArg(nil, kw, -1, "sort_keys", boolV(false)).(boolV)
	if !ok1 {
		raise("If set, ensure_ascii must be a boolean")
	}
	if !ok2 {
		raise("If set, sort_keys must be a boolean")
	}
	o.ensureASCII, o.sortKeys = bool(ascii), bool(sortKeys)
	switch x := kwOrArg(nil, kw, -1, "separators", null).(type) {
	case *arrayV:
		if len(x.items) != 2 {
			raise("separators must be a tuple of two strings")
		}
		is, ok1 := x.items[0].(strV)
		ks, ok2 := x.items[1].(strV)
		if !ok1 || !ok2 {
			raise("separators must be a tuple of two strings")
		}
		o.customSep, o.itemSep, o.keySep = true, string(is), string(ks)
	case nullV:
	default:
		raise("If set, separators must be a tuple of two strings")
	}
	return o
}

func joinFilter(v Value, in *interp, argNodes []node, e *env) Value {
	var parts []Value
	switch x := v.(type) {
	case strV:
		for _, r := range string(x) {
			parts = append(parts, strV(string(r)))
		}
	case *arrayV:
		parts = x.items
	default:
		raise("Cannot apply filter \"join\" to type: %s", typeName(v))
	}
	args, kw := in.evalArgs(argNodes, e)
	sep, ok := kwOrArg(args, kw, 0, "separator", strV("")).(strV)
	if !ok {
		raise("separator must be a string")
	}
	return strV(joinRaw(parts, string(sep)))
}

func numberConversion(v Value, name string, def Value) Value {
	switch x := v.(type) {
	case strV:
		if name == "int" {
			if f := parseIntPrefix(string(x)); !math.IsNaN(f) {
				return intV(f)
			}
			return def
		}
		if f := parseFloatPrefix(string(x)); !math.IsNaN(f) {
			return floatV(f)
		}
		return def
	case intV, floatV:
		return v
	case boolV:
		if name == "int" {
			return intV(b2f(bool(x)))
		}
		return floatV(b2f(bool(x)))
	}
	raise("Cannot apply filter \"%s\" to type: %s", name, typeName(v))
	return nil
}

func (in *interp) arrayCallFilter(x *arrayV, name string, argNodes []node, e *env) Value {
	switch name {
	case "sort":
		args, kw := in.evalArgs(argNodes, e)
		rev, ok1 := kwOrArg(args, kw, 0, "reverse", boolV(false)).(boolV)
		cs, ok2 := kwOrArg(args, kw, 1, "case_sensitive", boolV(false)).(boolV)
		if !ok1 {
			raise("reverse must be a boolean")
		}
		if !ok2 {
			raise("case_sensitive must be a boolean")
		}
		key := func(v Value) Value { return v }
		switch a := kwOrArg(args, kw, 2, "attribute", null).(type) {
		case strV:
			key = func(v Value) Value { return attributePath(v, string(a)) }
		case intV:
			key = func(v Value) Value { return attributePath(v, jsNumber(float64(a))) }
		case nullV:
		default:
			raise("attribute must be a string, integer, or null")
		}
		return newArray(sorted(x.items, key, bool(cs), bool(rev)))
	case "selectattr", "rejectattr":
		return in.selectAttr(x, name == "selectattr", argNodes, e)
	case "map":
		_, kw := in.evalArgs(argNodes, e)
		attr, ok := kw.get("attribute")
		if !ok {
			raise("`map` expressions without `attribute` set are not currently supported.")
		}
		as, ok := attr.(strV)
		if !ok {
			raise("attribute must be a string")
		}
		def, hasDef := kw.get("default")
		out := make([]Value, len(x.items))
		for i, it := range x.items {
			switch it.(type) {
			case *objectV, *namespaceV:
			default:
				raise("items in map must be an object")
			}
			v := attributePath(it, string(as))
			if _, u := v.(undefinedV); u && hasDef {
				v = def
			}
			out[i] = v
		}
		return newArray(out)
	}
	raise("Unknown ArrayValue filter: %s", name)
	return nil
}

func (in *interp) selectAttr(x *arrayV, selecting bool, argNodes []node, e *env) Value {
	name := "rejectattr"
	if selecting {
		name = "selectattr"
	}
	for _, it := range x.items {
		switch it.(type) {
		case *objectV, *namespaceV:
		default:
			raise("`%s` can only be applied to array of objects", name)
		}
	}
	var lits []string
	for _, a := range argNodes {
		s, ok := a.(*strLit)
		if !ok {
			raise("arguments of `%s` must be strings", name)
		}
		lits = append(lits, s.s)
	}
	if len(lits) > 1 && !testNames[lits[1]] {
		raise("Unknown test: %s", lits[1])
	}
	if len(lits) == 0 && len(x.items) > 0 {
		raise("`%s` needs an attribute name", name)
	}
	var extra []Value
	if len(lits) > 2 {
		extra = []Value{strV(lits[2])}
	}
	var out []Value
	for _, it := range x.items {
		var d *dict
		switch o := it.(type) {
		case *objectV:
			d = &o.dict
		case *namespaceV:
			d = &o.dict
		}
		a, ok := d.get(lits[0])
		result := false
		if ok {
			if len(lits) > 1 {
				result = runTest(lits[1], a, extra)
			} else {
				result = truthy(a)
			}
		}
		if result == selecting {
			out = append(out, it)
		}
	}
	return newArray(out)
}

// attributePath follows a dotted path ("a.b", "items.0") through objects and arrays.
func attributePath(v Value, path string) Value {
	for _, part := range strings.Split(path, ".") {
		switch o := v.(type) {
		case *objectV:
			x, ok := o.get(part)
			if !ok {
				return undefined
			}
			v = x
		case *namespaceV:
			x, ok := o.get(part)
			if !ok {
				return undefined
			}
			v = x
		case *arrayV:
			i := parseIntPrefix(part)
			if math.IsNaN(i) || i < 0 || int(i) >= len(o.items) {
				return undefined
			}
			v = o.items[int(i)]
		default:
			return undefined
		}
	}
	return v
}

// sorted sorts stably by key with the reference's comparison.
func sorted(items []Value, key func(Value) Value, caseSensitive, reverse bool) []Value {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b Value) int {
		c := compareValues(key(a), key(b), caseSensitive)
		if reverse {
			return -c
		}
		return c
	})
	return out
}

// compareValues orders numbers (booleans as 0 and 1) and strings; other
// mixes are errors, as in the reference.
func compareValues(a, b Value, caseSensitive bool) int {
	_, an := a.(nullV)
	_, bn := b.(nullV)
	_, au := a.(undefinedV)
	_, bu := b.(undefinedV)
	switch {
	case an && bn, au && bu:
		return 0
	case an || bn || au || bu:
		raise("Cannot compare %s with %s", typeName(a), typeName(b))
	}
	x, ok1 := numericLike(a)
	y, ok2 := numericLike(b)
	if ok1 && ok2 {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	if typeName(a) != typeName(b) {
		raise("Cannot compare different types: %s and %s", typeName(a), typeName(b))
	}
	s, ok1 := a.(strV)
	t, ok2 := b.(strV)
	if !ok1 || !ok2 {
		raise("Cannot compare type: %s", typeName(a))
	}
	if !caseSensitive {
		s, t = strV(jsLower(string(s))), strV(jsLower(string(t)))
	}
	return compareUTF16(string(s), string(t))
}

var testNames = map[string]bool{"boolean": true, "callable": true, "odd": true, "even": true, "false": true,
	"true": true, "none": true, "string": true, "number": true, "integer": true, "iterable": true, "mapping": true,
	"sequence": true, "lower": true, "upper": true, "defined": true, "undefined": true, "equalto": true, "eq": true}

// runTest applies the test "x is name".
func runTest(name string, v Value, extra []Value) bool {
	switch name {
	case "boolean":
		_, ok := v.(boolV)
		return ok
	case "callable":
		_, ok := v.(*funcV)
		return ok
	case "odd", "even":
		i, ok := v.(intV)
		if !ok {
			raise("cannot %s on %s", name, typeName(v))
		}
		return (math.Mod(float64(i), 2) != 0) == (name == "odd")
	case "false", "true":
		b, ok := v.(boolV)
		return ok && bool(b) == (name == "true")
	case "none":
		_, ok := v.(nullV)
		return ok
	case "string":
		_, ok := v.(strV)
		return ok
	case "number":
		_, ok := number(v)
		return ok
	case "integer":
		_, ok := v.(intV)
		return ok
	case "iterable":
		a, ok := v.(*arrayV)
		_, s := v.(strV)
		return (ok && !a.tuple) || s
	case "mapping":
		_, ok := v.(*objectV)
		return ok
	case "sequence":
		switch v.(type) {
		case *arrayV, *objectV, strV:
			return true
		}
		return false
	case "lower", "upper":
		s, ok := v.(strV)
		if !ok {
			raise("cannot test %s on %s", name, typeName(v))
		}
		if name == "lower" {
			return string(s) == jsLower(string(s))
		}
		return string(s) == jsUpper(string(s))
	case "defined":
		_, u := v.(undefinedV)
		return !u
	case "undefined":
		_, u := v.(undefinedV)
		return u
	case "equalto", "eq":
		if len(extra) == 0 {
			raise("Cannot read properties of undefined (reading 'value')")
		}
		return strictEqual(v, extra[0])
	}
	raise("Unknown test: %s", name)
	return false
}

// maxRepeat keeps " ".repeat(n) within JavaScript's string length limit.
const maxRepeat = 1 << 20

// spaces is JavaScript's " ".repeat(n), which refuses negative counts.
func spaces(n float64) string {
	if n < 0 || n > maxRepeat || n != math.Trunc(n) {
		raise("Invalid count value: %s", jsNumber(n))
	}
	return strings.Repeat(" ", int(n))
}
