package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/internal/progress"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/score"
	"github.com/dpokit/dpokit/tokenize"
	"github.com/dpokit/dpokit/train"
)

func trainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "train a policy with DPO (or SFT) on GoMLX, starting from its ONNX weights, and write an ONNX model directory",
		UsageText: "dpokit train --policy DIR [--ref DIR] --data FILE --out DIR [--loss sigmoid] [--beta 0.1] [--lr 1e-6]\n" +
			"   reference log-probs come from ONNX Runtime (the score code path) and are cached; --ref defaults to --policy",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "starting policy model directory (required)"},
			&cli.StringFlag{Name: "ref", Usage: "reference model directory (default: the starting policy)"},
			&cli.StringFlag{Name: "data", Usage: "preference pairs: .jsonl, .jsonl.gz, .json or .parquet (required)"},
			&cli.StringFlag{Name: "out", Usage: "model directory to write (must not exist; required)"},
			&cli.StringFlag{Name: "format", Value: "auto", Usage: "auto, explicit, implicit (Anthropic HH) or conversational"},
			&cli.BoolFlag{Name: "skip-invalid", Usage: "skip bad records (each reported) instead of stopping"},
			&cli.StringFlag{Name: "eval-data", Usage: "preference pairs to evaluate on"},
			&cli.IntFlag{Name: "eval-every", Usage: "evaluate every N steps (0: at the end only)"},
			&cli.StringFlag{Name: "objective", Value: "dpo", Usage: "dpo, kto (unpaired {prompt, completion, label} data), orpo, cpo, simpo or reward"},
			&cli.StringFlag{Name: "loss", Usage: "dpo: one or several comma-separated of sigmoid (default), hinge, ipo, exo_pair, nca_pair, robust, bco_pair, sppo_hard, aot, aot_unpaired, apo_zero, apo_down, discopop, sft, sigmoid_norm; cpo: sigmoid, hinge, ipo or simpo"},
			&cli.StringFlag{Name: "loss-weights", Usage: "comma-separated weights of the --loss terms (default 1 each), e.g. 0.8,0.2,1.0 for MPO"},
			&cli.Float64Flag{Name: "beta", Value: 0.1, Usage: "β of DPO (ORPO's λ, the reward scale of KTO, CPO and SimPO)"},
			&cli.Float64Flag{Name: "label-smoothing", Usage: "ε: sigmoid with ε > 0 is conservative DPO (cDPO); robust, exo_pair, aot, aot_unpaired and cpo use it too"},
			&cli.StringFlag{Name: "f-divergence", Value: "reverse_kl", Usage: "f-DPO regulariser: reverse_kl, forward_kl, js_divergence or alpha_divergence"},
			&cli.Float64Flag{Name: "f-alpha-coef", Value: 0.5, Usage: "α of --f-divergence alpha_divergence"},
			&cli.Float64Flag{Name: "ld-alpha", Usage: "LD-DPO: weight in [0, 1] of the response tokens past the shorter response's length (unset: off)"},
			&cli.BoolFlag{Name: "use-weighting", Usage: "WPO: weight each pair by the policy's length-normalised sequence probabilities"},
			&cli.Float64Flag{Name: "discopop-tau", Value: 0.05, Usage: "τ of the discopop loss"},
			&cli.BoolFlag{Name: "reference-free", Usage: "take the reference log-probs as 0 (no reference model)"},
			&cli.IntFlag{Name: "sync-ref-every", Usage: "TR-DPO: every N steps the reference becomes α·policy + (1−α)·reference (it is kept in memory; 0: off)"},
			&cli.Float64Flag{Name: "ref-mixup-alpha", Value: 0.6, Usage: "α of --sync-ref-every"},
			&cli.Float64Flag{Name: "desirable-weight", Value: 1, Usage: "kto: weight of the desirable examples' losses"},
			&cli.Float64Flag{Name: "undesirable-weight", Value: 1, Usage: "kto: weight of the undesirable examples' losses"},
			&cli.Float64Flag{Name: "simpo-gamma", Value: 0.5, Usage: "simpo: target reward margin γ"},
			&cli.Float64Flag{Name: "cpo-alpha", Usage: "cpo and simpo: weight of the chosen responses' NLL (default 1 for cpo, 0 for simpo)"},
			&cli.IntFlag{Name: "lora-rank", Usage: "train LoRA adapters of this rank on --lora-targets instead of all weights (0: full fine-tuning)"},
			&cli.Float64Flag{Name: "lora-alpha", Value: 16, Usage: "LoRA α: the adapters add (α/rank)·B·A"},
			&cli.Float64Flag{Name: "lora-dropout", Usage: "dropout on the adapters' input while training"},
			&cli.StringFlag{Name: "lora-targets", Usage: "comma-separated MatMul weights to adapt: module names (q_proj matches ...q_proj.weight), initializer names or globs; `dpokit models inspect` lists them"},
			&cli.StringFlag{Name: "export-adapter", Usage: "with --lora-rank: also write the adapters as a Hugging Face PEFT adapter directory (adapter_config.json, adapter_model.safetensors)"},
			&cli.StringFlag{Name: "optimizer", Value: "adamw", Usage: "adamw or rmsprop (PyTorch's)"},
			&cli.Float64Flag{Name: "lr", Value: 1e-6, Usage: "peak learning rate"},
			&cli.Float64Flag{Name: "weight-decay", Usage: "AdamW decoupled weight decay (RMSprop: L2)"},
			&cli.StringFlag{Name: "lr-schedule", Value: "linear", Usage: "linear (to 0 at the last step) or constant, after warmup"},
			&cli.IntFlag{Name: "warmup-steps", Usage: "linear warmup steps"},
			&cli.IntFlag{Name: "epochs", Value: 1, Usage: "passes over the data"},
			&cli.IntFlag{Name: "max-steps", Usage: "optimizer steps (overrides --epochs)"},
			&cli.IntFlag{Name: "batch-size", Value: 8, Usage: "pairs per micro-batch"},
			&cli.IntFlag{Name: "grad-accum", Value: 1, Usage: "micro-batches per optimizer step"},
			&cli.Float64Flag{Name: "max-grad-norm", Value: 1, Usage: "clip the global gradient norm (0: no clipping)"},
			&cli.IntFlag{Name: "max-length", Value: 1024, Usage: "truncate prompt+response to this many tokens (0: no limit)"},
			&cli.IntFlag{Name: "max-prompt-length", Value: 512, Usage: "keep the last N prompt tokens (0: no limit)"},
			&cli.BoolFlag{Name: "no-eos", Usage: "do not append the EOS token to responses"},
			&cli.IntFlag{Name: "save-every", Usage: "checkpoint every N steps (0: only at the end or when interrupted)"},
			&cli.StringFlag{Name: "checkpoint-dir", Usage: "checkpoints (default OUT.ckpt)"},
			&cli.BoolFlag{Name: "resume", Usage: "continue from the newest checkpoint"},
			&cli.Uint64Flag{Name: "seed", Value: 42, Usage: "seed of the data order"},
			&cli.StringFlag{Name: "backend", Usage: "GoMLX backend: go (pure Go, default) or xla:cpu where XLA's plugin is installed", EnvVars: []string{"GOMLX_BACKEND"}},
			&cli.StringFlag{Name: "log", Usage: "step log (JSON Lines); default stdout"},
			&cli.StringFlag{Name: "ref-cache", Usage: "reference log-prob file (default: a file per reference model, data and tokenization under the user cache dir)"},
			&cli.IntFlag{Name: "batch-tokens", Value: score.DefaultBatchTokens, Usage: "padded tokens per ONNX Runtime pass when computing reference log-probs"},
		}, runtimeFlags()...),
		Action: runTrain,
	}
}

