package train

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/dpokit/dpokit/internal/onnxproto"
	"github.com/dpokit/dpokit/modeldir"
)

// renameStrings copies a message, renaming the string fields numbered in
// nums whose values rename maps.
func renameStrings(t *testing.T, msg []byte, nums []protowire.Number, rename map[string]string) []byte {
	var out []byte
	err := onnxproto.Walk(msg, 0, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, f onnxproto.Span) error {
		if to, ok := rename[string(v)]; ok && typ == protowire.BytesType && slices.Contains(nums, num) {
			out = onnxproto.AppendString(out, num, to)
		} else {
			out = append(out, msg[f.From:f.To]...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// renamedGenAI writes llama-genai with its token-id input and logits output
// renamed, named so by its genai_config.json, as ONNX Runtime GenAI exports
// may do.
func renamedGenAI(t *testing.T) string {
	src := filepath.Join(modelsDir, "llama-genai")
	data, err := os.ReadFile(filepath.Join(src, "decoder.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	rename := map[string]string{"input_ids": "tokens", "logits": "next_token_logits"}
	var graph []byte
	m, err := onnxproto.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	body := data[m.Graph.Span.From:m.Graph.Span.To]
	err = onnxproto.Walk(body, 0, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, f onnxproto.Span) error {
		switch num {
		case 1: // node: inputs and outputs
			graph = onnxproto.AppendMessage(graph, 1, renameStrings(t, v, []protowire.Number{1, 2}, rename))
		case 11, 12, 13: // value infos: name
			graph = onnxproto.AppendMessage(graph, num, renameStrings(t, v, []protowire.Number{1}, rename))
		default:
			graph = append(graph, body[f.From:f.To]...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var model []byte
	onnxproto.Walk(data, 0, func(num protowire.Number, _ protowire.Type, _ []byte, _ uint64, f onnxproto.Span) error {
		if num == 7 {
			model = onnxproto.AppendMessage(model, 7, graph)
		} else {
			model = append(model, data[f.From:f.To]...)
		}
		return nil
	})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "decoder.onnx"), model, 0o644)
	cfg, err := os.ReadFile(filepath.Join(src, "genai_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.ReplaceAll(string(cfg), `"input_ids": "input_ids"`, `"input_ids": "tokens"`))
	cfg = []byte(strings.ReplaceAll(string(cfg), `"logits": "logits"`, `"logits": "next_token_logits"`))
	os.WriteFile(filepath.Join(dir, "genai_config.json"), cfg, 0o644)
	return dir
}

// TestLoadHonoursGenAINames: train reads the model directory's signature,
// genai_config.json names included, as models does; the renamed model
// computes the original's logits.
func TestLoadHonoursGenAINames(t *testing.T) {
	dir := renamedGenAI(t)
	d, err := modeldir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Signature.InputIDs != "tokens" || d.Signature.Logits != "next_token_logits" {
		t.Fatalf("signature %+v", d.Signature)
	}
	if _, err := Load(d.ONNX, LoadOptions{}); err == nil {
		t.Fatal("without the signature, the renamed inputs were guessed")
	}
	m, err := Load(d.ONNX, LoadOptions{Signature: &d.Signature})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := Load(filepath.Join(modelsDir, "llama-genai", "decoder.onnx"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seq := [][]int{{1, 450, 4996, 17354, 1701}}
	a, err := m.Logits(seq)
	if err != nil {
		t.Fatal(err)
	}
	b, err := orig.Logits(seq)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a[0], b[0]) {
		t.Fatal("the renamed model's logits differ from the original's")
	}
}
