package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/dpokit/dpokit/tokenize/internal/jinja"
)

// Chat is what a chat template renders: the arguments of transformers'
// apply_chat_template.
type Chat struct {
	// Messages is a JSON array of message objects. Every field of a message
	// (role, content as a string or a list of parts, tool_calls,
	// reasoning_content, ...) reaches the template as written.
	Messages json.RawMessage
	// Tools is an optional JSON array of tool descriptions; the template
	// sees `tools` only when it is set.
	Tools json.RawMessage
	// AddGenerationPrompt ends the rendering with the assistant's header.
	AddGenerationPrompt bool
	// Vars are further template variables, such as enable_thinking.
	Vars map[string]json.RawMessage
	// Now is the time strftime_now formats; zero means the current time.
	Now time.Time
}

// ChatTemplate is a tokenizer_config.json chat_template. It is parsed when
// first used, so that a template this package cannot parse never stops
// plain tokenization; it is safe for concurrent use.
type ChatTemplate struct {
	file   string // the tokenizer_config.json it came from
	source string
	tokens map[string]string // bos_token, eos_token, unk_token, pad_token

	readErr error // a chat_template value this package cannot read

	once   sync.Once
	parsed *jinja.Template
	err    error
}

// chatTemplate is the name the rest of the package uses.
type chatTemplate = ChatTemplate

// TemplateError is the error of a template that called raise_exception.
type TemplateError struct {
	File    string // tokenizer_config.json
	Message string
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("chat template of %s: raise_exception: %s", e.File, e.Message)
}

func newChatTemplate(file, source string, tokens map[string]string) *ChatTemplate {
	return &ChatTemplate{file: file, source: source, tokens: tokens}
}

// LoadChatTemplate reads the chat template of dir's tokenizer_config.json
// (and the special tokens, with special_tokens_map.json as a fallback)
// without loading the tokenizer itself.
func LoadChatTemplate(dir string) (*ChatTemplate, error) {
	cfg, err := readConfigs(dir)
	if err != nil {
		return nil, err
	}
	if cfg.chat == nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "tokenizer_config.json"), ErrNoChatTemplate)
	}
	return cfg.chat, nil
}

// RenderChat renders c with the chat template.
func (t *Tokenizer) RenderChat(c Chat) (string, error) {
	if t.chat == nil {
		return "", ErrNoChatTemplate
	}
	return t.chat.Render(c)
}

// EncodeChat renders c and encodes the rendering as transformers'
// apply_chat_template(tokenize=True) does: without adding special tokens,
// since the template writes those it wants (a BOS, for instance).
func (t *Tokenizer) EncodeChat(c Chat) (string, []int, error) {
	text, err := t.RenderChat(c)
	if err != nil {
		return "", nil, err
	}
	ids, err := t.Encode(text, false)
	return text, ids, err
}

func (c *ChatTemplate) render(msgs []Message, addGenerationPrompt bool) (string, error) {
	if msgs == nil {
		msgs = []Message{}
	}
	raw, err := json.Marshal(msgs)
	if err != nil {
		return "", err
	}
	return c.Render(Chat{Messages: raw, AddGenerationPrompt: addGenerationPrompt})
}

func (c *ChatTemplate) template() (*jinja.Template, error) {
	c.once.Do(func() {
		if c.readErr != nil {
			c.err = fmt.Errorf("chat template of %s: %w", c.file, c.readErr)
			return
		}
		c.parsed, c.err = jinja.Parse(c.source)
		if c.err != nil {
			c.err = fmt.Errorf("chat template of %s does not parse: %w", c.file, c.err)
		}
	})
	return c.parsed, c.err
}

// Render renders c as @huggingface/jinja renders the template with
// transformers' variables: messages, add_generation_prompt, tools when
// given, the special tokens that tokenizer_config.json names, and c.Vars.
func (c *ChatTemplate) Render(chat Chat) (string, error) {
	tmpl, err := c.template()
	if err != nil {
		return "", err
	}
	vars, err := c.vars(chat)
	if err != nil {
		return "", err
	}
	out, err := tmpl.Render(vars, jinja.Options{Now: chat.Now})
	var exc *jinja.Exception
	if errors.As(err, &exc) {
		return "", &TemplateError{File: c.file, Message: exc.Message}
	}
	if err != nil {
		return "", fmt.Errorf("chat template of %s: %w", c.file, err)
	}
	return out, nil
}