// trainJob is one `dpokit train` run.
type trainJob struct {
	PolicyDir, RefDir, Data, EvalData, Out string
	CheckpointDir, RefCache, LogPath       string
	DataOpts                               dataset.Options
	Tok                                    score.Tokenization
	BatchTokens                            int
	Backend                                string
	Run                                    train.RunOptions
	LoRA                                   *train.LoRA // nil: full fine-tuning
	ExportAdapter                          string      // PEFT adapter directory to write ("": none)
	// Runtime opens ONNX Runtime; called only when reference log-probs
	// must be computed.
	Runtime        func() (*models.Runtime, error)
	Stdout, Stderr io.Writer
}

func runTrain(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return usagef("unexpected arguments %q (train takes flags only)", c.Args().Slice())
	}
	for _, f := range []string{"policy", "data", "out"} {
		if c.String(f) == "" {
			return usagef("--%s is required", f)
		}
	}
	switch c.String("format") {
	case "auto", "explicit", "implicit", "conversational":
	default:
		return usagef("--format %q: want auto, explicit, implicit or conversational", c.String("format"))
	}
	for _, f := range []string{"max-length", "max-prompt-length", "batch-tokens", "epochs", "max-steps", "warmup-steps", "eval-every", "save-every"} {
		if c.Int(f) < 0 {
			return usagef("--%s must not be negative", f)
		}
	}
	cfg := train.Config{
		Loss: train.Loss(c.String("loss")), Beta: c.Float64("beta"), LabelSmoothing: c.Float64("label-smoothing"),
		Optimizer: c.String("optimizer"), LR: c.Float64("lr"), WeightDecay: c.Float64("weight-decay"),
		Schedule: c.String("lr-schedule"), WarmupSteps: c.Int("warmup-steps"),
		BatchSize: c.Int("batch-size"), GradAccum: c.Int("grad-accum"), MaxGradNorm: c.Float64("max-grad-norm"),
	}
	objectives, err := objectiveFlags(c)
	if err != nil {
		return err
	}
	cfg.Objectives = objectives
	lora, err := loraFlags(c)
	if err != nil {
		return err
	}
	if err := train.CheckConfig(cfg); err != nil {
		return &UsageError{Err: err}
	}
	ckpt := c.String("checkpoint-dir")
	if ckpt == "" {
		ckpt = filepath.Clean(c.String("out")) + ".ckpt"
	}
	job := &trainJob{
		PolicyDir: c.String("policy"), RefDir: c.String("ref"), Data: c.String("data"), EvalData: c.String("eval-data"),
		Out: c.String("out"), CheckpointDir: ckpt, RefCache: c.String("ref-cache"), LogPath: c.String("log"),
		DataOpts:    dataset.Options{Format: dataset.Format(c.String("format")), SkipInvalid: c.Bool("skip-invalid")},
		Tok:         score.Tokenization{MaxLength: c.Int("max-length"), MaxPromptLength: c.Int("max-prompt-length"), NoEOS: c.Bool("no-eos")},
		BatchTokens: c.Int("batch-tokens"), Backend: c.String("backend"),
		Run: train.RunOptions{Config: cfg, Epochs: c.Int("epochs"), MaxSteps: c.Int("max-steps"), Seed: c.Uint64("seed"),
			EvalEvery: c.Int("eval-every"), SaveEvery: c.Int("save-every"), Resume: c.Bool("resume")},
		LoRA: lora, ExportAdapter: c.String("export-adapter"),
		Runtime: func() (*models.Runtime, error) { return openRuntime(c) },
		Stdout:  c.App.Writer, Stderr: c.App.ErrWriter,
	}
	if job.RefCache == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			job.RefCache = filepath.Join(dir, "dpokit", "ref-logps")
		} else {
			job.RefCache = filepath.Join(ckpt, "ref-logps")
		}
		job.RefCache += string(filepath.Separator) // a directory: one file per key
	}
	ctx, stop := signalContext()
	defer stop()
	return job.run(ctx)
}

