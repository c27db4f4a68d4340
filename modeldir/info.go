package modeldir

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Info describes a model directory for `dpokit models inspect`.
type Info struct {
	Path          string           `json:"path"`
	ONNX          string           `json:"onnx"`
	Architecture  string           `json:"architecture"`
	ModelType     string           `json:"model_type"`
	Vocab         int              `json:"vocab_size"`
	Layers        int              `json:"layers"`
	Heads         int              `json:"attention_heads"`
	KVHeads       int              `json:"kv_heads"`
	HeadDim       int              `json:"head_dim"`
	Context       int              `json:"context_length,omitempty"`
	KVLayout      KVLayout         `json:"kv_layout,omitempty"`
	KVNames       []string         `json:"kv_cache_inputs,omitempty"`
	Inputs        []ValueInfo      `json:"inputs"`
	Outputs       []ValueInfo      `json:"outputs"`
	Parameters    int64            `json:"parameters"`
	Initializers  int              `json:"initializers"`
	IRVersion     int64            `json:"ir_version"`
	Producer      string           `json:"producer"`
	Opsets        map[string]int64 `json:"opsets"`
	CustomDomains []string         `json:"custom_op_domains"`
	Ops           map[string]int   `json:"ops"`
	Files         []FileSize       `json:"files"`
	BOS           []int            `json:"bos_token_id,omitempty"`
	EOS           []int            `json:"eos_token_id,omitempty"`
}

// FileSize is one file of the directory.
type FileSize struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// Describe collects the Info of an opened directory.
func Describe(d *Dir) (Info, error) {
	s := d.Signature
	in := Info{Path: d.Path, ONNX: d.ONNX, ModelType: d.ConfigString("model_type"), Vocab: s.Vocab,
		Layers: s.Layers, KVHeads: s.KVHeads, HeadDim: s.HeadDim, KVLayout: s.Layout,
		Inputs: d.Graph.Inputs, Outputs: d.Graph.Outputs, Parameters: d.Graph.Parameters,
		Initializers: d.Graph.Initializers, IRVersion: d.Graph.IRVersion, Producer: d.Graph.Producer,
		Opsets: d.Graph.Opsets, Ops: d.Graph.OpCounts, EOS: d.EOS(), CustomDomains: []string{}}
	if a, ok := d.Config["architectures"].([]any); ok && len(a) > 0 {
		in.Architecture, _ = a[0].(string)
	}
	if d.GenAI != nil {
		g := d.GenAI.Model
		if in.ModelType == "" {
			in.ModelType = g.Type
		}
		in.Heads, in.Context = g.Decoder.Heads, g.ContextLen
		if in.Layers == 0 {
			in.Layers = g.Decoder.Layers
		}
	}
	if v, ok := d.ConfigInt("num_attention_heads", "n_head"); ok {
		in.Heads = v
	}
	if v, ok := d.ConfigInt("max_position_embeddings", "n_positions", "n_ctx"); ok {
		in.Context = v
	}
	if in.Layers == 0 {
		in.Layers, _ = d.ConfigInt("num_hidden_layers", "n_layer")
	}
	if in.HeadDim == 0 && in.Heads > 0 {
		if h, ok := d.ConfigInt("hidden_size", "n_embd"); ok {
			in.HeadDim = h / in.Heads
		}
	}
	in.BOS = intList(d.Config["bos_token_id"])
	in.KVNames = append(append([]string{}, s.PastKeys...), s.PastValues...)
	for dom := range d.Graph.Opsets {
		if dom != "" && dom != "ai.onnx.ml" && dom != "ai.onnx.training" && dom != "ai.onnx.preview.training" {
			in.CustomDomains = append(in.CustomDomains, dom)
		}
	}
	sort.Strings(in.CustomDomains)
	files, err := listFiles(d.Path, d.Path)
	if err != nil {
		return in, err
	}
	in.Files = files
	if sub := filepath.Dir(d.ONNX); sub != filepath.Clean(d.Path) {
		more, err := listFiles(d.Path, sub)
		if err != nil {
			return in, err
		}
		in.Files = append(in.Files, more...)
	}
	return in, nil
}

// listFiles lists the regular files of dir (not recursively), named
// relative to root.
func listFiles(root, dir string) ([]FileSize, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []FileSize
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		if fi.Mode().IsRegular() {
			rel, err := filepath.Rel(root, filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			out = append(out, FileSize{Name: rel, Bytes: fi.Size()})
		}
	}
	return out, nil
}

// WriteText prints the Info as an aligned report.
func (in Info) WriteText(w io.Writer) {
	p := func(k string, v any) { fmt.Fprintf(w, "%-16s %v\n", k, v) }
	p("path", in.Path)
	p("onnx", in.ONNX)
	arch := in.ModelType
	if in.Architecture != "" {
		arch += " (" + in.Architecture + ")"
	}
	p("architecture", arch)
	p("vocab", in.Vocab)
	p("layers", in.Layers)
	p("heads", fmt.Sprintf("%d attention, %d key/value", in.Heads, in.KVHeads))
	p("head size", in.HeadDim)
	if in.Context > 0 {
		p("context", in.Context)
	}
	p("parameters", fmt.Sprintf("%d (%s)", in.Parameters, humanCount(in.Parameters)))
	if in.KVLayout != "" {
		p("kv cache", fmt.Sprintf("%s, %d inputs (%s … %s)", in.KVLayout, len(in.KVNames), in.KVNames[0], in.KVNames[len(in.KVNames)-1]))
	} else {
		p("kv cache", "none")
	}
	var ops []string
	for d, v := range in.Opsets {
		if d == "" {
			d = "ai.onnx"
		}
		ops = append(ops, fmt.Sprintf("%s v%d", d, v))
	}
	sort.Strings(ops)
	p("opsets", strings.Join(ops, ", "))
	if len(in.CustomDomains) > 0 {
		p("custom ops", strings.Join(in.CustomDomains, ", "))
	}
	p("ir version", in.IRVersion)
	if in.Producer != "" {
		p("producer", in.Producer)
	}
	if len(in.EOS) > 0 {
		p("eos ids", in.EOS)
	}
	fmt.Fprintln(w, "inputs:")
	for _, v := range in.Inputs {
		fmt.Fprintf(w, "  %-28s %-8s %s\n", v.Name, v.DType, ShapeString(v.Shape))
	}
	fmt.Fprintln(w, "outputs:")
	for _, v := range in.Outputs {
		fmt.Fprintf(w, "  %-28s %-8s %s\n", v.Name, v.DType, ShapeString(v.Shape))
	}
	fmt.Fprintln(w, "files:")
	for _, f := range in.Files {
		fmt.Fprintf(w, "  %-28s %s\n", f.Name, humanBytes(f.Bytes))
	}
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
