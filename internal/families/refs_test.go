package families_test

import (
	"path/filepath"
	"testing"

	"github.com/dpokit/dpokit/models"
)

// familyRefs is one references/<family>.json of make_families.py.
type familyRefs struct {
	Family     string         `json:"family"`
	Config     map[string]any `json:"config"`
	Parameters int64          `json:"parameters"` // elements of the model's weights
	ScoreCases []struct {
		Name     string    `json:"name"`
		Prompt   []int     `json:"prompt_ids"`
		Response []int     `json:"response_ids"`
		Ref      []float64 `json:"ref"`
		Policy   []float64 `json:"policy"`
	} `json:"score_cases"`
	Greedy []greedyRef `json:"greedy"`
	Text   struct {
		EOS   int `json:"eos_id"`
		Pairs []struct {
			ID, Prompt, Chosen, Rejected string
			PromptIDs                    []int   `json:"prompt_ids"`
			ChosenIDs                    []int   `json:"chosen_ids"`
			RejectedIDs                  []int   `json:"rejected_ids"`
			PolicyChosen                 float64 `json:"policy_chosen_logp"`
			PolicyRejected               float64 `json:"policy_rejected_logp"`
			RefChosen                    float64 `json:"ref_chosen_logp"`
			RefRejected                  float64 `json:"ref_rejected_logp"`
		} `json:"pairs"`
		Prompts []struct {
			ID, Prompt string
			greedyRef
		} `json:"prompts"`
	} `json:"text"`
	Train trainRef `json:"train"`
}

type greedyRef struct {
	PromptIDs []int   `json:"prompt_ids"`
	MaxNew    int     `json:"max_new_tokens"`
	Tokens    []int   `json:"tokens"`
	MinMargin float64 `json:"min_margin"`
}

// subject is one model directory under test with the references that hold
// for it: a family's ref or policy, or a variant (the policy's weights in
// another layout).
type subject struct {
	dir    string // directory name under genDir
	family string
	policy bool // policy weights (else ref)
	layout string
	refs   *familyRefs
}

func (s subject) path() string { return filepath.Join(genDir, s.dir) }

// logps returns the case's PyTorch token log-probs for the subject's weights.
func (s subject) logps(i int) []float64 {
	if s.policy {
		return s.refs.ScoreCases[i].Policy
	}
	return s.refs.ScoreCases[i].Ref
}

func (s subject) hasPositions() bool { return s.layout != "nopos" }

var refCache = map[string]*familyRefs{}

func loadRefs(t *testing.T, family string) *familyRefs {
	t.Helper()
	if r, ok := refCache[family]; ok {
		return r
	}
	r := &familyRefs{}
	if err := readJSON(filepath.Join(genDir, "references", family+".json"), r); err != nil {
		t.Fatal(err)
	}
	refCache[family] = r
	return r
}

// subjects lists the directories: with all, every family's ref and policy
// and every variant; otherwise the policies and variants.
func subjects(t *testing.T, all bool) []subject {
	t.Helper()
	var out []subject
	for _, f := range man.Families {
		r := loadRefs(t, f.Name)
		if all {
			out = append(out, subject{dir: f.Ref, family: f.Name, layout: "plain", refs: r})
		}
		out = append(out, subject{dir: f.Policy, family: f.Name, policy: true, layout: "plain", refs: r})
	}
	for _, v := range man.Variants {
		out = append(out, subject{dir: v.Name, family: v.Family, policy: true, layout: v.Layout, refs: loadRefs(t, v.Family)})
	}
	if len(man.Families) != 9 || len(man.Variants) != 3 {
		t.Fatalf("manifest lists %d families and %d variants, want 9 and 3", len(man.Families), len(man.Variants))
	}
	return out
}

func openModel(t *testing.T, dir string) *models.Model {
	t.Helper()
	d, err := models.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Load(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