func (c *ChatTemplate) vars(chat Chat) (map[string]jinja.Value, error) {
	vars := map[string]jinja.Value{}
	for k, v := range c.tokens {
		vars[k] = jinja.String(v)
	}
	for k, raw := range chat.Vars {
		v, err := jinja.FromJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("chat variable %s: %w", k, err)
		}
		vars[k] = v
	}
	msgs := chat.Messages
	if len(msgs) == 0 {
		msgs = json.RawMessage("[]")
	}
	v, err := jinja.FromJSON(msgs)
	if err != nil {
		return nil, fmt.Errorf("chat messages: %w", err)
	}
	vars["messages"] = v
	if len(chat.Tools) > 0 {
		if vars["tools"], err = jinja.FromJSON(chat.Tools); err != nil {
			return nil, fmt.Errorf("chat tools: %w", err)
		}
	}
	vars["add_generation_prompt"] = jinja.Bool(chat.AddGenerationPrompt)
	return vars, nil
}

// chatTokens are the special tokens a template sees, as strings; those of
// tokenizer_config.json win over those of special_tokens_map.json.
func chatTokens(tc *tokenizerConfig, sm *specialTokensMap) map[string]string {
	out := map[string]string{}
	for _, p := range []struct {
		name     string
		tc, smap tokenValue
	}{
		{"bos_token", tc.BOSToken, sm.BOSToken},
		{"eos_token", tc.EOSToken, sm.EOSToken},
		{"unk_token", tc.UnkToken, sm.UnkToken},
		{"pad_token", tc.PadToken, sm.PadToken},
	} {
		if v := string(p.tc); v != "" {
			out[p.name] = v
		} else if v := string(p.smap); v != "" {
			out[p.name] = v
		}
	}
	return out
}

// UnmarshalJSON reads a chat request as JSON: {"messages": [...],
// "add_generation_prompt": bool, "tools": [...]}; any other field becomes a
// template variable (as apply_chat_template's keyword arguments do).
func (c *Chat) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	*c = Chat{Vars: map[string]json.RawMessage{}}
	for k, v := range fields {
		switch k {
		case "messages":
			if !isJSONArray(v) {
				return fmt.Errorf("field \"messages\": want a list of message objects")
			}
			c.Messages = v
		case "tools":
			if string(v) == "null" {
				continue
			}
			if !isJSONArray(v) {
				return fmt.Errorf("field \"tools\": want a list")
			}
			c.Tools = v
		case "add_generation_prompt":
			if err := json.Unmarshal(v, &c.AddGenerationPrompt); err != nil {
				return fmt.Errorf("field \"add_generation_prompt\": want true or false")
			}
		default:
			c.Vars[k] = v
		}
	}
	if c.Messages == nil {
		return fmt.Errorf("field \"messages\": missing")
	}
	return nil
}

func isJSONArray(raw json.RawMessage) bool {
	var a []json.RawMessage
	return json.Unmarshal(raw, &a) == nil && a != nil
}

// chatTemplateValue is the chat_template of tokenizer_config.json: a string,
// or a list of named templates of which "default" is used. A value it cannot
// use is kept as an error for the template's first use, so that it never
// stops loading the tokenizer.
type chatTemplateValue struct {
	source string
	err    error
	set    bool
}

func (v *chatTemplateValue) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = chatTemplateValue{source: deref(s), set: s != nil && *s != ""}
		return nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		*v = chatTemplateValue{set: true, err: fmt.Errorf("chat_template: want a string or a list of {name, template}: %w", err)}
		return nil
	}
	for _, t := range list {
		if t.Name == "default" {
			*v = chatTemplateValue{source: t.Template, set: true}
			return nil
		}
	}
	if len(list) > 0 {
		*v = chatTemplateValue{set: true, err: fmt.Errorf("chat_template: list has no template named \"default\"")}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// template is the value's ChatTemplate, nil when there is none.
func (v chatTemplateValue) template(file string, tokens map[string]string) *ChatTemplate {
	if !v.set {
		return nil
	}
	c := newChatTemplate(file, v.source, tokens)
	c.readErr = v.err
	return c
}
