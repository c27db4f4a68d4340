package train

import (
	"fmt"
	"strings"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// UnsupportedError lists what keeps a model from being trained, found
// before any step runs.
type UnsupportedError struct {
	File     string
	Problems []string // one per node or feature, each naming it
}

func (e *UnsupportedError) Error() string {
	const show = 8
	var b strings.Builder
	fmt.Fprintf(&b, "%s cannot be trained on the GoMLX path: ", e.File)
	for i, p := range e.Problems {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p)
	}
	return b.String()
}

// convertible are the ONNX operators (default domain) that onnx-gomlx
// v0.4.2 converts to GoMLX.
var convertible = set(
	"Abs", "Add", "And", "ArgMax", "ArgMin", "AveragePool", "BatchNormalization", "BitwiseAnd",
	"BitwiseNot", "BitwiseOr", "BitwiseXor", "Cast", "Ceil", "Clip", "Concat", "Constant",
	"ConstantOfShape", "Conv", "Cos", "CumSum", "DequantizeLinear", "Div", "DynamicQuantizeLinear",
	"Einsum", "Equal", "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather", "GatherElements",
	"GatherND", "Gelu", "Gemm", "GlobalAveragePool", "Greater", "GreaterOrEqual", "HardSwish",
	"Identity", "If", "IsNaN", "LSTM", "LayerNormalization", "Less", "LessOrEqual", "Log", "MatMul",
	"MatMulInteger", "Max", "MaxPool", "Min", "Mod", "Mul", "Neg", "NonZero", "Not", "Or", "Pad",
	"Pow", "QLinearMatMul", "QuantizeLinear", "Range", "Reciprocal", "ReduceL2", "ReduceMax",
	"ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "Relu", "Reshape", "Resize", "ScatterND",
	"Shape", "Sigmoid", "Sign", "Sin", "Size", "Slice", "Softmax", "Split", "Sqrt", "Squeeze", "Sub",
	"Tanh", "Tile", "TopK", "Transpose", "Trilu", "Unsqueeze", "Where", "Xor",
)

// differentiable are the convertible operators whose GoMLX form has a
// gradient (Identity with the one this package registers). A node on the
// path from a trained weight to the logits must be one of them.
var differentiable = set(
	"Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Conv", "Cos",
	"Div", "Einsum", "Erf", "Exp", "Expand", "Flatten", "Gather", "GatherElements", "GatherND",
	"Gelu", "Gemm", "GlobalAveragePool", "HardSwish", "Identity", "LayerNormalization", "Log",
	"MatMul", "Max", "MaxPool", "Min", "Mul", "Neg", "Pad", "Pow", "Reciprocal", "ReduceL2",
	"ReduceMax", "ReduceMean", "ReduceMin", "ReduceSum", "Relu", "Reshape", "Sigmoid", "Sin",
	"Slice", "Softmax", "Split", "Sqrt", "Squeeze", "Sub", "Tanh", "Tile", "Transpose", "Unsqueeze",
	"Where",
)

