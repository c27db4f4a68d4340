//go:build ignore

// gencorpus writes the deterministic tokenizer test corpus: English prose and
// dialogue, code, whitespace runs, repeated characters and punctuation,
// numbers, emoji, many scripts, combining marks, control characters, added
// tokens inside text, and invalid UTF-8.
//
//	go run scripts/tokenize/gencorpus.go -out testdata/tokenize/corpus.json.gz
//
// Each entry has a "kind" and either "text" (valid UTF-8) or "b64" (raw bytes
// that are not valid UTF-8, base64-encoded). JSON strings cannot carry invalid
// UTF-8, and neither can JavaScript strings: reference.mjs decodes "b64" with a
// TextDecoder (invalid bytes become U+FFFD), which the Go side must match.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strings"
	"unicode/utf8"
)

type entry struct {
	Kind string  `json:"kind"`
	Text *string `json:"text,omitempty"` // nil for invalid UTF-8
	B64  string  `json:"b64,omitempty"`
}

type corpus struct {
	Seed    uint64  `json:"seed"`
	Entries []entry `json:"entries"`
}

var words = strings.Fields(`the a an model answer question data time people way year day thing man world life hand part
child eye woman place work week case point government company number group problem fact be have do say get make go
know take see come think look want give use find tell ask seem feel try leave call good new first last long great
little own other old right big high different small large next early young important few public bad same able
about after again against because before between during into over through under while with without river mountain
garden kitchen window library music picture letter story paper science history language weather travel market
Hello Human Assistant Sure Thanks Python JavaScript Go Paris London Tokyo OpenAI GPT Llama dpokit tokenizer
antidisestablishmentarianism supercalifragilistic electroencephalography internationalization`)

var contractions = []string{"don't", "I'm", "it's", "you're", "we've", "they'll", "she'd", "IT'S", "DON'T", "can't",
	"won't", "y'all", "o'clock", "rock'n'roll", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "''", "'", "it’s", "’tis"}

var code = []string{
	"func main() {\n\tfmt.Println(\"hello, world\")\n}\n",
	"def f(x):\n    if x > 0:\n        return x ** 2\n    return -x\n",
	"for (let i = 0; i < n; i++) {\n  sum += a[i];\n}",
	"#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }\n",
	"SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
	"<div class=\"x\">&nbsp;<b>bold</b></div>\n",
	"x = {'a': [1, 2, 3], \"b\": None}\t# comment\n",
	"    \t\tindented\t  mixed\n\n\n  \n",
	"if err != nil {\n\t\treturn nil, fmt.Errorf(\"read %q: %w\", path, err)\n\t}",
	"$ ls -la | grep '^d' && echo ok || exit 1",
	"{\"key\": \"value\", \"n\": 1.5e-10, \"arr\": [true, false, null]}",
	"a+=1;b-=2;c*=3;d/=4;e%=5;f**=6;g//=7;h<<=8;i>>=9",
	"λx.λy.x y → ∀α. α ⊢ β ≠ γ ≤ δ",
	"```python\nprint('hi')\n```\n",
}

var dialogueTurns = []string{
	"What is the capital of France?", "The capital of France is Paris.", "Can you write a poem?",
	"Sure! Here is a short poem:\n\nRoses are red,\nViolets are blue.", "Uhhh... I don't know.",
	"How do I sort a list in Python?", "Use `sorted(xs)` or `xs.sort()`.", "N**** please.",
	"That's not appropriate.", "Tell me about the year 2000.", "In 2000, many things happened...",
}

var emoji = []string{"😀", "👍", "👍🏽", "❤️", "🇺🇸", "🇯🇵", "👨‍👩‍👧‍👦", "🧑🏿‍💻", "🏳️‍🌈", "1️⃣", "#️⃣", "🤷‍♀️",
	"👩‍❤️‍💋‍👨", "🐈‍⬛", "🫠", "😂😂😂", "🔥", "✨", "🙏", "✔", "☃", "🎉🎉"}

