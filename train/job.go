package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/interrupt"
	"github.com/dpokit/dpokit/internal/resume"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/tokenize"
)

// Job is one `dpokit train` run: prepare the data (reference log-probs
// through Reference), train, and export a model directory.
type Job struct {
	PolicyDir string
	RefDir    string // "" means the starting policy
	Data      string
	EvalData  string // optional
	Out       string // model directory to write; must not exist
	// CheckpointDir holds the checkpoints (default Out + ".ckpt").
	CheckpointDir string
	LogPath       string // step log (JSON Lines); "" writes it to Stdout
	Prep
	Backend string // GoMLX backend ("" for pure Go)
	// Precision of the training passes (fp32 or bf16 matmuls).
	Precision Precision
	// LogitChunk is the response tokens per LM-head chunk (see
	// LoadOptions.LogitChunk).
	LogitChunk int
	// RefOnDevice computes reference log-probs with the GoMLX forward pass
	// on Backend (DeviceReference) instead of Reference.
	RefOnDevice bool
	// LoRA, when set, trains adapters instead of all weights;
	// ExportAdapter, when not "", is a PEFT adapter directory to write too.
	LoRA          *LoRA
	ExportAdapter string
	Run           RunOptions
	Reference     Reference
	Generator     string // names the program in the output's provenance
	Stdout        io.Writer
	Stderr        io.Writer // progress lines
}

// prepared is what the job trains on.
type prepared struct {
	policy, ref *modeldir.Dir
	onnx        string // the ONNX file trained
	model       *Model
	identity    *resume.Key
	train       DataIdentity
	refEngine   *timedReference
}

// Do runs the job and returns what the export wrote.
func (j *Job) Do(ctx context.Context) (*ExportResult, error) {
	start := time.Now()
	j.Run.Start = start
	if j.CheckpointDir == "" {
		j.CheckpointDir = filepath.Clean(j.Out) + ".ckpt"
	}
	if err := j.checkPaths(); err != nil {
		return nil, err
	}
	lock, err := fsutil.LockOutput(fsutil.Path{Flag: "--out", Path: filepath.Clean(j.Out)})
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	// Importing into GoMLX (and compiling its first graph), tokenizing and
	// loading the reference do not all look at ctx: they run under
	// interrupt.Do, which returns at once on a signal.
	in, err := interrupt.Do(ctx, func() (*prepared, error) { return j.prepare(ctx) }, nil)
	if err != nil {
		return nil, j.stopped(err, nil)
	}
	logw, closeLog, err := j.openLog()
	if err != nil {
		return nil, err
	}
	res, err := j.train(ctx, in, logw)
	if err = errors.Join(err, closeLog()); err != nil {
		return nil, j.stopped(err, res)
	}
	out, err := in.model.Export(j.PolicyDir, j.Out, j.provenance(in, res))
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	for _, s := range out.Skipped {
		slog.Info("not copied (another ONNX file; its weights would be stale)", "file", s)
	}
	if j.ExportAdapter != "" {
		if err := in.model.WritePEFTAdapter(j.ExportAdapter, abs(j.PolicyDir)); err != nil {
			return nil, fmt.Errorf("export adapter: %w", err)
		}
		slog.Info("wrote the PEFT adapter", "dir", j.ExportAdapter)
	}
	slog.Info("trained", append([]any{"steps", res.Steps, "time", time.Since(start).Round(time.Second), "out", j.Out,
		"onnx", out.ONNX, "initializers_updated", out.Updated, "checkpoints", j.CheckpointDir, "peak_rss_mb", peakRSSMB()},
		heldOut(res.Eval)...)...)
	res.Stats.log()
	return out, nil
}

// stopped turns a cancellation into an *interrupt.Stopped naming the
// checkpoint kept (this run's, or an earlier run's when resuming), or
// saying that nothing was kept.
func (j *Job) stopped(err error, res *Result) error {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s := &interrupt.Stopped{Err: err}
	switch {
	case res != nil && res.Checkpoint != "":
		s.Kept = fmt.Sprintf("the checkpoint of step %d is kept in %s", res.Steps, res.Checkpoint)
	case j.Run.Resume:
		s.Kept = "the earlier run's checkpoints are kept in " + j.CheckpointDir
	}
	return s
}

