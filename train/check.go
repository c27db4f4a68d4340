package train

import (
	"fmt"
	"strings"
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

// floatTypes are the ONNX element types that carry gradients.
var floatTypes = map[int64]bool{1: true, 10: true, 11: true, 16: true}

// check lists the nodes and features of f that the training path does not
// support: operators outside the default domain or not converted by
// onnx-gomlx, operators without a gradient on the path from a weight to
// logits, local functions and sparse initializers.
func (f *onnxFile) check(logits string) []string {
	var problems []string
	if f.functions > 0 {
		problems = append(problems, fmt.Sprintf("%d ONNX local functions (inline them before training)", f.functions))
	}
	if f.sparse > 0 {
		problems = append(problems, fmt.Sprintf("%d sparse initializers", f.sparse))
	}
	var visit func(nodes []onnxNode)
	visit = func(nodes []onnxNode) {
		for _, n := range nodes {
			switch {
			case n.domain != "":
				problems = append(problems, fmt.Sprintf("%s: operator of domain %q (training needs standard ONNX operators)", n, n.domain))
			case !convertible[n.op]:
				problems = append(problems, fmt.Sprintf("%s: operator %s has no GoMLX conversion", n, n.op))
			}
			for _, s := range n.subgraphs {
				visit(s.nodes)
			}
		}
	}
	visit(f.nodes)
	if len(problems) > 0 {
		return problems
	}
	// Values that depend on a floating-point weight ...
	weighted := map[string]bool{}
	for _, t := range f.inits {
		if floatTypes[t.dtype] {
			weighted[t.name] = true
		}
	}
	for _, n := range f.nodes { // nodes are topologically sorted in a valid model
		if nonFloat[n.op] || (n.op == "Cast" && !floatTypes[n.ints["to"]]) {
			continue
		}
		for _, in := range n.inputs {
			if weighted[in] {
				for _, o := range n.outputs {
					weighted[o] = true
				}
				break
			}
		}
	}
	// ... and that the logits depend on.
	needed := map[string]bool{logits: true}
	for i := len(f.nodes) - 1; i >= 0; i-- {
		n := f.nodes[i]
		used := false
		for _, o := range n.outputs {
			used = used || needed[o]
		}
		if !used {
			continue
		}
		for _, in := range n.inputs {
			needed[in] = true
		}
		if differentiable[n.op] || len(n.outputs) == 0 || !weighted[n.outputs[0]] {
			continue
		}
		problems = append(problems, fmt.Sprintf("%s: operator %s has no gradient in GoMLX but lies between the weights and the logits", n, n.op))
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
func (f *onnxFile) ties() []tie {
	var out []tie
	at := map[string]int{}
	for i, n := range f.nodes {
		if n.op != "Identity" || n.domain != "" || len(n.inputs) != 1 || len(n.outputs) != 1 {
			continue
		}
		t, ok := f.initializer(n.inputs[0])
		if !ok || !floatTypes[t.dtype] {
			continue
		}
		j, seen := at[t.name]
		if !seen {
			j = len(out)
			at[t.name] = j
			out = append(out, tie{Initializer: t.name})
		}
		out[j].Copies = append(out[j].Copies, n.outputs[0])
		out[j].nodes = append(out[j].nodes, i)
	}
	return out
}

// untie returns the model with each tied copy turned into an initializer of
// its own (the Identity node removed), so that every original parameter
// trains separately. read returns an initializer's bytes.
func (f *onnxFile) untie(ties []tie, read func(*onnxInit) ([]byte, error)) ([]byte, error) {
	e := edit{dropNodes: map[int]bool{}}
	for _, t := range ties {
		src, _ := f.initializer(t.Initializer)
		raw, err := read(src)
		if err != nil {
			return nil, err
		}
		for k, copyName := range t.Copies {
			e.dropNodes[t.nodes[k]] = true
			e.addInits = append(e.addInits, f.tensorWithData(src, copyName, raw))
		}
	}
	return f.rewrite(e), nil
}
