package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/tokenize"
)

const rewardBench2 = "../../testdata/data/published/reward-bench-2"

// pytorchTokenLogps returns PyTorch's per-token log-probs of each
// completion under the model (testdata/rewardbench/logps_reference.py).
func pytorchTokenLogps(t *testing.T, model string, seqs []tokenize.Encoded) [][]float64 {
	t.Helper()
	type seq struct {
		Prompt   []int `json:"prompt_ids"`
		Response []int `json:"response_ids"`
	}
	req := struct {
		Model string `json:"model"`
		Seqs  []seq  `json:"seqs"`
	}{Model: model}
	for _, e := range seqs {
		req.Seqs = append(req.Seqs, seq{e.Prompt, e.Chosen})
	}
	in, _ := json.Marshal(req)
	cmd := exec.Command("/usr/bin/python3", "../../testdata/rewardbench/logps_reference.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("PyTorch reference (needs Debian's python3-torch and python3-onnx; make deps installs them): %v\n%s", err, stderr.String())
	}
	var res struct {
		TokenLogps [][]float64 `json:"token_logps"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.TokenLogps) != len(seqs) {
		t.Fatalf("PyTorch reference: %v, %d results for %d sequences", err, len(res.TokenLogps), len(seqs))
	}
	return res.TokenLogps
}

// encodeCompletions encodes every completion of the rows as a response to
// its row's prompt in the model's chat template, the pair encoding that
// tokenize checks against Hugging Face.
func encodeCompletions(t *testing.T, rows []dataset.Ranking) []tokenize.Encoded {
	t.Helper()
	tok, err := tokenize.Load(llamaPolicy)
	if err != nil {
		t.Fatal(err)
	}
	var out []tokenize.Encoded
	for _, r := range rows {
		for _, c := range slices.Concat(r.Chosen, r.Rejected) {
			answer := []dataset.Message{{Role: "assistant", Content: c}}
			e, err := tokenize.PairOptions{}.Encode(tok, dataset.Pair{PromptMessages: []dataset.Message{{Role: "user", Content: r.Prompt}},
				ChosenMessages: answer, RejectedMessages: answer}, 0)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
	}
	return out
}

// tolerance bounds |dpokit − PyTorch| for a summed log-prob of n tokens:
// per token, twice the largest logit difference ONNX Runtime showed against
// PyTorch on these models (1.03e-5, testdata/models/README.md) for the
// token's logit and the log-softmax normaliser, doubled again for margin.
func tolerance(n int) float64 { return 4 * 1.03e-5 * float64(n) }

// TestScoreRewardBench2 scores RewardBench 2 rows (detected; Parquet with
// --format rewardbench2) and checks every completion's log-probs against
// PyTorch, the rewards against the DPO formula and RewardBench v1's
// reference-free norms computed from PyTorch's per-token log-probs, the
// summary against rewardbench over the written rewards, and a sharded run
// merged against one run.
func TestScoreRewardBench2(t *testing.T) {
	dir := t.TempDir()
	rows, _, err := dataset.ReadRankings(rewardBench2+".jsonl", dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	enc := encodeCompletions(t, rows)
	policyTok, refTok := pytorchTokenLogps(t, llamaPolicy, enc), pytorchTokenLogps(t, llamaRef, enc)
	sum := func(x []float64) (s float64) {
		for _, v := range x {
			s += v
		}
		return s
	}

	variants := []struct {
		name   string
		args   []string
		reward func(k int) float64
	}{
		{"implicit", []string{"--ref", llamaRef}, func(k int) float64 { return 0.5 * (sum(policyTok[k]) - sum(refTok[k])) }},
		{"ref-free sum", []string{"--ref-free"}, func(k int) float64 { return 0.5 * sum(policyTok[k]) }},
		{"ref-free avg", []string{"--ref-free", "--ref-free-norm", "avg"}, func(k int) float64 { return 0.5 * sum(policyTok[k]) / float64(len(policyTok[k])) }},
		{"ref-free norm", []string{"--ref-free", "--ref-free-norm", "norm"}, func(k int) float64 {
			return -0.5 * math.Sqrt(sum(slices.Collect(func(yield func(float64) bool) {
				for _, v := range policyTok[k] {
					yield(v * v)
				}
			})))
		}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(v.name, " ", "-")+".jsonl")
			args := append([]string{"score", "--policy", llamaPolicy, "--data", rewardBench2 + ".jsonl", "--beta", "0.5", "--out", out, "--summary", out + ".json"}, v.args...)
			if code, _, stderr := run(args...); code != 0 {
				t.Fatal(stderr)
			}
			got, err := results.ReadRanked(out)
			if err != nil || len(got) != len(rows) {
				t.Fatalf("%d rows: %v", len(got), err)
			}
			k := 0
			for i, r := range got {
				if r.ID != rows[i].ID || r.Subset != rows[i].Subset || r.NumCorrect != len(rows[i].Chosen) || len(r.Rewards) != len(rows[i].Chosen)+len(rows[i].Rejected) {
					t.Fatalf("row %d: %+v", i, r)
				}
				for c := range r.Rewards {
					n := len(policyTok[k])
					if r.Tokens[c] != n || math.Abs(r.PolicyLogps[c]-sum(policyTok[k])) > tolerance(n) ||
						(v.name == "implicit" && math.Abs(r.RefLogps[c]-sum(refTok[k])) > tolerance(n)) ||
						math.Abs(r.Rewards[c]-v.reward(k)) > 0.5*2*tolerance(n) {
						t.Errorf("row %s completion %d: tokens %d logps %.6f %.6f reward %.6f; PyTorch: %d tokens, logps %.6f %.6f, reward %.6f",
							r.ID, c, r.Tokens[c], r.PolicyLogps[c], r.RefLogps[c], r.Rewards[c], n, sum(policyTok[k]), sum(refTok[k]), v.reward(k))
					}
					k++
				}
			}
			checkRankingSummary(t, out+".json", got)
		})
	}
	checkRewardBenchShards(t, dir)
}

// checkRankingSummary holds the summary to rewardbench's scores over the
// rewards written per row.
func checkRankingSummary(t *testing.T, path string, rows []results.Ranked) {
	t.Helper()
	b, _ := os.ReadFile(path)
	var s results.RankingSummary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	want, err := results.Evaluate(rows)
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "rewardbench2" || s.Rows != 7 || s.Scored != 7 || s.Completions != 33 || !s.ChatTemplate || s.EmptyResponses != 1 ||
		fmt.Sprint(s.Report) != fmt.Sprint(want) || len(s.Subsets) != 6 || !s.Complete {
		t.Errorf("summary %s\nwant report %+v", b, want)
	}
}

// checkRewardBenchShards scores the Parquet copy in two shards, merges
// them and compares with one run on the JSON Lines file.
func checkRewardBenchShards(t *testing.T, dir string) {
	t.Helper()
	out := filepath.Join(dir, "sharded", "rb.jsonl")
	os.MkdirAll(filepath.Dir(out), 0o755)
	for i := range 2 {
		if code, _, stderr := run("score", "--policy", llamaPolicy, "--ref", llamaRef, "--data", rewardBench2+".parquet", "--format", "rewardbench2",
			"--beta", "0.5", "--out", out, "--shard", fmt.Sprintf("%d/2", i)); code != 0 {
			t.Fatal(stderr)
		}
	}
	if code, stdout, stderr := run("score", "merge", "--out", out, "--summary", out+".json"); code != 0 || !strings.Contains(stdout, "mean of domains") {
		t.Fatalf("merge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "implicit.jsonl"))
	b, _ := os.ReadFile(out)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("merged shards of the Parquet file differ from one run on the JSON Lines file:\n%s\n%s", a, b)
	}
	got, _ := results.ReadRanked(out)
	checkRankingSummary(t, out+".json", got)
}