// dataIdentity is what a reference cache and a checkpoint are keyed by.
type dataIdentity struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

func (j *trainJob) run(ctx context.Context) error {
	start := time.Now()
	if err := j.checkPaths(); err != nil {
		return err
	}
	policyDir, err := models.OpenDir(j.PolicyDir)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	tok, err := tokenize.Load(j.PolicyDir)
	if err != nil {
		return fmt.Errorf("policy tokenizer: %w", err)
	}
	refDir := policyDir
	if j.RefDir != "" {
		if refDir, err = models.OpenDir(j.RefDir); err != nil {
			return fmt.Errorf("reference: %w", err)
		}
		refTok, err := tokenize.Load(j.RefDir)
		if err != nil {
			return fmt.Errorf("reference tokenizer: %w", err)
		}
		if refTok.Fingerprint() != tok.Fingerprint() {
			return fmt.Errorf("policy %s and reference %s have different tokenizers: their log-probs are not comparable", j.PolicyDir, j.RefDir)
		}
		if refDir.Signature.Vocab != policyDir.Signature.Vocab {
			return fmt.Errorf("policy vocabulary %d differs from reference vocabulary %d", policyDir.Signature.Vocab, refDir.Signature.Vocab)
		}
	}
	tz := j.Tok
	tz.Vocab = policyDir.Signature.Vocab
	if n, ok := policyDir.ConfigInt("max_position_embeddings", "n_positions", "n_ctx"); ok {
		tz.Context = n
	}

	// The policy first: a model the GoMLX path cannot train fails before
	// any reference log-prob is computed. A merged decoder (If on
	// use_cache_branch) has no gradient path; its unmerged sibling holds the
	// same weights and graph.
	onnxPath := policyDir.ONNX
	if filepath.Base(onnxPath) == "decoder_model_merged.onnx" {
		if sib := filepath.Join(filepath.Dir(onnxPath), "decoder_model.onnx"); fileExists(sib) {
			fmt.Fprintf(j.Stderr, "note: training %s (the merged decoder's branches cannot be differentiated); the output holds it alone\n", sib)
			onnxPath = sib
		}
	}
	model, err := train.Load(onnxPath, train.LoadOptions{Backend: j.Backend, LoRA: j.LoRA})
	if err != nil {
		return err
	}
	for _, t := range model.Ties {
		fmt.Fprintf(j.Stderr, "note: %s is an eval-mode export: initializer %s was shared by %d Identity copies; they are trained and written as separate initializers\n",
			policyDir.ONNX, t.Initializer, len(t.Copies))
	}

	trainEx, trainID, err := j.examples(ctx, j.Data, tok, tz, refDir)
	if err != nil {
		return err
	}
	fp := map[string]any{"policy": fileSHA(onnxPath), "data": trainID, "lora": j.LoRA}
	if j.EvalData != "" {
		evalEx, evalID, err := j.examples(ctx, j.EvalData, tok, tz, refDir)
		if err != nil {
			return err
		}
		j.Run.Eval = evalEx
		fp["eval"] = evalID
	}
	j.Run.Train = trainEx
	j.noteReference(refDir)
	fpb, _ := json.Marshal(fp)
	j.Run.Fingerprint = string(fpb)
	j.Run.CheckpointDir = j.CheckpointDir
	j.Run.Progress = j.Stderr

	logw, closeLog, err := j.openLog()
	if err != nil {
		return err
	}
	defer closeLog()
	enc := json.NewEncoder(logw)
	j.Run.Log = func(r train.Record) error { return enc.Encode(r) }

	fmt.Fprintf(j.Stderr, "training %s (%s, GoMLX backend %s) on %d examples, %s, β %g\n",
		onnxPath, describeParameters(model), model.Backend(), len(trainEx), describeObjective(j.Run.Config), j.Run.Beta)
	res, err := train.Run(ctx, model, j.Run)
	if err != nil {
		if errors.Is(err, context.Canceled) && res != nil && res.Checkpoint != "" {
			fmt.Fprintf(j.Stderr, "checkpoint of step %d: %s\n", res.Steps, res.Checkpoint)
		}
		return err
	}
	prov := map[string]any{
		"generator": "dpokit train", "version": version(), "base_policy": dataIdentity{Path: abs(j.PolicyDir), SHA256: fileSHA(onnxPath)},
		"reference": dataIdentity{Path: abs(refDir.Path), SHA256: fileSHA(refDir.ONNX)}, "data": trainID,
		"config": res.Config, "epochs": j.Run.Epochs, "max_steps": j.Run.MaxSteps, "seed": j.Run.Seed,
		"steps": res.Steps, "final": res.Last, "eval": res.Eval, "untied_initializers": model.Ties,
		"tokenization": tz, "lora": model.LoRAInfo(), "trainable_parameters": model.Parameters(), "peak_rss_mb": peakRSSMB(),
	}
	out, err := model.Export(j.PolicyDir, j.Out, prov)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, s := range out.Skipped {
		fmt.Fprintf(j.Stderr, "note: %s not copied (another ONNX file; its weights would be stale)\n", s)
	}
	if j.ExportAdapter != "" {
		if err := model.WritePEFTAdapter(j.ExportAdapter, abs(j.PolicyDir)); err != nil {
			return fmt.Errorf("export adapter: %w", err)
		}
		fmt.Fprintf(j.Stderr, "wrote the PEFT adapter %s\n", j.ExportAdapter)
	}
	fmt.Fprintf(j.Stderr, "trained %d steps in %s; wrote %s (%s, %d initializers updated); checkpoints in %s; peak memory %.0f MB\n",
		res.Steps, time.Since(start).Round(time.Second), j.Out, out.ONNX, out.Updated, j.CheckpointDir, peakRSSMB())
	return nil
}

