package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// tokenizerFile holds the parts of tokenizer.json that this package reads
// itself; the engine reads the whole file.
type tokenizerFile struct {
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	PostProcessor json.RawMessage `json:"post_processor"`
}

// configs holds what tokenizer_config.json and special_tokens_map.json say.
type configs struct {
	bosToken, eosToken string
	eosTokens          []string
	addBOS, addEOS     *bool
	chat               *chatTemplate // nil without a chat_template
	specialTokens      []string
}

// tokenValue is a special token written either as a string or as an
// AddedToken object {"content": ...}.
type tokenValue string

func (v *tokenValue) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != nil {
			*v = tokenValue(*s)
		}
		return nil
	}
	var obj struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("special token: want a string or an object with content: %w", err)
	}
	*v = tokenValue(obj.Content)
	return nil
}

type tokenizerConfig struct {
	BOSToken     tokenValue        `json:"bos_token"`
	EOSToken     tokenValue        `json:"eos_token"`
	UnkToken     tokenValue        `json:"unk_token"`
	PadToken     tokenValue        `json:"pad_token"`
	Additional   []tokenValue      `json:"additional_special_tokens"`
	AddBOSToken  *bool             `json:"add_bos_token"`
	AddEOSToken  *bool             `json:"add_eos_token"`
	ChatTemplate chatTemplateValue `json:"chat_template"`
}

type specialTokensMap struct {
	BOSToken   tokenValue   `json:"bos_token"`
	EOSToken   tokenValue   `json:"eos_token"`
	UnkToken   tokenValue   `json:"unk_token"`
	PadToken   tokenValue   `json:"pad_token"`
	Additional []tokenValue `json:"additional_special_tokens"`
}

// readConfigs reads the optional config files of dir.
func readConfigs(dir string) (*configs, error) {
	cfg := &configs{}
	var tc tokenizerConfig
	tcPath := filepath.Join(dir, "tokenizer_config.json")
	okTC, err := readOptionalJSON(dir, "tokenizer_config.json", &tc)
	if err != nil {
		return nil, err
	}
	var sm specialTokensMap
	okSM, err := readOptionalJSON(dir, "special_tokens_map.json", &sm)
	if err != nil {
		return nil, err
	}
	if okTC {
		cfg.bosToken = string(tc.BOSToken)
		cfg.eosToken = string(tc.EOSToken)
		cfg.addBOS = tc.AddBOSToken
		cfg.addEOS = tc.AddEOSToken
		cfg.chat = tc.ChatTemplate.template(tcPath, chatTokens(&tc, &sm)) // parsed when first used
	}
	if okSM {
		if cfg.bosToken == "" {
			cfg.bosToken = string(sm.BOSToken)
		}
		if cfg.eosToken == "" {
			cfg.eosToken = string(sm.EOSToken)
		}
	}
	for _, s := range []string{string(tc.EOSToken), string(sm.EOSToken)} {
		if s != "" && !slices.Contains(cfg.eosTokens, s) {
			cfg.eosTokens = append(cfg.eosTokens, s)
		}
	}
	// The special tokens that transformers registers as special, whatever
	// tokenizer.json says: decoding with skip_special_tokens leaves them out.
	for _, v := range slices.Concat([]tokenValue{tc.BOSToken, tc.EOSToken, tc.UnkToken, tc.PadToken}, tc.Additional,
		[]tokenValue{sm.BOSToken, sm.EOSToken, sm.UnkToken, sm.PadToken}, sm.Additional) {
		if v != "" && !slices.Contains(cfg.specialTokens, string(v)) {
			cfg.specialTokens = append(cfg.specialTokens, string(v))
		}
	}
	return cfg, nil
}

// readOptionalJSON decodes the file name of dir (read inside dir) into v;
// a missing file is not an error.
func readOptionalJSON(dir, name string, v any) (bool, error) {
	path := filepath.Join(dir, name)
	b, err := fsutil.ReadFileInside(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load tokenizer: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("parse %s: %w", path, err)
	}
	return true, nil
}

// initVocab builds the id → token table from the model vocabulary and the added tokens.
func (t *Tokenizer) initVocab(f *tokenizerFile) error {
	vocab := t.tk.GetModel().GetVocab()
	size := 0
	for _, id := range vocab {
		size = max(size, id+1)
	}
	// The ids the engine gave the added tokens, as Hugging Face gives them
	// (the file's ids are not used; see the engine's AddTokensWithIDs).
	for i, a := range f.AddedTokens {
		if id, ok := t.tk.TokenToId(a.Content); ok && a.Content != "" {
			f.AddedTokens[i].ID = id
		}
		size = max(size, f.AddedTokens[i].ID+1)
	}
	t.vocabSize = size
	t.idToToken = make([]string, size)
	t.special = make([]bool, size)
	for s, id := range vocab {
		if id < 0 {
			return fmt.Errorf("model vocab: negative id %d for %q", id, s)
		}
		t.idToToken[id] = s
	}
	for _, a := range f.AddedTokens {
		if a.ID < 0 {
			return fmt.Errorf("added token %q: negative id %d", a.Content, a.ID)
		}
		// A token matched on normalized text is named by its normalized form.
		t.idToToken[a.ID] = a.Content
		if s, ok := t.tk.IdToToken(a.ID); ok {
			t.idToToken[a.ID] = s
		}
		t.special[a.ID] = a.Special
	}
	return nil
}

