package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/dpokit/dpokit/internal/interrupt"
)

// Model is an ONNX Runtime session over a model directory's decoder.
// Run and Prefill may be called from several goroutines at once.
type Model struct {
	rt        *Runtime
	Dir       *Dir
	Sig       Signature
	sess      *ort.DynamicAdvancedSession
	inNames   []string
	outNames  []string
	ortNanos  atomic.Int64
	calls     atomic.Int64
	autoAlloc atomic.Bool // let ONNX Runtime allocate outputs (see allocOutputs)
}

// LoadContext is Load that returns at once when ctx is done (Ctrl-C or
// SIGTERM while ONNX Runtime makes the session in native code, which no
// context reaches); the session, when it is made, is closed.
func (r *Runtime) LoadContext(ctx context.Context, d *Dir) (*Model, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slog.Debug("loading", "model", d.ONNX)
	r.loading.Add(1) // counted before the goroutine starts, so Close never misses it
	return interrupt.Do(ctx, func() (*Model, error) {
		defer r.loading.Add(-1)
		return r.Load(d)
	}, func(m *Model) { m.Close() })
}

// Load opens an ONNX Runtime session for the directory's decoder.
func (r *Runtime) Load(d *Dir) (*Model, error) {
	r.loading.Add(1)
	defer r.loading.Add(-1)
	s := d.Signature
	m := &Model{Dir: d, Sig: s, rt: r}
	m.inNames = append(m.inNames, s.InputIDs)
	if s.AttentionMask != "" {
		m.inNames = append(m.inNames, s.AttentionMask)
	}
	if s.PositionIDs != "" {
		m.inNames = append(m.inNames, s.PositionIDs)
	}
	m.inNames = append(m.inNames, s.PastKeys...)
	m.inNames = append(m.inNames, s.PastValues...)
	if s.UseCacheBranch != "" {
		m.inNames = append(m.inNames, s.UseCacheBranch)
	}
	m.outNames = append(m.outNames, s.Logits)
	m.outNames = append(m.outNames, s.PresentKeys...)
	m.outNames = append(m.outNames, s.PresentValues...)
	so, err := r.sessionOptions()
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	m.sess, err = ort.NewDynamicAdvancedSession(d.ONNX, m.inNames, m.outNames, so)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", d.ONNX, err)
	}
	return m, nil
}

// Close releases the session.
func (m *Model) Close() error {
	if m.sess == nil {
		return nil
	}
	err := m.sess.Destroy()
	m.sess = nil
	return err
}

// ORTTime is the total wall time spent inside ONNX Runtime Run calls, and
// the number of calls.
func (m *Model) ORTTime() (time.Duration, int64) {
	return time.Duration(m.ortNanos.Load()), m.calls.Load()
}

// Cache is the KV cache of a batch of left-padded prompts, held in Go memory.
type Cache struct {
	Rows int
	Len  int         // padded past length
	Mask []int64     // Rows×Len attention mask (1 = real token)
	Next []int64     // per row: position id of the next token (= real length)
	kv   [][]float32 // one per past input, in Signature order (keys then values)
}

// Row asks for the log-probs of Tokens[Start:], each given everything before
// it. With a cache, the row's context begins with cache row From (its
// prompt) and Tokens continue it; without one, Tokens is the whole sequence.
// Start must be at least 1: the first token of a row has no prediction.
type Row struct {
	Tokens []int
	Start  int
	From   int
}

// Padding chooses where full-sequence batches are padded.
type Padding int

const (
	PadRight Padding = iota
	PadLeft
)

// Logits is the output of one forward pass over a batch of rows.
type Logits struct {
	Data  []float32 // Rows×T×Vocab
	T     int
	Vocab int
	rows  []Row
	off   []int // per row: index of Tokens[0] along T
	m     *Model
}

// Prefill runs the prompts (left-padded into one batch) and returns their KV
// cache. Empty prompts are allowed.
func (m *Model) Prefill(prompts [][]int) (*Cache, error) {
	if !m.Sig.HasCache() {
		return nil, errors.New("model has no KV cache inputs")
	}
	if m.Sig.PositionIDs == "" {
		return nil, errors.New("model has no position_ids input, so padded prompts cannot share a cache")
	}
	n := len(prompts)
	T := 0
	for _, p := range prompts {
		T = max(T, len(p))
	}
	c := &Cache{Rows: n, Len: T, Mask: make([]int64, n*T), Next: make([]int64, n)}
	if T == 0 {
		c.kv = make([][]float32, m.numPast())
		return c, nil
	}
	ids := make([]int64, n*T)
	pos := make([]int64, n*T)
	for i, p := range prompts {
		pad := T - len(p)
		for j, t := range p {
			ids[i*T+pad+j] = int64(t)
			c.Mask[i*T+pad+j] = 1
			pos[i*T+pad+j] = int64(j)
		}
		c.Next[i] = int64(len(p))
	}
	out, err := m.run(n, T, ids, c.Mask, pos, nil, nil, false)
	if err != nil {
		return nil, err
	}
	c.kv = out.present
	return c, nil
}