// checkPaths refuses, before any work, an output that exists or is an
// input, and a checkpoint directory that does not fit Resume.
func (j *Job) checkPaths() error {
	if _, err := os.Stat(j.Out); err == nil {
		return fmt.Errorf("--out %s already exists (dpokit train never overwrites a model directory)", j.Out)
	}
	if j.ExportAdapter != "" {
		if _, err := os.Stat(j.ExportAdapter); err == nil {
			return fmt.Errorf("--export-adapter %s already exists", j.ExportAdapter)
		}
	}
	ins := []fsutil.Path{{Flag: "--data", Path: j.Data}, {Flag: "--eval-data", Path: j.EvalData},
		{Flag: "--policy", Path: j.PolicyDir}, {Flag: "--ref", Path: j.RefDir}}
	for flag, dir := range map[string]string{"--policy": j.PolicyDir, "--ref": j.RefDir} {
		if d, err := modeldir.Open(dir); err == nil {
			ins = append(ins, fsutil.Named(flag, d.Files()...)...)
		}
	}
	outs := []fsutil.Path{{Flag: "--out", Path: j.Out}, {Flag: "--checkpoint-dir", Path: j.CheckpointDir}, {Flag: "--log", Path: j.LogPath},
		{Flag: "--export-adapter", Path: j.ExportAdapter}}
	if c := j.RefCache; c != "" && !os.IsPathSeparator(c[len(c)-1]) {
		outs = append(outs, fsutil.Path{Flag: "--ref-cache", Path: c})
	}
	if err := fsutil.CheckAliases(ins, append(outs, fsutil.Path{Flag: "--out's lock", Path: filepath.Clean(j.Out) + ".lock"})); err != nil {
		return err
	}
	if err := fsutil.CheckWritable(fsutil.Path{Flag: "--log", Path: j.LogPath}); err != nil {
		return err
	}
	_, err := LatestCheckpoint(j.CheckpointDir)
	switch {
	case j.Run.Resume && err != nil:
		return fmt.Errorf("--resume: %w", err)
	case !j.Run.Resume && err == nil:
		return fmt.Errorf("checkpoints of an earlier run are in %s: pass --resume to continue it, or delete it to start again", j.CheckpointDir)
	}
	return nil
}

// prepare opens the models, imports the policy into GoMLX and makes the
// examples. The policy comes first: a model the GoMLX path cannot train
// fails before any reference log-prob is computed.
func (j *Job) prepare(ctx context.Context) (*prepared, error) {
	in := &prepared{}
	var tok *tokenize.Tokenizer
	var err error
	if in.policy, in.ref, tok, err = modeldir.OpenPair(j.PolicyDir, j.RefDir); err != nil {
		return nil, err
	}
	if in.ref == nil {
		in.ref = in.policy // the reference defaults to the starting policy
	}
	p := j.Prep
	p.Pair = p.Pair.ForModel(in.policy.Signature.Vocab, in.policy.Context())
	p.NoReference = !j.needsRefs()
	p.Unpaired = j.Run.Objective == KTO
	if p.Unpaired {
		p.KLGroup = j.Run.BatchSize
	}
	p.LDAlpha = j.Run.LDAlpha
	if in.identity, err = j.identity(in, p); err != nil {
		return nil, err
	}
	if j.Run.Resume {
		if err := CheckIdentity(j.CheckpointDir, in.identity); err != nil {
			return nil, err
		}
	}
	if in.onnx, err = trainable(in.policy); err != nil {
		return nil, err
	}
	if t, err := modeldir.FirstNonFinite(in.onnx); err != nil {
		return nil, err
	} else if t != "" {
		return nil, fmt.Errorf("policy %s: initializer %q holds NaN or infinite weights: every loss would be NaN", in.onnx, t)
	}
	if in.model, err = Load(in.onnx, LoadOptions{Backend: j.Backend, Signature: &in.policy.Signature,
		Precision: j.Precision, LogitChunk: j.LogitChunk, LoRA: j.LoRA}); err != nil {
		return nil, err
	}
	in.refEngine = j.reference(in.model)
	if !in.model.HeadAtResponses() {
		slog.Warn("the logits are not a final MatMul: every position's logits are computed (rows × positions × vocabulary floats per micro-batch)", "onnx", in.onnx)
	}
	for _, t := range in.model.Ties {
		slog.Info("eval-mode export: initializer shared by Identity copies; they are trained and written as separate initializers",
			"onnx", in.onnx, "initializer", t.Initializer, "copies", len(t.Copies))
	}
	if j.Run.Train, err = j.examples(ctx, p, j.Data, tok, in); err != nil {
		return nil, err
	}
	if j.EvalData != "" {
		if j.Run.Eval, err = j.examples(ctx, p, j.EvalData, tok, in); err != nil {
			return nil, err
		}
	}
	j.noteReference(in.ref)
	in.train = DataIdentity{Path: abs(j.Data), SHA256: in.identity.Hash("data")}
	return in, nil
}

