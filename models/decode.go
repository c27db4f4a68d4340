package models

import (
	"errors"
	"fmt"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// prefillLogitsBudget bounds the logits one prefill pass may produce
// (rows × tokens × vocab floats, 64 MiB): longer prompts are prefilled in
// chunks of columns that continue the cache. A variable for tests.
var prefillLogitsBudget = 1 << 24

// Decoding is a batch of sequences extended one token per row at a time on
// the KV cache: StartDecoding prefills the prompts, Logits gives each row's
// next-token logits, Step feeds one token per row, and Select drops,
// reorders or duplicates rows between steps.
//
// Prompts are left-padded to a common length; each row keeps its own
// attention mask and position ids (0 at its first real token), so a row's
// logits are those of its unpadded sequence. The cache lives in Go memory
// as two buffers per past input: ONNX Runtime reads the past from one and
// writes the present straight into the other (pre-allocated output tensors
// over Go memory), which becomes the next past. So a step copies no cache
// data on the Go side, and allocates no cache memory once Reserve has sized
// the buffers. Select compacts rows in place when it only drops rows, and
// trims leading cache columns that are padding in every remaining row.
//
// A Decoding is not safe for concurrent use; several Decodings may run on
// one Model at once.
type Decoding struct {
	m      *Model
	rows   int
	past   int       // cache length (columns, padding included)
	mask   []int64   // rows×past: 1 where the column is a real token of the row
	next   []int64   // per row: position id of the next token
	logits []float32 // rows×vocab: logits after each row's last token
	kv     []kvBuf   // one per past input, in Signature order (keys, then values)
	halves int       // 2 for the stacked layout [2, batch, …], else 1
	head   int       // KV heads
	dim    int       // head size
	spare  int       // columns to allocate ahead (Reserve)
}

// kvBuf holds one past input, laid out [halves, rows, heads, past, dim].
// cur is the past; out receives the present of the next run.
type kvBuf struct {
	cur, out []float32
}

// StartDecoding prefills the prompts (each at least one token) and returns
// the batch, one row per prompt, with each row's next-token logits ready.
// Without position_ids or attention_mask inputs the prompts must have equal
// lengths, as they cannot be padded.
func (m *Model) StartDecoding(prompts [][]int) (*Decoding, error) {
	s := m.Sig
	if !s.HasCache() {
		return nil, errors.New("model has no KV cache inputs, so it cannot decode incrementally")
	}
	if len(prompts) == 0 {
		return nil, errors.New("no prompts to decode")
	}
	T := 0
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, fmt.Errorf("prompt %d is empty: decoding needs at least one token (for example BOS)", i)
		}
		if err := m.checkTokens(p); err != nil {
			return nil, fmt.Errorf("prompt %d: %w", i, err)
		}
		if T > 0 && len(p) != T && (s.PositionIDs == "" || s.AttentionMask == "") {
			return nil, errors.New("model lacks position_ids or attention_mask, so prompts of different lengths cannot share a batch")
		}
		T = max(T, len(p))
	}
	n := len(prompts)
	d := &Decoding{m: m, rows: n, next: make([]int64, n), halves: 1, head: s.KVHeads, dim: s.HeadDim,
		kv: make([]kvBuf, m.numPast())}
	if s.Layout == KVStacked {
		d.halves = 2
	}
	ids := make([]int64, n*T)
	pos := make([]int64, n*T)
	mask := make([]int64, n*T)
	for i, p := range prompts {
		pad := T - len(p)
		for j, t := range p {
			ids[i*T+pad+j] = int64(t)
			pos[i*T+pad+j] = int64(j)
			mask[i*T+pad+j] = 1
		}
		d.next[i] = int64(len(p))
	}
	// Columns per pass so that a pass's logits stay within the budget.
	C := max(1, prefillLogitsBudget/(n*s.Vocab))
	var chunkLogits []float32
	for c0 := 0; c0 < T; c0 += C {
		c1 := min(T, c0+C)
		w := c1 - c0
		cids, cpos := make([]int64, n*w), make([]int64, n*w)
		for i := range n {
			copy(cids[i*w:], ids[i*T+c0:i*T+c1])
			copy(cpos[i*w:], pos[i*T+c0:i*T+c1])
		}
		cmask := make([]int64, n*c1)
		for i := range n {
			copy(cmask[i*c1:], mask[i*T:i*T+c1])
		}
		if len(chunkLogits) < n*w*s.Vocab {
			chunkLogits = make([]float32, n*w*s.Vocab)
		}
		if err := d.run(w, cids, cmask, cpos, chunkLogits[:n*w*s.Vocab]); err != nil {
			return nil, err
		}
		if c1 == T {
			d.logits = make([]float32, n*s.Vocab)
			for i := range n {
				at := (i*w + w - 1) * s.Vocab
				copy(d.logits[i*s.Vocab:], chunkLogits[at:at+s.Vocab])
			}
		}
	}
	d.mask = mask
	return d, nil
}

func (m *Model) checkTokens(ids []int) error {
	for _, t := range ids {
		if t < 0 || t >= m.Sig.Vocab {
			return &TokenRangeError{ID: t, Vocab: m.Sig.Vocab}
		}
	}
	return nil
}

