package jinja

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

func method(fn func(args []Value) Value) *funcV {
	return &funcV{fn: func(_ *interp, args []Value, _ *env) Value { return fn(args) }}
}

// builtin returns obj.name for the reference's built-in attributes and
// methods of strings, arrays and objects; nil when there is none.
func builtin(obj Value, name string) Value {
	switch o := obj.(type) {
	case strV:
		return stringMethod(string(o), name)
	case *arrayV:
		if name == "length" {
			return intV(len(o.items))
		}
	case *objectV:
		return objectMethod(o, name)
	}
	return nil
}

func stringMethod(s, name string) Value {
	unary := func(f func(string) string) Value {
		return method(func([]Value) Value { return strV(f(s)) })
	}
	switch name {
	case "upper":
		return unary(jsUpper)
	case "lower":
		return unary(jsLower)
	case "strip":
		return unary(jsTrim)
	case "lstrip":
		return unary(func(s string) string { return strings.TrimLeftFunc(s, isSpace) })
	case "rstrip":
		return unary(func(s string) string { return strings.TrimRightFunc(s, isSpace) })
	case "title":
		return unary(titleCase)
	case "capitalize":
		return unary(func(s string) string {
			r, n := utf8.DecodeRuneInString(s)
			if n == 0 {
				return s
			}
			return jsUpper(string(r)) + s[n:]
		})
	case "length":
		return intV(utf16Len(s))
	case "startswith", "endswith":
		return method(func(args []Value) Value { return boolV(affix(s, name, args)) })
	case "split":
		return method(func(args []Value) Value { return split(s, args) })
	case "replace":
		return method(func(args []Value) Value { return replaceMethod(s, args) })
	}
	return nil
}

func affix(s, name string, args []Value) bool {
	if len(args) == 0 {
		raise("%s() requires at least one argument", name)
	}
	has := strings.HasPrefix
	if name == "endswith" {
		has = strings.HasSuffix
	}
	switch p := args[0].(type) {
	case strV:
		return has(s, string(p))
	case *arrayV:
		for _, it := range p.items {
			x, ok := it.(strV)
			if !ok {
				raise("%s() tuple elements must be strings", name)
			}
			if has(s, string(x)) {
				return true
			}
		}
		return false
	}
	raise("%s() argument must be a string or tuple of strings", name)
	return false
}

// split is Python's str.split(sep=None, maxsplit=-1) as the reference does it.
func split(s string, args []Value) Value {
	sep := Value(null)
	if len(args) > 0 {
		sep = args[0]
	}
	maxsplit := -1
	if len(args) > 1 {
		m, ok := args[1].(intV)
		if !ok {
			raise("maxsplit argument must be a number")
		}
		maxsplit = int(m)
	}
	var parts []string
	switch x := sep.(type) {
	case nullV:
		text := strings.TrimLeftFunc(s, isSpace)
		for text != "" {
			end := strings.IndexFunc(text, isSpace)
			if end < 0 {
				end = len(text)
			}
			if maxsplit != -1 && len(parts) >= maxsplit {
				parts = append(parts, text)
				break
			}
			parts = append(parts, text[:end])
			text = strings.TrimLeftFunc(text[end:], isSpace)
		}
	case strV:
		if x == "" {
			raise("empty separator")
		}
		parts = strings.Split(s, string(x))
		if maxsplit != -1 {
			at := maxsplit
			if at < 0 {
				at = max(len(parts)+at, 0)
			}
			if len(parts) > maxsplit && at < len(parts) {
				parts = append(parts[:at:at], strings.Join(parts[at:], string(x)))
			}
		}
	default:
		raise("sep argument must be a string or null")
	}
	out := make([]Value, len(parts))
	for i, p := range parts {
		out[i] = strV(p)
	}
	return newArray(out)
}

func replaceMethod(s string, args []Value) Value {
	if len(args) < 2 {
		raise("replace() requires at least two arguments")
	}
	old, ok1 := args[0].(strV)
	repl, ok2 := args[1].(strV)
	if !ok1 || !ok2 {
		raise("replace() arguments must be strings")
	}
	count := Value(null)
	if len(args) > 2 {
		count = args[2]
		if kw, ok := count.(*objectV); ok && kw.kwargs {
			count = kwOrArg(nil, kw, -1, "count", null)
		}
	}
	n := -1
	switch c := count.(type) {
	case intV:
		n = int(c)
	case nullV:
	default:
		raise("replace() count argument must be a number or null")
	}
	if n == 0 {
		return strV(s)
	}
	if old == "" { // between every two characters, and at both ends
		var b strings.Builder
		done := 0
		for _, r := range s {
			if n < 0 || done < n {
				b.WriteString(string(repl))
				done++
			}
			b.WriteRune(r)
		}
		if n < 0 || done < n {
			b.WriteString(string(repl))
		}
		return strV(b.String())
	}
	return strV(strings.Replace(s, string(old), string(repl), n))
}

