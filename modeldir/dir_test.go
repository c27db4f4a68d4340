package modeldir

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dpokit/dpokit/internal/testmodel"
)

const modelsDir = "../testdata/models"

func TestSignatureOfTestModels(t *testing.T) {
	for _, tc := range []struct {
		dir             string
		layers, kvHeads int
		headDim, vocab  int
	}{
		{"gpt2-ref", 2, 4, 8, 50257},
		{"llama-ref", 2, 2, 8, 32064},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			d, err := Open(filepath.Join(modelsDir, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			s := d.Signature
			if s.Layers != tc.layers || s.KVHeads != tc.kvHeads || s.HeadDim != tc.headDim || s.Vocab != tc.vocab {
				t.Errorf("signature %+v, want layers %d kv heads %d head dim %d vocab %d", s, tc.layers, tc.kvHeads, tc.headDim, tc.vocab)
			}
			if s.Layout != KVSeparate || s.PastKeys[1] != "past_key_values.1.key" || s.PresentValues[0] != "present.0.value" {
				t.Errorf("KV names %v %v", s.PastKeys, s.PresentValues)
			}
			if s.PositionIDs != "position_ids" || s.AttentionMask != "attention_mask" {
				t.Errorf("inputs %+v", s)
			}
			if d.Graph.Parameters < 100_000 || d.Graph.Opsets[""] != 14 {
				t.Errorf("parameters %d, opset %v", d.Graph.Parameters, d.Graph.Opsets)
			}
		})
	}
}

func TestGenAIStackedLayout(t *testing.T) {
	d, err := Open(filepath.Join(modelsDir, "llama-genai"))
	if err != nil {
		t.Fatal(err)
	}
	s := d.Signature
	if s.Layout != KVStacked || s.Layers != 2 || s.KVHeads != 2 || s.HeadDim != 8 || s.Vocab != 32064 ||
		len(s.PastKeys) != 2 || s.PastKeys[1] != "past_1" || s.PresentKeys[0] != "present_0" || len(s.PastValues) != 0 {
		t.Fatalf("signature %+v", s)
	}
	if filepath.Base(d.ONNX) != "decoder.onnx" {
		t.Errorf("onnx file %s, want decoder.onnx from genai_config.json", d.ONNX)
	}
	if eos := d.EOS(); len(eos) != 2 || eos[0] != 32000 {
		t.Errorf("eos %v", eos)
	}
}

// A genai_config.json with per-layer key/value name templates, over the
// optimum-named llama-ref model.
func TestGenAISeparateTemplates(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(modelsDir, "llama-ref", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "decoder_model.onnx"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "genai_config.json"), []byte(`{"model": {"type": "llama", "vocab_size": 32064,
		"decoder": {"filename": "decoder_model.onnx", "num_attention_heads": 4,
		"inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask", "position_ids": "position_ids",
			"past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value"},
		"outputs": {"logits": "logits", "present_key_names": "present.%d.key", "present_value_names": "present.%d.value"}}}}`), 0o644)
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := d.Signature
	if s.Layout != KVSeparate || s.Layers != 2 || s.PastValues[1] != "past_key_values.1.value" || s.PresentKeys[1] != "present.1.key" {
		t.Fatalf("signature %+v", s)
	}
}

func TestOpenDirErrors(t *testing.T) {
	empty := t.TempDir()
	garbage := t.TempDir()
	os.WriteFile(filepath.Join(garbage, "model.onnx"), []byte("this is not protobuf \xff\xff\xff"), 0o644)
	for name, tc := range map[string]struct{ dir, want string }{
		"missing": {filepath.Join(empty, "nope"), "no such file"},
		"no onnx": {empty, "no ONNX file"},
		"garbage": {garbage, "not a valid ONNX model"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(tc.dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestOpenRefusesPathsLeadingOut: every path a model directory names — an
// external data location, genai_config.json's decoder file name, a
// tokenizer file through a symlink — must resolve inside it; Open refuses
// the directory, naming what leads out, before anything outside is read.
func TestOpenRefusesPathsLeadingOut(t *testing.T) {
	for _, tc := range []struct{ how, want string }{
		{testmodel.DotDot, `external data location "../outside/w.bin" is not inside`},
		{testmodel.Symlink, `external data location "w.bin" resolves to`},
		{testmodel.Genai, `model.decoder.filename: "../outside/model.onnx" is not inside`},
		{testmodel.TokLink, `tokenizer.json: "tokenizer.json" resolves to`},
	} {
		t.Run(tc.how, func(t *testing.T) {
			dir, outside, err := testmodel.Escaping(t.TempDir(), filepath.Join(modelsDir, "llama-policy"), tc.how)
			if err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour)
			os.Chtimes(outside, old, old) // relatime then updates the access time on a read
			before := atime(t, outside)
			_, err = Open(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.how == testmodel.DotDot || tc.how == testmodel.Symlink {
				if !strings.Contains(err.Error(), `tensor "`) {
					t.Errorf("error %q does not name the tensor", err)
				}
			}
			if atime(t, outside) != before {
				t.Errorf("%s was read", outside)
			}
		})
	}
}

// atime is the file's access time.
func atime(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Atim.Nano()
}
