package tokenize

import (
	"slices"
	"testing"
)

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// TRL's truncation, worked by hand: when prompt + longer response exceeds
// max_length, the prompt keeps its LAST max_prompt_length tokens, then the
// responses keep their FIRST max_length − len(prompt) tokens.
func TestTruncateKeepsPromptEnd(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		opts                       PairOptions
		prompt, chosen, rejected   []int
		wantP, wantC, wantR        []int
		truncated, truncatedToSame bool
	}{
		{"fits", PairOptions{MaxLength: 20, MaxPromptLength: 10}, seq(1, 5), seq(101, 105), seq(201, 203),
			seq(1, 5), seq(101, 105), seq(201, 203), false, false},
		// Prompt 10 > 4: keep 7..10; room 8−4 = 4 for each response.
		{"prompt end, then responses", PairOptions{MaxLength: 8, MaxPromptLength: 4}, seq(1, 10), seq(101, 106), seq(201, 203),
			seq(7, 10), seq(101, 104), seq(201, 203), true, false},
		// No prompt limit: a prompt of 10 ≥ 6 keeps its last 5, one token of room.
		{"max length alone", PairOptions{MaxLength: 6}, seq(1, 10), seq(101, 103), seq(201, 202),
			seq(6, 10), seq(101, 101), seq(201, 201), true, false},
		// The prompt limit applies even when everything fits max_length.
		{"prompt limit alone", PairOptions{MaxPromptLength: 3}, seq(1, 6), seq(101, 102), seq(201, 202),
			seq(4, 6), seq(101, 102), seq(201, 202), true, false},
		// Responses that differ only after the room are left equal: no preference.
		{"cut to equal", PairOptions{MaxLength: 6, MaxPromptLength: 4}, seq(1, 4), []int{9, 9, 1}, []int{9, 9, 2},
			seq(1, 4), []int{9, 9}, []int{9, 9}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Encoded{Prompt: tc.prompt, Chosen: tc.chosen, Rejected: tc.rejected}
			tc.opts.truncate(&e)
			if !slices.Equal(e.Prompt, tc.wantP) || !slices.Equal(e.Chosen, tc.wantC) || !slices.Equal(e.Rejected, tc.wantR) {
				t.Fatalf("got prompt %v chosen %v rejected %v; want %v %v %v", e.Prompt, e.Chosen, e.Rejected, tc.wantP, tc.wantC, tc.wantR)
			}
			if e.Truncated != tc.truncated || e.TruncatedToEqual() != tc.truncatedToSame {
				t.Errorf("truncated %v, to equal %v", e.Truncated, e.TruncatedToEqual())
			}
		})
	}
}
