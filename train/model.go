package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	mlctx "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/gomlx/onnx-gomlx/onnx"
	"github.com/gomlx/onnx-gomlx/onnx/parser"

	"github.com/dpokit/dpokit/internal/onnxproto"
	"github.com/dpokit/dpokit/modeldir"
)

// LoadOptions control how a policy is imported.
type LoadOptions struct {
	// Backend is a GoMLX backend configuration: "" or "go" for the pure-Go
	// backend ("go:OPTIONS" passes options to it), "xla:cpu" (or another
	// PJRT plugin) where XLA is installed.
	Backend string
	// FullLogits computes the logits of every position, as the ONNX graph
	// does, instead of only those that predict response tokens.
	FullLogits bool
	// Signature, when set, names the token ids, attention mask, position
	// ids and logits as the model directory does (a genai_config.json
	// included); without it optimum's names are assumed.
	Signature *modeldir.Signature
	// Precision of the training passes: fp32 (default) or bf16 matmuls.
	Precision Precision
	// LogitChunk is the number of response tokens whose logits are
	// computed at once (see chunkedLogps): 0 sizes chunks to about 256 MiB
	// of float32 logits, a negative value computes them all at once.
	LogitChunk int
	// LoRA, when set, trains low-rank adapters on the target weights
	// instead of all weights.
	LoRA *LoRA
}

// Model is a causal LM imported from ONNX into GoMLX variables.
type Model struct {
	Path string // the ONNX file
	// Ties lists initializers that an eval-mode export had merged behind
	// Identity nodes; Load unties them (each copy trains on its own) and
	// Export writes them as separate initializers.
	Ties []tie

	file    *onnxproto.Model // the ONNX bytes the weights came from (after untying)
	om      onnx.Model
	backend compute.Backend
	ctx     *mlctx.Store
	params  []param
	inputs  []modelInput
	logits  string    // name of the logits output
	head    *headNode // the last MatMul, computed only where needed; nil = full logits
	vocab   int

	logitsExec *mlctx.Exec
	chunk      int         // LoadOptions.LogitChunk
	lora       *loraState  // nil: all float32 weights are trained
	stripped   []string    // initializers whose data m.file no longer holds (their variables do)
	reward     *rewardHead // the scalar head of a reward model; nil for a language model
}

// param is one trained weight.
type param struct {
	name string // ONNX initializer name
	v    *mlctx.Variable
}

type inputKind int

const (
	inputIDs inputKind = iota
	inputMask
	inputPositions
	inputPast
	inputCacheBranch
)

type modelInput struct {
	name  string
	kind  inputKind
	shape shapes.Shape // dimensions -1 where dynamic
}

// headNode is logits = tail(MatMul(hidden, weight)) at the end of the
// graph, tail a chain of element-wise operations with scalar constants
// (none for a plain lm_head; Gemma-2's final soft-capping cap·tanh(x/cap)).
// rows, when the weight is the transpose of an initializer [vocab, hidden]
// (a tied embedding), names that initializer.
type headNode struct {
	hidden, weight, rows string
	tail                 []tailOp
}

// tailOp is one element-wise operation after the head's MatMul: Tanh, or
// Mul / Div by the scalar value named constant.
type tailOp struct{ op, constant string }

