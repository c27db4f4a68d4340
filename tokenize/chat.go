package tokenize

import (
	"fmt"
	"io"
	"strings"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
)

// chatTemplate is a compiled Jinja chat_template with the variables that
// Hugging Face transformers passes to it.
type chatTemplate struct {
	tmpl     *exec.Template
	bosToken string
	eosToken string
}

// TemplateError is the error of a template that called raise_exception.
type TemplateError struct{ Message string }

func (e *TemplateError) Error() string { return "chat template: " + e.Message }

// templateLoader serves the one template and refuses includes, so a
// template cannot read files.
type templateLoader struct{ source string }

func (l templateLoader) Read(path string) (io.Reader, error) {
	if path != "chat_template" {
		return nil, fmt.Errorf("chat template cannot load %q", path)
	}
	return strings.NewReader(l.source), nil
}
func (l templateLoader) Resolve(path string) (string, error) { return path, nil }
func (l templateLoader) Inherit(string) (loaders.Loader, error) {
	return l, nil
}

func newChatTemplate(source, bos, eos string) (*chatTemplate, error) {
	// transformers compiles chat templates with trim_blocks and lstrip_blocks.
	cfg := config.New()
	cfg.TrimBlocks = true
	cfg.LeftStripBlocks = true
	env := *gonja.DefaultEnvironment
	env.Filters = chatFilters
	tmpl, err := exec.NewTemplate("chat_template", cfg, templateLoader{source}, &env)
	if err != nil {
		return nil, err
	}
	return &chatTemplate{tmpl: tmpl, bosToken: bos, eosToken: eos}, nil
}

func (c *chatTemplate) render(msgs []Message, addGenerationPrompt bool) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("chat template: %v", r)
		}
	}()
	list := make(jinjaList, len(msgs))
	for i, m := range msgs {
		list[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	var raised *TemplateError
	ctx := exec.NewContext(map[string]any{
		"messages":              list,
		"add_generation_prompt": addGenerationPrompt,
		"bos_token":             c.bosToken,
		"eos_token":             c.eosToken,
		"raise_exception": func(msg string) (string, error) {
			raised = &TemplateError{Message: msg}
			return "", raised
		},
	})
	out, err = c.tmpl.ExecuteToString(ctx)
	if raised != nil {
		return "", raised
	}
	if err != nil {
		return "", fmt.Errorf("chat template: %w", err)
	}
	return out, nil
}

// jinjaList is a list with Python's indexing. gonja v2.9.1 refuses the
// negative index that reaches the first item (messages[-1] of a one-message
// conversation: it tests len > -i instead of len >= -i); gonja asks a value
// that implements exec.ItemGetter for its items first.
type jinjaList []any

func (l jinjaList) GetItem(key any) (*exec.Value, bool) {
	i, ok := key.(int)
	if !ok {
		return exec.AsValue(nil), false
	}
	if i < 0 {
		i += len(l)
	}
	if i < 0 || i >= len(l) {
		return exec.AsValue(nil), false
	}
	return exec.AsValue(l[i]), true
}
