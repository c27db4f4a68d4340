package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/tokenize"
)

func tokenizeCommand() *cli.Command {
	return &cli.Command{
		Name:  "tokenize",
		Usage: "token ids of text with a model directory's Hugging Face tokenizer (and back with --decode)",
		UsageText: "dpokit tokenize --model DIR [TEXT | -]      ids of TEXT, or of each line of stdin\n" +
			"   dpokit tokenize --model DIR --jsonl [FILE | -]   JSON lines with `text` -> JSON lines with `ids`\n" +
			"   dpokit tokenize --model DIR --decode [IDS | -]   ids (spaces, commas or a JSON array) -> text\n" +
			"   dpokit tokenize --model DIR --chat [FILE | -]    JSON lines with `messages` -> chat template `text` and `ids`",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "model directory holding tokenizer.json (required)"},
			&cli.BoolFlag{Name: "special", Value: true, Usage: "add the tokenizer's special tokens (BOS/EOS) as Hugging Face's encode does; --special=false for none"},
			&cli.BoolFlag{Name: "tokens", Usage: "print token strings (a JSON array per line) instead of ids; with --jsonl add `tokens`"},
			&cli.BoolFlag{Name: "json", Usage: "print a JSON object per line: ids, tokens and byte offsets"},
			&cli.BoolFlag{Name: "jsonl", Usage: "read JSON lines with a `text` field, write JSON lines with `ids` (all cores, input order)"},
			&cli.BoolFlag{Name: "decode", Usage: "turn ids back into text"},
			&cli.BoolFlag{Name: "chat", Usage: "read JSON lines {\"messages\": [...], \"add_generation_prompt\": bool, \"tools\": [...]}, write the chat template's `text` and its `ids` (as apply_chat_template(tokenize=True): no special tokens added to the template's)"},
			&cli.BoolFlag{Name: "skip-special", Usage: "with --decode: leave special tokens out"},
		},
		Action: runTokenize,
	}
}

