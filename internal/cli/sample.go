package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/bestofn"
	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/progress"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/sample"
	"github.com/dpokit/dpokit/score"
	"github.com/dpokit/dpokit/tokenize"
)

func samplingFlags(defaultN int) []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "model", Usage: "model directory to sample from (required)"},
		&cli.StringFlag{Name: "prompts", Usage: "prompts: JSONL/JSON/Parquet with `prompt` (text or messages) or `messages`, optional `id` (required)"},
		&cli.StringFlag{Name: "out", Usage: "output JSONL, one line per prompt (required)"},
		&cli.IntFlag{Name: "n", Value: defaultN, Usage: "completions per prompt"},
		&cli.IntFlag{Name: "max-new-tokens", Value: 128, Usage: "tokens generated at most"},
		&cli.IntFlag{Name: "min-new-tokens", Usage: "EOS, stop tokens and stop strings are ignored before this many tokens"},
		&cli.Float64Flag{Name: "temperature", Value: 1, Usage: "0 = greedy"},
		&cli.IntFlag{Name: "top-k", Usage: "keep the K most likely tokens (0: off)"},
		&cli.Float64Flag{Name: "top-p", Value: 1, Usage: "nucleus sampling (1: off)"},
		&cli.Float64Flag{Name: "min-p", Usage: "drop tokens less likely than MIN-P × the most likely (0: off)"},
		&cli.Float64Flag{Name: "repetition-penalty", Value: 1, Usage: "Hugging Face repetition penalty (1: off)"},
		&cli.StringSliceFlag{Name: "stop", Usage: "stop string (repeatable)"},
		&cli.IntSliceFlag{Name: "stop-token", Usage: "stop token id (repeatable); EOS ids of generation_config.json always stop"},
		&cli.Uint64Flag{Name: "seed", Value: 0, Usage: "random seed: same seed, same output, whatever --batch"},
		&cli.IntFlag{Name: "batch", Value: 16, Usage: "sequences decoded together"},
		&cli.BoolFlag{Name: "resume", Usage: "continue an interrupted run from OUT.partial"},
		&cli.BoolFlag{Name: "skip-invalid", Usage: "skip bad prompt records (reported) instead of stopping"},
		&cli.StringFlag{Name: "ref-model", Usage: "also give each completion's log-prob under this model (ref_logp), on the exact token ids"},
	}, runtimeFlags(runtime.NumCPU())...)
}

func sampleCommand() *cli.Command {
	return &cli.Command{
		Name:      "sample",
		Usage:     "generate completions from an ONNX decoder on its KV cache",
		UsageText: "dpokit sample --model DIR --prompts FILE --out FILE.jsonl [--n 1] [--temperature 1] [--max-new-tokens 128]",
		Flags:     samplingFlags(1),
		Action:    func(c *cli.Context) error { return runSampling(c, false) },
	}
}

func bestofnCommand() *cli.Command {
	return &cli.Command{
		Name:      "bestofn",
		Usage:     "draw N completions per prompt (one shared prefill) and rank them",
		UsageText: "dpokit bestofn --model DIR --prompts FILE --n 16 --rank implicit|logprob|rm:DIR --out FILE.jsonl [--policy DIR --ref DIR --beta B] [--baseline-out FILE.jsonl]",
		Flags: append(samplingFlags(16),
			&cli.StringFlag{Name: "rank", Value: "logprob", Usage: "implicit (--policy/--ref), logprob (--policy, or the sampling model) or rm:DIR"},
			&cli.StringFlag{Name: "policy", Usage: "policy model for --rank implicit or logprob"},
			&cli.StringFlag{Name: "ref", Usage: "reference model for --rank implicit"},
			&cli.Float64Flag{Name: "beta", Value: 0.1, Usage: "β of the implicit reward"},
			&cli.StringFlag{Name: "length-norm", Usage: "avg: divide log-probs by the completion's token count"},
			&cli.StringFlag{Name: "baseline-out", Usage: "also write the best completion per prompt in `dpokit sample` format"},
		),
		Action: func(c *cli.Context) error { return runSampling(c, true) },
	}
}

