package score

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dpokit/dpokit/logprob"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/tokenize"
)

var testRuntime *models.Runtime

func TestMain(m *testing.M) {
	rt, err := models.NewRuntime(models.RuntimeOptions{Library: os.Getenv("DPOKIT_ORT_LIB")})
	if err != nil {
		fmt.Fprintf(os.Stderr, "score tests need ONNX Runtime: %v\nrun `make ort` (or set DPOKIT_ORT_LIB)\n", err)
		os.Exit(1)
	}
	testRuntime = rt
	code := m.Run()
	rt.Close()
	os.Exit(code)
}

const modelsDir = "../testdata/models"

type refCase struct {
	Model    string  `json:"model"`
	Name     string  `json:"name"`
	Prompt   []int   `json:"prompt_ids"`
	Response []int   `json:"response_ids"`
	Logp     float64 `json:"response_logp"`
}

// refLogps maps model -> case name -> PyTorch response log-prob.
func refCases(t *testing.T) (map[string]map[string]float64, map[string][]refCase) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(modelsDir, "reference_logps.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []refCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	lp := map[string]map[string]float64{}
	cases := map[string][]refCase{}
	for _, c := range f.Cases {
		if lp[c.Model] == nil {
			lp[c.Model] = map[string]float64{}
		}
		lp[c.Model][c.Name] = c.Logp
		cases[c.Model] = append(cases[c.Model], c)
	}
	return lp, cases
}

func load(t *testing.T, name string) *models.Model {
	t.Helper()
	d, err := models.OpenDir(filepath.Join(modelsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := testRuntime.Load(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestRunMatchesPyTorch scores pairs built from the PyTorch reference cases
// (chosen = the case's response, rejected = the case's response cut to its
// first token, whose log-prob PyTorch also gives) and checks the policy and
// reference log-probs and the rewards against values computed here from
// PyTorch's numbers and the DPO formula, with and without prefix sharing and
// with a batch budget small enough to split the batch.
func TestRunMatchesPyTorch(t *testing.T) {
	lp, cases := refCases(t)
	type tokCase struct{ TokenLogps []float64 }
	tokens := map[string][]float64{}
	{
		b, _ := os.ReadFile(filepath.Join(modelsDir, "reference_logps.json"))
		var f struct {
			Cases []struct {
				Model, Name string
				TokenLogps  []float64 `json:"token_logps"`
			}
		}
		json.Unmarshal(b, &f)
		for _, c := range f.Cases {
			tokens[c.Model+"/"+c.Name] = c.TokenLogps
		}
	}
	for _, fam := range []string{"gpt2", "llama"} {
		policy, ref := load(t, fam+"-policy"), load(t, fam+"-ref")
		var pairs []tokenize.Encoded
		for i, c := range cases[fam+"-ref"] {
			pairs = append(pairs, tokenize.Encoded{Index: i, ID: c.Name, Prompt: c.Prompt, Chosen: c.Response, Rejected: c.Response[:1]})
		}
		for _, sharing := range []bool{true, false} {
			for _, budget := range []int{64, 100000} {
				t.Run(fmt.Sprintf("%s/sharing=%v/budget=%d", fam, sharing, budget), func(t *testing.T) {
					w := Rewarding{Beta: 0.25}
					got := map[string]results.Result{}
					opts := Options{Rewarding: w, BatchTokens: budget, NoPrefixSharing: !sharing}
					err := Run(context.Background(), policy, ref, logprob.Plan(pairs, budget, sharing), sharing, opts,
						func(b []Indexed) error {
							for _, r := range b {
								if pairs[r.Index].ID != r.ID {
									t.Fatalf("index %d carries id %s, want %s", r.Index, r.ID, pairs[r.Index].ID)
								}
								got[r.ID] = r.Result
							}
							return nil
						})
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(pairs) {
						t.Fatalf("%d results for %d pairs", len(got), len(pairs))
					}
					for _, p := range pairs {
						r := got[p.ID]
						pc, rc := lp[fam+"-policy"][p.ID], lp[fam+"-ref"][p.ID]
						pr, rr := tokens[fam+"-policy/"+p.ID][0], tokens[fam+"-ref/"+p.ID][0]
						for _, v := range [][2]float64{{r.PolicyChosenLogp, pc}, {r.RefChosenLogp, rc}, {r.PolicyRejectedLogp, pr}, {r.RefRejectedLogp, rr}} {
							if math.Abs(v[0]-v[1]) > 1e-4 {
								t.Errorf("%s: logp %.6f, PyTorch %.6f", p.ID, v[0], v[1])
							}
						}
						cr, rj := 0.25*(pc-rc), 0.25*(pr-rr)
						if math.Abs(r.ChosenReward-cr) > 1e-4 || math.Abs(r.RejectedReward-rj) > 1e-4 || r.Correct != (r.ChosenReward > r.RejectedReward) {
							t.Errorf("%s: rewards %g %g, want %g %g", p.ID, r.ChosenReward, r.RejectedReward, cr, rj)
						}
						if r.ChosenTokens != len(p.Chosen) || r.RejectedTokens != 1 {
							t.Errorf("%s: token counts %d %d", p.ID, r.ChosenTokens, r.RejectedTokens)
						}
					}
				})
			}
		}
	}
}
