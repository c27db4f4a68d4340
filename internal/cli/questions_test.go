package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/harness"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/sample"
	"github.com/dpokit/dpokit/tokenize"
)

const harnessDir = "../../testdata/harness"

// renderChat renders conversations with `dpokit tokenize --chat` (checked
// against @huggingface/jinja in tokenize's tests), each with the
// generation prompt.
func renderChat(t *testing.T, model string, convs [][]map[string]string) []string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "chat.jsonl")
	var lines []string
	for _, c := range convs {
		b, _ := json.Marshal(map[string]any{"messages": c, "add_generation_prompt": true})
		lines = append(lines, string(b))
	}
	os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	code, stdout, stderr := run("tokenize", "--model", model, "--chat", in)
	if code != 0 {
		t.Fatal(stderr)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r struct{ Text string }
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Text)
	}
	return out
}

// checkShapes holds every record of an answer file to the shape of the
// harness's documented record (the fixture), as harness's tests do.
func checkShapes(t *testing.T, answers, fixture string, n int) {
	t.Helper()
	a, _ := os.ReadFile(answers)
	f, _ := os.ReadFile(filepath.Join(harnessDir, fixture))
	got, err := harness.Shapes(a)
	want, err2 := harness.Shapes(f)
	if err != nil || err2 != nil || len(got) != n {
		t.Fatalf("%s: %d records (want %d): %v %v\n%s", answers, len(got), n, err, err2, a)
	}
	for i, s := range got {
		if s != want[0] {
			t.Errorf("record %d:\n got %s\nwant %s", i, s, want[0])
		}
	}
}

func chosenText(r outRecord) string {
	i := 0
	if r.Best != nil {
		i = *r.Best
	}
	return r.Completions[i].Text
}

// TestSampleQuestions generates answers to the three harnesses' question
// files with a model that has a chat template and checks the answer files:
// each record has the harness's schema and holds the generated text;
// MT-Bench's second turn is generated after the first answer, rendered as
// [user t1, assistant a1, user t2]; bestofn answers with its best
// completion.
func TestSampleQuestions(t *testing.T) {
	dir := t.TempDir()
	gen := func(cmd, questions string, extra ...string) ([]outRecord, []byte) {
		t.Helper()
		out, ans := filepath.Join(dir, cmd+"-"+questions+".jsonl"), filepath.Join(dir, cmd+"-"+questions+".answers")
		args := append([]string{cmd, "--model", llamaPolicy, "--prompts", filepath.Join(harnessDir, questions), "--out", out,
			"--answers-out", ans, "--model-name", "tiny", "--max-new-tokens", "12", "--seed", "2"}, extra...)
		if code, _, stderr := run(args...); code != 0 {
			t.Fatal(stderr)
		}
		b, _ := os.ReadFile(ans)
		return readRecords(t, out), b
	}
	tok, err := tokenize.Load(llamaPolicy)
	if err != nil {
		t.Fatal(err)
	}

	recs, ans := gen("sample", "alpacaeval_questions.json")
	checkShapes(t, filepath.Join(dir, "sample-alpacaeval_questions.json.answers"), "alpacaeval_outputs.json", 2)
	var alpaca []struct{ Instruction, Output, Generator string }
	json.Unmarshal(ans, &alpaca)
	instr := []string{"What are the names of some famous actors that started their careers on Broadway?", "How did US states get their names?"}
	prompts := renderChat(t, llamaPolicy, [][]map[string]string{{{"role": "user", "content": instr[0]}}, {{"role": "user", "content": instr[1]}}})
	for i, a := range alpaca {
		if a.Instruction != instr[i] || a.Output != recs[i].Completions[0].Text || a.Generator != "tiny" || recs[i].Prompt != prompts[i] {
			t.Errorf("AlpacaEval answer %d: %+v, record %+v", i, a, recs[i])
		}
	}

	recs, ans = gen("sample", "arenahard_questions.jsonl")
	checkShapes(t, filepath.Join(dir, "sample-arenahard_questions.jsonl.answers"), "arenahard_answer.jsonl", 2)
	for i, l := range strings.Split(strings.TrimSpace(string(ans)), "\n") {
		var a struct {
			UID, Model string
			Messages   []struct {
				Role    string
				Content json.RawMessage
			}
			Metadata struct {
				TokenLen int `json:"token_len"`
			}
		}
		json.Unmarshal([]byte(l), &a)
		var answer struct{ Answer string }
		json.Unmarshal(a.Messages[1].Content, &answer)
		ids, _ := tok.Encode(answer.Answer, false)
		if a.UID != recs[i].ID || a.Model != "tiny" || answer.Answer != recs[i].Completions[0].Text || a.Metadata.TokenLen != len(ids) {
			t.Errorf("Arena-Hard answer %d: %s\nrecord %+v", i, l, recs[i])
		}
	}

	for _, cmd := range []string{"sample", "bestofn"} {
		var extra []string
		if cmd == "bestofn" {
			extra = []string{"--n", "3", "--rank", "implicit", "--policy", llamaPolicy, "--ref", llamaRef}
		}
		recs, ans = gen(cmd, "mtbench_questions.jsonl", extra...)
		checkShapes(t, filepath.Join(dir, cmd+"-mtbench_questions.jsonl.answers"), "mtbench_answer.jsonl", 2)
		checkMTBench(t, recs, ans)
	}
}