var scripts = []string{
	"你好，世界！今天天气很好。", "日本語のテキスト：ひらがな、カタカナ、漢字。", "안녕하세요 세계", "東京都渋谷区",
	"مرحبا بالعالم", "السلام عليكم ورحمة الله", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก",
	"Привет, мир!", "Γειά σου Κόσμε", "Ελληνικά και русский", "ᚠᛇᚻ᛫ᛒᛦᚦ", "ქართული", "Հայերեն",
	"𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙", "𠜎𠜱𠝹𠱓", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ", "Ⅻ ⅷ ① ⑳ ½ ¾ ²³", "𝟘𝟙𝟚 ٣٤٥ ०१२",
}

var accents = []string{"café", "cafe\u0301", "naïve", "nai\u0308ve", "Ångström", "A\u030angstro\u0308m",
	"Tiếng Việt có dấu", "Z\u0351\u0359a\u036Bl\u0350g\u0352o\u0353", "résumé", "Straße", "İstanbul", "ǅ ǈ ǋ",
	"e\u0301\u0301\u0301", "\u0301start", "ﬁ ﬂ ﬀ", "Å Å Å"}

var controls = []string{"\x00", "\x01", "\x07", "\x08", "\t", "\n", "\v", "\f", "\r", "\r\n", "\x1b[31m", "\x1c",
	"\x1d", "\x1e", "\x1f", "\x7f", "\u0080", "\u0085", "\u009f", "\u00a0", "\u00ad", "\u200b", "\u200c",
	"\u200d", "\u200e", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff", "\ufffd", "\u2060", "\u1680", "\u2003"}

var addedTokens = []string{"<|endoftext|>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "<s>", "</s>",
	"<unk>", "<|placeholder1|>", "<|endoftext", "<|user", "|>", "<", "<<s>>", "<|endoftext|><|endoftext|>",
	// Special and added tokens of the Qwen, Llama-3, Gemma, DeepSeek and gpt-oss families.
	"<|im_start|>", "<|im_end|>", "<|im_start|>user\n", "<think>", "</think>", "<tool_call>", "<|fim_prefix|>",
	"<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_5|>",
	"<|python_tag|>", "<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<mask>",
	"<unused0>", "<unused99>", "[multimodal]", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>",
	"<｜Assistant｜>", "<｜tool▁sep｜>", "<|start|>", "<|message|>", "<|channel|>", "<|return|>", "<|constrain|>",
	"<|im_start", "<start_of_turn", "<｜User", "<|eot_id|><|eot_id|>",
	// Tokens of the test variants with lstrip, rstrip, single_word and normalized (golden_variants_test.go).
	"<|lstrip|>", "<|rstrip|>", "<|strip|>", "Hello", "ing", " ing ", "hello world", "hello  world", " Assistant:"}

var cjk = []string{"我们今天去公园散步。", "机器学习是人工智能的一个分支", "你好，世界！", "東京は日本の首都です。",
	"ひらがなとカタカナ", "コンピューター", "한국어 텍스트입니다", "中文English混合123", "「引用」と『書名』",
	"一二三四五六七八九十", "価格は1,234円です", "第3章：结论", "龘齉", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３", "㈱㌔㍿"}

var capsContractions = []string{"DON'T", "I'M", "IT'S", "WE'VE", "THEY'LL", "SHE'D", "YOU'RE", "It'S", "We'Ve",
	"'S", "'T", "'RE", "'VE", "'M", "'LL", "'D", "CAN'T", "O'CLOCK", "Don'T", "I'm", "i'M", "AREN'T", "'Ll"}

var repeated = []string{"h", "*", ".", "!", "?", "-", "=", "_", "~", "a", "0", "1", " ", "\n", "\t", "é", "中", "😀",
	"ha", "ab", "..", "!?", "Ġ", "▁", "'", "\"", "#", "/", "\\", ":"}

func main() {
	out := flag.String("out", "testdata/tokenize/corpus.json.gz", "output file (gzip JSON)")
	n := flag.Int("n", 3600, "number of texts")
	seed := flag.Uint64("seed", 20240611, "random seed")
	flag.Parse()

	r := rand.New(rand.NewPCG(*seed, *seed^0x9e3779b97f4a7c15))
	g := gen{r: r}
	c := corpus{Seed: *seed}
	add := func(kind, s string) {
		if utf8.ValidString(s) {
			c.Entries = append(c.Entries, entry{Kind: kind, Text: &s})
		} else {
			c.Entries = append(c.Entries, entry{Kind: kind, B64: base64.StdEncoding.EncodeToString([]byte(s))})
		}
	}
	for _, s := range fixed {
		add("fixed", s)
	}
	kinds := []struct {
		name   string
		weight int
		f      func() string
	}{
		{"prose", 12, g.prose},
		{"dialogue", 12, g.dialogue},
		{"code", 7, g.code},
		{"whitespace", 10, g.whitespace},
		{"repeated", 10, g.repeated},
		{"numbers", 7, g.numbers},
		{"emoji", 6, g.emoji},
		{"scripts", 7, g.scripts},
		{"accents", 5, g.accents},
		{"controls", 6, g.controls},
		{"added-tokens", 7, g.added},
		{"contractions", 4, g.contractions},
		{"random-unicode", 5, g.randomUnicode},
		{"mixed", 6, g.mixed},
		{"invalid-utf8", 6, g.invalid},
		{"long", 1, g.long},
		{"cjk", 6, g.cjk},
		{"digits", 6, g.digits},
		{"caps-contractions", 4, g.capsContractions},
		{"whitespace-runs", 6, g.whitespaceRuns},
		{"special-in-text", 6, g.added},
	}
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	for len(c.Entries) < *n {
		x := r.IntN(total)
		for _, k := range kinds {
			if x < k.weight {
				add(k.name, k.f())
				break
			}
			x -= k.weight
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		log.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(buf.Bytes())
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, gz.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %d texts (%d bytes of JSON) to %s\n", len(c.Entries), buf.Len(), *out)
}

// fixed are hand-picked cases that come first in the corpus.
var fixed = []string{
	"", " ", "  ", "\n", "\n\n", "\t", "a", "Hello world", " Hello world", "Hello world ", "Hello  world",
	"\n\nHuman: Hi there\n\nAssistant: Hello! How can I help?",
	"\n\nHuman:", "\n\nAssistant:", "Human: \n\nAssistant: ", "  \n\nHuman:  hi", "\n \n Human",
	"Uhhh", "Uhhhhhhhh", "N****", "N********", "......", ".......", "...", "....", " 2000", "2000", " 20000",
	"1999 2000 2001", "  2000", "a  b   c    d", "word   \n", "word \n ", "   leading", "trailing   ",
	"<|endoftext|>", " <|endoftext|> ", "a<|endoftext|>b", "<|user|>\nhi<|end|>\n<|assistant|>\n",
	"<s>hello</s>", " </s> x", "</s>  two spaces", "<|assistant|>   three", "x <|user|> y",
	"don't stop", "I'm here", "it's", "IT'S", "'s", "’s", "café", "cafe\u0301", "👨‍👩‍👧‍👦", "中文",
	"\x00", "\u0085", "\ufeff", "\ufeffBOM", "a\u0085b", "x\u00a0y", "\r\n", "\t\t\tx",
	"\xff", "\xc3", "\xc3(", "\xe2\x82", "\xe2\x82(", "\xed\xa0\x80", "\xc0\xaf", "\xf0\x9f\x98", "ok\x80ok",
	"\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "a\xffb\xfec",
	// U+0085 and U+FEFF: whitespace for Oniguruma (Rust) or for JavaScript,
	// not both; these contexts tell the two apart.
	" \ufeffx", " \u0085x", "\ufeff\ufeffHello", "a \u0085\u0085b", "\u0085 x", "Hi\ufeff world", "x\u0085\n",
	"</s>\ufeffx", "</s>\u0085x", "<|assistant|>\u0085\u0085x", "x\ufeff<|endoftext|>", "\u2028\u2029x \u3000y",
	// Digit groups (Llama-3 and o200k split digits in threes), caps contractions, Gemma's whitespace tokens.
	"1", "12", "123", "1234", "12345", "123456", "1234567", " 12345", "a12345b", "12,345.678", "x 1 22 333 4444 55555",
	"١٢٣٤٥", "①②③", "²³", "DON'T", "I'M HERE", "WE'LL", "'S", "  ", "   ", "    ", "\t\t", "\t\t\t\t", "\n\n\n",
	"\n\n\n\n\n", " \n", "  \n  ", "\r\n\r\n", "x    \n    y", "<start_of_turn>user\nhi<end_of_turn>\n",
	"<|im_start|>user\nhi<|im_end|>", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
	"<｜User｜>hi<｜Assistant｜>", "<|start|>user<|message|>hi<|end|>", "中文123abc", "ab中cd", "。。。",
	"It'ſ", "IT'ſ ok", "'ſ", "x'Ll", "ǅemal'S", "ÀB́Ca", "aB\u0301c", "ĲÑ'RE", "ＡＢｃ", "\u0301\u0301ab", " \u0301x",
}

type gen struct{ r *rand.Rand }

func (g gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g gen) sentence() string {
	n := 3 + g.r.IntN(14)
	var b strings.Builder
	for i := range n {
		w := g.pick(words)
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
			if g.r.IntN(12) == 0 {
				b.WriteString(g.pick([]string{"(", "\"", "'", "["}))
			}
		}
		b.WriteString(w)
		if g.r.IntN(10) == 0 && i < n-1 {
			b.WriteString(g.pick([]string{",", ";", ":", " -", " —", "..."}))
		}
	}
	b.WriteString(g.pick([]string{".", ".", ".", "?", "!", "...", "?!", ""}))
	return b.String()
}

func (g gen) prose() string {
	var parts []string
	for range 1 + g.r.IntN(5) {
		parts = append(parts, g.sentence())
	}
	return strings.Join(parts, g.pick([]string{" ", " ", "  ", "\n", "\n\n"}))
}

func (g gen) dialogue() string {
	var b strings.Builder
	for t := range 1 + g.r.IntN(4) {
		b.WriteString(g.pick([]string{"\n\nHuman: ", "\n\nHuman:", "\n\nHuman:  "}))
		if g.r.IntN(2) == 0 {
			b.WriteString(g.pick(dialogueTurns))
		} else {
			b.WriteString(g.sentence())
		}
		b.WriteString(g.pick([]string{"\n\nAssistant: ", "\n\nAssistant:", "\n\nAssistant:\n"}))
		if t%2 == 0 {
			b.WriteString(g.pick(dialogueTurns))
		} else {
			b.WriteString(g.prose())
		}
	}
	if g.r.IntN(3) == 0 {
		b.WriteString("\n\nAssistant:")
	}
	return b.String()
}

func (g gen) code() string {
	var parts []string
	for range 1 + g.r.IntN(3) {
		parts = append(parts, g.pick(code))
	}
	return strings.Join(parts, g.pick([]string{"", "\n", "\n\n"}))
}

func (g gen) ws() string {
	var b strings.Builder
	for range 1 + g.r.IntN(6) {
		b.WriteString(g.pick([]string{" ", " ", "\t", "\n", "\r\n", "\n\n", "  ", "\u00a0", "\u3000"}))
	}
	return b.String()
}

func (g gen) whitespace() string {
	var b strings.Builder
	if g.r.IntN(2) == 0 {
		b.WriteString(g.ws())
	}
	for range 1 + g.r.IntN(6) {
		b.WriteString(g.pick(append(words, "2000", "!!", "...", "é", "中")))
		b.WriteString(g.ws())
	}
	if g.r.IntN(2) == 0 {
		s := b.String()
		return strings.TrimRight(s, " \t\n\r\u00a0\u3000")
	}
	return b.String()
}

func (g gen) repeated() string {
	var b strings.Builder
	for range 1 + g.r.IntN(3) {
		if g.r.IntN(2) == 0 {
			b.WriteString(g.pick([]string{" ", "", "U", "N", "Wo", "So", "\n"}))
		}
		b.WriteString(strings.Repeat(g.pick(repeated), 1+g.r.IntN(40)))
		b.WriteString(g.pick([]string{"", " ", "!", ".", "\n", " ok"}))
	}
	return b.String()
}

func (g gen) numbers() string {
	var parts []string
	for range 1 + g.r.IntN(6) {
		var s string
		switch g.r.IntN(8) {
		case 0:
			s = fmt.Sprint(g.r.IntN(10000))
		case 1:
			s = fmt.Sprint(g.r.Int64())
		case 2:
			s = fmt.Sprintf("%.*f", g.r.IntN(6), g.r.Float64()*1000)
		case 3:
			s = fmt.Sprintf("%d,%03d,%03d", g.r.IntN(1000), g.r.IntN(1000), g.r.IntN(1000))
		case 4:
			s = fmt.Sprintf("%04d-%02d-%02d", 1900+g.r.IntN(200), 1+g.r.IntN(12), 1+g.r.IntN(28))
		case 5:
			s = fmt.Sprintf("+1 (%03d) %03d-%04d", g.r.IntN(1000), g.r.IntN(1000), g.r.IntN(10000))
		case 6:
			s = fmt.Sprintf("%de%d", g.r.IntN(100), g.r.IntN(30)-15)
		default:
			s = fmt.Sprintf("$%d.%02d", g.r.IntN(100000), g.r.IntN(100))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, g.pick([]string{" ", "  ", ", ", "\n", "", " and "}))
}

func (g gen) emoji() string {
	var b strings.Builder
	for range 1 + g.r.IntN(5) {
		if g.r.IntN(2) == 0 {
			b.WriteString(g.pick(words))
			b.WriteString(g.pick([]string{" ", "", "  "}))
		}
		b.WriteString(g.pick(emoji))
		b.WriteString(g.pick([]string{" ", "", "!", "\n"}))
	}
	return b.String()
}

func (g gen) scripts() string {
	var parts []string
	for range 1 + g.r.IntN(4) {
		parts = append(parts, g.pick(scripts))
		if g.r.IntN(3) == 0 {
			parts = append(parts, g.pick(words))
		}
	}
	return strings.Join(parts, g.pick([]string{" ", "", "\n", "、"}))
}

func (g gen) accents() string {
	var parts []string
	for range 1 + g.r.IntN(5) {
		parts = append(parts, g.pick(accents))
	}
	return strings.Join(parts, g.pick([]string{" ", "", ", "}))
}

func (g gen) controls() string {
	var b strings.Builder
	for range 1 + g.r.IntN(6) {
		if g.r.IntN(2) == 0 {
			b.WriteString(g.pick(words))
		}
		b.WriteString(g.pick(controls))
	}
	return b.String()
}

func (g gen) added() string {
	var b strings.Builder
	for range 1 + g.r.IntN(5) {
		b.WriteString(g.pick([]string{"", " ", "  ", "\n", "\t", "x", "Hello"}))
		b.WriteString(g.pick(addedTokens))
		b.WriteString(g.pick([]string{"", " ", "  ", "\n", " world", "hi", "\u00a0"}))
	}
	return b.String()
}

func (g gen) cjk() string {
	var b strings.Builder
	for range 1 + g.r.IntN(5) {
		b.WriteString(g.pick(cjk))
		switch g.r.IntN(4) {
		case 0:
			b.WriteString(g.pick(words))
		case 1:
			b.WriteString(fmt.Sprint(g.r.IntN(100000)))
		}
		b.WriteString(g.pick([]string{"", " ", "\n", "，", "、"}))
	}
	return b.String()
}

// digits writes numbers of one to five digits (and some longer) next to
// letters, spaces, punctuation and other numbers.
func (g gen) digits() string {
	var b strings.Builder
	for range 1 + g.r.IntN(8) {
		n := 1 + g.r.IntN(5)
		if g.r.IntN(6) == 0 {
			n = 6 + g.r.IntN(12)
		}
		for range n {
			b.WriteByte(byte('0' + g.r.IntN(10)))
		}
		b.WriteString(g.pick([]string{"", " ", ".", ",", "-", "x", "abc", "\n", "  ", "%", "th", "中", "١٢"}))
	}
	return b.String()
}

func (g gen) capsContractions() string {
	var parts []string
	for range 1 + g.r.IntN(6) {
		w := g.pick(words)
		if g.r.IntN(2) == 0 {
			w = strings.ToUpper(w)
		}
		parts = append(parts, w+g.pick(capsContractions))
	}
	return strings.Join(parts, g.pick([]string{" ", "", "  ", "\n"}))
}

// whitespaceRuns writes long runs of spaces, tabs and newlines, which Gemma
// has as tokens of their own and the Llama-3 pattern splits before a word.
func (g gen) whitespaceRuns() string {
	var b strings.Builder
	for range 1 + g.r.IntN(5) {
		unit := g.pick([]string{" ", "\t", "\n", "\r\n", " \n", "\u3000", "\u00a0"})
		b.WriteString(strings.Repeat(unit, 1+g.r.IntN(35)))
		b.WriteString(g.pick([]string{"x", "word", "  indented", "1", "!", "", "中"}))
	}
	return b.String()
}

func (g gen) contractions() string {
	var parts []string
	for range 1 + g.r.IntN(6) {
		parts = append(parts, g.pick(contractions))
		if g.r.IntN(2) == 0 {
			parts = append(parts, g.pick(words))
		}
	}
	return strings.Join(parts, g.pick([]string{" ", "", "  "}))
}

// blocks are ranges of long-assigned code points (Unicode ≤ 6), so that the Go
// and JavaScript Unicode tables agree on their categories.
var blocks = [][2]rune{
	{0x20, 0x7e}, {0xa0, 0x24f}, {0x370, 0x3ff}, {0x400, 0x4ff}, {0x590, 0x5ff}, {0x600, 0x6ff}, {0x900, 0x97f},
	{0xe00, 0xe5b}, {0x1100, 0x11ff}, {0x2000, 0x206f}, {0x20a0, 0x20b8}, {0x2100, 0x214f}, {0x2190, 0x23ff},
	{0x2500, 0x27bf}, {0x3000, 0x303f}, {0x3040, 0x30ff}, {0x4e00, 0x9fa5}, {0xac00, 0xd7a3}, {0xff00, 0xffef},
	{0x1d400, 0x1d7ff}, {0x1f300, 0x1f5ff}, {0x1f600, 0x1f64f}, {0x20000, 0x2a6d6},
}

func (g gen) randomUnicode() string {
	var b strings.Builder
	for range 1 + g.r.IntN(30) {
		bl := blocks[g.r.IntN(len(blocks))]
		r := bl[0] + g.r.Int32N(bl[1]-bl[0]+1)
		if !utf8.ValidRune(r) {
			continue
		}
		b.WriteRune(r)
		if g.r.IntN(5) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func (g gen) mixed() string {
	fs := []func() string{g.prose, g.code, g.whitespace, g.repeated, g.numbers, g.emoji, g.scripts, g.accents,
		g.controls, g.added, g.contractions}
	var parts []string
	for range 2 + g.r.IntN(4) {
		parts = append(parts, fs[g.r.IntN(len(fs))]())
	}
	return strings.Join(parts, g.pick([]string{"", " ", "\n"}))
}

var invalidPieces = []string{"\xff", "\xfe", "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc3", "\xe2\x82", "\xe2",
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x9f", "\xf0\x9f\x98", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
	"\xe0\x80\x80", "\xf0\x80\x80\x80", "\xc3\xc3", "\xe2\x28\xa1", "\xf0\x28\x8c\xbc"}

func (g gen) invalid() string {
	var b strings.Builder
	for range 1 + g.r.IntN(5) {
		switch g.r.IntN(4) {
		case 0:
			for range 1 + g.r.IntN(8) {
				b.WriteByte(byte(g.r.IntN(256)))
			}
		default:
			b.WriteString(g.pick(invalidPieces))
		}
		b.WriteString(g.pick([]string{"", " ", "a", "é", "😀", "\n", " word"}))
	}
	s := b.String()
	if utf8.ValidString(s) {
		s += "\xff"
	}
	return s
}

func (g gen) long() string {
	var b strings.Builder
	for b.Len() < 4000+g.r.IntN(8000) {
		switch g.r.IntN(4) {
		case 0:
			b.WriteString(g.dialogue())
		case 1:
			b.WriteString(g.code())
		default:
			b.WriteString(g.prose())
			b.WriteString("\n\n")
		}
	}
	return b.String()
}