func runTokenize(c *cli.Context) error {
	if c.String("model") == "" {
		return usagef("--model is required")
	}
	if c.Args().Len() > 1 {
		return usagef("give one TEXT argument (quote it), or - / nothing to read stdin")
	}
	tok, err := tokenize.Load(c.String("model"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(c.App.Writer)
	defer w.Flush()
	arg := c.Args().First()
	var in io.Reader = os.Stdin
	if c.App.Reader != nil {
		in = c.App.Reader
	}
	if (c.Bool("jsonl") || c.Bool("chat")) && arg != "" && arg != "-" {
		f, err := os.Open(arg)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	switch {
	case c.Bool("chat"):
		if !tok.HasChatTemplate() {
			return fmt.Errorf("%s: tokenizer_config.json has no chat_template", c.String("model"))
		}
		return tokenizeChat(tok, in, w, nameOf(arg))
	case c.Bool("jsonl"):
		return tokenizeJSONL(tok, in, w, c.Bool("special"), c.Bool("tokens"), nameOf(arg))
	case arg != "" && arg != "-":
		return tokenizeLines(c, tok, []string{arg}, w)
	}
	// One line of output per line of input, in chunks encoded on all cores.
	r := bufio.NewReaderSize(in, 1<<20)
	var chunk []string
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			chunk = append(chunk, strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
		}
		if len(chunk) == 4096 || (err != nil && len(chunk) > 0) {
			if err := tokenizeLines(c, tok, chunk, w); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func nameOf(arg string) string {
	if arg == "" || arg == "-" {
		return "stdin"
	}
	return arg
}

func tokenizeLines(c *cli.Context, tok *tokenize.Tokenizer, lines []string, w io.Writer) error {
	if c.Bool("decode") {
		for i, l := range lines {
			ids, err := parseIDs(l)
			if err != nil {
				return fmt.Errorf("line %d: %w", i+1, err)
			}
			text, err := tok.Decode(ids, c.Bool("skip-special"))
			if err != nil {
				return err
			}
			fmt.Fprintln(w, text)
		}
		return nil
	}
	if c.Bool("json") {
		for _, l := range lines {
			ids, offsets, err := tok.EncodeOffsets(l)
			if err != nil {
				return err
			}
			if c.Bool("special") { // special tokens cover no text: offsets [0, 0]
				full, err := tok.Encode(l, true)
				if err != nil {
					return err
				}
				pre := 0 // where the text's tokens start among the special ones
				for pre+len(ids) <= len(full) && !slices.Equal(full[pre:pre+len(ids)], ids) {
					pre++
				}
				offs := make([][2]int, 0, len(full))
				for k := range full {
					j := k - pre
					if j >= 0 && j < len(ids) {
						offs = append(offs, offsets[j])
					} else {
						offs = append(offs, [2]int{0, 0})
					}
				}
				ids, offsets = full, offs
			}
			b, _ := json.Marshal(map[string]any{"ids": ids, "tokens": tok.Tokens(ids), "offsets": offsets})
			fmt.Fprintf(w, "%s\n", b)
		}
		return nil
	}
	all, err := tok.EncodeBatch(lines, c.Bool("special"))
	if err != nil {
		return err
	}
	for _, ids := range all {
		if c.Bool("tokens") {
			b, _ := json.Marshal(tok.Tokens(ids))
			fmt.Fprintf(w, "%s\n", b)
			continue
		}
		fmt.Fprintln(w, joinInts(ids))
	}
	return nil
}

func joinInts(ids []int) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(id))
	}
	return b.String()
}

// parseIDs reads ids written as a JSON array or separated by spaces or commas.
func parseIDs(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		var ids []int
		if err := json.Unmarshal([]byte(s), &ids); err != nil {
			return nil, fmt.Errorf("ids: %w", err)
		}
		return ids, nil
	}
	var ids []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
		id, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("ids: %q is not a token id", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// tokenizeJSONL reads {"text": ...} lines (other fields, such as id, are
// kept) and writes the same objects with ids (and tokens), in input order.
func tokenizeJSONL(tok *tokenize.Tokenizer, in io.Reader, w io.Writer, special, tokens bool, name string) error {
	r := bufio.NewReaderSize(in, 1<<20)
	var recs []map[string]any
	var texts []string
	flush := func() error {
		all, err := tok.EncodeBatch(texts, special)
		if err != nil {
			return err
		}
		for i, rec := range recs {
			delete(rec, "text")
			rec["ids"] = all[i]
			if tokens {
				rec["tokens"] = tok.Tokens(all[i])
			}
			b, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "%s\n", b)
		}
		recs, texts = recs[:0], texts[:0]
		return nil
	}
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(strings.TrimSpace(string(b))) > 0 {
			var rec map[string]any
			if err := json.Unmarshal(b, &rec); err != nil {
				return fmt.Errorf("%s:%d: %w", name, line, err)
			}
			text, ok := rec["text"].(string)
			if !ok {
				return fmt.Errorf("%s:%d: field \"text\": missing or not a string", name, line)
			}
			recs, texts = append(recs, rec), append(texts, text)
			if len(texts) == 4096 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return err
		}
	}
}

// tokenizeChat renders each JSON line's conversation with the chat template
// and writes {"id" (when given), "text", "ids"} lines in input order.
func tokenizeChat(tok *tokenize.Tokenizer, in io.Reader, w io.Writer, name string) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<30)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var chat tokenize.Chat
		if err := json.Unmarshal(sc.Bytes(), &chat); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		text, ids, err := tok.EncodeChat(chat)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out := struct {
			ID   json.RawMessage `json:"id,omitempty"`
			Text string          `json:"text"`
			IDs  []int           `json:"ids"`
		}{chat.Vars["id"], text, ids}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	return sc.Err()
}
