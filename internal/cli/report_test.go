package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runReportCmd runs the report command in an app of its own.
func runReportCmd(args ...string) (string, error) {
	var out bytes.Buffer
	app := &cli.App{Name: "dpokit", Writer: &out, ErrWriter: &out, Commands: []*cli.Command{reportCommand()}, ExitErrHandler: func(*cli.Context, error) {}}
	err := app.Run(append([]string{"dpokit", "report"}, args...))
	return out.String(), err
}

func TestReportUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"no inputs", []string{"--out", t.TempDir()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runReportCmd(tt.args...)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("err %v, want a usage error", err)
			}
		})
	}
}

// Without --out the page goes beside the first input: dpokit report score.json.
func TestReportDefaultOut(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("../../testdata/report/winrate.json")
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "wr.json")
	os.WriteFile(in, b, 0o644)
	if _, err := runReportCmd(in); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "wr-report", "index.html")); err != nil {
		t.Fatalf("no report beside the input: %v", err)
	}
}

// TestReportScore reports on a real `dpokit score` run.
func TestReportScore(t *testing.T) {
	dir := t.TempDir()
	pairs, summary := filepath.Join(dir, "pairs.jsonl"), filepath.Join(dir, "summary.json")
	code, _, stderr := run("score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "pairs.jsonl"),
		"--out", pairs, "--summary", summary)
	if code != 0 {
		t.Fatalf("score: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(dir, "report")
	stdout, err := runReportCmd("--out", out, "--title", "demo", summary, "../../testdata/report/winrate.json")
	if err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(out, "index.html")
	if strings.TrimSpace(stdout) != index {
		t.Errorf("stdout %q, want %q", stdout, index)
	}
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{"<title>demo</title>", `aria-label="histogram of margins"`, `aria-label="win rate with its 95% interval"`, "pairs.jsonl"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(page, "were not found") {
		t.Error("the summary's per-pair results were not found")
	}
}
