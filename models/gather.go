package models

import (
	"fmt"
	"sync"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// The log-softmax of every logit row, gathered at the target tokens, runs
// in ONNX Runtime as a small graph that dpokit builds in memory: ONNX
// Runtime's vectorised float32 exponentials are faster than Go's, and the
// logits go in without a copy. The exponentials are summed in float64: a
// float32 sum over a large vocabulary loses the terms below half a unit in
// the last place of the running sum, which biased every log-prob upwards
// (ONNX Runtime's fused float32 LogSoftmax by 4e-6 nats per token at 128k
// tokens and 8e-6 at 256k, so 1.5e-4 over a 20-token response), where the
// float64 sum stays within 1e-6. It costs a few passes over the logits
// instead of one fused kernel, small beside the LM head that produced them.

// logpGraph returns the serialized ONNX model
//
//	logits float32 [n, t, v], targets int64 [n, t, 1] -> logp float64 [n, t, 1]
//
// computing logp = (x_target − max) − log Σ exp(x − max), the sum in float64.
func logpGraph() []byte {
	g := onnxproto.NewBuilder("dpokit_logp")
	g.Input("logits", onnxproto.Float, "n", "t", "v")
	g.Input("targets", onnxproto.Int64, "n", "t", 1)
	g.Output("logp", onnxproto.Double, "n", "t", 1)
	g.Int64s("last", []int{1}, []int64{-1})
	g.Node("ReduceMax", []string{"logits"}, []string{"max"}, onnxproto.IntsAttr("axes", -1), onnxproto.IntAttr("keepdims", 1))
	g.Node("Sub", []string{"logits", "max"}, []string{"shifted"})
	g.Node("Exp", []string{"shifted"}, []string{"exp"})
	g.Node("Cast", []string{"exp"}, []string{"exp64"}, onnxproto.IntAttr("to", onnxproto.Double))
	g.Node("ReduceSum", []string{"exp64", "last"}, []string{"sum"}, onnxproto.IntAttr("keepdims", 1))
	g.Node("Log", []string{"sum"}, []string{"lse"})
	g.Node("GatherElements", []string{"shifted", "targets"}, []string{"target"}, onnxproto.IntAttr("axis", 2))
	g.Node("Cast", []string{"target"}, []string{"target64"}, onnxproto.IntAttr("to", onnxproto.Double))
	g.Node("Sub", []string{"target64", "lse"}, []string{"logp"})
	return g.Model(13)
}

type gatherSession struct {
	once sync.Once
	sess *ort.DynamicAdvancedSession
	err  error
}

func (r *Runtime) gather() (*ort.DynamicAdvancedSession, error) {
	g := &r.logp
	g.once.Do(func() {
		so, err := r.sessionOptions()
		if err != nil {
			g.err = err
			return
		}
		defer so.Destroy()
		g.sess, g.err = ort.NewDynamicAdvancedSessionWithONNXData(logpGraph(), []string{"logits", "targets"}, []string{"logp"}, so)
		if g.err != nil {
			g.err = fmt.Errorf("log-prob graph: %w", g.err)
		}
	})
	return g.sess, g.err
}

// gatherLogps returns logp[i][j] = log softmax(logits[i][j])[targets[i][j]]
// for logits of shape [n, t, v].
func (m *Model) gatherLogps(logits []float32, n, t, v int, targets []int64) ([]float64, error) {
	sess, err := m.rt.gather()
	if err != nil {
		return nil, err
	}
	in, err := ort.NewTensor(ort.NewShape(int64(n), int64(t), int64(v)), logits)
	if err != nil {
		return nil, err
	}
	defer in.Destroy()
	tg, err := ort.NewTensor(ort.NewShape(int64(n), int64(t), 1), targets)
	if err != nil {
		return nil, err
	}
	defer tg.Destroy()
	out := make([]float64, n*t)
	ot, err := ort.NewTensor(ort.NewShape(int64(n), int64(t), 1), out)
	if err != nil {
		return nil, err
	}
	defer ot.Destroy()
	start := time.Now()
	err = sess.Run([]ort.Value{in, tg}, []ort.Value{ot})
	m.ortNanos.Add(int64(time.Since(start)))
	if err != nil {
		return nil, fmt.Errorf("log-prob graph: %w", err)
	}
	return out, nil
}

// ORTLogProbs is TokenLogProbs computed by ONNX Runtime (see gatherLogps);
// it agrees with TokenLogProbs to float32 rounding of the logits.
func (l *Logits) ORTLogProbs() ([][]float64, error) {
	n := len(l.rows)
	targets := make([]int64, n*l.T)
	for i, r := range l.rows {
		for j := r.Start - 1; j < len(r.Tokens)-1; j++ {
			targets[i*l.T+l.off[i]+j] = int64(r.Tokens[j+1])
		}
	}
	lp, err := l.m.gatherLogps(l.Data, n, l.T, l.Vocab, targets)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, n)
	for i, r := range l.rows {
		row := make([]float64, 0, len(r.Tokens)-r.Start)
		for j := r.Start - 1; j < len(r.Tokens)-1; j++ {
			row = append(row, lp[i*l.T+l.off[i]+j])
		}
		out[i] = row
	}
	return out, nil
}

// LogProbsAt returns log softmax(row i)[targets[i]] for n rows of vocab
// logits each, computed by ONNX Runtime (see gatherLogps).
func (m *Model) LogProbsAt(logits []float32, vocab int, targets []int) ([]float64, error) {
	n := len(targets)
	tg := make([]int64, n)
	for i, t := range targets {
		if t < 0 || t >= vocab {
			return nil, &TokenRangeError{ID: t, Vocab: vocab}
		}
		tg[i] = int64(t)
	}
	lp, err := m.gatherLogps(logits[:n*vocab], n, 1, vocab, tg)
	if err != nil {
		return nil, err
	}
	return lp, nil
}
