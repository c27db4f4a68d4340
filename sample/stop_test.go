package sample

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// angleDecoder writes token id 7 as "<7>"; ids >= 32000 are special and
// skipped when asked.
type angleDecoder struct{}

func (angleDecoder) Decode(ids []int, skipSpecial bool) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		if skipSpecial && id >= 32000 {
			continue
		}
		fmt.Fprintf(&b, "<%d>", id)
	}
	return b.String(), nil
}

func angle(ids ...int) string { s, _ := angleDecoder{}.Decode(ids, false); return s }

// TestFinish ends llama-ref's greedy continuation (with repetition penalty,
// whose first tokens are all different) in each of the documented ways.
func TestFinish(t *testing.T) {
	var ref greedyRef
	for _, c := range loadGreedyRefs(t)["llama-ref"] {
		if c.Name == "llama-ref-greedy4-penalty" {
			ref = c
		}
	}
	g := ref.Greedy
	if len(g) == 0 || len(slices.Compact(slices.Clone(g[:6]))) != 6 {
		t.Fatalf("reference case missing or with repeated first tokens: %v", g)
	}
	m := openModel(t, "llama-ref")
	base := Options{MaxNewTokens: 12, RepetitionPenalty: ref.Penalty}
	cases := []struct {
		name   string
		edit   func(*Options)
		ids    []int
		reason string
		text   string
	}{
		{"eos", func(o *Options) { o.EOS = []int{g[3]} }, g[:4], FinishEOS, angle(g[:3]...)},
		{"stop token", func(o *Options) { o.StopTokens = []int{99999, g[2]} }, g[:3], FinishStop, angle(g[:2]...)},
		{"stop string across tokens", func(o *Options) { o.StopStrings = []string{fmt.Sprintf("%d><%d", g[2], g[3])} },
			g[:4], FinishStop, angle(g[:2]...) + "<"},
		{"earliest stop string", func(o *Options) { o.StopStrings = []string{angle(g[2]), angle(g[1], g[2])} },
			g[:3], FinishStop, angle(g[0])},
		{"length", func(o *Options) { o.MaxNewTokens = 5 }, g[:5], FinishLength, angle(g[:5]...)},
		{"stop string before min ignored", func(o *Options) { o.StopStrings = []string{angle(g[1])}; o.MinNewTokens = 3 },
			g[:12], FinishLength, angle(g[:12]...)},
		{"stop string at min", func(o *Options) { o.StopStrings = []string{angle(g[2])}; o.MinNewTokens = 3 },
			g[:3], FinishStop, angle(g[:2]...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := base
			c.edit(&o)
			out, err := Generate(context.Background(), m, angleDecoder{}, [][]int{ref.Prompt}, o)
			if err != nil {
				t.Fatal(err)
			}
			got := out[0][0]
			if !slices.Equal(got.TokenIDs, c.ids) || got.FinishReason != c.reason || got.Text != c.text {
				t.Fatalf("got %v %q %q\nwant %v %q %q", got.TokenIDs, got.FinishReason, got.Text, c.ids, c.reason, c.text)
			}
		})
	}
	t.Run("min new tokens masks eos", func(t *testing.T) {
		o := base
		o.EOS, o.MinNewTokens = []int{g[3]}, 5
		out, err := Generate(context.Background(), m, nil, [][]int{ref.Prompt}, o)
		if err != nil {
			t.Fatal(err)
		}
		got := out[0][0]
		if !slices.Equal(got.TokenIDs[:3], g[:3]) || got.TokenIDs[3] == g[3] || len(got.TokenIDs) < 5 {
			t.Fatalf("got %v (%s); want %v then not %d, at least 5 tokens", got.TokenIDs, got.FinishReason, g[:3], g[3])
		}
	})
}

// TestContextLimit: gpt2's 1024 positions end a completion with "length";
// the 1020-token prompt also takes the chunked prefill path.
func TestContextLimit(t *testing.T) {
	m := openModel(t, "gpt2-ref")
	prompt := make([]int, 1020)
	for i := range prompt {
		prompt[i] = (i * 7919) % 50000
	}
	out, err := Generate(context.Background(), m, nil, [][]int{prompt, {1, 2}}, Options{MaxNewTokens: 10})
	if err != nil {
		t.Fatal(err)
	}
	if c := out[0][0]; len(c.TokenIDs) != 4 || c.FinishReason != FinishLength {
		t.Fatalf("long prompt: %d tokens (%s), want 4 (length)", len(c.TokenIDs), c.FinishReason)
	}
	if c := out[1][0]; len(c.TokenIDs) != 10 {
		t.Fatalf("short prompt: %d tokens, want 10", len(c.TokenIDs))
	}
	if _, err := Generate(context.Background(), m, nil, [][]int{make([]int, 1024)}, Options{MaxNewTokens: 1}); err == nil {
		t.Fatal("prompt filling the context: no error")
	}
}

func TestGenerateErrors(t *testing.T) {
	m := openModel(t, "llama-ref")
	ok := Options{MaxNewTokens: 2}
	if _, err := Generate(context.Background(), m, nil, [][]int{{}}, ok); err == nil {
		t.Error("empty prompt: no error")
	}
	if _, err := Generate(context.Background(), m, nil, [][]int{{1}}, Options{MaxNewTokens: 2, StopStrings: []string{"x"}}); err == nil {
		t.Error("stop strings without a decoder: no error")
	}
	if _, err := Generate(context.Background(), m, nil, [][]int{{1}}, Options{}); err == nil {
		t.Error("invalid options: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, m, nil, [][]int{{1}}, ok); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}