// checkPaths refuses, before any work, an output that exists or is an
// input, and a checkpoint directory that does not fit --resume.
func (j *trainJob) checkPaths() error {
	if _, err := os.Stat(j.Out); err == nil {
		return usagef("--out %s already exists (dpokit train never overwrites a model directory)", j.Out)
	}
	if j.ExportAdapter != "" {
		if _, err := os.Stat(j.ExportAdapter); err == nil {
			return usagef("--export-adapter %s already exists", j.ExportAdapter)
		}
	}
	for _, in := range []string{j.PolicyDir, j.RefDir} {
		if in != "" && abs(in) == abs(j.Out) {
			return usagef("--out %s is an input model directory", j.Out)
		}
	}
	_, err := train.LatestCheckpoint(j.CheckpointDir)
	switch {
	case j.Run.Resume && err != nil:
		return fmt.Errorf("--resume: %w", err)
	case !j.Run.Resume && err == nil:
		return usagef("checkpoints of an earlier run are in %s: pass --resume to continue it, or delete it to start again", j.CheckpointDir)
	}
	return nil
}

// openLog opens the step log: stdout, or the --log file (cut back to the
// resumed checkpoint's step, since those steps are run again).
func (j *trainJob) openLog() (io.Writer, func(), error) {
	if j.LogPath == "" {
		return j.Stdout, func() {}, nil
	}
	if j.Run.Resume {
		step, err := train.CheckpointStep(j.CheckpointDir)
		if err != nil {
			return nil, nil, err
		}
		if err := train.TrimLog(j.LogPath, step); err != nil {
			return nil, nil, err
		}
	} else if _, err := os.Stat(j.LogPath); err == nil {
		if err := os.Remove(j.LogPath); err != nil {
			return nil, nil, err
		}
	}
	f, err := os.OpenFile(j.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// examples reads and tokenizes a data file and attaches the reference
// log-probs (from the cache, or computed with ONNX Runtime and cached).
func (j *trainJob) examples(ctx context.Context, path string, tok *tokenize.Tokenizer, tz score.Tokenization, refDir *models.Dir) ([]train.Example, dataIdentity, error) {
	id := dataIdentity{Path: abs(path)}
	pairs, labels, err := j.readRecords(path)
	if err != nil {
		return nil, id, err
	}
	var enc []score.Encoded
	for i, p := range pairs {
		e, err := tz.Encode(tok, p, i)
		if err != nil {
			var re *dataset.RecordError
			if errors.As(err, &re) {
				re.File = path
			}
			if !j.DataOpts.SkipInvalid {
				return nil, id, err
			}
			fmt.Fprintf(j.Stderr, "skipped %s line %d (id %s): %v\n", path, p.Line, p.ID, err)
			continue
		}
		enc = append(enc, e)
	}
	if len(enc) == 0 {
		return nil, id, fmt.Errorf("%s: no pairs to train on", path)
	}
	if id.SHA256, _, err = dataset.Identity(path); err != nil {
		return nil, id, err
	}
	if labels != nil {
		mismatchCompletions(enc, j.Run.BatchSize, tz)
	}
	exs := make([]train.Example, len(enc))
	for i, e := range enc {
		exs[i] = train.Example{Index: e.Index, ID: e.ID, Prompt: e.Prompt, Chosen: e.Chosen, Rejected: e.Rejected}
		if labels != nil {
			exs[i].Desirable = labels[e.Index]
		}
	}
	if !j.needsRefs() {
		return exs, id, nil // no reference (SFT alone, reference-free objectives) or one computed in the step (TR-DPO)
	}
	recs, err := j.refLogps(ctx, refDir, id, enc, tz, "")
	if err != nil {
		return nil, id, err
	}
	for i, r := range recs {
		exs[i].RefChosen, exs[i].RefRejected = r.Chosen, r.Rejected
	}
	if j.Run.LDAlpha != nil {
		return exs, id, j.ldReferences(ctx, refDir, id, enc, tz, exs)
	}
	return exs, id, nil
}

// refLogps returns the reference log-probs of the encoded pairs, in their
// order: read from the cache when it matches, otherwise computed by the
// score code path on ONNX Runtime and cached.
func (j *trainJob) refLogps(ctx context.Context, refDir *models.Dir, data dataIdentity, enc []score.Encoded, tz score.Tokenization, variant string) ([]train.RefRecord, error) {
	settings, _ := json.Marshal(map[string]any{"tokenization": tz, "format": j.DataOpts.Format, "skip_invalid": j.DataOpts.SkipInvalid,
		"variant": variant, "objective": j.Run.Objective, "kl_group": j.klGroup()})
	h := train.RefHeader{RefSHA256: fileSHA(refDir.ONNX), DataSHA256: data.SHA256, Tokenization: settings, Pairs: len(enc)}
	path := j.RefCache
	if path == "" || path[len(path)-1] == filepath.Separator {
		key, _ := json.Marshal(h)
		sum := sha256.Sum256(key)
		path = filepath.Join(path, hex.EncodeToString(sum[:16])+".jsonl")
	}
	recs, err := train.ReadRefLogps(path, h)
	if err == nil && refsMatch(recs, enc) {
		fmt.Fprintf(j.Stderr, "reference log-probs: %s (cached)\n", path)
		return recs, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, train.ErrStaleRefs) {
		fmt.Fprintf(j.Stderr, "note: recomputing reference log-probs: %v\n", err)
	}
	rt, err := j.Runtime()
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	m, err := rt.Load(refDir)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	sharing := score.Sharing(score.Options{}, refDir, nil)
	plan := score.Plan(enc, score.Options{BatchTokens: j.BatchTokens}, sharing)
	byIndex := make(map[int]train.RefRecord, len(enc))
	bar := progress.New(j.Stderr, "reference log-probs", "pairs", len(enc))
	for _, batch := range plan {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, r, err := score.ResponseLogps(m, batch, sharing)
		if err != nil {
			return nil, fmt.Errorf("reference %s: %w", refDir.Path, err)
		}
		for i, e := range batch {
			byIndex[e.Index] = train.RefRecord{Index: e.Index, ID: e.ID, Chosen: c[i], Rejected: r[i], ChosenTokens: len(e.Chosen), RejectedTokens: len(e.Rejected)}
		}
		bar.Add(len(batch))
	}
	bar.Finish()
	recs = make([]train.RefRecord, len(enc))
	for i, e := range enc {
		recs[i] = byIndex[e.Index]
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := train.WriteRefLogps(path, h, recs); err != nil {
		return nil, err
	}
	fmt.Fprintf(j.Stderr, "reference log-probs: %s (computed with ONNX Runtime)\n", path)
	return recs, nil
}

// refsMatch checks that cached records line up with the encoded pairs.
func refsMatch(recs []train.RefRecord, enc []score.Encoded) bool {
	if len(recs) != len(enc) {
		return false
	}
	for i, e := range enc {
		r := recs[i]
		if r.Index != e.Index || r.ID != e.ID || r.ChosenTokens != len(e.Chosen) || r.RejectedTokens != len(e.Rejected) {
			return false
		}
	}
	return true
}

func fileSHA(path string) string {
	s, _, err := dataset.Identity(path)
	if err != nil {
		return ""
	}
	return s
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
