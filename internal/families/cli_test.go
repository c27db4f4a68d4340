package families_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildErr  error
)

// dpokit runs the dpokit binary (built once per test process from this
// checkout) and returns its stdout and stderr; a non-zero exit fails t.
func dpokit(t *testing.T, args ...string) (string, string) {
	t.Helper()
	bin := filepath.Join(binDir, "dpokit")
	buildOnce.Do(func() {
		out, err := exec.Command("go", "build", "-o", bin, "github.com/dpokit/dpokit/cmd/dpokit").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build dpokit: %v", buildErr)
	}
	cmd := exec.Command(bin, args...)
	lib, _ := filepath.Abs(filepath.Join(root, "third_party/onnxruntime/libonnxruntime.so.1"))
	if env := os.Getenv("DPOKIT_ORT_LIB"); env != "" {
		lib = env
	}
	cmd.Env = append(os.Environ(), "DPOKIT_ORT_LIB="+lib)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dpokit %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// TestScoreText runs `dpokit score` on preference pairs given as text:
// dpokit's tokenizer, TRL's prompt/response convention (the prompt with
// special tokens, each response without, EOS appended) and ONNX Runtime
// must give the token counts of Hugging Face's Rust tokenizers and
// PyTorch's log-probs on those ids, for policy and ref.
func TestScoreText(t *testing.T) {
	for _, s := range subjects(t, false) {
		t.Run(s.dir, func(t *testing.T) {
			tmp := t.TempDir()
			data := filepath.Join(tmp, "pairs.jsonl")
			var lines []string
			for _, p := range s.refs.Text.Pairs {
				b, _ := json.Marshal(map[string]string{"id": p.ID, "prompt": p.Prompt, "chosen": p.Chosen, "rejected": p.Rejected})
				lines = append(lines, string(b))
			}
			writeFile(t, data, strings.Join(lines, "\n")+"\n")
			out := filepath.Join(tmp, "scores.jsonl")
			ref := filepath.Join(genDir, s.family+"-ref")
			dpokit(t, "score", "--policy", s.path(), "--ref", ref, "--data", data, "--out", out, "--json")
			got := readJSONL[scoreLine](t, out)
			if len(got) != len(s.refs.Text.Pairs) {
				t.Fatalf("%d scored pairs, want %d", len(got), len(s.refs.Text.Pairs))
			}
			var worst float64
			for i, p := range s.refs.Text.Pairs {
				g := got[i]
				if g.ID != p.ID || g.ChosenTokens != len(p.ChosenIDs) || g.RejectedTokens != len(p.RejectedIDs) {
					t.Errorf("pair %s: dpokit id %s with %d/%d response tokens, Rust tokenizers %d/%d", p.ID, g.ID,
						g.ChosenTokens, g.RejectedTokens, len(p.ChosenIDs), len(p.RejectedIDs))
				}
				for _, c := range []struct {
					name      string
					got, want float64
				}{{"policy chosen", g.PolicyChosen, p.PolicyChosen}, {"policy rejected", g.PolicyRejected, p.PolicyRejected},
					{"ref chosen", g.RefChosen, p.RefChosen}, {"ref rejected", g.RefRejected, p.RefRejected}} {
					worst = max(worst, math.Abs(c.got-c.want))
					if math.Abs(c.got-c.want) > seqTol {
						t.Errorf("pair %s %s logp: dpokit %.6f, PyTorch %.6f", p.ID, c.name, c.got, c.want)
					}
				}
			}
			t.Logf("largest response log-prob difference from PyTorch: %.2e", worst)
		})
	}
}

// TestSampleText runs `dpokit sample --temperature 0` on text prompts: the
// token ids must be PyTorch's greedy continuation of the Rust tokenizers'
// prompt ids, as far as every step's choice is clear (margin >= 1e-3).
func TestSampleText(t *testing.T) {
	for _, s := range subjects(t, false) {
		t.Run(s.dir, func(t *testing.T) {
			tmp := t.TempDir()
			prompts, maxNew := writePrompts(t, s, tmp)
			out := filepath.Join(tmp, "samples.jsonl")
			dpokit(t, "sample", "--model", s.path(), "--prompts", prompts, "--out", out, "--temperature", "0",
				"--n", "1", "--max-new-tokens", strconv.Itoa(maxNew))
			got := readJSONL[sampleLine](t, out)
			if len(got) != len(s.refs.Text.Prompts) {
				t.Fatalf("%d sampled prompts, want %d", len(got), len(s.refs.Text.Prompts))
			}
			for i, p := range s.refs.Text.Prompts {
				ids := got[i].Completions[0].TokenIDs
				if got[i].ID != p.ID || len(ids) < len(p.Tokens) || !slices.Equal(ids[:len(p.Tokens)], p.Tokens) {
					t.Errorf("prompt %s: dpokit %v, PyTorch %v (on prompt ids %v)", p.ID, ids, p.Tokens, p.PromptIDs)
				}
			}
		})
	}
}

// TestBestofnText runs `dpokit bestofn --rank logprob` at temperature 0
// on text prompts: the kept completion starts with PyTorch's greedy
// continuation (as in TestSampleText), and its score — the completion's
// log-prob recomputed by the batched scoring engine on the whole sequence —
// equals the log-prob the KV-cache decoder summed while drawing it. Each is
// within 2e-5 per token of PyTorch (TestLogProbs' bound), so they agree
// within 4e-5 per generated token.
func TestBestofnText(t *testing.T) {
	for _, s := range subjects(t, false) {
		t.Run(s.dir, func(t *testing.T) {
			tmp := t.TempDir()
			prompts, maxNew := writePrompts(t, s, tmp)
			out := filepath.Join(tmp, "best.jsonl")
			dpokit(t, "bestofn", "--model", s.path(), "--prompts", prompts, "--out", out, "--temperature", "0",
				"--n", "2", "--rank", "logprob", "--max-new-tokens", strconv.Itoa(maxNew))
			got := readJSONL[bestLine](t, out)
			if len(got) != len(s.refs.Text.Prompts) {
				t.Fatalf("%d prompts ranked, want %d", len(got), len(s.refs.Text.Prompts))
			}
			for i, p := range s.refs.Text.Prompts {
				if got[i].Best < 0 || got[i].Best >= len(got[i].Completions) {
					t.Fatalf("prompt %s: best %d of %d completions", p.ID, got[i].Best, len(got[i].Completions))
				}
				c := got[i].Completions[got[i].Best]
				if got[i].ID != p.ID || len(c.TokenIDs) < len(p.Tokens) || !slices.Equal(c.TokenIDs[:len(p.Tokens)], p.Tokens) {
					t.Errorf("prompt %s: dpokit %v, PyTorch %v", p.ID, c.TokenIDs, p.Tokens)
				}
				if d, bound := math.Abs(c.Score-c.Logp), 4e-5*float64(len(c.TokenIDs)); !(d <= bound) {
					t.Errorf("prompt %s: scored log-prob %.7f, decoded %.7f: differ by %.2g > %.2g", p.ID, c.Score, c.Logp, d, bound)
				}
			}
		})
	}
}

// writePrompts writes the subject's text prompts as a prompts file in dir
// and returns it with the most tokens any prompt's reference continues.
func writePrompts(t *testing.T, s subject, dir string) (string, int) {
	t.Helper()
	prompts := filepath.Join(dir, "prompts.jsonl")
	var lines []string
	maxNew := 0
	for _, p := range s.refs.Text.Prompts {
		b, _ := json.Marshal(map[string]string{"id": p.ID, "prompt": p.Prompt})
		lines = append(lines, string(b))
		maxNew = max(maxNew, p.MaxNew)
	}
	writeFile(t, prompts, strings.Join(lines, "\n")+"\n")
	return prompts, maxNew
}

// scoreLine, sampleLine and bestLine are the fields of dpokit's output lines that
// the tests compare.
type scoreLine struct {
	ID             string  `json:"id"`
	PolicyChosen   float64 `json:"policy_chosen_logp"`
	PolicyRejected float64 `json:"policy_rejected_logp"`
	RefChosen      float64 `json:"ref_chosen_logp"`
	RefRejected    float64 `json:"ref_rejected_logp"`
	ChosenTokens   int     `json:"chosen_tokens"`
	RejectedTokens int     `json:"rejected_tokens"`
}

type sampleLine struct {
	ID          string `json:"id"`
	Completions []struct {
		TokenIDs []int `json:"token_ids"`
	} `json:"completions"`
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	var out []T
	for _, l := range strings.Split(strings.TrimSpace(readFile(t, path)), "\n") {
		var v T
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("%s: line %q: %v", path, l, err)
		}
		out = append(out, v)
	}
	return out
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type bestLine struct {
	ID          string `json:"id"`
	Best        int    `json:"best"`
	Completions []struct {
		TokenIDs []int   `json:"token_ids"`
		Logp     float64 `json:"logp"`
		Score    float64 `json:"score"`
	} `json:"completions"`
}
