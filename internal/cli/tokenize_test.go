package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
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

// chatGoldens reads the committed chat goldens (renderings by
// @huggingface/jinja, ids by Hugging Face's Rust tokenizers) by template,
// conversation and add_generation_prompt.
func chatGoldens(t *testing.T) (cases map[string]json.RawMessage, templates map[string]string, golden map[string]map[string]any) {
	t.Helper()
	var c struct {
		Templates     map[string]string
		Conversations []map[string]json.RawMessage
	}
	var g struct{ Results []map[string]any }
	for path, v := range map[string]any{"../../testdata/tokenize/chat-cases.json": &c, "../../testdata/tokenize/golden-chat.json": &g} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	cases = map[string]json.RawMessage{}
	for _, conv := range c.Conversations {
		var name string
		json.Unmarshal(conv["name"], &name)
		delete(conv, "name")
		vars := conv["vars"]
		delete(conv, "vars")
		rec := map[string]json.RawMessage{}
		maps.Copy(rec, conv)
		if vars != nil {
			var vs map[string]json.RawMessage
			json.Unmarshal(vars, &vs)
			maps.Copy(rec, vs)
		}
		b, _ := json.Marshal(rec)
		cases[name] = b
	}
	golden = map[string]map[string]any{}
	for _, r := range g.Results {
		golden[fmt.Sprintf("%s/%s/%v", r["template"], r["conversation"], r["add_generation_prompt"])] = r
	}
	return cases, c.Templates, golden
}

// TestTokenizeChat: --chat writes the chat template's rendering and the ids
// that transformers' apply_chat_template(tokenize=True) gives.
func TestTokenizeChat(t *testing.T) {
	cases, templates, golden := chatGoldens(t)
	// A GPT-2 model directory given the hand-written chatml template.
	cfg, _ := json.Marshal(map[string]any{"eos_token": "<|endoftext|>", "bos_token": "<s>", "chat_template": templates["inst"]})
	gpt2Dir := t.TempDir()
	for _, f := range []string{"tokenizer.json", "special_tokens_map.json"} {
		b, err := os.ReadFile(filepath.Join(gpt2Ref, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(gpt2Dir, f), b, 0o644)
	}
	os.WriteFile(filepath.Join(gpt2Dir, "tokenizer_config.json"), cfg, 0o644)
	for _, m := range []struct{ dir, label string }{{llamaRef, "family:llama-sp"}, {gpt2Dir, "inline:inst"}} {
		names := []string{"user", "system-multi-turn", "unicode", "tools", "content-list", "thinking"}
		var in strings.Builder
		var want []map[string]any
		for i, name := range names {
			gen := i%2 == 0
			var rec map[string]json.RawMessage // raw values keep their key order
			json.Unmarshal(cases[name], &rec)
			rec["add_generation_prompt"], _ = json.Marshal(gen)
			rec["id"], _ = json.Marshal(name)
			b, _ := json.Marshal(rec)
			in.Write(append(b, '\n'))
			want = append(want, golden[fmt.Sprintf("%s/%s/%v", m.label, name, gen)])
		}
		code, out, stderr := runIn(in.String(), "tokenize", "--model", m.dir, "--chat", "-")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		for i, w := range want {
			if w["error"] != nil { // the reference fails here: so must the command, naming the line
				if code == 0 || !strings.Contains(stderr, fmt.Sprintf("stdin:%d: ", i+1)) || !strings.Contains(stderr, w["error"].(string)) {
					t.Errorf("%s %s: code %d, stderr %q; want the error %q on stdin:%d", m.label, names[i], code, stderr, w["error"], i+1)
				}
				break
			}
			if i >= len(lines) {
				t.Fatalf("%s: %d output lines, stderr %q", m.label, len(lines), stderr)
			}
			var got struct {
				ID   string
				Text string
				IDs  []int
			}
			json.Unmarshal([]byte(lines[i]), &got)
			wantIDs, _ := json.Marshal(w["ids"])
			gotIDs, _ := json.Marshal(got.IDs)
			if got.ID != names[i] || got.Text != w["text"] || string(gotIDs) != string(wantIDs) {
				t.Errorf("%s %s:\n got %s\nwant text %q ids %s", m.label, names[i], lines[i], w["text"], wantIDs)
			}
		}
	}
	// Bad input names the line; a model without a template says so.
	for _, c := range []struct{ in, model, want string }{
		{"{\"messages\": []}\n{\"messages\": [}\n", llamaRef, "stdin:2: "},
		{"{\"messages\": \"hi\"}\n", llamaRef, "stdin:1: field \"messages\""},
		{"{\"messages\": [], \"add_generation_prompt\": 1}\n", llamaRef, "stdin:1: field \"add_generation_prompt\""},
		{"{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}]}\n", gpt2Dir, "stdin:1: chat template of " + filepath.Join(gpt2Dir, "tokenizer_config.json") + ": raise_exception: Conversation roles must alternate"},
		{"{\"messages\": []}\n", gpt2Ref, gpt2Ref + ": tokenizer_config.json has no chat_template"},
	} {
		code, _, stderr := runIn(c.in, "tokenize", "--model", c.model, "--chat")
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("input %q: code %d, stderr %q; want %q", c.in, code, stderr, c.want)
		}
	}
}
