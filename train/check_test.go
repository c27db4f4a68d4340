package train

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// withOp returns the ONNX file at path with the first node of type from
// changed to type to (in domain dom).
func withOp(t *testing.T, path, from, to, dom string) (file string, node string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := onnxproto.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range f.Graph.Nodes {
		if n.Op != from {
			continue
		}
		body, err := f.Body(n.Field)
		if err != nil {
			t.Fatal(err)
		}
		nb, err := onnxproto.Filter(body, func(num protowire.Number) bool { return num != 4 && num != 7 })
		if err != nil {
			t.Fatal(err)
		}
		nb = onnxproto.AppendString(nb, 4, to)
		if dom != "" {
			nb = onnxproto.AppendString(nb, 7, dom)
		}
		rewritten, err := f.Rewrite(onnxproto.Edit{ReplaceNodes: map[int][]byte{i: nb}})
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "model.onnx")
		if err := os.WriteFile(out, rewritten, 0o644); err != nil {
			t.Fatal(err)
		}
		return out, n.Name
	}
	t.Fatalf("no %s node in %s", from, path)
	return "", ""
}

// TestUnsupportedModelsFailAtLoad: a model the GoMLX path cannot train is
// refused by Load, before any step, with the operator and node named.
func TestUnsupportedModelsFailAtLoad(t *testing.T) {
	gpt2 := onnxPath("gpt2-policy")
	cases := []struct {
		name, from, to, dom, want string
	}{
		{"unconverted op", "Tanh", "Hardmax", "", "operator Hardmax has no GoMLX conversion"},
		{"custom domain", "Tanh", "FastGelu", "com.microsoft", `domain "com.microsoft"`},
		{"no gradient", "Tanh", "Floor", "", "operator Floor has no gradient in GoMLX but lies between the weights and the logits"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file, node := withOp(t, gpt2, c.from, c.to, c.dom)
			_, err := Load(file, LoadOptions{})
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want an UnsupportedError", err)
			}
			if msg := err.Error(); !strings.Contains(msg, c.want) || !strings.Contains(msg, node) {
				t.Errorf("error %q does not name %q and node %q", msg, c.want, node)
			}
		})
	}
	t.Run("corrupted", func(t *testing.T) {
		data, err := os.ReadFile(gpt2)
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{len(data) / 2, 100, 0} {
			file := filepath.Join(t.TempDir(), "model.onnx")
			os.WriteFile(file, data[:cut], 0o644)
			if _, err := Load(file, LoadOptions{}); err == nil {
				t.Errorf("ONNX file cut at %d bytes loaded", cut)
			}
		}
	})
}

// TestUntieEvalModeExport: the eval-mode export in testdata/train shares
// LayerNorm initializers behind Identity nodes; Load unties them, so the
// copies train apart.
func TestUntieEvalModeExport(t *testing.T) {
	m, err := Load(filepath.Join("..", "testdata", "train", "evalmode-gpt2", "model.onnx"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Ties) != 2 || len(m.Ties[0].Copies) != 4 || len(m.Ties[1].Copies) != 4 {
		t.Fatalf("ties %+v, want 2 initializers with 4 copies each", m.Ties)
	}
	tr, err := NewTrainer(m, Config{LR: 1e-2, BatchSize: 2, Schedule: "constant"})
	if err != nil {
		t.Fatal(err)
	}
	exs := randomPairs(4, 64, 9)
	for range 3 {
		if _, err := tr.Step([][]Example{exs[:2], exs[2:]}); err != nil {
			t.Fatal(err)
		}
	}
	value := func(name string) []float32 {
		for _, p := range m.params {
			if p.name == name {
				v, _ := p.v.Value()
				b, _ := float32Bytes(v)
				out := make([]float32, len(b)/4)
				for i := range out {
					out[i] = float32frombytes(b[4*i:])
				}
				return out
			}
		}
		t.Fatalf("no trained weight %q", name)
		return nil
	}
	a, b := value(m.Ties[0].Initializer), value(m.Ties[0].Copies[0])
	same := true
	for i := range a {
		same = same && a[i] == b[i]
	}
	if same {
		t.Errorf("%s and its copy %s trained as one parameter", m.Ties[0].Initializer, m.Ties[0].Copies[0])
	}
}
