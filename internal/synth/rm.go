package synth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// TokenWeights gives, per token id of the task's vocabulary, its sentiment
// (+1, -1, 0) and whether it starts a word (a token beginning with "Ġ").
func TokenWeights() (sentiment, starts []float32) {
	vocab, _, eos := Vocab()
	sentiment = make([]float32, eos+1)
	starts = make([]float32, eos+1)
	for tok, id := range vocab {
		if w, ok := strings.CutPrefix(tok, "Ġ"); ok {
			starts[id] = 1
			sentiment[id] = float32(Sentiment(w))
		}
	}
	return sentiment, starts
}

// RewardOfTokens is the true reward on token strings: the sentiment of the
// word-starting tokens over their count. On the canonical tokenization of a
// text made of task words it equals Reward(text); it is what the ONNX
// reward model computes.
func RewardOfTokens(tokens []string) float64 {
	s, n := 0, 0
	for _, t := range tokens {
		if w, ok := strings.CutPrefix(t, "Ġ"); ok {
			n++
			s += Sentiment(w)
		}
	}
	if n == 0 {
		return 0
	}
	return float64(s) / float64(n)
}

// WriteRewardModel writes an ONNX sequence-classification model computing
// RewardOfTokens of each (right-padded) sequence: inputs input_ids and
// attention_mask [batch, seq], output logits [batch, 1]; with config.json
// and the task's tokenizer files, so `rm:DIR` judges and ranks with it.
func WriteRewardModel(dir string) error {
	sentiment, starts := TokenWeights()
	V := len(sentiment)
	g := onnxproto.NewBuilder("synthetic_true_reward")
	g.Input("input_ids", onnxproto.Int64, "batch_size", "sequence_length")
	g.Input("attention_mask", onnxproto.Int64, "batch_size", "sequence_length")
	g.Output("logits", onnxproto.Float, "batch_size", 1)
	g.Floats("sentiment", []int{V}, sentiment)
	g.Floats("starts", []int{V}, starts)
	g.Int64s("axes", []int{1}, []int64{1})
	g.Floats("one", nil, []float32{1})
	g.Node("Cast", []string{"attention_mask"}, []string{"mask"}, onnxproto.IntAttr("to", onnxproto.Float))
	g.Node("Gather", []string{"sentiment", "input_ids"}, []string{"tok_sent"})
	g.Node("Gather", []string{"starts", "input_ids"}, []string{"tok_start"})
	g.Node("Mul", []string{"tok_sent", "mask"}, []string{"sent_m"})
	g.Node("Mul", []string{"tok_start", "mask"}, []string{"start_m"})
	g.Node("ReduceSum", []string{"sent_m", "axes"}, []string{"sent_sum"}, onnxproto.IntAttr("keepdims", 1))
	g.Node("ReduceSum", []string{"start_m", "axes"}, []string{"words"}, onnxproto.IntAttr("keepdims", 1))
	g.Node("Max", []string{"words", "one"}, []string{"words1"})
	g.Node("Div", []string{"sent_sum", "words1"}, []string{"logits"})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), g.Model(13), 0o644); err != nil {
		return err
	}
	if _, _, err := WriteTokenizer(dir); err != nil {
		return err
	}
	cfg, _ := json.MarshalIndent(map[string]any{
		"architectures": []string{"SyntheticTrueReward"}, "model_type": "synthetic-true-reward",
		"vocab_size": V, "num_labels": 1,
	}, "", " ")
	return os.WriteFile(filepath.Join(dir, "config.json"), append(cfg, '\n'), 0o644)
}
