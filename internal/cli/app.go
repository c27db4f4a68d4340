// Package cli holds dpokit's commands (github.com/urfave/cli/v2), one file
// per command. It is the only package that reads flags and the
// environment. Each command turns its flags into a library options struct
// (a function tested without running a model) and makes one library call.
//
// Conventions, in every command: flags may come before or after positional
// arguments; a bad command line (unknown flag, bad value, missing or
// conflicting flags) exits 2 with the flag named as typed on the command
// line, with two dashes; a failed write to stdout exits 1; logs go through
// log/slog to stderr, data to stdout or files.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/internal/device"
	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/interrupt"
	"github.com/dpokit/dpokit/models"
)

// Version is stamped with -ldflags "-X github.com/dpokit/dpokit/internal/cli.Version=…".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}

// UsageError is a problem with the command line itself (exit status 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// App builds the dpokit application writing to the given streams.
func App(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:            "dpokit",
		Usage:           "preference optimization of causal language models exported to ONNX",
		Version:         version(),
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		// A stop string may hold commas: repeated flags, not separators, give several.
		DisableSliceFlagSeparator: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a Go CPU profile to this file", Hidden: true},
		},
		Before: func(c *cli.Context) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(c.String("log-level"))); err != nil {
				return usagef("--log-level: %v", err)
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})))
			return startProfile(c.String("cpuprofile"))
		},
		After: func(c *cli.Context) error {
			if c.String("cpuprofile") != "" {
				pprof.StopCPUProfile()
			}
			return nil
		},
		Commands: []*cli.Command{
			scoreCommand(),
			sampleCommand(),
			bestofnCommand(),
			tokenizeCommand(),
			modelsCommand(),
			reportCommand(),
			trainCommand(),
			iterateCommand(),
			doctorCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
	}
	setUsageErrors(app.Commands)
	stopPromptly("", app.Commands)
	return app
}

// watchesContext are the commands whose jobs stop on their context
// themselves, between batches or steps, keeping and naming what they
// finished. Main catches SIGINT and SIGTERM for every command: any other
// command runs under interrupt.Do, so that a signal ends it at once (as
// it would end a process that did not catch it), exit 130.
var watchesContext = map[string]bool{"score": true, "score winrate": true, "sample": true, "bestofn": true, "train": true, "iterate": true}

func stopPromptly(parent string, cmds []*cli.Command) {
	for _, c := range cmds {
		name := strings.TrimSpace(parent + " " + c.Name)
		if action := c.Action; action != nil && !watchesContext[name] {
			c.Action = func(c *cli.Context) error {
				_, err := interrupt.Do(c.Context, func() (struct{}, error) { return struct{}{}, action(c) }, nil)
				return err
			}
		}
		stopPromptly(name, c.Subcommands)
	}
}

func startProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return pprof.StartCPUProfile(f)
}

// dashFlag matches a flag name written with one dash by Go's flag package.
var dashFlag = regexp.MustCompile(`(^|[\s:])-([A-Za-z][\w-]*)`)

// onUsageError makes a flag parsing error a UsageError naming the flag with
// two dashes, as dpokit's flags are written.
func onUsageError(_ *cli.Context, err error, _ bool) error {
	return &UsageError{Err: errors.New(dashFlag.ReplaceAllString(err.Error(), "$1--$2"))}
}

func setUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = onUsageError
		setUsageErrors(c.Subcommands)
	}
}

// runtimeFlags are shared by every command that runs a model. threads is
// the default number of ONNX Runtime intra-op threads per model: score runs
// policy and reference side by side with one each; sampling runs one model.
func runtimeFlags(threads ...int) []cli.Flag {
	th := 1
	if len(threads) > 0 {
		th = threads[0]
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "ort-lib", Usage: "path of libonnxruntime.so (ONNX Runtime >= 1.24)",
			EnvVars: []string{"DPOKIT_ORT_LIB", "ONNXRUNTIME_SHARED_LIBRARY_PATH"}},
		&cli.IntFlag{Name: "threads", Value: th, Usage: fmt.Sprintf("ONNX Runtime intra-op threads per model, 1..%d (%d × the cores: each is an OS thread spinning for work, so more only add contention, and thousands exhaust memory while the session starts)", maxThreads(), threadsPerCore)},
		&cli.StringFlag{Name: "device", Value: "cpu", Usage: "cpu or cuda: ONNX Runtime's CUDA provider (score, sample, bestofn; an onnxruntime-gpu library), " +
			"GoMLX's XLA backend on CUDA (train; JAX's CUDA plugin); `dpokit doctor` shows what is found"},
	}
}

// runtimeOptions reads the runtime flags.
func runtimeOptions(c *cli.Context) (models.RuntimeOptions, error) {
	dev, err := device.Parse(c.String("device"))
	if err != nil {
		return models.RuntimeOptions{}, usagef("--device %q: want cpu or cuda", c.String("device"))
	}
	if err := intIn(c, "threads", 1, maxThreads()); err != nil {
		return models.RuntimeOptions{}, err
	}
	return models.RuntimeOptions{Library: c.String("ort-lib"), Threads: c.Int("threads"), Device: string(dev)}, nil
}

// signalContext is cancelled on SIGINT or SIGTERM. Main makes it first
// thing and runs every command under it (c.Context), so a signal at any
// point stops the run through its context: promptly in every phase, exit
// 130, saying what was kept.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// checkedWriter remembers the first write error, so that output lost on
// stdout (a full disk, a closed pipe) fails the command.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

// Main runs dpokit with args and returns the process exit status:
// 0 success, 1 failure (another run writing the same output included), 2
// bad command line (an output that cannot be written included), 3 ONNX
// Runtime (or, for --device cuda, its CUDA provider or the PJRT CUDA
// plugin) missing, 130 interrupted.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signalContext()
	defer stop()
	out := &checkedWriter{w: stdout}
	app := App(out, stderr)
	err := app.RunContext(ctx, permute(app, args))
	if err == nil && out.err != nil {
		err = fmt.Errorf("write stdout: %w", out.err)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "dpokit:", err)
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	var ue *UsageError
	var ae *fsutil.AliasError
	var oe *fsutil.OutputError
	var ml *models.MissingLibraryError
	var mp *device.MissingPluginError
	switch {
	case errors.As(err, &ml):
		fmt.Fprintln(stderr, "hint:", ml.Hint())
		return 3
	case errors.As(err, &mp):
		fmt.Fprintln(stderr, "hint:", mp.Hint())
		return 3
	case errors.Is(err, models.ErrNoCUDA):
		return 3
	case errors.Is(err, context.Canceled):
		var st *interrupt.Stopped
		if !errors.As(err, &st) { // a Stopped already said what was kept
			fmt.Fprintln(stderr, "interrupted: nothing was kept")
		}
		return 130
	case errors.As(err, &ue), errors.As(err, &ae), errors.As(err, &oe) && !oe.Busy:
		return 2
	}
	return 1
}