func (m *Model) numPast() int { return len(m.Sig.PastKeys) + len(m.Sig.PastValues) }

// Run runs one batch. With cache == nil rows are full sequences, padded as
// pad says; otherwise each row continues its cache row.
func (m *Model) Run(cache *Cache, rows []Row, pad Padding) (*Logits, error) {
	n := len(rows)
	if n == 0 {
		return &Logits{Vocab: m.Sig.Vocab}, nil
	}
	T := 0
	for i, r := range rows {
		if r.Start < 1 || r.Start > len(r.Tokens) {
			return nil, fmt.Errorf("row %d: start %d outside 1..%d", i, r.Start, len(r.Tokens))
		}
		for _, t := range r.Tokens {
			if t < 0 || t >= m.Sig.Vocab {
				return nil, &TokenRangeError{ID: t, Vocab: m.Sig.Vocab}
			}
		}
		T = max(T, len(r.Tokens))
	}
	P := 0
	if cache != nil {
		P = cache.Len
		if m.Sig.PositionIDs == "" {
			return nil, errors.New("model has no position_ids input, so rows cannot continue a shared cache")
		}
	}
	L := &Logits{T: T, Vocab: m.Sig.Vocab, rows: rows, off: make([]int, n), m: m}
	ids := make([]int64, n*T)
	mask := make([]int64, n*(P+T))
	pos := make([]int64, n*T)
	for i, r := range rows {
		off := 0
		var base int64
		if cache != nil {
			if r.From < 0 || r.From >= cache.Rows {
				return nil, fmt.Errorf("row %d: cache row %d outside 0..%d", i, r.From, cache.Rows-1)
			}
			copy(mask[i*(P+T):], cache.Mask[r.From*P:(r.From+1)*P])
			base = cache.Next[r.From]
		} else if pad == PadLeft {
			off = T - len(r.Tokens)
		}
		L.off[i] = off
		for j, t := range r.Tokens {
			ids[i*T+off+j] = int64(t)
			mask[i*(P+T)+P+off+j] = 1
			pos[i*T+off+j] = base + int64(j)
		}
	}
	var src []int
	if cache != nil {
		src = make([]int, n)
		for i, r := range rows {
			src[i] = r.From
		}
	}
	out, err := m.run(n, T, ids, mask, pos, cache, src, true)
	if err != nil {
		return nil, err
	}
	L.Data = out.logits
	return L, nil
}

// TokenRangeError reports a token id the model's vocabulary does not cover.
type TokenRangeError struct{ ID, Vocab int }

func (e *TokenRangeError) Error() string {
	return fmt.Sprintf("token id %d is outside the model's vocabulary (size %d)", e.ID, e.Vocab)
}

type runOut struct {
	logits  []float32
	present [][]float32
}

// run executes the session. past rows are gathered from cache by src.
func (m *Model) run(n, T int, ids, mask, pos []int64, cache *Cache, src []int, wantLogits bool) (*runOut, error) {
	s := m.Sig
	var inputs []ort.Value
	defer func() {
		for _, v := range inputs {
			v.Destroy()
		}
	}()
	add := func(v ort.Value, err error) error {
		if err != nil {
			return err
		}
		inputs = append(inputs, v)
		return nil
	}
	P := 0
	if cache != nil {
		P = cache.Len
	}
	if err := add(ort.NewTensor(ort.NewShape(int64(n), int64(T)), ids)); err != nil {
		return nil, err
	}
	if s.AttentionMask != "" {
		if err := add(ort.NewTensor(ort.NewShape(int64(n), int64(P+T)), mask)); err != nil {
			return nil, err
		}
	}
	if s.PositionIDs != "" {
		if err := add(ort.NewTensor(ort.NewShape(int64(n), int64(T)), pos)); err != nil {
			return nil, err
		}
	}
	for k := 0; k < m.numPast(); k++ {
		var data []float32
		var shape ort.Shape
		if s.Layout == KVStacked {
			shape = ort.NewShape(2, int64(n), int64(s.KVHeads), int64(P), int64(s.HeadDim))
		} else {
			shape = ort.NewShape(int64(n), int64(s.KVHeads), int64(P), int64(s.HeadDim))
		}
		if P > 0 {
			data = gatherRows(cache.kv[k], cache.Rows, src, s.Layout == KVStacked)
		} else {
			data = []float32{}
		}
		if err := add(ort.NewTensor(shape, data)); err != nil {
			return nil, err
		}
	}
	if s.UseCacheBranch != "" {
		if err := add(ort.NewTensor(ort.NewShape(1), []bool{P > 0})); err != nil {
			return nil, err
		}
	}
	if !wantLogits && !m.autoAlloc.Load() {
		// Fetching only the cache lets ONNX Runtime skip the LM head, which
		// for a large vocabulary is most of a prefill's work.
		if present, err := m.runCacheOnly(inputs, n, T, P); err == nil {
			return &runOut{present: present}, nil
		}
		m.autoAlloc.Store(true) // and take the general path from now on
	}
	outputs, err := m.allocOutputs(n, T, P)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	err = m.sess.Run(inputs, outputs)
	if err != nil && outputs[0] != nil {
		// The graph's outputs are not the shapes assumed (some exports keep
		// a fixed-size cache buffer): let ONNX Runtime allocate from now on.
		m.autoAlloc.Store(true)
		destroyAll(outputs)
		outputs = make([]ort.Value, len(m.outNames))
		err = m.sess.Run(inputs, outputs)
	}
	m.ortNanos.Add(int64(time.Since(start)))
	m.calls.Add(1)
	defer destroyAll(outputs)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime run on %s (batch %d×%d, past %d): %w", m.Dir.ONNX, n, T, P, err)
	}
	res := &runOut{}
	lt, ok := outputs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("%s: logits output is not float32", m.Dir.ONNX)
	}
	if want := int64(n * T * s.Vocab); lt.GetShape().FlattenedSize() != want {
		return nil, fmt.Errorf("%s: logits shape %v, want [%d %d %d]", m.Dir.ONNX, lt.GetShape(), n, T, s.Vocab)
	}
	if wantLogits {
		res.logits = lt.GetData()
	}
	for _, v := range outputs[1:] {
		t, ok := v.(*ort.Tensor[float32])
		if !ok {
			return nil, fmt.Errorf("%s: present output is not float32", m.Dir.ONNX)
		}
		res.present = append(res.present, t.GetData())
	}
	return res, nil
}

