// Package jinja renders Hugging Face chat templates exactly as
// @huggingface/jinja 0.5.11 does — the Jinja implementation of
// transformers.js and the reference dpokit's tests hold it to.
//
// It is a Jinja subset written for chat templates: text, {{ }}, {% set %}
// (also block sets and namespace attributes), if/elif/else, for (with
// loop.*, else, inline "if" filters, break and continue), macros with
// defaults, kwargs and varargs, call and filter blocks, inline if-else,
// slices, the string, list and dict methods, filters and tests the
// reference has, namespace(), range(), raise_exception() and
// strftime_now(). Templates are configured as transformers configures
// them: trim_blocks and lstrip_blocks, one trailing newline dropped.
//
// Where the reference departs from Python's Jinja, this package follows
// the reference: values print as JavaScript prints them (true, null,
// lists as JSON), == is JavaScript's loose equality, strip/lstrip/rstrip
// ignore their argument and trim whitespace, title() capitalizes after
// every non-ASCII-word character, and unknown filters or operators are
// errors.
package jinja

import (
	"fmt"
	"math"
	"time"
)

// Template is a parsed template; it is safe for concurrent use.
type Template struct {
	prog []node
}

// Parse lexes and parses a template.
func Parse(source string) (*Template, error) {
	toks, err := lex(source)
	if err != nil {
		return nil, err
	}
	prog, err := parse(toks)
	if err != nil {
		return nil, err
	}
	return &Template{prog: prog}, nil
}

// Exception is the error of a template that called raise_exception(message).
type Exception struct{ Message string }

func (e *Exception) Error() string { return e.Message }

// String and Bool make template values of Go values; [FromJSON] makes the others.
func String(s string) Value { return strV(s) }

// Bool is a boolean template value.
func Bool(b bool) Value { return boolV(b) }

// Options are the settings of one rendering.
type Options struct {
	// Now is the time strftime_now formats; zero means time.Now().
	Now time.Time
}

// Render renders the template with the given variables. Names that the
// template's globals already use (true, none, range, ...) are refused.
func (t *Template) Render(vars map[string]Value, opt Options) (out string, err error) {
	in := &interp{now: opt.Now}
	if in.now.IsZero() {
		in.now = time.Now()
	}
	global := newEnv(nil)
	for name, v := range globals(in) {
		global.set(name, v)
	}
	for name, v := range vars {
		if _, taken := global.vars[name]; taken {
			return "", fmt.Errorf("variable already declared: %s", name)
		}
		global.set(name, v)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = "", recovered(r)
		}
	}()
	return in.render(t.prog, global), nil
}

func recovered(r any) error {
	switch x := r.(type) {
	case runtimeError:
		return x
	case *Exception:
		return x
	case control:
		return fmt.Errorf("break or continue outside a loop")
	}
	return fmt.Errorf("internal error: %v", r)
}

func globals(in *interp) map[string]Value {
	return map[string]Value{
		"true": boolV(true), "false": boolV(false), "none": null,
		"True": boolV(true), "False": boolV(false), "None": null,
		"namespace": method(namespace),
		"raise_exception": method(func(args []Value) Value {
			msg := ""
			if len(args) > 0 {
				if _, u := args[0].(undefinedV); !u {
					msg = rawString(args[0])
				}
			}
			panic(&Exception{Message: msg})
		}),
		"range": method(rangeFunc),
		"strftime_now": method(func(args []Value) Value {
			if len(args) == 0 {
				raise("strftime_now() needs a format")
			}
			f, ok := args[0].(strV)
			if !ok {
				raise("strftime_now() format must be a string")
			}
			return strV(strftime(in.now, string(f)))
		}),
	}
}

func namespace(args []Value) Value {
	ns := &namespaceV{dict: newDict()}
	pos := args
	var kw *objectV
	if n := len(pos); n > 0 {
		if o, ok := pos[n-1].(*objectV); ok && o.kwargs {
			kw, pos = o, pos[:n-1]
		}
	}
	if len(pos) > 1 {
		raise("namespace expected at most 1 argument, got %d", len(pos))
	}
	if len(pos) == 1 {
		switch src := pos[0].(type) {
		case *objectV:
			for _, k := range src.keys {
				ns.set(k, src.m[k])
			}
		case *arrayV:
			for _, p := range src.items {
				k, v := namespacePair(p)
				ns.set(k, v)
			}
		default:
			raise("'%s' object is not iterable", typeName(src))
		}
	}
	if kw != nil {
		for _, k := range kw.keys {
			ns.set(k, kw.m[k])
		}
	}
	return ns
}

func namespacePair(p Value) (string, Value) {
	var vals []Value
	switch x := p.(type) {
	case *arrayV:
		vals = x.items
	case strV:
		for _, r := range string(x) {
			vals = append(vals, strV(string(r)))
		}
	}
	if len(vals) != 2 {
		raise("namespace expected an object or an iterable of [key, value] pairs")
	}
	k, ok := vals[0].(strV)
	if !ok {
		raise("namespace keys must be strings")
	}
	return string(k), vals[1]
}

// rangeFunc is range(stop) or range(start, stop[, step]).
func rangeFunc(args []Value) Value {
	var nums []float64
	for _, a := range args {
		f, ok := number(a)
		if !ok {
			raise("range() arguments must be numbers")
		}
		nums = append(nums, f)
	}
	var start, stop, step float64 = 0, 0, 1
	switch len(nums) {
	case 1:
		stop = nums[0]
	case 2:
		start, stop = nums[0], nums[1]
	case 3:
		start, stop, step = nums[0], nums[1], nums[2]
	default:
		raise("range() takes 1 to 3 arguments")
	}
	if step == 0 {
		raise("range() step must not be zero")
	}
	var out []Value
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		if len(out) >= 1<<20 {
			raise("range() too long")
		}
		out = append(out, numberValue(i))
	}
	return newArray(out)
}

// numberValue is an integer when f is integral, as the reference converts numbers.
func numberValue(f float64) Value {
	if f == math.Trunc(f) && !math.IsInf(f, 0) {
		return intV(f)
	}
	return floatV(f)
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

// strftime supports the reference's directives: %Y %m %d %b %B %H %M %%;
// any other directive is left as written.
func strftime(t time.Time, f string) string {
	var b []byte
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b = append(b, f[i])
			continue
		}
		switch f[i+1] {
		case 'Y':
			b = fmt.Appendf(b, "%d", t.Year())
		case 'm':
			b = fmt.Appendf(b, "%02d", int(t.Month()))
		case 'd':
			b = fmt.Appendf(b, "%02d", t.Day())
		case 'b':
			b = append(b, monthNames[t.Month()-1][:3]...)
		case 'B':
			b = append(b, monthNames[t.Month()-1]...)
		case 'H':
			b = fmt.Appendf(b, "%02d", t.Hour())
		case 'M':
			b = fmt.Appendf(b, "%02d", t.Minute())
		case '%':
			b = append(b, '%')
		default:
			b = append(b, f[i], f[i+1])
		}
		i++
	}
	return string(b)
}
