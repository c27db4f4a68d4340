package jinja

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
)

type jsonOptions struct {
	indent        int // 0: one line
	ensureASCII   bool
	sortKeys      bool
	itemSep       string // "" unless separators were given
	keySep        string
	customSep     bool
	undefinedName bool // undefined prints as "undefined" (display), not null
}

// toJSON serializes v as the reference's tojson does: Python's json.dumps
// spacing (", " and ": ", or "," between items when indenting), keys in
// their order, no HTML escaping.
func toJSON(v Value, o jsonOptions, depth int) string {
	var b strings.Builder
	writeJSON(&b, v, o, depth)
	return b.String()
}

func writeJSON(b *strings.Builder, v Value, o jsonOptions, depth int) {
	itemSep, keySep := ", ", ": "
	switch {
	case o.customSep:
		itemSep, keySep = o.itemSep, o.keySep
	case o.indent != 0:
		itemSep = ","
	}
	pad := func(d int) {
		if o.indent != 0 {
			b.WriteByte('\n')
			b.WriteString(spaces(float64(o.indent * d)))
		}
	}
	switch x := v.(type) {
	case nullV:
		b.WriteString("null")
	case undefinedV:
		if o.undefinedName {
			b.WriteString("undefined")
		} else {
			b.WriteString("null")
		}
	case boolV:
		b.WriteString(rawString(x))
	case intV, floatV:
		f, _ := number(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			b.WriteString("null")
		} else {
			b.WriteString(jsNumber(f))
		}
	case strV:
		writeJSONString(b, string(x), o.ensureASCII)
	case *arrayV:
		if x.tuple {
			raise("Cannot convert to JSON: TupleValue")
		}
		b.WriteByte('[')
		for i, it := range x.items {
			if i > 0 {
				b.WriteString(itemSep)
			}
			pad(depth + 1)
			writeJSON(b, it, o, depth+1)
		}
		if len(x.items) > 0 {
			pad(depth)
		}
		b.WriteByte(']')
	case *objectV:
		if x.kwargs {
			raise("Cannot convert to JSON: KeywordArgumentsValue")
		}
		writeJSONDict(b, &x.dict, o, depth, itemSep, keySep, pad)
	case *namespaceV:
		writeJSONDict(b, &x.dict, o, depth, itemSep, keySep, pad)
	default:
		raise("Cannot convert to JSON: %s", typeName(v))
	}
}

func writeJSONDict(b *strings.Builder, d *dict, o jsonOptions, depth int, itemSep, keySep string, pad func(int)) {
	keys := d.keys
	if o.sortKeys {
		keys = slices.Clone(keys)
		slices.SortStableFunc(keys, localeCompare)
	}
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(itemSep)
		}
		pad(depth + 1)
		writeJSONString(b, k, o.ensureASCII)
		b.WriteString(keySep)
		writeJSON(b, d.m[k], o, depth+1)
	}
	if len(keys) > 0 {
		pad(depth)
	}
	b.WriteByte('}')
}

// localeCompare approximates JavaScript's default String.localeCompare
// (ICU root collation) for the keys templates sort: punctuation before
// digits before letters, letters compared without case first, and lower
// case before upper case on a tie.
func localeCompare(a, b string) int {
	class := func(r rune) int {
		switch {
		case unicode.IsDigit(r):
			return 1
		case unicode.IsLetter(r):
			return 2
		}
		return 0
	}
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		x, y := ra[i], rb[i]
		if cx, cy := class(x), class(y); cx != cy {
			return cx - cy
		}
		if lx, ly := unicode.ToLower(x), unicode.ToLower(y); lx != ly {
			return int(lx) - int(ly)
		}
	}
	if len(ra) != len(rb) {
		return len(ra) - len(rb)
	}
	for i := range ra {
		if ra[i] != rb[i] { // lower case first
			return int(rb[i]) - int(ra[i])
		}
	}
	return 0
}

// writeJSONString writes s as JSON.stringify does; with ascii, every code
// unit from U+007F up is written as \uXXXX.
func writeJSONString(b *strings.Builder, s string, ascii bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(b, `\u%04x`, r)
			case ascii && r >= 0x7f:
				for _, u := range utf16.Encode([]rune{r}) {
					fmt.Fprintf(b, `\u%04x`, u)
				}
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// FromJSON converts a JSON document into a template value as the reference
// receives it from JavaScript: numbers with an integral value are integers,
// and object keys keep JavaScript's property order (array-index keys such
// as "0" or "12" first, ascending, then the others as written; a repeated
// key keeps its first place and its last value).
func FromJSON(raw []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (Value, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case nil:
		return null, nil
	case bool:
		return boolV(x), nil
	case string:
		return strV(x), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, err
		}
		if f == math.Trunc(f) && !math.IsInf(f, 0) {
			return intV(f), nil
		}
		return floatV(f), nil
	case json.Delim:
		if x == '[' {
			a := newArray(nil)
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a.items = append(a.items, v)
			}
			_, err := dec.Token()
			return a, err
		}
		o := &objectV{dict: newDict()}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			o.set(k.(string), v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		o.keys = jsKeyOrder(o.keys)
		return o, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", t)
}

// jsKeyOrder puts array-index keys first in ascending order.
func jsKeyOrder(keys []string) []string {
	var idx, rest []string
	for _, k := range keys {
		if isArrayIndex(k) {
			idx = append(idx, k)
		} else {
			rest = append(rest, k)
		}
	}
	if len(idx) == 0 {
		return keys
	}
	slices.SortFunc(idx, func(a, b string) int {
		x, _ := strconv.ParseUint(a, 10, 64)
		y, _ := strconv.ParseUint(b, 10, 64)
		return int(x) - int(y)
	})
	return append(idx, rest...)
}

func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (k[0] == '0' && len(k) > 1) {
		return false
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n < math.MaxUint32
}
