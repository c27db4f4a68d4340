package tokenize

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

type chatCases struct {
	BOSToken  string            `json:"bos_token"`
	EOSToken  string            `json:"eos_token"`
	Templates map[string]string `json:"templates"`
	Cases     []struct {
		Template            string    `json:"template"`
		AddGenerationPrompt bool      `json:"add_generation_prompt"`
		Messages            []Message `json:"messages"`
	} `json:"cases"`
}

type chatGolden struct {
	Results []struct {
		Output *string `json:"output"`
		Error  *string `json:"error"`
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

// TestChatTemplateGolden holds ApplyChatTemplate to the renderings of
// Hugging Face's Jinja (@huggingface/jinja).
func TestChatTemplateGolden(t *testing.T) {
	var cases chatCases
	readJSON(t, filepath.Join(testdata, "chat-cases.json"), &cases)
	var golden chatGolden
	readJSON(t, filepath.Join(testdata, "golden-chat.json"), &golden)
	if len(golden.Results) != len(cases.Cases) {
		t.Fatalf("%d golden renderings for %d cases: regenerate the goldens", len(golden.Results), len(cases.Cases))
	}
	llama := loadFamily(t, "llama-sp")
	templates := map[string]*chatTemplate{"phi3": llama.chat}
	for name, src := range cases.Templates {
		ct, err := newChatTemplate(src, cases.BOSToken, cases.EOSToken)
		if err != nil {
			t.Fatalf("template %s: %v", name, err)
		}
		templates[name] = ct
	}
	for i, c := range cases.Cases {
		g := golden.Results[i]
		got, err := templates[c.Template].render(c.Messages, c.AddGenerationPrompt)
		switch {
		case g.Error != nil:
			var te *TemplateError
			if !errors.As(err, &te) || te.Message != *g.Error {
				t.Errorf("case %d (%s): got %q, %v; want error %q", i, c.Template, got, err, *g.Error)
			}
		case err != nil:
			t.Errorf("case %d (%s): %v; want %q", i, c.Template, err, *g.Output)
		case got != *g.Output:
			t.Errorf("case %d (%s, generation prompt %v):\n got %q\nwant %q", i, c.Template, c.AddGenerationPrompt, got, *g.Output)
		}
	}
}