// runCacheOnly runs the model fetching only the present KV outputs, into
// Go memory, through an I/O binding.
func (m *Model) runCacheOnly(inputs []ort.Value, n, T, P int) ([][]float32, error) {
	b, err := m.sess.CreateIoBinding()
	if err != nil {
		return nil, err
	}
	defer b.Destroy()
	for i, v := range inputs {
		if err := b.BindInput(m.inNames[i], v); err != nil {
			return nil, err
		}
	}
	s := m.Sig
	shape := ort.NewShape(int64(n), int64(s.KVHeads), int64(P+T), int64(s.HeadDim))
	if s.Layout == KVStacked {
		shape = ort.NewShape(2, int64(n), int64(s.KVHeads), int64(P+T), int64(s.HeadDim))
	}
	present := make([][]float32, 0, len(m.outNames)-1)
	var outs []ort.Value
	defer func() { destroyAll(outs) }()
	for _, name := range m.outNames[1:] {
		data := make([]float32, shape.FlattenedSize())
		t, err := ort.NewTensor(shape, data)
		if err != nil {
			return nil, err
		}
		outs = append(outs, t)
		if err := b.BindOutput(name, t); err != nil {
			return nil, err
		}
		present = append(present, data)
	}
	start := time.Now()
	err = m.sess.RunWithBinding(b)
	m.ortNanos.Add(int64(time.Since(start)))
	m.calls.Add(1)
	return present, err
}

// allocOutputs makes Go-backed output tensors of the expected shapes, so
// that ONNX Runtime writes logits and the new cache straight into Go memory
// instead of into buffers that would then be copied. It returns nil values
// (ONNX Runtime allocates) once a model has shown other output shapes.
func (m *Model) allocOutputs(n, T, P int) ([]ort.Value, error) {
	out := make([]ort.Value, len(m.outNames))
	if m.autoAlloc.Load() {
		return out, nil
	}
	s := m.Sig
	logits, err := ort.NewTensor(ort.NewShape(int64(n), int64(T), int64(s.Vocab)), make([]float32, n*T*s.Vocab))
	if err != nil {
		return nil, err
	}
	out[0] = logits
	shape := ort.NewShape(int64(n), int64(s.KVHeads), int64(P+T), int64(s.HeadDim))
	if s.Layout == KVStacked {
		shape = ort.NewShape(2, int64(n), int64(s.KVHeads), int64(P+T), int64(s.HeadDim))
	}
	for i := 1; i < len(out); i++ {
		t, err := ort.NewTensor(shape, make([]float32, shape.FlattenedSize()))
		if err != nil {
			destroyAll(out)
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

func destroyAll(vs []ort.Value) {
	for _, v := range vs {
		if v != nil {
			v.Destroy()
		}
	}
}

// gatherRows copies batch rows src of a [rows, ...] (or stacked [2, rows, ...])
// tensor into a new one.
func gatherRows(data []float32, rows int, src []int, stacked bool) []float32 {
	halves := 1
	if stacked {
		halves = 2
	}
	per := len(data) / (rows * halves)
	out := make([]float32, 0, per*len(src)*halves)
	for h := 0; h < halves; h++ {
		base := h * rows * per
		for _, r := range src {
			out = append(out, data[base+r*per:base+(r+1)*per]...)
		}
	}
	return out
}
