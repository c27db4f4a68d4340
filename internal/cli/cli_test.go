package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	gpt2Policy  = "../../testdata/models/gpt2-policy"
	gpt2Ref     = "../../testdata/models/gpt2-ref"
	llamaPolicy = "../../testdata/models/llama-policy"
	llamaRef    = "../../testdata/models/llama-ref"
	dataDir     = "../../testdata/data"
)

var binary string // dpokit built for subprocess tests

func TestMain(m *testing.M) {
	if os.Getenv("DPOKIT_ORT_LIB") == "" {
		fmt.Fprintln(os.Stderr, "cli tests need ONNX Runtime: run `make ort` and set DPOKIT_ORT_LIB (make test does both)")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "dpokit-cli-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "dpokit")
	if out, err := exec.Command("go", "build", "-o", binary, "../../cmd/dpokit").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build dpokit: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run calls Main in-process and returns exit status, stdout and stderr.
func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(append([]string{"dpokit"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func readJSONL(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s: %v in %q", path, err, l)
		}
		out = append(out, m)
	}
	return out
}

func readSummary(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestScoreFormats(t *testing.T) {
	for _, tc := range []struct {
		name, policy, ref, data string
		pairs                   int
	}{
		{"explicit/gpt2", gpt2Policy, gpt2Ref, "pairs.jsonl", 24},
		{"implicit/gpt2", gpt2Policy, gpt2Ref, "hh.jsonl", 12},
		{"explicit/llama", llamaPolicy, llamaRef, "pairs.jsonl", 24},
		{"conversational/llama", llamaPolicy, llamaRef, "chat.jsonl", 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out, sum := filepath.Join(dir, "pairs.jsonl"), filepath.Join(dir, "summary.json")
			code, stdout, stderr := run("score", "--policy", tc.policy, "--ref", tc.ref, "--data", filepath.Join(dataDir, tc.data),
				"--out", out, "--summary", sum, "--beta", "0.5")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "accuracy") {
				t.Errorf("no summary table on stdout: %q", stdout)
			}
			recs := readJSONL(t, out)
			if len(recs) != tc.pairs {
				t.Fatalf("%d records, want %d", len(recs), tc.pairs)
			}
			correct := 0
			for _, r := range recs {
				pc, pr := r["policy_chosen_logp"].(float64), r["policy_rejected_logp"].(float64)
				rc, rr := r["ref_chosen_logp"].(float64), r["ref_rejected_logp"].(float64)
				cr, rj := 0.5*(pc-rc), 0.5*(pr-rr)
				if math.Abs(r["chosen_reward"].(float64)-cr) > 1e-9 || math.Abs(r["rejected_reward"].(float64)-rj) > 1e-9 ||
					math.Abs(r["margin"].(float64)-(cr-rj)) > 1e-9 || r["correct"].(bool) != (cr > rj) {
					t.Errorf("record %v: rewards do not follow from its log-probs", r["id"])
				}
				if pc >= 0 || pr >= 0 || r["chosen_tokens"].(float64) < 1 {
					t.Errorf("record %v: implausible log-probs or token counts", r["id"])
				}
				if cr > rj {
					correct++
				}
			}
			s := readSummary(t, sum)
			if s["pairs"].(float64) != float64(tc.pairs) || s["scored"].(float64) != float64(tc.pairs) || s["skipped"].(float64) != 0 {
				t.Errorf("summary counts %v %v %v", s["pairs"], s["scored"], s["skipped"])
			}
			if got, want := s["accuracy"].(float64), float64(correct)/float64(tc.pairs); math.Abs(got-want) > 1e-12 {
				t.Errorf("accuracy %g, want %g", got, want)
			}
			for _, k := range []string{"policy", "ref", "data"} {
				if id, _ := s[k].(map[string]any); len(id["sha256"].(string)) != 64 {
					t.Errorf("summary %s identity %v", k, s[k])
				}
			}
		})
	}
}

// TestPrefixSharingEqualsFullSequences: the shared-prompt path gives the
// same log-probs as full sequences (1e-4 per sequence).
func TestPrefixSharingEqualsFullSequences(t *testing.T) {
	for _, m := range [][2]string{{gpt2Policy, gpt2Ref}, {llamaPolicy, llamaRef}} {
		dir := t.TempDir()
		var files []string
		for _, extra := range [][]string{nil, {"--no-prefix-sharing"}, {"--batch-tokens", "40"}} {
			out := filepath.Join(dir, fmt.Sprintf("out%d.jsonl", len(files)))
			args := append([]string{"score", "--policy", m[0], "--ref", m[1], "--data", filepath.Join(dataDir, "hh.jsonl"), "--out", out}, extra...)
			if code, _, stderr := run(args...); code != 0 {
				t.Fatalf("%v: exit %d: %s", extra, code, stderr)
			}
			files = append(files, out)
		}
		base := readJSONL(t, files[0])
		for _, f := range files[1:] {
			for i, r := range readJSONL(t, f) {
				if r["id"] != base[i]["id"] {
					t.Fatalf("%s: record %d is %v, want %v (input order)", f, i, r["id"], base[i]["id"])
				}
				for _, k := range []string{"policy_chosen_logp", "policy_rejected_logp", "ref_chosen_logp", "ref_rejected_logp"} {
					if d := math.Abs(r[k].(float64) - base[i][k].(float64)); d > 1e-4 {
						t.Errorf("%s %v %s differs by %g", f, r["id"], k, d)
					}
				}
			}
		}
	}
}

func TestScoreErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dataDir, "bad.jsonl")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing data", []string{"--data", filepath.Join(dir, "none.jsonl")}, 1, "none.jsonl"},
		{"bad record", []string{"--data", bad}, 1, "bad.jsonl:2"},
		{"missing model", []string{"--data", filepath.Join(dataDir, "pairs.jsonl"), "--policy", dir}, 1, "no ONNX file"},
		{"tokenizer mismatch", []string{"--data", filepath.Join(dataDir, "pairs.jsonl"), "--ref", llamaRef}, 1, "different tokenizers"},
		{"no ort", []string{"--data", filepath.Join(dataDir, "pairs.jsonl"), "--ort-lib", filepath.Join(dir, "libonnxruntime.so")}, 3, "make ort"},
		{"bad shard", []string{"--data", filepath.Join(dataDir, "pairs.jsonl"), "--shard", "3/3"}, 2, "--shard"},
		{"bad beta", []string{"--data", filepath.Join(dataDir, "pairs.jsonl"), "--beta", "0"}, 2, "--beta"},
		{"too long", []string{"--data", longPair(t, dir)}, 1, "longer than the model's context"},
		{"cuda absent", []string{"--data", filepath.Join(dataDir, "pairs.jsonl"), "--device", "cuda"}, 3, "CUDA execution provider is not available"},
		{"resume without out", []string{"--data", filepath.Join(dataDir, "pairs.jsonl"), "--resume"}, 2, "--resume needs --out"},
		{"token outside vocab", []string{"--data", filepath.Join(dataDir, "pairs.jsonl"), "--policy", mixedModel(t, dir), "--ref-free"}, 1, "outside the model's vocabulary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref}
			args = append(args, tc.args...)
			// later flags win in urfave/cli
			code, _, stderr := run(args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

// longPair writes one pair whose prompt exceeds the test models' 1024-token context.
func longPair(t *testing.T, dir string) string {
	p := filepath.Join(dir, "long.jsonl")
	b, _ := json.Marshal(map[string]string{"id": "long", "prompt": strings.Repeat("word ", 1100), "chosen": " yes", "rejected": " no"})
	if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// mixedModel is the llama test model (vocabulary 32064) with the GPT-2
// tokenizer (ids up to 50256): a tokenizer that does not fit the model.
func mixedModel(t *testing.T, dir string) string {
	d := filepath.Join(dir, "mixed")
	os.MkdirAll(d, 0o755)
	for src, names := range map[string][]string{llamaRef: {"model.onnx", "config.json"}, gpt2Ref: {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}} {
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(src, n))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(d, n), b, 0o644)
		}
	}
	return d
}

// TestScoreVariants checks --ref-free, --length-norm avg and gzip input
// against the log-probs of a plain run, by the DPO formulas.
func TestScoreVariants(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile(filepath.Join(dataDir, "pairs.jsonl"))
	gz := filepath.Join(dir, "pairs.jsonl.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(src)
	zw.Close()
	os.WriteFile(gz, buf.Bytes(), 0o644)
	base := filepath.Join(dir, "base.jsonl")
	if code, _, stderr := run("score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", gz, "--out", base); code != 0 {
		t.Fatal(stderr)
	}
	want := readJSONL(t, base)
	if len(want) != 24 {
		t.Fatalf("gzip input: %d records", len(want))
	}
	for _, tc := range []struct {
		name  string
		flags []string
		f     func(r map[string]any, side string) float64
	}{
		{"ref-free", []string{"--ref-free", "--beta", "0.3"}, func(r map[string]any, side string) float64 {
			return 0.3 * r["policy_"+side+"_logp"].(float64)
		}},
		{"length-norm", []string{"--ref", gpt2Ref, "--length-norm", "avg", "--beta", "2"}, func(r map[string]any, side string) float64 {
			n := r[side+"_tokens"].(float64)
			return 2 * (r["policy_"+side+"_logp"].(float64)/n - r["ref_"+side+"_logp"].(float64)/n)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".jsonl")
			args := append([]string{"score", "--policy", gpt2Policy, "--data", filepath.Join(dataDir, "pairs.jsonl"), "--out", out}, tc.flags...)
			if code, _, stderr := run(args...); code != 0 {
				t.Fatal(stderr)
			}
			for i, r := range readJSONL(t, out) {
				for _, side := range []string{"chosen", "rejected"} {
					if got, w := r[side+"_reward"].(float64), tc.f(want[i], side); math.Abs(got-w) > 1e-9 {
						t.Errorf("%v %s reward %g, want %g", r["id"], side, got, w)
					}
				}
			}
		})
	}
}

func TestSkipInvalidListsEachRecord(t *testing.T) {
	dir := t.TempDir()
	sum := filepath.Join(dir, "s.json")
	code, _, stderr := run("score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "bad.jsonl"),
		"--skip-invalid", "--out", filepath.Join(dir, "o.jsonl"), "--summary", sum)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s := readSummary(t, sum)
	lines := 0
	f, _ := os.Open(filepath.Join(dataDir, "bad.jsonl"))
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if strings.TrimSpace(sc.Text()) != "" {
			lines++
		}
	}
	f.Close()
	skipped := s["skipped_records"].([]any)
	if int(s["skipped"].(float64)) != len(skipped) || len(skipped) == 0 {
		t.Fatalf("skipped %v, records %v", s["skipped"], skipped)
	}
	if got := int(s["scored"].(float64)) + len(skipped); got != lines {
		t.Errorf("scored+skipped = %d, file has %d records: something was dropped silently", got, lines)
	}
	for _, sk := range skipped {
		m := sk.(map[string]any)
		if m["line"].(float64) < 1 || m["reason"].(string) == "" {
			t.Errorf("skip without line or reason: %v", m)
		}
		if !strings.Contains(stderr, fmt.Sprintf("msg=\"skipped record\" file=%s line=%d", filepath.Join(dataDir, "bad.jsonl"), int(m["line"].(float64)))) {
			t.Errorf("skip of line %v not reported on stderr", m["line"])
		}
	}
}

