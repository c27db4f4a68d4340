package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	mlctx "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// rewardHead is a reward model's scalar head, as Hugging Face's
// *ForSequenceClassification with one label: score = w·h, h the decoder's
// final hidden state (the input of its logits MatMul) at the last
// non-padding token of the right-padded sequence.
type rewardHead struct {
	v      *mlctx.Variable // w, [H]
	scores *mlctx.Exec     // lazily: Rewards
}

// rewardHeadName is the head's name in checkpoints and in the exported
// model (Hugging Face's "score" Linear, stored [1, H]).
const rewardHeadName = "score.weight"

// rewardHeadStd is the head's initial standard deviation (Hugging Face's
// initializer_range).
const rewardHeadStd = 0.02

// addRewardHead adds a scalar head, drawn N(0, 0.02²) with a fixed seed,
// to the trained parameters.
func (m *Model) addRewardHead() error {
	if m.head == nil {
		return errors.New("a reward model reads the decoder's final hidden state: the logits must be one MatMul(hidden, weight) of it")
	}
	var H int
	err := exceptions.TryCatch[error](func() {
		g := graph.NewGraph(m.backend, "dpokit_hidden")
		defer g.Finalize()
		H = m.callGraph(m.ctx.RootScope(), m.parameterNodes(g, 1, 1), m.head.hidden)[0].Shape().Dim(-1)
	})
	if err != nil {
		return fmt.Errorf("reward head: %w", err)
	}
	rng := rand.New(rand.NewPCG(0x5c07e, uint64(H)))
	w := make([]float32, H)
	for i := range w {
		w[i] = float32(rng.NormFloat64() * rewardHeadStd)
	}
	return exceptions.TryCatch[error](func() {
		v := m.ctx.RootScope().At("dpokit_reward").VariableWithValue("score", tensors.FromFlatDataAndDimensions(w, H))
		m.reward = &rewardHead{v: v}
		m.params = append(m.params, param{name: rewardHeadName, v: v})
	})
}

// rewardScores builds the scores of the rows of a batch: w·h at each row's
// last token (attention mask sum − 1), [R].
func (m *Model) rewardScores(ctx *mlctx.Scope, in []*graph.Node) *graph.Node {
	var mask *graph.Node
	for i, mi := range m.inputs {
		if mi.kind == inputMask {
			mask = in[i]
		}
	}
	if mask == nil {
		exceptions.Panicf("a reward model needs the attention_mask input, to find each sequence's last token")
	}
	h := m.callGraph(ctx, in, m.head.hidden)[0] // [R, T, H]
	R := h.Shape().Dim(0)
	last := graph.AddScalar(graph.ReduceSum(graph.ConvertDType(mask, dtypes.Int32), -1), -1)
	rows := graph.Iota(h.Graph(), shapes.Make(dtypes.Int32, R), 0)
	hl := graph.Gather(h, graph.Stack([]*graph.Node{rows, last}, -1)) // [R, H]
	return graph.DotGeneral(hl, []int{1}, nil, m.reward.v.ValueGraph(h.Graph()), []int{0}, nil)
}

// rewardObjective is TRL's RewardTrainer loss: with r_w, r_l the scores of
// the chosen and rejected sequences and m the pair's margin,
// mean(−log σ(r_w − r_l − m)) + CenterRewardsCoef·mean((r_w + r_l)²).
func rewardObjective(cfg Config, v *batchValues) (*graph.Node, []metric) {
	rc, rr := v.chosen(v.scores), v.rejected(v.scores)
	diff := graph.Sub(rc, rr)
	loss := v.mean(graph.Neg(logSigmoid(graph.Sub(diff, v.margin))))
	if c := cfg.CenterRewardsCoef; c > 0 {
		loss = graph.Add(loss, graph.MulScalar(v.mean(graph.Square(graph.Add(rc, rr))), c))
	}
	rows := graph.Concatenate([]*graph.Node{v.pairs, v.pairs}, 0)
	g := rows.Graph()
	real := graph.GreaterThan(rows, graph.ZerosLike(rows))
	inf := graph.BroadcastToShape(graph.Scalar(g, rows.DType(), 3e38), rows.Shape())
	acc := graph.ConvertDType(graph.GreaterThan(rc, rr), rc.DType())
	return loss, []metric{
		{name: "loss", value: loss},
		{name: "min_reward", value: graph.ReduceAllMin(graph.Where(real, v.scores, inf))},
		{name: "mean_reward", value: v.meanOver(v.scores, rows)},
		{name: "max_reward", value: graph.ReduceAllMax(graph.Where(real, v.scores, graph.Neg(inf)))},
		{name: "accuracy", value: v.mean(acc)},
		{name: "margin", value: v.mean(diff)},
	}
}

// Rewards returns a reward model's scores of token sequences (right-padded
// into one batch), as the exported model computes them.
func (m *Model) Rewards(rows [][]int) ([]float64, error) {
	if m.reward == nil {
		return nil, errors.New("the model has no reward head (train with the reward objective)")
	}
	if m.reward.scores == nil {
		e, err := mlctx.NewExec(m.backend, m.ctx, func(ctx *mlctx.Scope, in []*graph.Node) *graph.Node {
			return m.rewardScores(ctx, in)
		})
		if err != nil {
			return nil, err
		}
		m.reward.scores = e
	}
	s, err := m.seqBatch(rows)
	if err != nil {
		return nil, err
	}
	out, err := m.reward.scores.Call(m.feed(s)...)
	if err != nil {
		return nil, err
	}
	v, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, err
	}
	res := make([]float64, len(v))
	for i, x := range v {
		res[i] = float64(x)
	}
	return res, nil
}

