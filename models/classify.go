package models

import (
	"fmt"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// Scores runs a sequence-classification model (a reward model) whose
// `logits` output holds one score per sequence, [batch, 1], on right-padded
// sequences and returns the scores.
func (m *Model) Scores(seqs [][]int) ([]float64, error) {
	if m.Sig.HasCache() {
		return nil, fmt.Errorf("%s is a decoder with a KV cache, not a reward model", m.Dir.Path)
	}
	n, T := len(seqs), 0
	if n == 0 {
		return nil, nil
	}
	vocab, _ := m.Dir.ConfigInt("vocab_size")
	for _, s := range seqs {
		if len(s) == 0 {
			return nil, fmt.Errorf("reward model: empty sequence")
		}
		for _, t := range s {
			if t < 0 || (vocab > 0 && t >= vocab) {
				return nil, &TokenRangeError{ID: t, Vocab: vocab}
			}
		}
		T = max(T, len(s))
	}
	ids, mask, pos := make([]int64, n*T), make([]int64, n*T), make([]int64, n*T)
	for i, s := range seqs {
		for j, t := range s {
			ids[i*T+j], mask[i*T+j], pos[i*T+j] = int64(t), 1, int64(j)
		}
	}
	var inputs []ort.Value
	defer func() { destroyAll(inputs) }()
	for _, in := range []struct {
		name string
		data []int64
	}{{m.Sig.InputIDs, ids}, {m.Sig.AttentionMask, mask}, {m.Sig.PositionIDs, pos}} {
		if in.name == "" {
			continue
		}
		t, err := ort.NewTensor(ort.NewShape(int64(n), int64(T)), in.data)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, t)
	}
	outputs := make([]ort.Value, len(m.outNames))
	start := time.Now()
	err := m.sess.Run(inputs, outputs)
	m.ortNanos.Add(int64(time.Since(start)))
	defer destroyAll(outputs)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime run on %s: %w", m.Dir.ONNX, err)
	}
	lt, ok := outputs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("%s: logits output is not float32", m.Dir.ONNX)
	}
	if sh := lt.GetShape(); len(sh) != 2 || sh[0] != int64(n) || sh[1] != 1 {
		return nil, fmt.Errorf("%s: reward model output %s has shape %v: want one score per sequence, [%d 1]", m.Dir.ONNX, m.Sig.Logits, sh, n)
	}
	out := make([]float64, n)
	for i, v := range lt.GetData() {
		out[i] = float64(v)
	}
	return out, nil
}