// manyPairs writes the shipped pairs repeated reps times with fresh ids and
// prompts of varied length.
func manyPairs(t *testing.T, dir string, reps int) string {
	t.Helper()
	data := filepath.Join(dir, "many.jsonl")
	src, err := os.ReadFile(filepath.Join(dataDir, "pairs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for rep := 0; rep < reps; rep++ {
		for i, l := range strings.Split(strings.TrimSpace(string(src)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			m["id"] = fmt.Sprintf("r%d-%d", rep, i)
			m["prompt"] = strings.Repeat(m["prompt"].(string)+" ", 1+rep%4)
			b, _ := json.Marshal(m)
			buf.Write(append(b, '\n'))
		}
	}
	if err := os.WriteFile(data, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

// killAfterJournalLines runs dpokit with args in a subprocess and sends it
// SIGKILL once its journal holds at least n lines.
func killAfterJournalLines(t *testing.T, args []string, journal string, n int) {
	t.Helper()
	killCmdAfterJournalLines(t, exec.Command(binary, args...), journal, n)
}

// killCmdAfterJournalLines starts cmd and sends it SIGKILL once journal
// holds at least n lines.
func killCmdAfterJournalLines(t *testing.T, cmd *exec.Cmd, journal string, n int) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(journal)
		if bytes.Count(b, []byte("\n")) >= n {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !st.Signaled() {
				t.Fatal("the run finished before it could be killed")
			}
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatal("the run did not write its journal in time")
}

// TestResumeAfterKill kills a run with SIGKILL part-way, tears its last
// journal line, resumes it, and expects the same bytes as an uninterrupted run.
func TestResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: kill -9 and resume")
	}
	dir := t.TempDir()
	data := manyPairs(t, dir, 12)
	args := []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--batch-tokens", "64"}

	whole := filepath.Join(dir, "whole.jsonl")
	if code, _, stderr := run(append(args, "--out", whole)...); code != 0 {
		t.Fatal(stderr)
	}

	out := filepath.Join(dir, "resumed.jsonl")
	killAfterJournalLines(t, append(args[:len(args):len(args)], "--out", out), out+".partial", 40)
	if _, err := os.Stat(out); err == nil {
		t.Fatal("killed run left a final output file")
	}
	// Simulate a torn write: half a record at the end of the journal.
	f, _ := os.OpenFile(out+".partial", os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"index":3,"id":"r0-3","policy_chosen_l`)
	f.Close()

	if code, _, stderr := run(append(args, "--out", out)...); code == 0 || !strings.Contains(stderr, "--resume") {
		t.Fatalf("rerun without --resume: exit %d, %s", code, stderr)
	}
	if code, _, stderr := run(append(args, "--out", out, "--resume")...); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Fatal("resumed output differs from the uninterrupted run")
	}
	if _, err := os.Stat(out + ".partial"); err == nil {
		t.Error("journal left behind after a finished run")
	}
}

func TestModelsInspect(t *testing.T) {
	code, stdout, stderr := run("models", "inspect", "--json", llamaRef)
	if code != 0 {
		t.Fatal(stderr)
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(stdout), &info); err != nil {
		t.Fatal(err)
	}
	// Values from testdata/models/make_models.py's llama settings.
	for k, want := range map[string]float64{"vocab_size": 32064, "layers": 2, "attention_heads": 4, "kv_heads": 2, "head_dim": 8, "context_length": 1024} {
		if info[k] != want {
			t.Errorf("%s = %v, want %v", k, info[k], want)
		}
	}
	if len(info["kv_cache_inputs"].([]any)) != 4 || info["kv_layout"] != "separate" {
		t.Errorf("kv cache %v %v", info["kv_cache_inputs"], info["kv_layout"])
	}
	code, stdout, _ = run("models", "inspect", gpt2Ref)
	if code != 0 || !strings.Contains(stdout, "past_key_values.1.value") || !strings.Contains(stdout, "model.onnx") {
		t.Errorf("text report:\n%s", stdout)
	}
}
