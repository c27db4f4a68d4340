// Package cli holds dpokit's commands (github.com/urfave/cli/v2), one file
// per command. It is the only package that reads flags and the environment.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/urfave/cli/v2"

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
	return &cli.App{
		Name:            "dpokit",
		Usage:           "preference optimization of causal language models exported to ONNX",
		Version:         version(),
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
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
			if p := c.String("cpuprofile"); p != "" {
				f, err := os.Create(p)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
			}
			return nil
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
		},
		ExitErrHandler: func(*cli.Context, error) {},
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
		&cli.IntFlag{Name: "threads", Value: th, Usage: "ONNX Runtime intra-op threads per model"},
		&cli.StringFlag{Name: "device", Value: "cpu", Usage: "cpu or cuda (needs an onnxruntime-gpu library)"},
	}
}

func openRuntime(c *cli.Context) (*models.Runtime, error) {
	dev := c.String("device")
	if dev != "cpu" && dev != "cuda" {
		return nil, usagef("--device %q: want cpu or cuda", dev)
	}
	if c.Int("threads") < 1 {
		return nil, usagef("--threads must be at least 1")
	}
	return models.NewRuntime(models.RuntimeOptions{Library: c.String("ort-lib"), Threads: c.Int("threads"), Device: dev})
}

// signalContext is cancelled on SIGINT or SIGTERM, so a run stops between
// batches with its finished work kept.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Main runs dpokit with args and returns the process exit status:
// 0 success, 1 failure, 2 bad command line, 3 ONNX Runtime missing, 130 interrupted.
func Main(args []string, stdout, stderr io.Writer) int {
	err := App(stdout, stderr).Run(args)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "dpokit:", err)
	var ue *UsageError
	var ml *models.MissingLibraryError
	switch {
	case errors.As(err, &ml):
		fmt.Fprintln(stderr, "hint:", ml.Hint())
		return 3
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "interrupted: finished batches are kept; run again with --resume to continue")
		return 130
	case errors.As(err, &ue):
		return 2
	}
	if errors.Is(err, models.ErrNoCUDA) {
		return 3
	}
	return 1
}
