package jinja

import (
	"strings"
	"testing"
	"time"
)

// The renderings are checked against @huggingface/jinja by the tokenize
// package's golden tests; these tests cover what the goldens cannot.

func TestRecursionIsAnError(t *testing.T) {
	tmpl, err := Parse(`{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Render(nil, Options{}); err == nil || !strings.Contains(err.Error(), "call stack") {
		t.Errorf("endless recursion: got %v, want a stack error", err)
	}
}

func TestStrftimeLocalTime(t *testing.T) {
	tmpl, err := Parse(`{{ strftime_now('%Y-%m-%d %H:%M %b %B %% %a') }}`)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 12, 31, 23, 59, 0, 0, time.FixedZone("X", -5*3600))
	got, err := tmpl.Render(nil, Options{Now: at})
	if want := "2024-12-31 23:59 Dec December % %a"; err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}

// FuzzTemplate: any template source and any JSON messages either render or
// fail with an error; nothing panics.
func FuzzTemplate(f *testing.F) {
	f.Add(`{% for m in messages %}{{ m.role | upper }}{% endfor %}`, `[{"role": "user"}]`)
	f.Add(`{%- set ns = namespace(a=1) -%}{{ ns.a ~ messages[::-1] | tojson(indent=2) }}`, `[1, "x", null]`)
	f.Add(`{{ (messages[0] if messages else 'x').split(',', 1) }}{% macro m(a=1) %}{{ caller() if caller is defined }}{% endmacro %}`, `["a,b,c"]`)
	f.Fuzz(func(t *testing.T, src, msgs string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		v, err := FromJSON([]byte(msgs))
		if err != nil {
			v = String(msgs)
		}
		tmpl.Render(map[string]Value{"messages": v}, Options{Now: time.Unix(0, 0)})
	})
}