func (j *Job) examples(ctx context.Context, p Prep, path string, tok *tokenize.Tokenizer, in *prepared) ([]Example, error) {
	var ref Reference
	if in.refEngine != nil {
		ref = in.refEngine
	}
	exs, counts, err := p.Examples(ctx, path, tok, in.ref, ref)
	if err == nil && counts.Truncated > 0 {
		slog.Warn("pairs truncated to fit --max-length/--max-prompt-length", "file", path, "truncated", counts.Truncated,
			"left_with_equal_responses", counts.TruncatedToEqual)
	}
	return exs, err
}

// identity names the run's inputs by content for its checkpoints: the
// models, the data and every setting of the data preparation (Run adds
// the hyperparameters).
func (j *Job) identity(in *prepared, p Prep) (*resume.Key, error) {
	k := resume.New("train")
	errs := []error{k.Model("policy", in.policy), k.Model("ref", in.ref), k.File("data", j.Data),
		k.Option("format", p.DataOpts.Format), k.Option("skip-invalid", p.DataOpts.SkipInvalid),
		k.Option("max-length", p.Pair.MaxLength), k.Option("max-prompt-length", p.Pair.MaxPromptLength),
		k.Option("no-eos", p.Pair.NoEOS), k.Option("uses-reference", !p.NoReference), k.Option("backend", backendIdentity(j.Backend)),
		k.Option("lora", j.LoRA)}
	if j.precision() != FP32 { // fp32 runs keep the identity of runs from before --precision
		errs = append(errs, k.Option("precision", j.precision()))
	}
	if j.EvalData != "" {
		errs = append(errs, k.File("eval-data", j.EvalData))
	}
	return k, errors.Join(errs...)
}

// train runs the steps, logging each record to logw.
func (j *Job) train(ctx context.Context, in *prepared, logw io.Writer) (*Result, error) {
	j.Run.Identity = in.identity
	j.Run.CheckpointDir = j.CheckpointDir
	j.Run.Progress = j.Stderr
	enc := json.NewEncoder(logw)
	j.Run.Log = func(r Record) error { return enc.Encode(r) }
	slog.Info("training", "onnx", in.onnx, "parameters", describeParameters(in.model), "backend", in.model.Backend(),
		"precision", j.precision(), "examples", len(j.Run.Train), "objective", describeObjective(j.Run.Config), "beta", j.Run.Beta)
	res, err := Run(ctx, in.model, j.Run)
	if res != nil {
		in.refEngine.stats(&res.Stats)
	}
	if err != nil && errors.Is(err, context.Canceled) && res != nil && res.Checkpoint != "" {
		slog.Info("interrupted; checkpoint kept", "step", res.Steps, "checkpoint", res.Checkpoint)
	}
	return res, err
}

func (j *Job) provenance(in *prepared, res *Result) map[string]any {
	return map[string]any{
		"generator": j.Generator, "base_policy": DataIdentity{Path: abs(j.PolicyDir), SHA256: in.identity.Hash("policy")},
		"reference": DataIdentity{Path: abs(in.ref.Path), SHA256: in.identity.Hash("ref")}, "data": in.train,
		"config": res.Config, "epochs": j.Run.Epochs, "max_steps": j.Run.MaxSteps, "seed": j.Run.Seed,
		"steps": res.Steps, "final": res.Last, "eval": res.Eval, "untied_initializers": in.model.Ties,
		"precision": j.precision(), "performance": res.Stats,
		"tokenization": j.Pair.ForModel(in.policy.Signature.Vocab, in.policy.Context()), "identity": json.RawMessage(in.identity.Encode()),
		"lora": in.model.LoRAInfo(), "trainable_parameters": in.model.Parameters(), "peak_rss_mb": peakRSSMB(),
	}
}

