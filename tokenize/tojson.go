package tokenize

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// chatFilters are gonja's filters with tojson replaced by the one that
// transformers gives chat templates: Python's json.dumps with
// ensure_ascii=False, ", " and ": " separators, no HTML escaping, keys in
// their order (role and content first in a message). gonja's own is Go's
// json.Marshal, which escapes <, > and & and writes "," and ":".
var chatFilters = func() *exec.FilterSet {
	fs := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
	if err := fs.Replace("tojson", filterToJSON); err != nil {
		panic(err)
	}
	return fs
}()

func filterToJSON(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	indent := -1
	ensureASCII, sortKeys := false, false
	if len(params.Args) > 0 && params.Args[0].IsInteger() {
		indent = params.Args[0].Integer()
	}
	for k, v := range params.KwArgs {
		switch k {
		case "indent":
			if v.IsInteger() {
				indent = v.Integer()
			}
		case "ensure_ascii":
			ensureASCII = v.Bool()
		case "sort_keys":
			sortKeys = v.Bool()
		default:
			return exec.AsValue(fmt.Errorf("tojson: unknown argument %q", k))
		}
	}
	var b strings.Builder
	j := jsonWriter{b: &b, indent: indent, ascii: ensureASCII, sortKeys: sortKeys}
	if err := j.value(reflect.ValueOf(in.Interface()), 0); err != nil {
		return exec.AsValue(err)
	}
	return exec.AsSafeValue(b.String())
}

type jsonWriter struct {
	b        *strings.Builder
	indent   int // < 0: one line
	ascii    bool
	sortKeys bool
}

func (j jsonWriter) newline(depth int) {
	if j.indent >= 0 {
		j.b.WriteByte('\n')
		j.b.WriteString(strings.Repeat(" ", j.indent*depth))
	}
}

func (j jsonWriter) sep() {
	if j.indent >= 0 {
		j.b.WriteByte(',')
	} else {
		j.b.WriteString(", ")
	}
}

func (j jsonWriter) value(v reflect.Value, depth int) error {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			j.b.WriteString("null")
			return nil
		}
		v = v.Elem()
	}
	if ev, ok := v.Interface().(exec.Value); ok {
		return j.value(reflect.ValueOf(ev.Interface()), depth)
	}
	switch v.Kind() {
	case reflect.Invalid:
		j.b.WriteString("null")
	case reflect.Bool:
		j.b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		j.b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		j.b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		j.b.WriteString(pythonFloat(v.Float()))
	case reflect.String:
		j.str(v.String())
	case reflect.Slice, reflect.Array:
		if v.Len() == 0 {
			j.b.WriteString("[]")
			return nil
		}
		j.b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				j.sep()
			}
			j.newline(depth + 1)
			if err := j.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
		j.newline(depth)
		j.b.WriteByte(']')
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		byKey := map[string]reflect.Value{}
		for _, k := range v.MapKeys() {
			ks := fmt.Sprint(k.Interface())
			keys = append(keys, ks)
			byKey[ks] = v.MapIndex(k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if !j.sortKeys {
				if r := messageKeyRank(a) - messageKeyRank(b); r != 0 {
					return r
				}
			}
			return strings.Compare(a, b)
		})
		if len(keys) == 0 {
			j.b.WriteString("{}")
			return nil
		}
		j.b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				j.sep()
			}
			j.newline(depth + 1)
			j.str(k)
			j.b.WriteString(": ")
			if err := j.value(byKey[k], depth+1); err != nil {
				return err
			}
		}
		j.newline(depth)
		j.b.WriteByte('}')
	default:
		return fmt.Errorf("tojson: cannot serialize a %s", v.Kind())
	}
	return nil
}

// messageKeyRank puts a message's role and content first, in that order.
func messageKeyRank(k string) int {
	switch k {
	case "role":
		return 0
	case "content":
		return 1
	}
	return 2
}

// str writes s as json.dumps does.
func (j jsonWriter) str(s string) {
	b := j.b
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
			case r < 0x20 || (j.ascii && r == 0x7f):
				fmt.Fprintf(b, `\u%04x`, r)
			case j.ascii && r >= utf8.RuneSelf:
				if r > 0xffff {
					r -= 0x10000
					fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
				} else {
					fmt.Fprintf(b, `\u%04x`, r)
				}
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// pythonFloat formats f as Python's repr does.
func pythonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	// repr switches to exponent notation below 1e-4 and from 1e16.
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