func samplingOptions(c *cli.Context) sample.Options {
	return sample.Options{
		MaxNewTokens: c.Int("max-new-tokens"), MinNewTokens: c.Int("min-new-tokens"),
		Temperature: c.Float64("temperature"), TopK: c.Int("top-k"), TopP: c.Float64("top-p"), MinP: c.Float64("min-p"),
		RepetitionPenalty: c.Float64("repetition-penalty"), StopStrings: c.StringSlice("stop"), StopTokens: c.IntSlice("stop-token"),
		N: c.Int("n"), Seed: c.Uint64("seed"), Batch: c.Int("batch"),
	}
}

// loadRefModel opens the --ref-model, which must share the sampling
// model's tokenizer.
func loadRefModel(rt *models.Runtime, path string, tok *tokenize.Tokenizer) (*models.Model, error) {
	d, err := models.OpenDir(path)
	if err != nil {
		return nil, fmt.Errorf("--ref-model: %w", err)
	}
	rtok, err := tokenize.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--ref-model tokenizer: %w", err)
	}
	if rtok.Fingerprint() != tok.Fingerprint() {
		return nil, fmt.Errorf("--ref-model %s has another tokenizer than the sampling model", path)
	}
	return rt.Load(d)
}

// addRefLogps sets each completion's ref_logp: the reference's log-prob of
// its exact token ids after the prompt's ids.
func addRefLogps(ref *models.Model, prompts [][]int, recs []sample.Record) error {
	var seqs []score.Seq
	for i, r := range recs {
		for _, c := range r.Completions {
			seqs = append(seqs, score.Seq{Prompt: prompts[i], Response: c.TokenIDs})
		}
	}
	sharing := ref.Sig.HasCache() && ref.Sig.PositionIDs != ""
	lps, err := score.SeqLogps(ref, seqs, sharing)
	if err != nil {
		return fmt.Errorf("--ref-model: %w", err)
	}
	k := 0
	for i := range recs {
		for j := range recs[i].Completions {
			v := lps[k]
			recs[i].Completions[j].RefLogp = &v
			k++
		}
	}
	return nil
}

// promptText renders a prompt record as the text the model continues.
func promptText(tok *tokenize.Tokenizer, p dataset.Prompt) (string, error) {
	if !p.Conversational() {
		return p.Text, nil
	}
	if !tok.HasChatTemplate() {
		return "", fmt.Errorf("prompt %s has messages but the tokenizer has no chat_template", p.ID)
	}
	msgs := make([]tokenize.Message, len(p.Messages))
	for i, m := range p.Messages {
		msgs[i] = tokenize.Message{Role: m.Role, Content: m.Content}
	}
	return tok.ApplyChatTemplate(msgs, true)
}

