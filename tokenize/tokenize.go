package tokenize

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/pretrained"
	"github.com/sugarme/tokenizer/util"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// Message is one turn of a conversation, rendered by [Tokenizer.ApplyChatTemplate].
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Tokenizer encodes and decodes text exactly as the Hugging Face tokenizer
// described by a model directory's tokenizer files does. It is safe for
// concurrent use.
type Tokenizer struct {
	tk          *tokenizer.Tokenizer
	fingerprint func() string // blocks until the background computation ends
	vocabSize   int
	idToToken   []string
	special     []bool // special[id]: an added token marked special

	bosID  int
	hasBOS bool
	eos    []int
	prefix []int // ids added in front when addSpecial
	suffix []int // ids added at the end when addSpecial

	chat *chatTemplate

	// fullPipeline: the components have no string-level form, so encoding
	// goes through the engine's offset-tracking Encode.
	fullPipeline bool
}

// Load reads dir/tokenizer.json plus, when present, dir/tokenizer_config.json
// and dir/special_tokens_map.json; each must resolve inside dir (a symlink
// leading out is refused).
func Load(dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	raw, err := fsutil.ReadFileInside(dir, "tokenizer.json")
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	cfg, err := readConfigs(dir)
	if err != nil {
		return nil, err
	}
	return build(path, raw, cfg)
}

func build(path string, raw []byte, cfg *configs) (*Tokenizer, error) {
	fp := backgroundFingerprint(raw)
	file, tk, err := parseTokenizerJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	t := &Tokenizer{tk: tk, fingerprint: fp, fullPipeline: tk.CanEncodeIDs() != nil}
	if err := t.initVocab(file); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := t.initSpecial(file, cfg); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	t.chat = cfg.chat
	return t, nil
}

// Encode returns the token ids of text. With addSpecial the BOS/EOS tokens
// are added as Hugging Face's encode(text, add_special_tokens=True) does.
func (t *Tokenizer) Encode(text string, addSpecial bool) ([]int, error) {
	out := make([]int, 0, len(t.prefix)+len(text)/3+len(t.suffix)+1)
	if addSpecial {
		out = append(out, t.prefix...)
	}
	var err error
	if t.fullPipeline {
		out, err = t.engineEncode(out, text)
	} else {
		out, err = t.tk.EncodeIDs(out, text)
	}
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	if addSpecial {
		out = append(out, t.suffix...)
	}
	return out, nil
}

// engineEncode appends the ids of text from the engine's offset-tracking
// Encode, for tokenizers without a string-level pipeline. The engine panics
// on some inputs it cannot handle; that becomes an error.
func (t *Tokenizer) engineEncode(dst []int, text string) (out []int, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("tokenizer engine: %v", r)
		}
	}()
	enc, err := t.tk.EncodeSingle(util.ValidUTF8String(text), false)
	if err != nil {
		return nil, err
	}
	return append(dst, enc.Ids...), nil
}

// parseTokenizerJSON reads the parts of tokenizer.json this package uses
// and builds the engine's tokenizer from the whole. The engine panics on some
// malformed files, which becomes an error.
func parseTokenizerJSON(raw []byte) (file *tokenizerFile, tk *tokenizer.Tokenizer, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, tk, err = nil, nil, fmt.Errorf("tokenizer engine: %v", r)
		}
	}()
	tk, sections, err := pretrained.FromBytes(raw)
	if err != nil {
		return nil, nil, err
	}
	file = &tokenizerFile{PostProcessor: sections["post_processor"]}
	if a := sections["added_tokens"]; a != nil {
		if err := json.Unmarshal(a, &file.AddedTokens); err != nil {
			return nil, nil, fmt.Errorf("added_tokens: %w", err)
		}
	}
	return file, tk, nil
}

// EncodeBatch encodes texts on all cores; the result is in input order.
func (t *Tokenizer) EncodeBatch(texts []string, addSpecial bool) ([][]int, error) {
	out := make([][]int, len(texts))
	errs := make([]error, len(texts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(texts)) {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= len(texts) {
					return
				}
				out[j], errs[j] = t.Encode(texts[j], addSpecial)
			}
		})
	}
	wg.Wait()
	for j, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("text %d: %w", j, err)
		}
	}
	return out, nil
}

// Decode turns ids back into text; with skipSpecial, added tokens marked
// special are left out. Ids the tokenizer does not know are left out too,
// as Hugging Face tokenizers do: a model's embedding matrix is often padded
// past the tokenizer's vocabulary, so sampling can produce such ids.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) (string, error) {
	keep := make([]int, 0, len(ids))
	for _, id := range ids {
		if id < 0 || id >= t.vocabSize || t.idToToken[id] == "" {
			continue
		}
		if !skipSpecial || !t.special[id] {
			keep = append(keep, id)
		}
	}
	return t.tk.Decode(keep, false), nil
}

// Tokens returns the token strings of ids ("" for an id outside the vocabulary).
func (t *Tokenizer) Tokens(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if id >= 0 && id < len(t.idToToken) {
			out[i] = t.idToToken[id]
		}
	}
	return out
}

// VocabSize is the number of ids including added tokens (max id + 1).
func (t *Tokenizer) VocabSize() int { return t.vocabSize }

// BOS returns the beginning-of-sequence id named by the config files.
func (t *Tokenizer) BOS() (int, bool) { return t.bosID, t.hasBOS }

// EOS returns the end-of-sequence ids named by the config files.
func (t *Tokenizer) EOS() []int { return append([]int(nil), t.eos...) }

// Fingerprint is the sha256 (hex) of the normalized tokenizer.json content:
// equal tokenizers have equal fingerprints.
func (t *Tokenizer) Fingerprint() string { return t.fingerprint() }

// backgroundFingerprint computes the fingerprint of raw on another goroutine,
// so that Load does not wait for it (it costs about a third of loading a
// 262k-token tokenizer). Should raw have a JSON number that the canonical
// form refuses (the engine accepted the file), the fingerprint is the sha256
// of raw itself.
func backgroundFingerprint(raw []byte) func() string {
	done := make(chan string, 1)
	go func() {
		fp, err := fingerprint(raw)
		if err != nil {
			sum := sha256.Sum256(raw)
			fp = hex.EncodeToString(sum[:])
		}
		done <- fp
	}()
	return sync.OnceValue(func() string { return <-done })
}

// HasChatTemplate reports whether tokenizer_config.json carries a chat template.
func (t *Tokenizer) HasChatTemplate() bool { return t.chat != nil }

// ApplyChatTemplate renders msgs with the chat template.
func (t *Tokenizer) ApplyChatTemplate(msgs []Message, addGenerationPrompt bool) (string, error) {
	if t.chat == nil {
		return "", ErrNoChatTemplate
	}
	return t.chat.render(msgs, addGenerationPrompt)
}

// ErrNoChatTemplate is returned by ApplyChatTemplate when tokenizer_config.json has no chat_template.
var ErrNoChatTemplate = errors.New("tokenizer has no chat template")