// tokenID looks s up among the added tokens and the model vocabulary.
func (t *Tokenizer) tokenID(s string) (int, bool) {
	return t.tk.TokenToId(s)
}

// postProcessor is the subset of a tokenizer.json post_processor that
// decides which special tokens a single sequence gets.
type postProcessor struct {
	Type       string            `json:"type"`
	Single     []json.RawMessage `json:"single"`
	Processors []postProcessor   `json:"processors"`
	Cls        []any             `json:"cls"`
	Sep        []any             `json:"sep"`
	Special    map[string]struct {
		IDs []int `json:"ids"`
	} `json:"special_tokens"`
}

// specialAround returns the ids a post-processor puts before and after a single sequence.
func (p *postProcessor) specialAround() (prefix, suffix []int, err error) {
	switch p.Type {
	case "TemplateProcessing":
		seen := false
		for _, piece := range p.Single {
			var item struct {
				SpecialToken *struct {
					ID string `json:"id"`
				} `json:"SpecialToken"`
				Sequence *struct {
					ID string `json:"id"`
				} `json:"Sequence"`
			}
			if err := json.Unmarshal(piece, &item); err != nil {
				return nil, nil, fmt.Errorf("post_processor template: %w", err)
			}
			switch {
			case item.Sequence != nil:
				seen = true
			case item.SpecialToken != nil:
				st, ok := p.Special[item.SpecialToken.ID]
				if !ok {
					return nil, nil, fmt.Errorf("post_processor template: special token %q not defined", item.SpecialToken.ID)
				}
				if seen {
					suffix = append(suffix, st.IDs...)
				} else {
					prefix = append(prefix, st.IDs...)
				}
			}
		}
	case "BertProcessing", "RobertaProcessing":
		cls, ok1 := idOfPair(p.Cls)
		sep, ok2 := idOfPair(p.Sep)
		if !ok1 || !ok2 {
			return nil, nil, fmt.Errorf("post_processor %s: bad cls/sep", p.Type)
		}
		prefix, suffix = []int{cls}, []int{sep}
	case "Sequence":
		for i := range p.Processors {
			pre, suf, err := p.Processors[i].specialAround()
			if err != nil {
				return nil, nil, err
			}
			prefix = append(prefix, pre...)
			suffix = append(suffix, suf...)
		}
	}
	return prefix, suffix, nil
}

func idOfPair(v []any) (int, bool) {
	if len(v) != 2 {
		return 0, false
	}
	f, ok := v[1].(float64)
	return int(f), ok
}

// initSpecial settles BOS, EOS and the ids added by addSpecial.
func (t *Tokenizer) initSpecial(f *tokenizerFile, cfg *configs) error {
	if len(f.PostProcessor) > 0 && string(f.PostProcessor) != "null" {
		var p postProcessor
		if err := json.Unmarshal(f.PostProcessor, &p); err != nil {
			return fmt.Errorf("post_processor: %w", err)
		}
		pre, suf, err := p.specialAround()
		if err != nil {
			return err
		}
		t.prefix, t.suffix = pre, suf
	}
	for _, s := range cfg.specialTokens {
		if id, ok := t.tokenID(s); ok && id < len(t.special) {
			t.special[id] = true
		}
	}
	if cfg.bosToken != "" {
		t.bosID, t.hasBOS = t.tokenID(cfg.bosToken)
	}
	for _, s := range cfg.eosTokens {
		if id, ok := t.tokenID(s); ok {
			t.eos = append(t.eos, id)
		}
	}
	if cfg.addBOS != nil {
		t.prefix = nil
		if *cfg.addBOS {
			if !t.hasBOS {
				return fmt.Errorf("add_bos_token is true but bos_token %q is not in the vocabulary", cfg.bosToken)
			}
			t.prefix = []int{t.bosID}
		}
	}
	if cfg.addEOS != nil {
		t.suffix = nil
		if *cfg.addEOS {
			id, ok := t.tokenID(cfg.eosToken)
			if !ok {
				return fmt.Errorf("add_eos_token is true but eos_token %q is not in the vocabulary", cfg.eosToken)
			}
			t.suffix = []int{id}
		}
	}
	return nil
}
