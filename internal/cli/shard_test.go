package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/results"
)

// launcherEnv is the environment without any launcher variable, plus vars.
func launcherEnv(vars ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "SLURM_"), name == "JOB_COMPLETION_INDEX", name == "DPOKIT_SHARDS",
			strings.HasPrefix(name, "AWS_BATCH_"), strings.HasPrefix(name, "BATCH_TASK_"), strings.HasPrefix(name, "CLOUD_RUN_TASK_"),
			name == "RANK", name == "WORLD_SIZE":
			continue
		}
		env = append(env, kv)
	}
	return append(env, vars...)
}

// runEnv runs the dpokit binary with env and returns its exit status and stderr.
func runEnv(env []string, args ...string) (int, string) {
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		return -1, err.Error()
	}
	return cmd.ProcessState.ExitCode(), errb.String()
}

// TestScoreShards runs the three shards of a score run the ways a launcher
// does (--shard i/n, Slurm's and Kubernetes' variables), kills one part-way
// and reruns it, and merges the parts found beside --out: the per-pair file
// equals one unsharded run's byte for byte. A finished shard is skipped, a
// missing or changed part and parts of different runs are refused.
func TestScoreShards(t *testing.T) {
	dir := t.TempDir()
	data := manyPairs(t, dir, 30) // 720 pairs: three chunks of results.ChunkPairs
	args := []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--batch-tokens", "128"}
	whole := filepath.Join(dir, "whole.jsonl")
	if code, _, stderr := run(append(args, "--out", whole, "--summary", whole+".json")...); code != 0 {
		t.Fatal(stderr)
	}
	out, sum := filepath.Join(dir, "sharded", "pairs.jsonl"), filepath.Join(dir, "sharded", "summary.json")
	os.Mkdir(filepath.Dir(out), 0o755)
	shardArgs := append(args[:len(args):len(args)], "--out", out, "--summary", sum)
	part := func(i int) string {
		return filepath.Join(dir, "sharded", fmt.Sprintf("pairs-shard-%05d-of-00003.jsonl", i))
	}

	if code, _, stderr := run(append(shardArgs, "--shard", "0/3")...); code != 0 {
		t.Fatal(stderr)
	}
	slurm := launcherEnv("SLURM_ARRAY_TASK_ID=6", "SLURM_ARRAY_TASK_MIN=2", "SLURM_ARRAY_TASK_STEP=2", "SLURM_ARRAY_TASK_COUNT=3")
	if code, stderr := runEnv(slurm, append(shardArgs, "--shard", "auto")...); code != 0 || !strings.Contains(stderr, "shard=2/3") {
		t.Fatalf("Slurm task 6 of --array=2-6:2: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := run("score", "merge", "--out", out); code != 1 || !strings.Contains(stderr, "part 1 of 3 ("+part(1)+") is missing: not run") {
		t.Errorf("merge without part 1: exit %d\n%s", code, stderr)
	}

	kube := launcherEnv("JOB_COMPLETION_INDEX=1", "DPOKIT_SHARDS=3")
	cmd := exec.Command(binary, append(shardArgs, "--shard", "auto")...)
	cmd.Env = kube
	killCmdAfterJournalLines(t, cmd, part(1)+".partial", 4)
	if code, _, stderr := run("score", "merge", "--out", out); code != 1 || !strings.Contains(stderr, "started but not finished") {
		t.Errorf("merge with part 1 killed: exit %d\n%s", code, stderr)
	}
	if code, stderr := runEnv(kube, append(shardArgs, "--shard", "auto")...); code != 0 || !strings.Contains(stderr, "resuming") {
		t.Fatalf("rerun of the killed shard (no --resume): exit %d\n%s", code, stderr)
	}

	if code, stdout, stderr := run(append(shardArgs, "--shard", "0/3", "--json")...); code != 0 || !strings.Contains(stderr, "already finished") || !strings.Contains(stdout, `"shard": "0/3"`) {
		t.Errorf("rerun of a finished shard: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := run(append(shardArgs, "--shard", "0/3", "--beta", "0.2")...); code != 1 || !strings.Contains(stderr, "--beta (0.1 → 0.2)") {
		t.Errorf("a shard of another run over a finished part: exit %d\n%s", code, stderr)
	}

	merged := filepath.Join(dir, "merged.jsonl")
	if code, _, stderr := run("score", "merge", "--out", merged, "--summary", merged+".json"); code != 1 || !strings.Contains(stderr, "no finished parts") {
		t.Errorf("merge where there are no parts: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := run("score", "merge", "--out", out, "--summary", sum); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(out)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("merged shards (%d bytes) differ from one run (%d bytes)", len(b), len(a))
	}
	sw, sm := readSummary(t, whole+".json"), readSummary(t, sum)
	for _, k := range []string{"pairs", "scored", "accuracy", "mean_margin", "mean_chosen_reward", "tokens", "settings"} {
		if fmt.Sprint(sw[k]) != fmt.Sprint(sm[k]) {
			t.Errorf("summary %s: one run %v, merged %v", k, sw[k], sm[k])
		}
	}
	var sums []string // the summaries' way: `score merge --out F SUMMARY...`
	for _, i := range []int{2, 0, 1} {
		sums = append(sums, filepath.Join(dir, "sharded", fmt.Sprintf("summary-shard-%05d-of-00003.json", i)))
	}
	if code, _, stderr := run(append([]string{"score", "merge", "--out", merged}, sums...)...); code != 0 {
		t.Fatal(stderr)
	}
	if m, _ := os.ReadFile(merged); !bytes.Equal(a, m) {
		t.Error("shards merged from their summary files differ from one run")
	}
	checkMergeRefusals(t, out, part)
}

// checkMergeRefusals edits finished parts and expects merge to refuse them.
func checkMergeRefusals(t *testing.T, out string, part func(int) string) {
	t.Helper()
	marker := part(2) + ".done"
	orig, _ := os.ReadFile(marker)
	other := bytes.Replace(orig, []byte(`"beta": 0.1`), []byte(`"beta": 0.3`), 1)
	if bytes.Equal(orig, other) {
		t.Fatalf("marker holds no beta: %s", orig)
	}
	os.WriteFile(marker, other, 0o644)
	if code, _, stderr := run("score", "merge", "--out", out); code != 1 || !strings.Contains(stderr, "parts of different runs") ||
		!strings.Contains(stderr, "--beta (0.1 → 0.3)") || !strings.Contains(stderr, part(2)) {
		t.Errorf("merge of parts of different runs: exit %d\n%s", code, stderr)
	}
	os.WriteFile(marker, orig, 0o644)
	b, _ := os.ReadFile(part(1))
	os.WriteFile(part(1), bytes.Replace(b, []byte(`"correct":true`), []byte(`"correct":false`), 1), 0o644)
	if code, _, stderr := run("score", "merge", "--out", out); code != 1 || !strings.Contains(stderr, part(1)+" changed after its shard finished") {
		t.Errorf("merge of a changed part: exit %d\n%s", code, stderr)
	}
}

func TestShardFlags(t *testing.T) {
	for _, v := range []string{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX", "DPOKIT_SHARDS",
		"AWS_BATCH_JOB_ARRAY_INDEX", "BATCH_TASK_INDEX", "CLOUD_RUN_TASK_INDEX", "RANK", "WORLD_SIZE"} {
		if old, ok := os.LookupEnv(v); ok {
			os.Unsetenv(v)
			t.Cleanup(func() { os.Setenv(v, old) })
		}
	}
	parse := func(args ...string) (results.Shard, error) {
		return parseWith(t, scoreCommand(), func(c *cli.Context) (results.Shard, error) { return shardOption(c) }, args...)
	}
	cases := []struct {
		name string
		env  []string
		args []string
		want results.Shard
		err  string
	}{
		{"none", nil, nil, results.Shard{}, ""},
		{"i/n", nil, []string{"--shard", "1/3"}, results.Shard{I: 1, N: 3}, ""},
		{"one of one", nil, []string{"--shard", "0/1"}, results.Shard{I: 0, N: 1}, ""},
		{"bad i/n", nil, []string{"--shard", "3/3"}, results.Shard{}, "--shard \"3/3\""},
		{"shards without auto", nil, []string{"--shard", "1/3", "--shards", "3"}, results.Shard{}, "--shards goes with --shard auto"},
		{"no launcher", nil, []string{"--shard", "auto"}, results.Shard{}, "no launcher variable is set; looked for SLURM_ARRAY_TASK_ID"},
		{"slurm", []string{"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_COUNT=4"}, []string{"--shard", "auto"}, results.Shard{I: 3, N: 4}, ""},
		{"kubernetes, --shards", []string{"JOB_COMPLETION_INDEX=2"}, []string{"--shard", "auto", "--shards", "5"}, results.Shard{I: 2, N: 5}, ""},
		{"kubernetes, DPOKIT_SHARDS", []string{"JOB_COMPLETION_INDEX=2", "DPOKIT_SHARDS=3"}, []string{"--shard", "auto"}, results.Shard{I: 2, N: 3}, ""},
		{"--shards wins over DPOKIT_SHARDS", []string{"JOB_COMPLETION_INDEX=2", "DPOKIT_SHARDS=x"}, []string{"--shard", "auto", "--shards", "4"}, results.Shard{I: 2, N: 4}, ""},
		{"kubernetes without a count", []string{"JOB_COMPLETION_INDEX=2"}, []string{"--shard", "auto"}, results.Shard{}, "give it with --shards N or DPOKIT_SHARDS"},
		{"bad DPOKIT_SHARDS", []string{"JOB_COMPLETION_INDEX=2", "DPOKIT_SHARDS=0"}, []string{"--shard", "auto"}, results.Shard{}, "DPOKIT_SHARDS=\"0\""},
		{"torchrun", []string{"RANK=1", "WORLD_SIZE=2"}, []string{"--shard", "auto"}, results.Shard{I: 1, N: 2}, ""},
		{"count disagrees", []string{"RANK=1", "WORLD_SIZE=2"}, []string{"--shard", "auto", "--shards", "3"}, results.Shard{}, "--shards 3 disagrees"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, kv := range c.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			got, err := parse(append([]string{"--policy", "P", "--data", "D", "--out", "O"}, c.args...)...)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %v %v, want %v", got, err, c.want)
			}
		})
	}
	if code, _, stderr := run("score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", "D", "--shard", "0/2"); code != 2 || !strings.Contains(stderr, "--shard needs --out") {
		t.Errorf("a shard without --out: exit %d %s", code, stderr)
	}
}

// TestSampleShards: sample and bestofn (with --baseline-out) and the
// answers to a question file, run as shards and merged, equal one run's
// files byte for byte; merge refuses a missing part.
func TestSampleShards(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dataDir, "prompts.jsonl")
	alpaca := filepath.Join("..", "..", "testdata", "harness", "alpacaeval_questions.json")
	cases := []struct {
		name   string
		args   []string
		shards int
		also   []string // further output flags
	}{
		{"sample", []string{"sample", "--model", llamaPolicy, "--prompts", prompts, "--n", "2", "--batch", "4", "--max-new-tokens", "8", "--seed", "4"}, 4, nil},
		{"bestofn", []string{"bestofn", "--model", llamaRef, "--prompts", prompts, "--n", "3", "--batch", "6", "--max-new-tokens", "6",
			"--rank", "implicit", "--policy", llamaPolicy, "--ref", llamaRef, "--seed", "9"}, 3, []string{"--baseline-out"}},
		{"answers", []string{"sample", "--model", llamaPolicy, "--prompts", alpaca, "--batch", "1", "--max-new-tokens", "8", "--model-name", "tiny"}, 2, []string{"--answers-out"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := func(sub string) []string {
				fs := []string{filepath.Join(dir, c.name, sub, "out.jsonl")}
				for _, f := range c.also {
					fs = append(fs, filepath.Join(dir, c.name, sub, strings.TrimPrefix(f, "--")+".json"))
				}
				os.MkdirAll(filepath.Join(dir, c.name, sub), 0o755)
				return fs
			}
			withFiles := func(fs []string) []string {
				args := append(c.args[:len(c.args):len(c.args)], "--out", fs[0])
				for i, f := range c.also {
					args = append(args, f, fs[i+1])
				}
				return args
			}
			whole, sharded := files("whole"), files("sharded")
			if code, _, stderr := run(withFiles(whole)...); code != 0 {
				t.Fatal(stderr)
			}
			for i := 0; i < c.shards; i++ {
				if i == 1 {
					if code, _, stderr := run(append([]string{"sample", "merge"}, withFiles(sharded)[len(c.args):]...)...); code != 1 || !strings.Contains(stderr, "part 1 of") {
						t.Errorf("merge without part 1: exit %d %s", code, stderr)
					}
				}
				if code, _, stderr := run(append(withFiles(sharded), "--shard", fmt.Sprintf("%d/%d", i, c.shards))...); code != 0 {
					t.Fatal(stderr)
				}
			}
			if code, _, stderr := run(append([]string{"sample", "merge"}, withFiles(sharded)[len(c.args):]...)...); code != 0 {
				t.Fatal(stderr)
			}
			for i := range whole {
				a, _ := os.ReadFile(whole[i])
				b, _ := os.ReadFile(sharded[i])
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Errorf("%s: merged shards differ from one run:\n%s\n%s", filepath.Base(whole[i]), a, b)
				}
			}
		})
	}
}