func objectMethod(o *objectV, name string) Value {
	switch name {
	case "get":
		return method(func(args []Value) Value {
			if len(args) == 0 {
				raise("Object key must be a string")
			}
			k, ok := args[0].(strV)
			if !ok {
				raise("Object key must be a string: got %s", typeName(args[0]))
			}
			if v, ok := o.get(string(k)); ok {
				return v
			}
			if len(args) > 1 {
				return args[1]
			}
			return null
		})
	case "items":
		return method(func([]Value) Value { return items(&o.dict) })
	case "keys":
		return method(func([]Value) Value {
			out := make([]Value, len(o.keys))
			for i, k := range o.keys {
				out[i] = strV(k)
			}
			return newArray(out)
		})
	case "values":
		return method(func([]Value) Value {
			out := make([]Value, len(o.keys))
			for i, k := range o.keys {
				out[i] = o.m[k]
			}
			return newArray(out)
		})
	case "dictsort":
		return method(func(args []Value) Value { return dictsort(o, args) })
	}
	return nil
}

func dictsort(o *objectV, args []Value) Value {
	var kw *objectV
	var pos []Value
	for _, a := range args {
		if k, ok := a.(*objectV); ok && k.kwargs {
			kw = k
			continue
		}
		pos = append(pos, a)
	}
	cs, ok1 := kwOrArg(pos, kw, 0, "case_sensitive", boolV(false)).(boolV)
	by, ok2 := kwOrArg(pos, kw, 1, "by", strV("key")).(strV)
	rev, ok3 := kwOrArg(pos, kw, 2, "reverse", boolV(false)).(boolV)
	switch {
	case !ok1:
		raise("case_sensitive must be a boolean")
	case !ok2:
		raise("by must be a string")
	case by != "key" && by != "value":
		raise("by must be either 'key' or 'value'")
	case !ok3:
		raise("reverse must be a boolean")
	}
	i := 0
	if by == "value" {
		i = 1
	}
	pairs := items(&o.dict).(*arrayV)
	return newArray(sorted(pairs.items, func(v Value) Value { return v.(*arrayV).items[i] }, bool(cs), bool(rev)))
}

// jsTrim is JavaScript's String.prototype.trim.
func jsTrim(s string) string { return strings.TrimFunc(s, isSpace) }

var (
	upperCaser = cases.Upper(language.Und)
	lowerCaser = cases.Lower(language.Und)
)

// jsUpper and jsLower are JavaScript's toUpperCase and toLowerCase: full
// Unicode case mappings (ß becomes SS), not Go's rune-by-rune ones.
func jsUpper(s string) string { return upperCaser.String(s) }
func jsLower(s string) string { return lowerCaser.String(s) }

// titleCase upper-cases every ASCII word character that follows a
// non-word character, as the reference's /\b\w/g does.
func titleCase(s string) string {
	b := []byte(s)
	for i := range b {
		if isWordByte(b[i]) && (i == 0 || !isWordByte(b[i-1])) && b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

func indent(s, pad string, first, blank bool) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if (i == 0 && !first) || (l == "" && !blank) {
			continue
		}
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n")
}

// parseIntPrefix is JavaScript's parseInt(s, 10): NaN without leading digits.
func parseIntPrefix(s string) float64 {
	s = strings.TrimLeftFunc(s, isSpace)
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == i {
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(s[:j], 64)
	return f
}

// parseFloatPrefix is JavaScript's parseFloat: the longest decimal prefix.
func parseFloatPrefix(s string) float64 {
	s = strings.TrimLeftFunc(s, isSpace)
	for _, inf := range []string{"Infinity", "+Infinity", "-Infinity"} {
		if strings.HasPrefix(s, inf) {
			return jsToNumber(inf)
		}
	}
	for end := len(s); end > 0; end-- {
		if decimalLiteral(s[:end]) {
			f, _ := strconv.ParseFloat(s[:end], 64)
			return f
		}
	}
	return math.NaN()
}

func utf16Units(s string) []uint16 { return utf16.Encode([]rune(s)) }

func unitsString(u []uint16) string { return string(utf16.Decode(u)) }

// compareUTF16 orders strings by UTF-16 code units, as JavaScript's < does.
func compareUTF16(a, b string) int { return slices.Compare(utf16Units(a), utf16Units(b)) }
