package train

import (
	"errors"
	"fmt"
	"github.com/dpokit/dpokit/internal/onnxproto"
	"math"
	"math/rand/v2"
	"path"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	mlctx "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/onnx-gomlx/onnx"
	"google.golang.org/protobuf/encoding/protowire"
)

// LoRA configures low-rank adapters (LoRA paper, as Hugging Face PEFT
// builds them): each target weight W, used as x·W (or x·Wᵀ for an
// nn.Linear weight [out, in]), is trained as W + (Alpha/Rank)·B·A, with A
// [r, in] drawn as PEFT does (uniform ±1/√in) and B [out, r] zero, so that
// training starts from the model as loaded. Only A and B are trained and
// checkpointed; the base weights stay as loaded, and the model with the
// adapters off is the reference. Dropout (rate Dropout) applies to the
// adapters' input in training steps.
type LoRA struct {
	Rank    int     `json:"r"`
	Alpha   float64 `json:"lora_alpha"`
	Dropout float64 `json:"lora_dropout"`
	// Targets name the weights: an initializer name, a module name matched
	// as a suffix ("q_proj" matches model.layers.0.self_attn.q_proj.weight),
	// or a glob pattern (path.Match) on initializer names. LoRACandidates
	// lists what they can match.
	Targets []string `json:"target_modules"`
	Seed    uint64   `json:"seed"` // of A's initial values
}

// LoRACandidate is a weight that LoRA can adapt: a 2-D float32 initializer
// used only by one MatMul (directly, or through a Transpose), other than
// the one computing the logits.
type LoRACandidate struct {
	Initializer string `json:"initializer"`
	In          int    `json:"in"`
	Out         int    `json:"out"`
	Transposed  bool   `json:"transposed"` // stored [out, in] (nn.Linear), used through a Transpose
	matmul      int    // index of the MatMul in the file's nodes
}

// Module returns the PEFT module name: the initializer name without
// ".weight".
func (c LoRACandidate) Module() string { return strings.TrimSuffix(c.Initializer, ".weight") }

// loraState is a model's adapters.
type loraState struct {
	cfg     LoRA
	targets []LoRACandidate
	a, b    []*mlctx.Variable // A' = Aᵀ [in, r] and B' = Bᵀ [r, out], per target
}

const loraPrefix = "dpokit_lora."

func loraName(k int, what string) string { return fmt.Sprintf("%s%d.%s", loraPrefix, k, what) }

// LoRACandidates lists the weights of an ONNX file that LoRA can adapt.
func LoRACandidates(data []byte) ([]LoRACandidate, error) {
	f, err := onnxproto.Parse(data)
	if err != nil {
		return nil, err
	}
	logits := ""
	for i, o := range f.Graph.Outputs {
		if i == 0 || o.Name == "logits" {
			logits = o.Name
		}
	}
	return loraCandidates(f, logits), nil
}

func loraCandidates(f *onnxproto.Model, logits string) []LoRACandidate {
	uses := map[string]int{}
	for _, n := range f.Graph.Nodes {
		for _, in := range n.Inputs {
			uses[in]++
		}
	}
	for _, o := range f.Graph.Outputs {
		uses[o.Name]++
	}
	prod := f.Producers()
	weight := func(name string) (*onnxproto.Tensor, bool) {
		t, ok := f.Initializer(name)
		return t, ok && t.DType == onnxproto.Float && len(t.Dims) == 2 && uses[name] == 1 && t.Elems() > 1
	}
	var out []LoRACandidate
	for i, n := range f.Graph.Nodes {
		if n.Op != "MatMul" || n.Domain != "" || len(n.Inputs) != 2 || slices.Contains(n.Outputs, logits) {
			continue
		}
		w := n.Inputs[1]
		if t, ok := weight(w); ok {
			out = append(out, LoRACandidate{Initializer: t.Name, In: int(t.Dims[0]), Out: int(t.Dims[1]), matmul: i})
			continue
		}
		tr := prod[w]
		if tr == nil || tr.Op != "Transpose" || len(tr.Inputs) != 1 || uses[w] != 1 || !swapsAxes(f, tr) {
			continue
		}
		if t, ok := weight(tr.Inputs[0]); ok {
			out = append(out, LoRACandidate{Initializer: t.Name, In: int(t.Dims[1]), Out: int(t.Dims[0]), Transposed: true, matmul: i})
		}
	}
	return out
}

