package jinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Value is a template value. The kinds mirror @huggingface/jinja's runtime
// values; numbers are float64 as in JavaScript.
type Value any

type (
	undefinedV struct{}
	nullV      struct{}
	boolV      bool
	intV       float64
	floatV     float64
	strV       string
	arrayV     struct {
		items []Value
		tuple bool
	}
	// dict is an insertion-ordered map: objects, keyword arguments and
	// namespaces.
	dict struct {
		keys []string
		m    map[string]Value
	}
	objectV struct {
		dict
		kwargs bool // the keyword arguments of a call
	}
	namespaceV struct{ dict }
	funcV      struct {
		fn func(in *interp, args []Value, scope *env) Value
	}
)

var (
	undefined Value = undefinedV{}
	null      Value = nullV{}
)

func newDict() dict { return dict{m: map[string]Value{}} }

func (d *dict) set(k string, v Value) {
	if _, ok := d.m[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.m[k] = v
}

func (d *dict) get(k string) (Value, bool) {
	v, ok := d.m[k]
	return v, ok
}

func newArray(items []Value) *arrayV { return &arrayV{items: items} }

// runtimeError is an error raised while rendering.
type runtimeError struct{ msg string }

func (e runtimeError) Error() string { return e.msg }

func raise(format string, a ...any) { panic(runtimeError{fmt.Sprintf(format, a...)}) }

// typeName is the reference's name of a value's type, used in errors.
func typeName(v Value) string {
	switch x := v.(type) {
	case undefinedV:
		return "UndefinedValue"
	case nullV:
		return "NullValue"
	case boolV:
		return "BooleanValue"
	case intV:
		return "IntegerValue"
	case floatV:
		return "FloatValue"
	case strV:
		return "StringValue"
	case *arrayV:
		if x.tuple {
			return "TupleValue"
		}
		return "ArrayValue"
	case *objectV:
		if x.kwargs {
			return "KeywordArgumentsValue"
		}
		return "ObjectValue"
	case *namespaceV:
		return "NamespaceValue"
	case *funcV:
		return "FunctionValue"
	}
	return fmt.Sprintf("%T", v)
}

// truthy is the value's truth as Jinja (and the reference) sees it.
func truthy(v Value) bool {
	switch x := v.(type) {
	case boolV:
		return bool(x)
	case intV:
		return x != 0 && !math.IsNaN(float64(x))
	case floatV:
		return x != 0 && !math.IsNaN(float64(x))
	case strV:
		return x != ""
	case *arrayV:
		return len(x.items) > 0
	case *objectV:
		return len(x.keys) > 0
	case *namespaceV, *funcV:
		return true
	}
	return false // undefined, null
}

// jsNumber formats f as JavaScript's Number.prototype.toString does.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if a := math.Abs(f); a >= 1e21 || a < 1e-6 {
		mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
		return mant + "e" + exp[:1] + strings.TrimLeft(exp[1:], "0")
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// display is what {{ v }} prints (the reference's toString).
func display(v Value) string {
	switch x := v.(type) {
	case floatV:
		f := float64(x)
		switch {
		case f == 0 && math.Signbit(f):
			return "-0.0"
		case f == math.Trunc(f) && math.Abs(f) < 1e21:
			return strconv.FormatFloat(f, 'f', 1, 64)
		}
		return jsNumber(f)
	case *arrayV, *objectV, *namespaceV:
		return toJSON(v, jsonOptions{undefinedName: true}, 0)
	case *funcV:
		raise("cannot print a function")
	}
	return rawString(v)
}

// rawString is JavaScript's String() of the value the reference wraps:
// numbers without the float's ".0", arrays joined with "," and objects as
// "[object Map]".
func rawString(v Value) string {
	switch x := v.(type) {
	case undefinedV:
		return "undefined"
	case nullV:
		return "null"
	case boolV:
		if x {
			return "true"
		}
		return "false"
	case intV:
		return jsNumber(float64(x))
	case floatV:
		return jsNumber(float64(x))
	case strV:
		return string(x)
	case *arrayV:
		parts := make([]string, len(x.items))
		for i, it := range x.items {
			parts[i] = display(it)
		}
		return strings.Join(parts, ",")
	case *objectV, *namespaceV:
		return "[object Map]"
	}
	raise("cannot convert a function to a string")
	return ""
}

// number returns the value of an integer or a float.
func number(v Value) (float64, bool) {
	switch x := v.(type) {
	case intV:
		return float64(x), true
	case floatV:
		return float64(x), true
	}
	return 0, false
}

// numericLike also counts booleans as 0 and 1.
func numericLike(v Value) (float64, bool) {
	if b, ok := v.(boolV); ok {
		if b {
			return 1, true
		}
		return 0, true
	}
	return number(v)
}

// strictEqual is JavaScript's === on the wrapped values: numbers and
// strings by value, containers by identity.
func strictEqual(a, b Value) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case strV, boolV, undefinedV, nullV:
		return a == b
	case *arrayV:
		y, ok := b.(*arrayV)
		return ok && x == y
	case *objectV:
		y, ok := b.(*objectV)
		return ok && x == y
	case *namespaceV:
		y, ok := b.(*namespaceV)
		return ok && x == y
	case *funcV:
		y, ok := b.(*funcV)
		return ok && x == y
	}
	return false
}

