package train

import (
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
	return chunkedHead(hs, w, tgt, rows, false, tail).lp
}

// HeadAtResponses reports whether the LM head runs only at the positions
// that predict response tokens (its logits a final MatMul); otherwise the
// graph's logits of every position are computed, rows × positions ×
// vocabulary values.
func (m *Model) HeadAtResponses() bool { return m.head != nil }