// nonFloat are operators whose outputs are never floating point: they end a
// path along which gradients flow.
var nonFloat = set(
	"And", "ArgMax", "ArgMin", "BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor", "Equal",
	"Greater", "GreaterOrEqual", "IsNaN", "Less", "LessOrEqual", "NonZero", "Not", "Or", "Shape",
	"Size", "Xor",
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// check lists the nodes and features of f that the training path does not
// support: operators outside the default domain or not converted by
// onnx-gomlx, operators without a gradient on the path from a weight to
// logits, local functions and sparse initializers.
func check(f *onnxproto.Model, logits string) []string {
	var problems []string
	if f.Functions > 0 {
		problems = append(problems, fmt.Sprintf("%d ONNX local functions (inline them before training)", f.Functions))
	}
	if f.Graph.Sparse > 0 {
		problems = append(problems, fmt.Sprintf("%d sparse initializers", f.Graph.Sparse))
	}
	var visit func(nodes []onnxproto.Node)
	visit = func(nodes []onnxproto.Node) {
		for _, n := range nodes {
			switch {
			case n.Domain != "":
				problems = append(problems, fmt.Sprintf("%s: operator of domain %q (training needs standard ONNX operators)", n, n.Domain))
			case !convertible[n.Op]:
				problems = append(problems, fmt.Sprintf("%s: operator %s has no GoMLX conversion", n, n.Op))
			}
			for _, s := range n.Subgraphs {
				visit(s.Nodes)
			}
		}
	}
	visit(f.Graph.Nodes)
	if len(problems) > 0 {
		return problems
	}
	// Values that depend on a floating-point weight ...
	weighted := map[string]bool{}
	for _, t := range f.Graph.Inits {
		if onnxproto.IsFloat(t.DType) {
			weighted[t.Name] = true
		}
	}
	for _, n := range f.Graph.Nodes { // nodes are topologically sorted in a valid model
		if nonFloat[n.Op] || (n.Op == "Cast" && !onnxproto.IsFloat(n.Ints["to"])) {
			continue
		}
		for _, in := range n.Inputs {
			if weighted[in] {
				for _, o := range n.Outputs {
					weighted[o] = true
				}
				break
			}
		}
	}
	// ... and that the logits depend on.
	needed := map[string]bool{logits: true}
	for i := len(f.Graph.Nodes) - 1; i >= 0; i-- {
		n := f.Graph.Nodes[i]
		used := false
		for _, o := range n.Outputs {
			used = used || needed[o]
		}
		if !used {
			continue
		}
		for _, in := range n.Inputs {
			needed[in] = true
		}
		if differentiable[n.Op] || len(n.Outputs) == 0 || !weighted[n.Outputs[0]] {
			continue
		}
		problems = append(problems, fmt.Sprintf("%s: operator %s has no gradient in GoMLX but lies between the weights and the logits", n, n.Op))
	}
	return problems
}

// tie is an initializer shared behind Identity nodes: an eval-mode PyTorch
// export merges parameters whose values are equal and names each copy by an
// Identity node, which ties parameters that were trained separately.
type tie struct {
	Initializer string   `json:"initializer"`
	Copies      []string `json:"copies"` // outputs of the Identity nodes
	nodes       []int
}

// ties finds Identity nodes whose input is a floating-point initializer.
func ties(f *onnxproto.Model) []tie {
	var out []tie
	at := map[string]int{}
	for i, n := range f.Graph.Nodes {
		if n.Op != "Identity" || n.Domain != "" || len(n.Inputs) != 1 || len(n.Outputs) != 1 {
			continue
		}
		t, ok := f.Initializer(n.Inputs[0])
		if !ok || !onnxproto.IsFloat(t.DType) {
			continue
		}
		j, seen := at[t.Name]
		if !seen {
			j = len(out)
			at[t.Name] = j
			out = append(out, tie{Initializer: t.Name})
		}
		out[j].Copies = append(out[j].Copies, n.Outputs[0])
		out[j].nodes = append(out[j].nodes, i)
	}
	return out
}

// untie returns the model with each tied copy turned into an initializer of
// its own (the Identity node removed), so that every original parameter
// trains separately. dir is the ONNX file's directory (external data).
func untie(f *onnxproto.Model, dir string, ties []tie) ([]byte, error) {
	e := onnxproto.Edit{DropNodes: map[int]bool{}}
	for _, t := range ties {
		src, _ := f.Initializer(t.Initializer)
		raw, err := f.ReadTensor(dir, src)
		if err != nil {
			return nil, err
		}
		for k, copyName := range t.Copies {
			e.DropNodes[t.nodes[k]] = true
			tp, err := f.TensorWithData(src, copyName, raw)
			if err != nil {
				return nil, err
			}
			e.AddInits = append(e.AddInits, tp)
		}
	}
	return f.Rewrite(e)
}