// swapsAxes reports whether a Transpose of a 2-D tensor swaps its axes
// (perm absent or [1, 0]).
func swapsAxes(f *onnxproto.Model, n *onnxproto.Node) bool {
	body, err := f.Body(n.Field)
	if err != nil {
		return false
	}
	var perm []int64
	found := false
	_ = onnxproto.Walk(body, 0, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, _ onnxproto.Span) error {
		if num != 5 || typ != protowire.BytesType {
			return nil
		}
		name, ints := attrInts(v)
		if name == "perm" {
			perm, found = ints, true
		}
		return nil
	})
	return !found || slices.Equal(perm, []int64{1, 0})
}

// attrInts returns an AttributeProto's name and its ints.
func attrInts(b []byte) (string, []int64) {
	name := ""
	var ints []int64
	_ = onnxproto.Walk(b, 0, func(num protowire.Number, typ protowire.Type, v []byte, x uint64, _ onnxproto.Span) error {
		switch {
		case num == 1:
			name = string(v)
		case num == 8 && typ == protowire.VarintType:
			ints = append(ints, int64(x))
		case num == 8 && typ == protowire.BytesType:
			for len(v) > 0 {
				d, l := protowire.ConsumeVarint(v)
				if l < 0 {
					return nil
				}
				ints, v = append(ints, int64(d)), v[l:]
			}
		}
		return nil
	})
	return name, ints
}

// selectTargets returns the candidates that the targets name; each target
// must name at least one.
func selectTargets(cands []LoRACandidate, targets []string) ([]LoRACandidate, error) {
	if len(targets) == 0 {
		return nil, errors.New("LoRA needs target weights (--lora-targets)")
	}
	var out []LoRACandidate
	for _, t := range targets {
		found := false
		for _, c := range cands {
			if loraMatch(t, c) {
				found = true
				if !slices.ContainsFunc(out, func(o LoRACandidate) bool { return o.Initializer == c.Initializer }) {
					out = append(out, c)
				}
			}
		}
		if !found {
			names := make([]string, 0, len(cands))
			for _, c := range cands {
				names = append(names, c.Initializer)
			}
			return nil, fmt.Errorf("LoRA target %q matches no MatMul weight (candidates: %s)", t, strings.Join(names, ", "))
		}
	}
	slices.SortFunc(out, func(a, b LoRACandidate) int { return a.matmul - b.matmul })
	return out, nil
}

func loraMatch(target string, c LoRACandidate) bool {
	if strings.ContainsAny(target, "*?[") {
		ok, _ := path.Match(target, c.Initializer)
		return ok
	}
	m := c.Module()
	return target == c.Initializer || target == m || strings.HasSuffix(m, "."+target)
}

