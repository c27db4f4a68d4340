package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/tokenize"
)

// runIn runs Main with stdin.
func runIn(stdin string, args ...string) (int, string, string) {
	var out, errb strings.Builder
	app := App(&out, &errb)
	app.Reader = strings.NewReader(stdin)
	err := app.Run(append([]string{"dpokit"}, args...))
	if err != nil {
		errb.WriteString(err.Error())
		return 1, out.String(), errb.String()
	}
	return 0, out.String(), errb.String()
}

func TestTokenizeCommand(t *testing.T) {
	tok, err := tokenize.Load(llamaRef)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"Hello world", "\n\nHuman: what's 2000+12?", "日本語 and émoji 🙂", "  spaced   out  "}
	// Lines of stdin: one output line per input line, ids as tokenize.Encode gives them.
	oneLine := []string{texts[0], texts[2], texts[3]}
	code, out, stderr := runIn(strings.Join(oneLine, "\n")+"\n", "tokenize", "--model", llamaRef)
	if code != 0 {
		t.Fatal(stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d output lines for 3 input lines: %q", len(lines), out)
	}
	for i, l := range lines {
		ids, _ := tok.Encode(oneLine[i], true)
		if l != joinInts(ids) {
			t.Errorf("line %d: %s, want %s", i+1, l, joinInts(ids))
		}
	}
	// --jsonl keeps order and other fields; texts may hold newlines.
	var in strings.Builder
	for i, s := range texts {
		b, _ := json.Marshal(map[string]any{"id": i, "text": s})
		in.Write(append(b, '\n'))
	}
	code, out, stderr = runIn(in.String(), "tokenize", "--model", llamaRef, "--jsonl", "--tokens", "--special=false")
	if code != 0 {
		t.Fatal(stderr)
	}
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var rec struct {
			ID     int
			IDs    []int `json:"ids"`
			Tokens []string
		}
		json.Unmarshal([]byte(l), &rec)
		want, _ := tok.Encode(texts[i], false)
		if rec.ID != i || joinInts(rec.IDs) != joinInts(want) || len(rec.Tokens) != len(want) {
			t.Errorf("jsonl line %d: %s", i, l)
		}
		// --decode turns them back.
		code, dec, _ := runIn(joinInts(rec.IDs), "tokenize", "--model", llamaRef, "--decode")
		if code != 0 || strings.TrimSuffix(dec, "\n") != texts[i] {
			t.Errorf("decode of %q gave %q", texts[i], dec)
		}
	}
	// --json: offsets cover the text each token came from.
	code, out, _ = runIn("", "tokenize", "--model", gpt2Ref, "--json", "Hello brave new world")
	var j struct {
		IDs     []int `json:"ids"`
		Offsets [][2]int
	}
	if err := json.Unmarshal([]byte(out), &j); code != 0 || err != nil || len(j.Offsets) != 4 {
		t.Fatalf("json output %q", out)
	}
	s := "Hello brave new world"
	if got := s[j.Offsets[1][0]:j.Offsets[1][1]]; got != " brave" {
		t.Errorf("offset of token 1 covers %q, want \" brave\"", got)
	}
}
