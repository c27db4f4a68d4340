package train

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// logitChunkBytes is the float32 logits one chunk may hold when
// LoadOptions.LogitChunk is 0: 256 MiB, so that vocabularies of 150k–260k
// tokens cost a few hundred megabytes whatever the batch.
const logitChunkBytes = 256 << 20

// chunkRows is the number of response tokens per LM-head chunk for a
// vocabulary of V: LoadOptions.LogitChunk, or what fits logitChunkBytes;
// 0 means one chunk.
func (m *Model) chunkRows(V int) int {
	switch {
	case m.chunk < 0:
		return 0
	case m.chunk > 0:
		return m.chunk
	}
	return max(1, logitChunkBytes/(4*max(1, V)))
}

// chunkedLogps returns log softmax(hs·w)[tgt] per response token: hs is
// [N, H] (the hidden states that predict the response tokens), w the LM
// head [H, V], tgt [N, 1]; the result is [N]. tail is applied to the
// logits hs·w (the head's element-wise tail, see headNode).
//
// The [N, V] logits are never held at once when rows > 0 and N > rows:
// each chunk of rows tokens computes its logits, reduces them to a
// log-sum-exp and a target logit, and is a gradient checkpoint (GoMLX's
// Node.Checkpoint): the backward pass recomputes a chunk's logits from its
// hidden states when that chunk's gradient arrives, instead of keeping
// every chunk's logits from the forward pass.
func chunkedLogps(hs, w, tgt *graph.Node, rows int, tail func(*graph.Node) *graph.Node) *graph.Node {
	N := hs.Shape().Dim(0)
	if rows <= 0 || N <= rows {
		return headLogps(hs, w, tgt, tail)
	}
	var parts []*graph.Node
	for lo := 0; lo < N; lo += rows {
		r := graph.AxisRange(lo, min(lo+rows, N))
		h := graph.Slice(hs, r).Checkpoint()
		parts = append(parts, headLogps(h, w, graph.Slice(tgt, r), tail).StopCheckpoint())
	}
	return graph.Concatenate(parts, 0)
}

// headLogps is one chunk: hs [n, H], w [H, V], tgt [n, 1] -> [n].
func headLogps(hs, w, tgt *graph.Node, tail func(*graph.Node) *graph.Node) *graph.Node {
	logits := tail(graph.DotGeneral(hs, []int{1}, nil, w, []int{0}, nil)) // [n, V]
	n := hs.Shape().Dim(0)
	rows := graph.Iota(hs.Graph(), shapes.Make(tgt.DType(), n, 1), 0)
	target := graph.Gather(logits, graph.Concatenate([]*graph.Node{rows, tgt}, -1))
	return logSoftmaxAt(logits, target)
}

// logSoftmaxAt is target − logsumexp(logits) over the last axis: logits
// [n, V], target [n] (the chosen entries of the same logits).
//
// The exponentials are summed in float64: a float32 sum over a large
// vocabulary loses the terms below half a unit in the last place of the
// running sum and biases every log-prob upwards (2e-5 nats per token at
// 262k tokens), as in models' log-prob graph.
func logSoftmaxAt(logits, target *graph.Node) *graph.Node {
	mx := graph.StopGradient(graph.ReduceAndKeep(logits, graph.ReduceMax, -1))
	sum := graph.ReduceSum(graph.ConvertDType(graph.Exp(graph.Sub(logits, mx)), dtypes.Float64), -1)
	lse := graph.Add(graph.ConvertDType(graph.Log(sum), logits.DType()), graph.Squeeze(mx, -1))
	return graph.Sub(target, lse)
}

// HeadAtResponses reports whether the LM head runs only at the positions
// that predict response tokens (its logits a final MatMul); otherwise the
// graph's logits of every position are computed, rows × positions ×
// vocabulary values.
func (m *Model) HeadAtResponses() bool { return m.head != nil }