// addLoRA returns the ONNX file with adapters on the targets: each target
// MatMul's output Y becomes Y_base + s·MatMul(MatMul(x·mask, A'), B'), with
// A', B' and s = α/r new initializers and, when there is dropout, mask a
// new graph input [batch, sequence, in].
func addLoRA(f *onnxproto.Model, cfg LoRA, logits string) ([]byte, *loraState, error) {
	if cfg.Rank < 1 || !(cfg.Alpha > 0) || cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return nil, nil, fmt.Errorf("LoRA rank %d, alpha %g, dropout %g: want rank ≥ 1, alpha > 0 and dropout in [0, 1)", cfg.Rank, cfg.Alpha, cfg.Dropout)
	}
	targets, err := selectTargets(loraCandidates(f, logits), cfg.Targets)
	if err != nil {
		return nil, nil, err
	}
	st := &loraState{cfg: cfg, targets: targets}
	e := onnxproto.Edit{ReplaceNodes: map[int][]byte{}}
	scale := loraPrefix + "scale"
	e.AddInits = append(e.AddInits, onnxproto.EncodeFloats(scale, nil, []float32{float32(cfg.Alpha / float64(cfg.Rank))}))
	for k, t := range targets {
		n := f.Graph.Nodes[t.matmul]
		y, base := n.Outputs[0], n.Outputs[0]+".dpokit_base"
		e.ReplaceNodes[t.matmul] = nodeProto(n.Name, "MatMul", n.Inputs, []string{base})
		a, b := loraName(k, "A"), loraName(k, "B")
		e.AddInits = append(e.AddInits, onnxproto.EncodeFloats(a, []int{t.In, cfg.Rank}, initA(cfg.Seed, k, t.In, cfg.Rank)),
			onnxproto.EncodeFloats(b, []int{cfg.Rank, t.Out}, make([]float32, cfg.Rank*t.Out)))
		x := n.Inputs[0]
		if cfg.Dropout > 0 {
			mask := loraName(k, "mask")
			e.AppendGraph = onnxproto.AppendMessage(e.AppendGraph, 11, onnxproto.EncodeValueInfo(mask, onnxproto.Float, "batch_size", "sequence_length", t.In))
			e.AppendGraph = onnxproto.AppendMessage(e.AppendGraph, 1, nodeProto("", "Mul", []string{x, mask}, []string{mask + ".x"}))
			x = mask + ".x"
		}
		for _, nd := range [][]byte{
			nodeProto("", "MatMul", []string{x, a}, []string{a + ".y"}),
			nodeProto("", "MatMul", []string{a + ".y", b}, []string{b + ".y"}),
			nodeProto("", "Mul", []string{b + ".y", scale}, []string{b + ".scaled"}),
			nodeProto("", "Add", []string{base, b + ".scaled"}, []string{y}),
		} {
			e.AppendGraph = onnxproto.AppendMessage(e.AppendGraph, 1, nd)
		}
	}
	data, err := f.Rewrite(e)
	return data, st, err
}

// initA draws A' [in, r] as PEFT's kaiming_uniform_(a=√5): uniform in
// ±1/√in.
func initA(seed uint64, k, in, r int) []float32 {
	rng := rand.New(rand.NewPCG(seed, uint64(k)))
	bound := 1 / math.Sqrt(float64(in))
	v := make([]float32, in*r)
	for i := range v {
		v[i] = float32((2*rng.Float64() - 1) * bound)
	}
	return v
}

// nodeProto encodes a NodeProto of the default domain, named when name is
// not "".
func nodeProto(name, op string, inputs, outputs []string, attrs ...onnxproto.Attr) []byte {
	b := onnxproto.EncodeNode(op, "", inputs, outputs, attrs...)
	if name != "" {
		b = onnxproto.AppendString(b, 3, name)
	}
	return b
}

// bindLoRA finds the adapters' variables after import; they become the
// model's only trained parameters.
func (m *Model) bindLoRA(vars func(name string) *mlctx.Variable) error {
	st := m.lora
	if st.cfg.Dropout > 0 {
		// Dropout masks from LoRA.Seed, not from GoMLX's random default.
		// (A resumed run starts the mask sequence again.)
		if err := m.ctx.SetRNGStateFromSeed(int64(st.cfg.Seed)); err != nil {
			return err
		}
	}
	m.params = m.params[:0]
	for k := range st.targets {
		for _, w := range []string{"A", "B"} {
			v := vars(loraName(k, w))
			if v == nil {
				return fmt.Errorf("LoRA adapter %s was not imported", loraName(k, w))
			}
			if w == "A" {
				st.a = append(st.a, v)
			} else {
				st.b = append(st.b, v)
			}
			m.params = append(m.params, param{name: loraName(k, w), v: v})
		}
	}
	return nil
}

// loraFeeds adds the dropout masks of the adapters to the graph inputs:
// in a training step (ctx.IsTraining) Bernoulli(1−p)/(1−p), otherwise ones.
func (m *Model) loraFeeds(ctx *mlctx.Scope, feeds map[string]*graph.Node, ids *graph.Node) {
	st := m.lora
	if st == nil || st.cfg.Dropout == 0 {
		return
	}
	g := ids.Graph()
	R, T := ids.Shape().Dim(0), ids.Shape().Dim(1)
	p := st.cfg.Dropout
	for k, t := range st.targets {
		sh := shapes.Make(m.floatDType(), R, T, t.In)
		if ctx.IsTraining(g) {
			keep := graph.ConvertDType(graph.GreaterOrEqual(ctx.RandomUniform(g, sh), graph.Scalar(g, sh.DType, p)), sh.DType)
			feeds[loraName(k, "mask")] = graph.MulScalar(keep, 1/(1-p))
		} else {
			feeds[loraName(k, "mask")] = graph.Ones(g, sh)
		}
	}
}

