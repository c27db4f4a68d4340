package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/resume"
)

// RunOptions describe a training run over a dataset.
type RunOptions struct {
	Config
	Train []Example
	Eval  []Example // optional
	// Epochs over Train (default 1); MaxSteps, when set, bounds the run
	// instead.
	Epochs   int
	MaxSteps int
	Seed     uint64 // data order: epoch e visits Train in the order of a permutation seeded by (Seed, e)
	// EvalEvery evaluates every so many steps (and at the end); 0 only at
	// the end.
	EvalEvery int
	// SaveEvery checkpoints every so many steps into CheckpointDir (and at
	// the end, and when ctx is cancelled); 0 only then.
	SaveEvery     int
	CheckpointDir string
	// Resume continues from the newest checkpoint of CheckpointDir.
	Resume bool
	// Identity names the run's inputs (models, data, data preparation) by
	// content; a checkpoint is only resumed by a run with the same one, and
	// a refusal names what changed. Run adds the hyperparameters to it.
	Identity *resume.Key
	// MaxShapes, when positive, chooses at most that many batch shapes from
	// the run's batches before step 1 and compiles them ahead (see
	// planShapes); 0 pads to fixed buckets and compiles each new one when
	// first met.
	MaxShapes int
	// Start is when the job began, for the time to the first step; zero
	// means when Run was called.
	Start time.Time
	// RefWeights is the ONNX file whose weights start TR-DPO's moving
	// reference (Config.SyncRefEvery); "" for the starting policy.
	RefWeights string
	// Log receives each step's and evaluation's record (see Record).
	Log func(Record) error
	// Progress receives a human-readable line per step; nil for none.
	Progress io.Writer
}

// Record is one line of the step log: Split "train" or "eval", the step
// (optimizer steps done), the epoch (fractional) and the metrics.
type Record struct {
	Split string
	Step  int
	Epoch float64
	Metrics
}