func runSampling(c *cli.Context, best bool) error {
	if c.Args().Len() > 0 {
		return usagef("unexpected arguments %q", c.Args().Slice())
	}
	for _, f := range []string{"model", "prompts", "out"} {
		if c.String(f) == "" {
			return usagef("--%s is required", f)
		}
	}
	opts := samplingOptions(c)
	if opts.N < 1 {
		return usagef("--n must be at least 1")
	}
	if opts.Batch < 1 {
		return usagef("--batch must be at least 1")
	}
	if best && opts.Batch < opts.N {
		opts.Batch = opts.N // the N rows of a prompt share one prefill
	}
	if err := opts.Validate(); err != nil {
		return usagef("%v", err)
	}
	var rankSpec score.JudgeSpec
	if best {
		kind, _, err := score.ParseJudge(c.String("rank"))
		if err != nil {
			return usagef("--rank: %v", err)
		}
		if kind == "implicit" && (c.String("policy") == "" || c.String("ref") == "") {
			return usagef("--rank implicit needs --policy and --ref")
		}
		if ln := c.String("length-norm"); ln != "" && ln != "avg" {
			return usagef("--length-norm %q: want avg", ln)
		}
		rankSpec = score.JudgeSpec{Kind: c.String("rank"), Policy: c.String("policy"), Ref: c.String("ref"),
			Rewarding: score.Rewarding{Beta: c.Float64("beta"), LengthNorm: c.String("length-norm")}}
	}
	rt, err := openRuntime(c)
	if err != nil {
		return err
	}
	defer rt.Close()
	ctx, stop := signalContext()
	defer stop()

	dir, err := models.OpenDir(c.String("model"))
	if err != nil {
		return err
	}
	tok, err := tokenize.Load(c.String("model"))
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	opts.EOS = dir.EOS()
	if len(opts.EOS) == 0 {
		opts.EOS = tok.EOS()
	}
	prompts, skipped, err := dataset.ReadPrompts(c.String("prompts"), dataset.Options{SkipInvalid: c.Bool("skip-invalid")})
	if err != nil {
		return err
	}
	for _, s := range skipped {
		slog.Warn("skipped prompt record", "file", c.String("prompts"), "line", s.Line, "reason", s.Reason)
	}
	texts := make([]string, len(prompts))
	ids := make([][]int, len(prompts))
	for i, p := range prompts {
		if texts[i], err = promptText(tok, p); err == nil {
			ids[i], err = tok.EncodePrompt(texts[i])
		}
		if err != nil {
			return &dataset.RecordError{File: c.String("prompts"), Line: p.Line, Field: "prompt", Err: err}
		}
	}

	var ranker bestofn.Ranker
	if best && !(c.String("rank") == "logprob" && c.String("policy") == "") {
		j, err := score.OpenJudge(rt, rankSpec)
		if err != nil {
			return err
		}
		defer j.Close()
		ranker = j
	}
	m, err := rt.Load(dir)
	if err != nil {
		return err
	}
	defer m.Close()
	var ref *models.Model
	if p := c.String("ref-model"); p != "" {
		if ref, err = loadRefModel(rt, p, tok); err != nil {
			return err
		}
		defer ref.Close()
	}

	settings, _ := json.Marshal(struct {
		Model, Prompts, Rank string
		Opts                 sample.Options
		Ref                  string
	}{dir.ONNX, c.String("prompts"), c.String("rank"), opts, c.String("ref-model")})
	h := sha256.Sum256(settings)
	header, _ := json.Marshal(map[string]string{"dpokit_sample_journal": hex.EncodeToString(h[:])})
	out := c.String("out")
	journal, lines, err := fsutil.OpenJournal(out+".partial", header, c.Bool("resume"))
	if err != nil {
		return err
	}
	defer journal.Close()
	if len(lines) > 0 && string(lines[0]) != string(header) {
		return fmt.Errorf("%s.partial was written with other settings; delete it to start again", out)
	}
	done := map[int]sample.Record{}
	for _, l := range lines[min(1, len(lines)):] {
		var r struct {
			Index int `json:"index"`
			sample.Record
		}
		if err := json.Unmarshal(l, &r); err != nil {
			return fmt.Errorf("%s.partial: %w", out, err)
		}
		done[r.Index] = r.Record
	}

	// Prompts go in fixed groups so a resumed run draws exactly as a whole one.
	group := max(1, opts.Batch/opts.N)
	bar := progress.New(c.App.ErrWriter, c.Command.Name, "prompts", len(prompts))
	bar.Start(len(done))
	for lo := 0; lo < len(prompts); lo += group {
		hi := min(lo+group, len(prompts))
		finished := true
		for i := lo; i < hi; i++ {
			_, ok := done[i]
			finished = finished && ok
		}
		if finished {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		o := opts
		o.FirstPrompt = lo
		comps, err := sample.Generate(ctx, m, tok, ids[lo:hi], o)
		if err != nil {
			return err
		}
		recs := make([]sample.Record, hi-lo)
		for i := range recs {
			recs[i] = sample.Record{ID: prompts[lo+i].ID, Prompt: texts[lo+i]}
			for _, comp := range comps[i] {
				recs[i].Completions = append(recs[i].Completions, sample.Candidate{Completion: comp})
			}
		}
		if ref != nil {
			if err := addRefLogps(ref, ids[lo:hi], recs); err != nil {
				return err
			}
		}
		if best {
			if err := bestofn.Rank(ctx, ranker, c.String("length-norm"), recs); err != nil {
				return err
			}
		}
		var lines [][]byte
		for i, r := range recs {
			b, err := json.Marshal(struct {
				Index int `json:"index"`
				sample.Record
			}{lo + i, r})
			if err != nil {
				return err
			}
			lines = append(lines, b)
			done[lo+i] = r
		}
		if err := journal.Append(lines...); err != nil {
			return err
		}
		bar.Add(hi - lo)
	}
	bar.Finish()
	write := func(path string, pick func(sample.Record) sample.Record) error {
		return fsutil.WriteFile(path, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			for i := range prompts {
				if err := enc.Encode(pick(done[i])); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := write(out, func(r sample.Record) sample.Record { return r }); err != nil {
		return err
	}
	if p := c.String("baseline-out"); best && p != "" {
		if err := write(p, func(r sample.Record) sample.Record {
			b, _ := r.Chosen()
			b.Score = nil
			return sample.Record{ID: r.ID, Prompt: r.Prompt, Completions: []sample.Candidate{b}}
		}); err != nil {
			return err
		}
	}
	if err := journal.Remove(); err != nil {
		return err
	}
	tokens := 0
	for _, r := range done {
		for _, c := range r.Completions {
			tokens += len(c.TokenIDs)
		}
	}
	fmt.Fprintf(c.App.ErrWriter, "%s: %d prompts, %d completions, %d tokens -> %s\n", c.Command.Name, len(prompts), len(prompts)*opts.N, tokens, out)
	return nil
}

func winrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "winrate",
		Usage:     "win rate of candidate outputs against baseline outputs, prompt by prompt, judged by a reward",
		UsageText: "dpokit score winrate --candidates A.jsonl --baseline B.jsonl --judge implicit|logprob|rm:DIR [--policy DIR --ref DIR] [--out result.json]",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "candidates", Usage: "sample/bestofn output to evaluate (required)"},
			&cli.StringFlag{Name: "baseline", Usage: "sample/bestofn output to compare against (required)"},
			&cli.StringFlag{Name: "judge", Usage: "implicit (--policy/--ref), logprob (--policy) or rm:DIR (required)"},
			&cli.StringFlag{Name: "policy", Usage: "policy model for the implicit or logprob judge"},
			&cli.StringFlag{Name: "ref", Usage: "reference model for the implicit judge"},
			&cli.Float64Flag{Name: "beta", Value: 0.1, Usage: "β of the implicit reward"},
			&cli.StringFlag{Name: "length-norm", Usage: "avg: length-normalised log-probs"},
			&cli.BoolFlag{Name: "length-controlled", Usage: "add a length-controlled win rate (AlpacaEval 2 style logistic fit)"},
			&cli.StringFlag{Name: "out", Usage: "result JSON file (also printed)"},
			&cli.IntFlag{Name: "batch-tokens", Value: score.DefaultBatchTokens, Usage: "padded tokens per forward pass"},
		}, runtimeFlags()...),
		Action: func(c *cli.Context) error {
			for _, f := range []string{"candidates", "baseline", "judge"} {
				if c.String(f) == "" {
					return usagef("--%s is required", f)
				}
			}
			kind, _, err := score.ParseJudge(c.String("judge"))
			if err != nil {
				return usagef("--judge: %v", err)
			}
			if kind != "rm" && c.String("policy") == "" || kind == "implicit" && c.String("ref") == "" {
				return usagef("--judge %s needs --policy%s", kind, map[bool]string{true: " and --ref", false: ""}[kind == "implicit"])
			}
			rt, err := openRuntime(c)
			if err != nil {
				return err
			}
			defer rt.Close()
			ctx, stop := signalContext()
			defer stop()
			j, err := score.OpenJudge(rt, score.JudgeSpec{Kind: c.String("judge"), Policy: c.String("policy"), Ref: c.String("ref"),
				Rewarding: score.Rewarding{Beta: c.Float64("beta"), LengthNorm: c.String("length-norm")}, BatchTokens: c.Int("batch-tokens")})
			if err != nil {
				return err
			}
			defer j.Close()
			w, err := score.CompareFiles(ctx, j, c.String("candidates"), c.String("baseline"), c.Bool("length-controlled"))
			if err != nil {
				return err
			}
			if p := c.String("out"); p != "" {
				if err := fsutil.WriteFile(p, func(wr io.Writer) error {
					enc := json.NewEncoder(wr)
					enc.SetIndent("", "  ")
					return enc.Encode(w)
				}); err != nil {
					return err
				}
			}
			fmt.Fprintf(c.App.Writer, "win rate %.4f ± %.4f (95%% CI %.4f–%.4f), n %d: %d wins, %d losses, %d ties\n",
				w.WinRate, w.StandardError, w.CI95[0], w.CI95[1], w.N, w.Wins, w.Losses, w.Ties)
			if w.LengthControlled != nil {
				fmt.Fprintf(c.App.Writer, "length-controlled win rate %.4f (length coefficient %s)\n", *w.LengthControlled, strconv.FormatFloat(*w.LengthCoefficient, 'f', 3, 64))
			}
			fmt.Fprintf(c.App.Writer, "mean tokens: candidates %.1f, baseline %.1f\n", w.MeanCandidateLen, w.MeanBaselineLen)
			return nil
		},
	}
}