// loraDelta returns s·(A'·B') [in, out] of target k, on the host.
func (st *loraState) delta(k int) ([]float32, error) {
	a, err := variableFloats(st.a[k])
	if err != nil {
		return nil, err
	}
	b, err := variableFloats(st.b[k])
	if err != nil {
		return nil, err
	}
	t, r := st.targets[k], st.cfg.Rank
	s := float32(st.cfg.Alpha / float64(r))
	out := make([]float32, t.In*t.Out)
	for i := range t.In {
		for j := range r {
			aij := a[i*r+j] * s
			row := b[j*t.Out : (j+1)*t.Out]
			dst := out[i*t.Out : (i+1)*t.Out]
			for o, x := range row {
				dst[o] += aij * x
			}
		}
	}
	return out, nil
}

func variableFloats(v *mlctx.Variable) ([]float32, error) {
	val, err := v.Value()
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](val)
}

// namedWeights is a weight to write into the exported ONNX file.
type namedWeights struct {
	name string
	v    []float32
}

// exportedWeights returns the values of the initializers whose data the
// export writes (all that m.stripped lists), by initializer name: the
// variables' values (trained or not), with LoRA's W + s·B·A on its
// targets. trained counts the initializers that training changed.
func (m *Model) exportedWeights() (out []namedWeights, trained int, err error) {
	delta := map[string]int{}
	if m.lora != nil {
		for k, t := range m.lora.targets {
			delta[t.Initializer] = k
		}
	} else {
		for _, p := range m.params {
			delta[p.name] = -1
		}
	}
	if m.reward != nil {
		delete(delta, rewardHeadName) // written by rewardONNX
	}
	names := slices.Clone(m.stripped)
	for name := range delta { // trained initializers stored outside the file
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, name := range names {
		w, err := m.baseWeight(name)
		if err != nil {
			return nil, 0, err
		}
		k, ok := delta[name]
		if ok {
			trained++
		}
		if ok && k >= 0 {
			if err := m.lora.merge(k, w); err != nil {
				return nil, 0, err
			}
		}
		out = append(out, namedWeights{name, w})
	}
	return out, trained, nil
}

// merge adds target k's s·B·A to its weight w, in w's layout.
func (st *loraState) merge(k int, w []float32) error {
	d, err := st.delta(k)
	if err != nil {
		return err
	}
	t := st.targets[k]
	for i := range t.In {
		for o := range t.Out {
			if t.Transposed {
				w[o*t.In+i] += d[i*t.Out+o]
			} else {
				w[i*t.Out+o] += d[i*t.Out+o]
			}
		}
	}
	return nil
}

// LoRAInfo describes a model's adapters: nil without LoRA.
func (m *Model) LoRAInfo() *LoRAInfo {
	if m.lora == nil {
		return nil
	}
	return &LoRAInfo{Config: m.lora.cfg, Targets: m.lora.targets}
}

// LoRAInfo is the configuration and the adapted weights of a LoRA model.
type LoRAInfo struct {
	Config  LoRA
	Targets []LoRACandidate
}

// variable returns the GoMLX variable of an initializer (nil if none).
func (m *Model) variable(name string) *mlctx.Variable {
	return m.ctx.RootScope().At(onnx.ModelScope).GetVariable(strings.ReplaceAll(name, mlctx.ScopeSeparator, "|"))
}

// baseWeight returns a copy of the current value of a float32 initializer's
// variable.
func (m *Model) baseWeight(name string) ([]float32, error) {
	v := m.variable(name)
	if v == nil {
		return nil, fmt.Errorf("initializer %q was not imported", name)
	}
	return variableFloats(v)
}

func (m *Model) floatDType() dtypes.DType { return dtypes.Float32 }

// AllParameters returns the number of float32 weight elements of the
// model, trained or not (with LoRA, the base weights and the adapters).
func (m *Model) AllParameters() int64 {
	if m.lora == nil {
		return m.Parameters()
	}
	n := m.Parameters()
	for _, name := range m.stripped {
		if v := m.variable(name); v != nil {
			n += int64(v.Shape().Size())
		}
	}
	return n
}