// Load imports the ONNX file at path: its float32 initializers become
// trainable GoMLX variables. It fails, naming the nodes, when the graph uses
// operators that the GoMLX path cannot convert or differentiate.
func Load(path string, opts LoadOptions) (m *Model, err error) {
	registerVJPs()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := onnxproto.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Before any external data file is opened (here, by untie, or by
	// onnx-gomlx): each must be inside the ONNX file's directory.
	if _, err := f.CheckExternal(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m = &Model{Path: path}
	if len(f.Graph.Outputs) == 0 {
		return nil, fmt.Errorf("%s: graph has no outputs", path)
	}
	m.logits = f.Graph.Outputs[0].Name
	for _, o := range f.Graph.Outputs {
		if o.Name == "logits" {
			m.logits = o.Name
		}
	}
	if sig := opts.Signature; sig != nil && sig.Logits != "" {
		m.logits = sig.Logits
	}
	g, err := trainingGraph(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if problems := check(g, m.logits); len(problems) > 0 {
		return nil, &UnsupportedError{File: path, Problems: problems}
	}
	if m.Ties = ties(f); len(m.Ties) > 0 {
		if data, err = untie(f, filepath.Dir(path), m.Ties); err != nil {
			return nil, fmt.Errorf("%s: untie initializers: %w", path, err)
		}
		if f, err = onnxproto.Parse(data); err != nil {
			return nil, fmt.Errorf("%s: untie initializers: %w", path, err)
		}
		if g, err = trainingGraph(f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	m.file = f
	for _, t := range f.Graph.Inits {
		if onnxproto.IsFloat(t.DType) && t.DType != onnxproto.Float && t.Elems() > 1 {
			return nil, &UnsupportedError{File: path, Problems: []string{fmt.Sprintf("initializer %q is not float32 (ONNX type %d): training supports float32 weights", t.Name, t.DType)}}
		}
	}
	if m.backend, err = backendFor(opts.Backend, opts.Precision); err != nil {
		return nil, err
	}
	m.chunk = opts.LogitChunk
	graphData := g.Data // f itself, or a merged decoder's no-cache branch
	if opts.LoRA != nil {
		if graphData, m.lora, err = addLoRA(g, *opts.LoRA, m.logits); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	plain := g == m.file                      // not a merged decoder: the stripped file has g's structure
	if err := m.stripImported(); err != nil { // the weights are in graphData until imported
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, data = m.file, nil
	if plain {
		g = m.file
	}
	runtime.GC() // copies of the weights before the import makes two more (one released at once)
	err = exceptions.TryCatch[error](func() {
		om, perr := parser.Parse(graphData)
		if perr != nil {
			panic(perr)
		}
		om.WithBaseDir(filepath.Dir(path))
		om.WithExternalDataReader(newRootReader(filepath.Dir(path)))
		om.DisableFusion() // fused copies of q/k/v weights would train instead of the originals
		om.FreeUnusedVariables()
		m.om = om
		m.ctx = mlctx.NewStore()
		if perr := om.VariablesToScope(m.ctx.RootScope()); perr != nil {
			panic(perr)
		}
		releaseProtoWeights(om)
	})
	graphData = nil
	if err != nil {
		return nil, fmt.Errorf("%s: import into GoMLX: %w", path, err)
	}
	if err := m.findInputs(inputNames(opts.Signature)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	onnxCtx := m.ctx.RootScope().At(onnx.ModelScope)
	for _, t := range f.Graph.Inits {
		if t.DType != onnxproto.Float || t.Elems() <= 1 {
			continue
		}
		v := onnxCtx.GetVariable(strings.ReplaceAll(t.Name, mlctx.ScopeSeparator, "|"))
		if v == nil {
			continue // not used by any node
		}
		m.params = append(m.params, param{name: t.Name, v: v})
	}
	if m.lora != nil {
		if err := m.bindLoRA(onnxCtx.GetVariable); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if len(m.params) == 0 {
		return nil, fmt.Errorf("%s: no float32 weights to train", path)
	}
	if err := m.checkStripped(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !opts.FullLogits {
		if m.head = findHead(g, m.logits); m.head != nil {
			prod := g.Producers()
			if t := prod[m.head.weight]; t != nil && t.Op == "Transpose" && len(t.Inputs) == 1 && swapsAxes(g, t) {
				if init, ok := g.Initializer(t.Inputs[0]); ok && len(init.Dims) == 2 {
					m.head.rows = init.Name
				}
			}
		}
	}
	if err := m.dryRun(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// NewBackend returns the GoMLX backend for a configuration string ("" for
// the pure-Go backend). Plugins are never downloaded.
func NewBackend(config string) (b compute.Backend, err error) {
	if config == "" {
		config = "go"
	}
	if name, opts, _ := strings.Cut(config, ":"); name == "go" && !strings.Contains(opts, "ops_parallel") && !strings.Contains(opts, "ops_sequential") {
		// Ops one at a time, each op parallel inside: with GoMLX v0.27.3's
		// default (ops in parallel), ops that wait for pool workers can
		// deadlock on a small machine, all workers holding a waiting op.
		config = "go:" + strings.TrimPrefix(opts+",ops_sequential", ",")
	}
	disableAutoInstall()
	err = exceptions.TryCatch[error](func() {
		var e error
		b, e = compute.NewWithConfig(config)
		if e != nil {
			panic(e)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("GoMLX backend %q (available: %s): %w", config, strings.Join(compute.List(), ", "), err)
	}
	return b, nil
}

// inputNames maps the names of the token ids, attention mask, position ids
// and use_cache_branch inputs to their kinds: the signature's, else
// optimum's.
func inputNames(sig *modeldir.Signature) map[string]inputKind {
	if sig == nil {
		sig = &modeldir.Signature{InputIDs: "input_ids", AttentionMask: "attention_mask", PositionIDs: "position_ids", UseCacheBranch: "use_cache_branch"}
	}
	out := map[string]inputKind{}
	for name, k := range map[string]inputKind{sig.InputIDs: inputIDs, sig.AttentionMask: inputMask, sig.PositionIDs: inputPositions, sig.UseCacheBranch: inputCacheBranch} {
		if name != "" {
			out[name] = k
		}
	}
	return out
}

// findInputs classifies the graph inputs by the names given: token ids,
// attention mask, position ids, KV-cache pasts (fed empty) and a merged
// decoder's use_cache_branch (fed false).
func (m *Model) findInputs(named map[string]inputKind) error {
	names, shs := m.om.Inputs()
	for i, name := range names {
		if strings.HasPrefix(name, loraPrefix) {
			continue // LoRA dropout masks, made in the graph (loraFeeds)
		}
		in := modelInput{name: name, shape: shs[i]}
		dyn := 0
		for _, d := range in.shape.Dimensions {
			if d < 0 {
				dyn++
			}
		}
		kind, ok := named[name]
		switch {
		case ok:
			in.kind = kind
		case in.shape.DType.IsFloat() && in.shape.Rank() >= 3 && dyn == 2:
			in.kind = inputPast
		default:
			return fmt.Errorf("graph input %q %s is neither the token ids, attention mask, position ids nor a KV-cache input", name, in.shape)
		}
		if (in.kind == inputIDs || in.kind == inputMask || in.kind == inputPositions) && (in.shape.Rank() != 2 || !in.shape.DType.IsInt()) {
			return fmt.Errorf("graph input %q %s: want an integer [batch, sequence] tensor", name, in.shape)
		}
		m.inputs = append(m.inputs, in)
	}
	if len(m.inputs) == 0 || m.inputs[0].kind != inputIDs && !m.hasInput(inputIDs) {
		return errors.New("graph has no input_ids input")
	}
	return nil
}

func (m *Model) hasInput(k inputKind) bool {
	for _, in := range m.inputs {
		if in.kind == k {
			return true
		}
	}
	return false
}

// Parameters returns the number of trained weights (elements).
func (m *Model) Parameters() int64 {
	var n int64
	for _, p := range m.params {
		n += int64(p.v.Shape().Size())
	}
	return n
}

// Vocab returns the vocabulary size (known after the first forward pass or
// the dry run of Load).
func (m *Model) Vocab() int { return m.vocab }

// Backend names the GoMLX backend in use.
func (m *Model) Backend() string { return m.backend.Name() }

// seqInputs are the graph inputs of one padded batch of R rows of T tokens.
type seqInputs struct {
	R, T           int
	ids, mask, pos []int64
}

// feed lists the model's input tensors for a batch, in graph-input order.
func (m *Model) feed(s seqInputs) []any {
	out := make([]any, 0, len(m.inputs))
	for _, in := range m.inputs {
		switch in.kind {
		case inputIDs:
			out = append(out, intTensor(in.shape.DType, s.ids, s.R, s.T))
		case inputMask:
			out = append(out, intTensor(in.shape.DType, s.mask, s.R, s.T))
		case inputPositions:
			out = append(out, intTensor(in.shape.DType, s.pos, s.R, s.T))
		case inputPast:
			dims := make([]int, in.shape.Rank())
			first := true
			for i, d := range in.shape.Dimensions {
				switch {
				case d >= 0:
					dims[i] = d
				case first:
					dims[i], first = s.R, false
				default:
					dims[i] = 0 // empty past
				}
			}
			out = append(out, tensors.FromShape(shapes.Make(in.shape.DType, dims...)))
		case inputCacheBranch:
			dims := make([]int, in.shape.Rank())
			for i := range dims {
				dims[i] = 1
			}
			out = append(out, tensors.FromShape(shapes.Make(dtypes.Bool, dims...)))
		}
	}
	return out
}

func intTensor(dt dtypes.DType, v []int64, r, t int) *tensors.Tensor {
	if dt == dtypes.Int32 {
		w := make([]int32, len(v))
		for i, x := range v {
			w[i] = int32(x)
		}
		return tensors.FromFlatDataAndDimensions(w, r, t)
	}
	return tensors.FromFlatDataAndDimensions(v, r, t)
}

// callGraph builds the ONNX graph on the model inputs (the first
// len(m.inputs) nodes of in) and returns the requested values.
func (m *Model) callGraph(ctx *mlctx.Scope, in []*graph.Node, outputs ...string) []*graph.Node {
	feeds := make(map[string]*graph.Node, len(m.inputs))
	var ids *graph.Node
	for i, mi := range m.inputs {
		feeds[mi.name] = in[i]
		if mi.kind == inputIDs {
			ids = in[i]
		}
	}
	m.loraFeeds(ctx, feeds, ids)
	return m.om.CallGraph(ctx, in[0].Graph(), feeds, outputs...)
}

// responseLogps builds the log-probabilities of the selected tokens: for
// each slot n, log softmax(logits[sel[n]])[tgt[n]]. sel is [N, 2] (row,
// position), tgt [N, 1]; the result is [N].
func (m *Model) responseLogps(ctx *mlctx.Scope, in []*graph.Node, sel, tgt *graph.Node) *graph.Node {
	return m.responseHead(ctx, in, sel, tgt, false).lp
}

// rowSums adds up slot values per row: seg is [R, N], x [N]; the result is [R].
func rowSums(seg, x *graph.Node) *graph.Node {
	return graph.DotGeneral(seg, []int{1}, nil, x, []int{0}, nil)
}

// dryRun builds (without compiling) the training graph of a tiny batch,
// gradient included, so that a model the GoMLX path cannot differentiate
// fails here, before any step. It also learns the vocabulary size, and
// falls back to full logits when the last MatMul is not a plain head.
func (m *Model) dryRun() error {
	build := func() error {
		return exceptions.TryCatch[error](func() {
			g := graph.NewGraph(m.backend, "dpokit_check")
			defer g.Finalize()
			in := m.parameterNodes(g, 2, 2)
			sel := graph.Parameter(g, "sel", shapes.Make(dtypes.Int32, 2, 2))
			tgt := graph.Parameter(g, "tgt", shapes.Make(dtypes.Int32, 2, 1))
			ctx := m.ctx.RootScope()
			lp := m.responseLogps(ctx, in, sel, tgt)
			loss := graph.ReduceAllSum(lp)
			nodes := make([]*graph.Node, len(m.params))
			for i, p := range m.params {
				nodes[i] = p.v.NodeValue(g)
			}
			graph.Gradient(loss, nodes...)
		})
	}
	err := build()
	if err != nil && m.head != nil {
		m.head = nil
		err = build()
	}
	if err != nil {
		return fmt.Errorf("cannot build the gradient of the model on the GoMLX path: %w", err)
	}
	return m.learnVocab()
}

func (m *Model) learnVocab() (err error) {
	return exceptions.TryCatch[error](func() {
		g := graph.NewGraph(m.backend, "dpokit_vocab")
		defer g.Finalize()
		in := m.parameterNodes(g, 1, 1)
		out := m.callGraph(m.ctx.RootScope(), in, m.logits)[0]
		m.vocab = out.Shape().Dim(-1)
	})
}

// parameterNodes makes graph parameters for the model inputs of an R×T batch.
func (m *Model) parameterNodes(g *graph.Graph, r, t int) []*graph.Node {
	feeds := m.feed(seqInputs{R: r, T: t, ids: make([]int64, r*t), mask: make([]int64, r*t), pos: make([]int64, r*t)})
	out := make([]*graph.Node, len(feeds))
	for i, f := range feeds {
		out[i] = graph.Parameter(g, m.inputs[i].name, f.(*tensors.Tensor).Shape())
	}
	return out
}

// Logits runs the graph on token sequences (right-padded into one batch,
// positions 0..len-1) and returns each row's logits, len(row)×vocab values.
func (m *Model) Logits(rows [][]int) ([][]float32, error) {
	if m.logitsExec == nil {
		e, err := mlctx.NewExec(m.backend, m.ctx, func(ctx *mlctx.Scope, in []*graph.Node) *graph.Node {
			return m.callGraph(ctx, in, m.logits)[0]
		})
		if err != nil {
			return nil, err
		}
		m.logitsExec = e
	}
	s, err := m.seqBatch(rows)
	if err != nil {
		return nil, err
	}
	T := s.T
	out, err := m.logitsExec.Call(m.feed(s)...)
	if err != nil {
		return nil, err
	}
	flat, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, err
	}
	V := out[0].Shape().Dim(-1)
	res := make([][]float32, len(rows))
	for i, r := range rows {
		res[i] = flat[i*T*V : (i*T+len(r))*V]
	}
	return res, nil
}

// seqBatch lays out token sequences as one right-padded batch, positions
// 0..len-1, checking the ids against the vocabulary.
func (m *Model) seqBatch(rows [][]int) (seqInputs, error) {
	T := 0
	for i, r := range rows {
		T = max(T, len(r))
		for _, id := range r {
			if id < 0 || id >= m.vocab {
				return seqInputs{}, fmt.Errorf("row %d: token id %d outside the model's vocabulary of %d", i, id, m.vocab)
			}
		}
	}
	s := seqInputs{R: len(rows), T: T, ids: make([]int64, len(rows)*T), mask: make([]int64, len(rows)*T), pos: make([]int64, len(rows)*T)}
	for i, r := range rows {
		for j, id := range r {
			s.ids[i*T+j] = int64(id)
			s.mask[i*T+j] = 1
			s.pos[i*T+j] = int64(j)
		}
	}
	return s, nil
}
