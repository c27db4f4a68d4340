package cli

import (
	"bufio"
	"bytes"
	"errors"

	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// termWhen runs dpokit with args (logging at debug level), sends SIGTERM
// once ready(stderr so far, time since the start) holds, and returns the exit status and all of
// stderr.
func termWhen(t *testing.T, args []string, ready func(stderr string, since time.Duration) bool) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--log-level", "debug"}, args...)...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var buf bytes.Buffer
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(io.TeeReader(pipe, io.Discard))
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	signalled := false
	deadline := time.After(120 * time.Second)
	for !signalled {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("the run ended before the signal:\n%s", buf.String())
			}
			buf.WriteString(l + "\n")
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("not ready in time:\n%s", buf.String())
		case <-time.After(20 * time.Millisecond):
		}
		if ready(buf.String(), time.Since(start)) {
			cmd.Process.Signal(syscall.SIGTERM)
			signalled = true
		}
	}
	done := make(chan struct{})
	go func() {
		for l := range lines {
			buf.WriteString(l + "\n")
		}
		close(done)
	}()
	<-done // every read from the pipe before Wait, which closes it
	err = cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), buf.String()
}

// TestSIGTERMWhileTokenizing: a signal while the data is read and
// tokenized stops the run there (it used to go on through tokenizing and
// loading to the first batch), exit 130, saying truthfully that nothing
// was kept, and leaving no journal or lock.
func TestSIGTERMWhileTokenizing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	data := manyPairs(t, dir, 1000)
	code, stderr := termWhen(t, []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--out", out},
		func(_ string, since time.Duration) bool { return since > 500*time.Millisecond })
	if code != 130 || !strings.Contains(stderr, "interrupted: nothing was kept") {
		t.Fatalf("exit %d, stderr %q; want 130 saying nothing was kept", code, stderr)
	}
	if strings.Contains(stderr, "msg=loading") {
		t.Fatalf("the run went on to load the models after the signal:\n%s", stderr)
	}
	if left, _ := filepath.Glob(out + "*"); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// TestSIGTERMWhileLoading: a signal once model loading has begun stops the
// run promptly with exit 130 and a message that matches what is on disk:
// "nothing was kept" and no journal, or "N of M pairs are kept" and a
// journal holding N results. With results going to stdout nothing is kept,
// and the message says so (it used to say finished batches were kept).
func TestSIGTERMWhileLoading(t *testing.T) {
	dir := t.TempDir()
	data := manyPairs(t, dir, 40)
	loading := func(s string, _ time.Duration) bool { return strings.Contains(s, "msg=loading") }
	kept := regexp.MustCompile(`interrupted: (\d+) of (\d+) pairs are kept in (\S+);`)
	t.Run("out", func(t *testing.T) {
		out := filepath.Join(dir, "out.jsonl")
		code, stderr := termWhen(t, []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--out", out}, loading)
		if code != 130 {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		if m := kept.FindStringSubmatch(stderr); m != nil {
			n, _ := strconv.Atoi(m[1])
			b, err := os.ReadFile(m[3])
			if err != nil || m[3] != out+".partial" || bytes.Count(b, []byte("\n")) != n+1 {
				t.Fatalf("message says %s pairs are kept in %s; the journal holds %d lines (%v)", m[1], m[3], bytes.Count(b, []byte("\n")), err)
			}
			return
		}
		if !strings.Contains(stderr, "interrupted: nothing was kept") {
			t.Fatalf("stderr %q says neither what was kept nor that nothing was", stderr)
		}
		if left, _ := filepath.Glob(out + "*"); len(left) > 0 {
			t.Fatalf("nothing was kept, but %v are left", left)
		}
	})
	t.Run("stdout", func(t *testing.T) {
		code, stderr := termWhen(t, []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data}, loading)
		if code != 130 || !strings.Contains(stderr, "interrupted: nothing was kept (per-pair results go to stdout only at the end") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

// TestSIGTERMWhileReadingStdin: a command that does not watch its context
// (tokenize, reading lines from a terminal) still ends at once on a signal,
// exit 130, though Main catches SIGINT and SIGTERM for every command.
func TestSIGTERMWhileReadingStdin(t *testing.T) {
	cmd := exec.Command(binary, "tokenize", "--model", gpt2Policy, "-")
	stdin, err := cmd.StdinPipe() // held open: tokenize waits for lines
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // past Main's signal.NotifyContext
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("tokenize went on reading stdin after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(stderr.String(), "interrupted: nothing was kept") {
		t.Fatalf("exit %d, stderr %q; want 130 saying nothing was kept", code, stderr.String())
	}
}

// TestWatchesContextNamesCommands: every command listed as stopping on its
// context itself exists, so that a renamed one is not left without a way
// to stop.
func TestWatchesContextNamesCommands(t *testing.T) {
	var find func(cmds []*cli.Command, path []string) *cli.Command
	find = func(cmds []*cli.Command, path []string) *cli.Command {
		for _, c := range cmds {
			if c.Name == path[0] {
				if len(path) == 1 {
					return c
				}
				return find(c.Subcommands, path[1:])
			}
		}
		return nil
	}
	app := App(io.Discard, io.Discard)
	for name := range watchesContext {
		if c := find(app.Commands, strings.Fields(name)); c == nil || c.Action == nil {
			t.Errorf("watchesContext names %q, which is no command with an action", name)
		}
	}
}