// openLog opens the step log: Stdout, or the LogPath file (cut back to the
// resumed checkpoint's step, since those steps are run again).
func (j *Job) openLog() (io.Writer, func() error, error) {
	if j.LogPath == "" {
		return j.Stdout, func() error { return nil }, nil
	}
	if j.Run.Resume {
		step, err := CheckpointStep(j.CheckpointDir)
		if err != nil {
			return nil, nil, err
		}
		if err := TrimLog(j.LogPath, step); err != nil {
			return nil, nil, err
		}
	} else if err := os.Remove(j.LogPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	f, err := os.OpenFile(j.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return f, func() error {
		if err := f.Close(); err != nil {
			return fmt.Errorf("step log %s: %w", j.LogPath, err)
		}
		return nil
	}, nil
}

// trainable is the ONNX file to train: a merged decoder (If on
// use_cache_branch) has no gradient path; its unmerged sibling holds the
// same weights and graph.
// The sibling must resolve inside the directory, as modeldir.Open checked
// the merged one.
func trainable(d *modeldir.Dir) (string, error) {
	if filepath.Base(d.ONNX) != "decoder_model_merged.onnx" {
		return d.ONNX, nil
	}
	dir := filepath.Dir(d.ONNX)
	real, err := fsutil.Inside(dir, "decoder_model.onnx")
	if errors.Is(err, fs.ErrNotExist) {
		return d.ONNX, nil
	}
	if err != nil {
		return "", fmt.Errorf("model directory %s: %w", d.Path, err)
	}
	if st, err := os.Stat(real); err != nil || !st.Mode().IsRegular() {
		return d.ONNX, nil
	}
	sib := filepath.Join(dir, "decoder_model.onnx")
	slog.Info("training the unmerged decoder (the merged decoder's branches cannot be differentiated); the output holds it alone", "onnx", sib)
	return sib, nil
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// needsRefs reports whether the examples need reference log-probs from
// Reference (the cache): not for reference-free objectives, and not for
// TR-DPO, whose reference moves and is computed in each step.
func (j *Job) needsRefs() bool {
	switch {
	case j.Run.SyncRefEvery > 0 || j.Run.ReferenceFree:
		return false
	case j.Run.Objective == DPO || j.Run.Objective == "":
		return j.Run.Config.NeedsReference() || j.RefDir != "" // SFT alone: rewards against --ref when given
	}
	return j.Run.Config.NeedsReference()
}

// noteReference says where the reference comes from when it is not the
// cache of reference log-probs, and points TR-DPO at its weights.
func (j *Job) noteReference(ref *modeldir.Dir) {
	switch {
	case j.Run.SyncRefEvery > 0:
		if j.RefDir != "" {
			j.Run.RefWeights = ref.ONNX
		}
		slog.Info("TR-DPO: the reference moves, so its log-probs are computed in each training step, not read from the reference cache; it is kept in memory beside the policy",
			"reference", ref.Path, "sync_every", j.Run.SyncRefEvery)
	case !j.Run.Config.NeedsReference() && !j.needsRefs():
		slog.Info("the objective uses no reference model", "objective", describeObjective(j.Run.Config))
	}
}

// heldOut is the last evaluation's accuracy for the summary (a reward
// model's accuracy, or DPO's reward accuracy), with its pair count; none
// without an evaluation.
func heldOut(ms *Metrics) []any {
	if ms == nil {
		return nil
	}
	for _, k := range []string{"accuracy", "rewards/accuracies"} {
		if a, ok := ms.Values[k]; ok {
			return []any{"held_out_accuracy", a, "held_out_pairs", ms.Pairs}
		}
	}
	return nil
}

// describeObjective names the objective and its loss for the log.
func describeObjective(c Config) string {
	obj := c.Objective
	if obj == "" {
		obj = DPO
	}
	s := string(obj)
	if c.Loss != "" {
		s += " loss " + string(c.Loss)
		if len(c.LossWeights) > 0 {
			s += fmt.Sprintf(" weights %v", c.LossWeights)
		}
	}
	return s
}

// describeParameters says how many parameters train.
func describeParameters(m *Model) string {
	if info := m.LoRAInfo(); info != nil {
		return fmt.Sprintf("LoRA r=%d on %d weights: %d trainable of %d parameters", info.Config.Rank, len(info.Targets), m.Parameters(), m.AllParameters())
	}
	return fmt.Sprintf("%d parameters, all trainable", m.Parameters())
}

// peakRSSMB returns the process's peak resident memory in MB (Linux; 0
// elsewhere).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