// Rows is the number of sequences in the batch.
func (d *Decoding) Rows() int { return d.rows }

// Len is the cache length: the longest row's tokens plus left padding.
func (d *Decoding) Len() int { return d.past }

// Position is the position id the next token of row i will get, which is
// the row's length so far.
func (d *Decoding) Position(i int) int { return int(d.next[i]) }

// Logits returns row i's logits for its next token. The slice is
// overwritten by the next Step or Select.
func (d *Decoding) Logits(i int) []float32 {
	V := d.m.Sig.Vocab
	return d.logits[i*V : (i+1)*V]
}

// Reserve makes room for this many more Steps without reallocating the cache.
func (d *Decoding) Reserve(steps int) { d.spare = max(d.spare, steps) }

// Step appends tokens[i] to row i and computes the next logits of every row.
func (d *Decoding) Step(tokens []int) error {
	if len(tokens) != d.rows {
		return fmt.Errorf("step: %d tokens for %d rows", len(tokens), d.rows)
	}
	if err := d.m.checkTokens(tokens); err != nil {
		return fmt.Errorf("step: %w", err)
	}
	n, P := d.rows, d.past
	ids := make([]int64, n)
	pos := make([]int64, n)
	mask := make([]int64, n*(P+1))
	for i, t := range tokens {
		ids[i] = int64(t)
		pos[i] = d.next[i]
		copy(mask[i*(P+1):], d.mask[i*P:(i+1)*P])
		mask[i*(P+1)+P] = 1
	}
	if err := d.run(1, ids, mask, pos, d.logits[:n*d.m.Sig.Vocab]); err != nil {
		return err
	}
	d.mask = mask
	for i := range d.next {
		d.next[i]++
	}
	if d.spare > 0 {
		d.spare--
	}
	return nil
}

// run feeds T tokens per row on top of the cache; mask covers past+T
// columns. The present is written into each kvBuf's out buffer, which then
// becomes the past; logits (rows×T×vocab) are written into dst.
func (d *Decoding) run(T int, ids, mask, pos []int64, dst []float32) error {
	m, s := d.m, d.m.Sig
	n, P := d.rows, d.past
	var inputs, outputs []ort.Value
	defer func() {
		for _, v := range append(inputs, outputs...) {
			v.Destroy()
		}
	}()
	if err := appendTensor(&inputs, ort.NewShape(int64(n), int64(T)), ids); err != nil {
		return err
	}
	if s.AttentionMask != "" {
		if err := appendTensor(&inputs, ort.NewShape(int64(n), int64(P+T)), mask); err != nil {
			return err
		}
	}
	if s.PositionIDs != "" {
		if err := appendTensor(&inputs, ort.NewShape(int64(n), int64(T)), pos); err != nil {
			return err
		}
	}
	for k := range d.kv {
		if err := appendTensor(&inputs, d.kvShape(n, P), d.kv[k].cur[:d.kvSize(n, P)]); err != nil {
			return err
		}
	}
	if s.UseCacheBranch != "" {
		if err := appendTensor(&inputs, ort.NewShape(1), []bool{P > 0}); err != nil {
			return err
		}
	}
	if err := appendTensor(&outputs, ort.NewShape(int64(n), int64(T), int64(s.Vocab)), dst); err != nil {
		return err
	}
	need := d.kvSize(n, P+T)
	for k := range d.kv {
		b := &d.kv[k]
		if len(b.out) < need {
			b.out = make([]float32, d.kvSize(n, P+T+max(d.spare, 16, P/2)))
		}
		if err := appendTensor(&outputs, d.kvShape(n, P+T), b.out[:need]); err != nil {
			return err
		}
	}
	start := time.Now()
	err := m.sess.Run(inputs, outputs)
	m.ortNanos.Add(int64(time.Since(start)))
	m.calls.Add(1)
	if err != nil {
		return fmt.Errorf("onnxruntime run on %s (batch %d×%d, past %d): %w", m.Dir.ONNX, n, T, P, err)
	}
	for k := range d.kv {
		b := &d.kv[k]
		b.cur, b.out = b.out, b.cur
	}
	d.past = P + T
	return nil
}

// appendTensor wraps data (Go memory, not copied) as a tensor and appends it.
func appendTensor[T ort.TensorData](dst *[]ort.Value, shape ort.Shape, data []T) error {
	v, err := ort.NewTensor(shape, data)
	if err != nil {
		return err
	}
	*dst = append(*dst, v)
	return nil
}

func (d *Decoding) kvShape(n, P int) ort.Shape {
	if d.halves == 2 {
		return ort.NewShape(2, int64(n), int64(d.head), int64(P), int64(d.dim))
	}
	return ort.NewShape(int64(n), int64(d.head), int64(P), int64(d.dim))
}

func (d *Decoding) kvSize(n, P int) int { return d.halves * n * d.head * P * d.dim }

// Close releases the cache. The Decoding cannot be used afterwards.
func (d *Decoding) Close() error {
	d.kv, d.logits, d.mask, d.next, d.rows = nil, nil, nil, nil, 0
	return nil
}