func isContainer(v Value) bool {
	switch v.(type) {
	case *arrayV, *objectV, *namespaceV, *funcV:
		return true
	}
	return false
}

// looseEqual is JavaScript's == on the wrapped values.
func looseEqual(a, b Value) bool {
	_, aU := a.(undefinedV)
	_, aNull := a.(nullV)
	_, bU := b.(undefinedV)
	_, bNull := b.(nullV)
	if aU || aNull || bU || bNull {
		return (aU || aNull) && (bU || bNull)
	}
	if isContainer(a) && isContainer(b) {
		return strictEqual(a, b)
	}
	if isContainer(a) {
		return looseEqual(strV(rawString(a)), b)
	}
	if isContainer(b) {
		return looseEqual(a, strV(rawString(b)))
	}
	if x, ok := a.(boolV); ok {
		return looseEqual(intV(b2f(bool(x))), b)
	}
	if y, ok := b.(boolV); ok {
		return looseEqual(a, intV(b2f(bool(y))))
	}
	xs, aStr := a.(strV)
	ys, bStr := b.(strV)
	switch {
	case aStr && bStr:
		return xs == ys
	case aStr:
		y, _ := number(b)
		return jsToNumber(string(xs)) == y
	case bStr:
		x, _ := number(a)
		return x == jsToNumber(string(ys))
	}
	x, _ := number(a)
	y, _ := number(b)
	return x == y
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// jsToNumber is JavaScript's Number(string).
func jsToNumber(s string) float64 {
	s = strings.TrimFunc(s, func(r rune) bool { return isSpace(r) || r == '\u2028' || r == '\u2029' })
	if s == "" {
		return 0
	}
	for _, p := range []struct {
		prefix string
		base   int
	}{{"0x", 16}, {"0X", 16}, {"0o", 8}, {"0O", 8}, {"0b", 2}, {"0B", 2}} {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok {
			n, err := strconv.ParseUint(rest, p.base, 64)
			if err != nil || strings.ContainsAny(rest, "+-_") {
				return math.NaN()
			}
			return float64(n)
		}
	}
	switch s {
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	if !decimalLiteral(s) {
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// decimalLiteral reports whether s is [+-](digits[.digits]|.digits)[e[+-]digits].
func decimalLiteral(s string) bool {
	i := skipSign(s, 0)
	j := skipDigits(s, i)
	digits := j - i
	if j < len(s) && s[j] == '.' {
		k := skipDigits(s, j+1)
		digits += k - j - 1
		j = k
	}
	if digits == 0 {
		return false
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := skipSign(s, j+1)
		if j = skipDigits(s, k); j == k {
			return false
		}
	}
	return j == len(s)
}

func skipSign(s string, i int) int {
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		return i + 1
	}
	return i
}

func skipDigits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// utf16Len is a string's length in UTF-16 code units (JavaScript's length).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
