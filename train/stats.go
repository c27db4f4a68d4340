package train

import (
	"log/slog"
	"syscall"
	"time"
)

// RunStats are what a run costs besides its steps.
type RunStats struct {
	// Shapes are the batch shapes chosen and compiled before step 1
	// (RunOptions.MaxShapes); CompileSeconds is that compile.
	Shapes         []Shape `json:"shapes,omitempty"`
	CompileSeconds float64 `json:"compile_seconds"`
	// FirstStepSeconds runs from RunOptions.Start (the job's start: loading,
	// reference log-probs and compiles included) to the end of the first
	// step of this run.
	FirstStepSeconds float64 `json:"time_to_first_step_seconds"`
	// StepsWallSeconds runs from RunOptions.Start to the end of the last
	// step (before the final evaluation, checkpoint and export).
	StepsWallSeconds float64 `json:"steps_wall_seconds"`
	// Graphs lists per step graph ("train", "eval") the distinct shapes
	// compiled or run: one compiled graph each.
	Graphs map[string][]Shape `json:"graphs"`
	// PeakRSSBytes is the process's peak resident memory (getrusage).
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// DeviceBytes is, on XLA, the largest device memory an executable
	// compiled so far needs (its arguments — weights, optimizer state —
	// outputs and temporaries, as XLA reports them); 0 where the backend
	// reports none (the pure-Go backend, whose memory is PeakRSSBytes).
	DeviceBytes int64 `json:"device_bytes,omitempty"`
	// The reference log-probs computed for the run (none when cached): by
	// what, for how many pairs, in how long.
	RefEngine  string  `json:"reference_engine,omitempty"`
	RefPairs   int     `json:"reference_pairs,omitempty"`
	RefSeconds float64 `json:"reference_seconds,omitempty"`
}

// compileRun chooses the run's shapes and compiles them before step 1.
func compileRun(tr *Trainer, ord *runOrder, total int, o RunOptions, res *Result) error {
	trainShapes, evalShapes := tr.planRun(ord, tr.step, total, o.Eval, o.MaxShapes)
	d, err := tr.compileAhead(trainShapes, evalShapes)
	if err != nil {
		return err
	}
	res.Stats.Shapes = tr.plan
	res.Stats.CompileSeconds = d.Seconds()
	slog.Info("compiled ahead of step 1", "shapes", formatShapes(tr.plan), "train_graphs", len(trainShapes),
		"eval_graphs", len(evalShapes), "seconds", round2(d.Seconds()))
	return nil
}

func (s *RunStats) firstStep(start time.Time) {
	s.FirstStepSeconds = time.Since(start).Seconds()
	slog.Info("first step done", "time_to_first_step_seconds", round2(s.FirstStepSeconds), "compile_seconds", round2(s.CompileSeconds))
}

// finish records the memory figures and the graphs at the end of a run.
func (s *RunStats) finish(tr *Trainer) {
	s.Graphs = tr.ShapesRun()
	s.PeakRSSBytes = PeakRSS()
	if w, ok := tr.m.backend.(*wrapped); ok {
		s.DeviceBytes = w.PeakExecutableBytes()
	}
}

// PeakRSS is the process's peak resident set size in bytes (0 where
// getrusage does not report it).
func PeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