// The exported reward model: the decoder's graph without its KV cache
// (each past input becomes an empty tensor) and without its logits MatMul,
// plus the head — logits [batch, 1] = score · h at the last token, the
// last token being sum(attention_mask) − 1 — so that `--rank rm:DIR` and
// `--judge rm:DIR` run it on right-padded sequences.

// rewardONNX turns the exported decoder (data) into the reward model.
func (m *Model) rewardONNX(data []byte) ([]byte, error) {
	f, err := onnxproto.Parse(data)
	if err != nil {
		return nil, err
	}
	if op := f.Opsets[""]; op < 13 {
		return nil, fmt.Errorf("reward model export needs ONNX opset ≥ 13 (ReduceSum and Unsqueeze with axes inputs), the decoder has %d", op)
	}
	w, err := variableFloats(m.reward.v)
	if err != nil {
		return nil, err
	}
	H := len(w)
	e := onnxproto.Edit{DropNodes: map[int]bool{}, DropInputs: map[string]bool{}, DropOutputs: true}
	for i, n := range f.Graph.Nodes {
		for _, o := range n.Outputs {
			if o == m.logits {
				e.DropNodes[i] = true
			}
		}
	}
	const p = "dpokit_rm."
	i64 := func(name string, dims []int, v ...int64) []byte { return onnxproto.EncodeInt64s(name, dims, v) }
	e.AddInits = append(e.AddInits, onnxproto.EncodeFloats(rewardHeadName, []int{1, H}, w),
		i64(p+"zero", []int{1}, 0), i64(p+"one", nil, 1), i64(p+"axis1", []int{1}, 1))
	node := func(op string, in []string, out string, attrs ...onnxproto.Attr) {
		e.AppendGraph = onnxproto.AppendMessage(e.AppendGraph, 1, onnxproto.EncodeNode(op, "", in, []string{out}, attrs...))
	}
	var ids, mask string
	for _, in := range m.inputs {
		switch in.kind {
		case inputIDs:
			ids = in.name
		case inputMask:
			mask = in.name
		case inputCacheBranch:
			return nil, fmt.Errorf("reward model export: %s is a merged decoder (use_cache_branch); train from its decoder_model.onnx", m.Path)
		case inputPast:
			if in.shape.Rank() != 4 {
				return nil, fmt.Errorf("reward model export: KV-cache input %s %s is not [batch, heads, past, head_dim]", in.name, in.shape)
			}
			e.DropInputs[in.name] = true
			rest := p + in.name + ".rest"
			e.AddInits = append(e.AddInits, i64(rest, []int{3}, int64(in.shape.Dim(1)), 0, int64(in.shape.Dim(3))))
			node("Concat", []string{p + "batch", rest}, p+in.name+".shape", onnxproto.IntAttr("axis", 0))
			node("ConstantOfShape", []string{p + in.name + ".shape"}, in.name)
		}
	}
	if ids == "" || mask == "" {
		return nil, errors.New("reward model export needs the input_ids and attention_mask inputs")
	}
	node("Shape", []string{ids}, p+"ids_shape")
	node("Gather", []string{p + "ids_shape", p + "zero"}, p+"batch")
	node("ReduceSum", []string{mask, p + "axis1"}, p+"len", onnxproto.IntAttr("keepdims", 0))
	node("Sub", []string{p + "len", p + "one"}, p+"last")
	node("Unsqueeze", []string{p + "last", p + "axis1"}, p+"index")
	node("GatherND", []string{m.head.hidden, p + "index"}, p+"hidden", onnxproto.IntAttr("batch_dims", 1))
	node("Transpose", []string{rewardHeadName}, p+"score_t")
	node("MatMul", []string{p + "hidden", p + "score_t"}, "logits")
	e.AppendGraph = onnxproto.AppendMessage(e.AppendGraph, 12, onnxproto.EncodeValueInfo("logits", onnxproto.Float, "batch_size", 1))
	return f.Rewrite(e)
}

// rewardConfig returns the decoder's config.json for the reward model:
// a sequence-classification architecture with one label.
func rewardConfig(src []byte) ([]byte, error) {
	var cfg map[string]any
	if err := json.Unmarshal(src, &cfg); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	arch := "ForSequenceClassification"
	if a, ok := cfg["architectures"].([]any); ok && len(a) > 0 {
		if s, ok := a[0].(string); ok {
			for _, x := range []string{"LMHeadModel", "ForCausalLM"} {
				if base, ok := strings.CutSuffix(s, x); ok && base != "" {
					s = base
					break
				}
			}
			arch = s + arch
		}
	}
	cfg["architectures"] = []string{arch}
	cfg["num_labels"] = 1
	cfg["id2label"] = map[string]string{"0": "LABEL_0"}
	cfg["label2id"] = map[string]int{"LABEL_0": 0}
	cfg["use_cache"] = false
	return json.MarshalIndent(cfg, "", "  ")
}

// rewriteRewardConfig replaces a copied config.json (if any) by the reward
// model's.
func rewriteRewardConfig(path string) error {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	b, err := rewardConfig(src)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	return writeSynced(path, append(b, '\n'))
}