// checkMTBench checks MT-Bench's records and answers: two turns per
// question, the second rendered after the chosen first answer.
func checkMTBench(t *testing.T, recs []outRecord, ans []byte) {
	t.Helper()
	turns := [][2]string{
		{"Compose an engaging travel blog post about a recent trip to Hawaii.", "Rewrite your previous response. Start every sentence with the letter A."},
		{"Draft a professional email seeking your supervisor's feedback.", "Take a moment to evaluate and critique your own response."},
	}
	if len(recs) != 4 || recs[0].ID != "81" || recs[1].ID != "81:turn2" || recs[2].ID != "82" || recs[3].ID != "82:turn2" {
		t.Fatalf("records %d: %v", len(recs), recs)
	}
	var convs [][]map[string]string
	for q, tt := range turns {
		convs = append(convs, []map[string]string{{"role": "user", "content": tt[0]}},
			[]map[string]string{{"role": "user", "content": tt[0]}, {"role": "assistant", "content": chosenText(recs[2*q])}, {"role": "user", "content": tt[1]}})
	}
	prompts := renderChat(t, llamaPolicy, convs)
	for i, r := range recs {
		if r.Prompt != prompts[i] {
			t.Errorf("record %s: prompt\n%q\nwant\n%q", r.ID, r.Prompt, prompts[i])
		}
	}
	for i, l := range strings.Split(strings.TrimSpace(string(ans)), "\n") {
		var a struct {
			QuestionID json.Number `json:"question_id"`
			ModelID    string      `json:"model_id"`
			Choices    []struct{ Turns []string }
		}
		json.Unmarshal([]byte(l), &a)
		if a.QuestionID.String() != recs[2*i].ID || a.ModelID != "tiny" || len(a.Choices) != 1 ||
			len(a.Choices[0].Turns) != 2 || a.Choices[0].Turns[0] != chosenText(recs[2*i]) || a.Choices[0].Turns[1] != chosenText(recs[2*i+1]) {
			t.Errorf("MT-Bench answer %d: %s", i, l)
		}
	}
}

// TestQuestionFlags: --bench, --answers-out and --model-name reach the job;
// bad values and impossible combinations fail naming the flag or the file.
func TestQuestionFlags(t *testing.T) {
	job, err := parseWith(t, sampleCommand(), func(c *cli.Context) (*sample.Job, error) {
		j, _, err := sampleOptions(c)
		return j, err
	}, "--model", "dir/my-model/", "--prompts", "P", "--out", "O", "--bench", "mtbench", "--answers-out", "A", "--shard", "1/2")
	if err != nil || job.Bench != dataset.MTBench || job.AnswersOut != "A" || job.ModelName != "my-model" || job.Shard != (results.Shard{I: 1, N: 2}) {
		t.Fatalf("%+v %v", job, err)
	}
	mt := filepath.Join(harnessDir, "mtbench_questions.jsonl")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sample", "--model", llamaPolicy, "--prompts", mt, "--out", "O", "--bench", "chatbot"}, 2, "--bench \"chatbot\""},
		{[]string{"sample", "--model", llamaPolicy, "--prompts", mt, "--out", filepath.Join(t.TempDir(), "o.jsonl"), "--bench", "arenahard"}, 1, "holds mtbench questions, not arenahard ones"},
		{[]string{"sample", "--model", gpt2Policy, "--prompts", mt, "--out", filepath.Join(t.TempDir(), "o.jsonl")}, 1, "mtbench_questions.jsonl:1: field \"turns\""},
		{[]string{"sample", "--model", llamaPolicy, "--prompts", filepath.Join(dataDir, "prompts.jsonl"), "--out", filepath.Join(t.TempDir(), "o.jsonl"), "--answers-out", "A"}, 1, "holds prompts, not the questions"},
		{[]string{"score", "--policy", llamaPolicy, "--ref", llamaRef, "--data", "D", "--ref-free-norm", "norm"}, 2, "--ref-free-norm needs --ref-free"},
		{[]string{"score", "--policy", llamaPolicy, "--data", "D", "--ref-free", "--ref-free-norm", "l1"}, 2, "--ref-free-norm \"l1\""},
		{[]string{"score", "--policy", llamaPolicy, "--data", "D", "--ref-free", "--ref-free-norm", "avg", "--length-norm", "avg"}, 2, "give one"},
		{[]string{"score", "--policy", llamaPolicy, "--ref", llamaRef, "--data", "D", "--format", "rewardbench3"}, 2, "--format"},
	}
	for _, c := range cases {
		if code, _, stderr := run(c.args...); code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, code, c.code, c.want, stderr)
		}
	}
}