// MarshalJSON writes the record flat, as TRL logs: split, step and epoch,
// then the train metrics by their names or the evaluation metrics prefixed
// with "eval_" (without gradient norm and learning rate).
func (r Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"split":%q,"step":%d,"epoch":%s`, r.Split, r.Step, strconv.FormatFloat(r.Epoch, 'g', -1, 64))
	prefix := ""
	if r.Split == "eval" {
		prefix = "eval_"
	}
	if err := appendFields(&b, prefix, r.Metrics.fields(r.Split != "eval")); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Result summarises a run.
type Result struct {
	Config     Config   // the configuration used, defaults filled in
	Steps      int      // optimizer steps done (resumed ones included)
	Resumed    int      // steps restored from a checkpoint
	Last       Metrics  // the last step's metrics
	Eval       *Metrics // the last evaluation, if any
	Checkpoint string   // the last checkpoint written
	Stats      RunStats // compiles, time to the first step, memory
}

// runState is the caller-independent part of a checkpoint: enough to
// check that the resumed run is the same.
type runState struct {
	Seed          uint64 `json:"seed"`
	StepsPerEpoch int    `json:"steps_per_epoch"`
	TotalSteps    int    `json:"total_steps"`
}

// StepsPerEpoch returns the optimizer steps of one pass over n pairs.
func (c Config) StepsPerEpoch(n int) int {
	per := max(1, c.BatchSize) * max(1, c.GradAccum)
	return (n + per - 1) / per
}

// Run trains m on o.Train and returns when the run is complete, ctx is
// cancelled (after checkpointing the finished steps), or a step fails. A
// NaN or infinite loss stops the run without applying the step: the last
// checkpoint stays the last good state.
func Run(ctx context.Context, m *Model, o RunOptions) (*Result, error) {
	cfg, err := o.Config.withDefaults()
	if err != nil {
		return nil, err
	}
	n := len(o.Train)
	if n == 0 {
		return nil, errors.New("no training pairs")
	}
	if o.Epochs <= 0 {
		o.Epochs = 1
	}
	perEpoch := cfg.StepsPerEpoch(n)
	total := o.Epochs * perEpoch
	if o.MaxSteps > 0 {
		total = o.MaxSteps
	}
	if cfg.Steps == 0 {
		cfg.Steps = total
	}
	st := runState{Seed: o.Seed, StepsPerEpoch: perEpoch, TotalSteps: total}
	fingerprint, err := runFingerprint(o.Identity, cfg, st, o.Epochs, o.MaxSteps)
	if err != nil {
		return nil, err
	}
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.SyncRefEvery > 0 && o.RefWeights != "" {
		if err := tr.LoadReferenceWeights(o.RefWeights); err != nil {
			return nil, err
		}
	}
	res := &Result{Config: cfg}
	if o.Resume {
		if o.CheckpointDir == "" {
			return nil, errors.New("resume needs a checkpoint directory")
		}
		_, step, err := tr.LoadCheckpoint(o.CheckpointDir, fingerprint)
		if err != nil {
			return nil, err
		}
		res.Resumed, res.Steps = step, step
	}
	saved := -1
	if o.Resume {
		saved = res.Resumed
	}
	save := func() error {
		if o.CheckpointDir == "" || saved == tr.step {
			return nil
		}
		p, err := tr.SaveCheckpoint(o.CheckpointDir, fingerprint, st)
		if err != nil {
			return fmt.Errorf("save checkpoint: %w", err)
		}
		res.Checkpoint, saved = p, tr.step
		return nil
	}
	log := func(r Record) error {
		if o.Log == nil {
			return nil
		}
		return o.Log(r)
	}
	evaluate := func() error {
		if len(o.Eval) == 0 {
			return nil
		}
		ms, err := tr.Evaluate(o.Eval)
		if err != nil {
			return err
		}
		res.Eval = &ms
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "eval  step %d: loss %.4f accuracy %.3f margin %+.4f (%d pairs, %.0f tokens/s)\n",
				tr.step, ms.Loss, ms.RewardsAccuracies, ms.RewardsMargins, ms.Pairs, ms.TokensPerSecond)
		}
		return log(Record{Split: "eval", Step: tr.step, Epoch: float64(tr.step) / float64(perEpoch), Metrics: ms})
	}
	ord := &runOrder{train: o.Train, seed: o.Seed, cfg: cfg, perEpoch: perEpoch}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	if o.MaxShapes > 0 {
		if err := compileRun(tr, ord, total, o, res); err != nil {
			return res, err
		}
	}
	defer res.Stats.finish(tr)
	start := time.Now()
	for tr.step < total {
		if err := ctx.Err(); err != nil {
			if serr := save(); serr != nil {
				return res, errors.Join(err, serr)
			}
			return res, err
		}
		ms, err := tr.Step(ord.step(tr.step))
		if err != nil {
			var nf *NonFiniteError
			if errors.As(err, &nf) {
				last := "none (no checkpoint was written)"
				if res.Checkpoint != "" {
					last = res.Checkpoint
				} else if p, e := LatestCheckpoint(o.CheckpointDir); e == nil && o.CheckpointDir != "" {
					last = p
				}
				return res, fmt.Errorf("%w; training stopped, last good checkpoint: %s", err, last)
			}
			return res, err
		}
		res.Steps = tr.step
		res.Last = ms
		if tr.step == res.Resumed+1 {
			res.Stats.firstStep(o.Start)
		}
		res.Stats.StepsWallSeconds = time.Since(o.Start).Seconds()
		if err := log(Record{Split: "train", Step: tr.step, Epoch: float64(tr.step) / float64(perEpoch), Metrics: ms}); err != nil {
			return res, err
		}
		if o.Progress != nil {
			el := time.Since(start)
			done := tr.step - res.Resumed
			eta := time.Duration(float64(el) / float64(done) * float64(total-tr.step)).Round(time.Second)
			fmt.Fprintf(o.Progress, "train step %d/%d: loss %.4f accuracy %.3f margin %+.4f grad_norm %.3f lr %.2e %.0f tokens/s eta %s\n",
				tr.step, total, ms.Loss, ms.RewardsAccuracies, ms.RewardsMargins, ms.GradNorm, ms.LearningRate, ms.TokensPerSecond, eta)
		}
		if o.EvalEvery > 0 && tr.step%o.EvalEvery == 0 && tr.step < total {
			if err := evaluate(); err != nil {
				return res, err
			}
		}
		if o.SaveEvery > 0 && tr.step%o.SaveEvery == 0 {
			if err := save(); err != nil {
				return res, err
			}
		}
	}
	if err := evaluate(); err != nil {
		return res, err
	}
	if err := save(); err != nil {
		return res, err
	}
	return res, nil
}

// runFingerprint names the run: its inputs and every setting that changes
// the steps it takes, under the flag names of dpokit train.
func runFingerprint(id *resume.Key, cfg Config, st runState, epochs, maxSteps int) (string, error) {
	k := resume.New("train")
	if id != nil {
		k = id.Clone()
	}
	// Every Config field, by its flag name where it has one.
	errs := []error{k.Fields(cfg, map[string]string{"learning_rate": "lr", "steps": "schedule-steps"})}
	for name, v := range map[string]any{"seed": st.Seed, "epochs": epochs, "max-steps": maxSteps,
		"steps-per-epoch": st.StepsPerEpoch, "total-steps": st.TotalSteps} {
		errs = append(errs, k.Option(name, v))
	}
	return string(k.Encode()), errors.Join(errs...)
}

// TrimLog keeps the lines of a JSONL step log whose "step" is at most
// step (a resumed run logs the later steps again); a torn last line is
// dropped. A missing file is not an error.
func TrimLog(path string, step int) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var keep bytes.Buffer
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if len(l) == 0 || l[len(l)-1] != '\n' {
			continue
		}
		var r struct {
			Step *int `json:"step"`
		}
		if json.Unmarshal(l, &r) == nil && r.Step != nil && *r.Step <= step {
			keep.Write(l)
		}
	}
	return fsutil.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(keep.Bytes())
		return err
	})
}
