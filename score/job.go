package score

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/progress"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/tokenize"
)

// Job is one `dpokit score` run over a dataset file.
type Job struct {
	Runtime   *models.Runtime
	PolicyDir string
	RefDir    string // ignored when RefFree
	Data      string
	DataOpts  dataset.Options
	Options
	Tokenization
	Out     string    // per-pair JSONL; "" writes it to Stdout
	Summary string    // summary JSON; "" skips the file
	Stdout  io.Writer // per-pair lines when Out is ""
	Stderr  io.Writer // progress
	Resume  bool
	Shard   Shard
}

// Shard selects the I-th of N contiguous blocks of the dataset (0-based).
// Blocks are whole chunks of ChunkPairs records, because batches are
// planned within a chunk: a pair then lands in the same batch, and so gets
// the same bits, whether the data is sharded, resumed or run at once.
type Shard struct{ I, N int }

// ChunkPairs is the number of consecutive records within which pairs are
// sorted by length and batched.
const ChunkPairs = 256

func (s Shard) String() string {
	if s.N <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// ParseShard reads "i/n" (0 <= i < n); "" is no sharding (the zero Shard).
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n", s)
	}
	return Shard{I: i, N: n}, nil
}

// Range returns the block [lo, hi) of n records that the shard owns.
func (s Shard) Range(n int) (int, int) {
	if s.N <= 1 {
		return 0, n
	}
	chunks := (n + ChunkPairs - 1) / ChunkPairs
	lo, hi := s.I*chunks/s.N*ChunkPairs, (s.I+1)*chunks/s.N*ChunkPairs
	return min(lo, n), min(hi, n)
}

// Identity names an input by path and content hash.
type Identity struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Skip is a record that was not scored, and why.
type Skip struct {
	Line   int    `json:"line"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// Summary is the run's report (stable JSON field names).
type Summary struct {
	Pairs          int    `json:"pairs"`
	Skipped        int    `json:"skipped"`
	SkippedRecords []Skip `json:"skipped_records"`
	Stats
	Beta               float64   `json:"beta"`
	RefFree            bool      `json:"ref_free"`
	LengthNorm         string    `json:"length_norm"`
	PrefixSharing      bool      `json:"prefix_sharing"`
	BoundaryMismatches int       `json:"boundary_mismatches"`
	Truncated          int       `json:"truncated"`
	Policy             Identity  `json:"policy"`
	Ref                *Identity `json:"ref,omitempty"`
	Data               Identity  `json:"data"`
	Tokens             int64     `json:"tokens"`
	Seconds            float64   `json:"seconds"`
	TokensPerSecond    float64   `json:"tokens_per_second"`
	PairsPerSecond     float64   `json:"pairs_per_second"`
	ORTSeconds         float64   `json:"ort_seconds"`
	ORTShare           float64   `json:"ort_share"` // ORT time of the scoring loop / (its wall time × models run in parallel)
	Phases             Phases    `json:"phases"`
	Shard              string    `json:"shard,omitempty"`
	Out                string    `json:"out,omitempty"`
	Settings           string    `json:"settings"`
}

// Phases is where the wall time went, in seconds.
type Phases struct {
	Prepare float64 `json:"prepare"` // reading, hashing and tokenizing the data, opening models
	Score   float64 `json:"score"`   // the scoring loop (ONNX Runtime sessions created before it)
	Write   float64 `json:"write"`
}

// Run executes the job and returns its summary.
func (j *Job) Run(ctx context.Context) (*Summary, error) {
	start := time.Now()
	if j.Beta <= 0 {
		return nil, errors.New("beta must be positive")
	}
	if j.Shard.N > 1 && (j.Shard.I < 0 || j.Shard.I >= j.Shard.N) {
		return nil, fmt.Errorf("shard %d/%d: index must be in 0..%d", j.Shard.I, j.Shard.N, j.Shard.N-1)
	}
	if j.Resume && j.Out == "" {
		return nil, errors.New("--resume needs --out: results of an interrupted run are kept beside the output file")
	}
	policyDir, err := models.OpenDir(j.PolicyDir)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	tok, err := tokenize.Load(j.PolicyDir)
	if err != nil {
		return nil, fmt.Errorf("policy tokenizer: %w", err)
	}
	var refDir *models.Dir
	if !j.RefFree {
		if j.RefDir == "" {
			return nil, errors.New("a reference model is needed (--ref), or ask for --ref-free")
		}
		if refDir, err = models.OpenDir(j.RefDir); err != nil {
			return nil, fmt.Errorf("reference: %w", err)
		}
		refTok, err := tokenize.Load(j.RefDir)
		if err != nil {
			return nil, fmt.Errorf("reference tokenizer: %w", err)
		}
		if refTok.Fingerprint() != tok.Fingerprint() {
			return nil, fmt.Errorf("policy %s and reference %s have different tokenizers: their log-probs are not comparable", j.PolicyDir, j.RefDir)
		}
		if refDir.Signature.Vocab != policyDir.Signature.Vocab {
			return nil, fmt.Errorf("policy vocabulary %d differs from reference vocabulary %d", policyDir.Signature.Vocab, refDir.Signature.Vocab)
		}
	}

	pairs, skippedRead, err := dataset.ReadPairs(j.Data, j.DataOpts)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Beta: j.Beta, RefFree: j.RefFree, LengthNorm: j.LengthNorm, Shard: j.Shard.String(), SkippedRecords: []Skip{}}
	if j.Out != "" {
		if sum.Out, err = filepath.Abs(j.Out); err != nil {
			return nil, err
		}
	}
	// Records the dataset reader skipped are reported once, by shard 0.
	if j.Shard.I == 0 {
		for _, s := range skippedRead {
			sum.SkippedRecords = append(sum.SkippedRecords, Skip{Line: s.Line, ID: s.ID, Reason: s.Reason})
		}
	}
	lo, hi := j.Shard.Range(len(pairs))
	pairs = pairs[lo:hi]
	sum.Pairs = len(pairs) + len(sum.SkippedRecords)

	if sum.Data, err = Identify(j.Data); err != nil {
		return nil, err
	}
	if sum.Policy, err = Identify(policyDir.ONNX); err != nil {
		return nil, err
	}
	if refDir != nil {
		id, err := Identify(refDir.ONNX)
		if err != nil {
			return nil, err
		}
		sum.Ref = &id
	}

	tz := j.Tokenization
	tz.Vocab = policyDir.Signature.Vocab
	if c, ok := policyDir.ConfigInt("max_position_embeddings", "n_positions", "n_ctx"); ok && tz.Context == 0 {
		tz.Context = c
	}
	encoded := make([]Encoded, 0, len(pairs))
	for i, p := range pairs {
		e, err := tz.Encode(tok, p, lo+i)
		if err != nil {
			var re *dataset.RecordError
			if errors.As(err, &re) {
				re.File = j.Data
			}
			if !j.DataOpts.SkipInvalid {
				return nil, err
			}
			sum.SkippedRecords = append(sum.SkippedRecords, Skip{Line: p.Line, ID: p.ID, Reason: err.Error()})
			continue
		}
		if e.BoundaryMismatch {
			sum.BoundaryMismatches++
		}
		if e.Truncated {
			sum.Truncated++
		}
		encoded = append(encoded, e)
	}
	sum.Skipped = len(sum.SkippedRecords)
	slices.SortFunc(sum.SkippedRecords, func(a, b Skip) int { return a.Line - b.Line })

	settings, err := json.Marshal(struct {
		Policy, Data string
		Ref          *Identity
		R            Rewarding
		T            Tokenization
		Format       string
	}{sum.Policy.SHA256, sum.Data.SHA256, sum.Ref, j.Rewarding, tz, string(j.DataOpts.Format)})
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(settings)
	sum.Settings = hex.EncodeToString(h[:])

	// Results of an interrupted run.
	done := map[int]Result{}
	var journal *fsutil.Journal
	if j.Out != "" {
		header, _ := json.Marshal(map[string]string{"dpokit_score_journal": sum.Settings, "shard": sum.Shard})
		var lines [][]byte
		journal, lines, err = fsutil.OpenJournal(j.Out+".partial", header, j.Resume)
		if err != nil {
			return nil, err
		}
		defer journal.Close()
		if len(lines) > 0 && !bytes.Equal(lines[0], header) {
			return nil, fmt.Errorf("%s.partial was written by a run with other models, data or settings; delete it to start again", j.Out)
		}
		for _, l := range lines[min(1, len(lines)):] {
			var r Indexed
			if err := json.Unmarshal(l, &r); err != nil {
				return nil, fmt.Errorf("%s.partial: %w", j.Out, err)
			}
			done[r.Index] = r.Result
		}
		if len(done) > 0 {
			slog.Info("resuming", "finished_pairs", len(done), "journal", j.Out+".partial")
		}
	}
	sharing := Sharing(j.Options, policyDir, refDir)
	var todo [][]Encoded // batches not (wholly) finished by an earlier run
	todoPairs := 0
	for c := 0; c < len(encoded); {
		end := c
		for end < len(encoded) && encoded[end].Index/ChunkPairs == encoded[c].Index/ChunkPairs {
			end++
		}
		for _, b := range Plan(encoded[c:end], j.Options, sharing) {
			for _, e := range b {
				if _, ok := done[e.Index]; !ok {
					todo = append(todo, b)
					todoPairs += len(b)
					break
				}
			}
		}
		c = end
	}

	var policy, ref *models.Model
	var ortBefore time.Duration
	if len(todo) > 0 {
		if policy, err = j.Runtime.Load(policyDir); err != nil {
			return nil, err
		}
		defer policy.Close()
		if refDir != nil {
			if ref, err = j.Runtime.Load(refDir); err != nil {
				return nil, err
			}
			defer ref.Close()
		}
	}
	for _, m := range []*models.Model{policy, ref} {
		if m != nil {
			d, _ := m.ORTTime()
			ortBefore += d
		}
	}
	sum.PrefixSharing = sharing
	loopStart := time.Now()
	sum.Phases.Prepare = loopStart.Sub(start).Seconds()
	bar := progress.New(j.Stderr, "score", "pairs", len(encoded))
	bar.Start(len(encoded) - todoPairs)
	if len(todo) > 0 {
		err = Run(ctx, policy, ref, todo, sharing, j.Options, func(batch []Indexed) error {
			recs := make([][]byte, len(batch))
			for i, r := range batch {
				done[r.Index] = r.Result
				b, err := json.Marshal(r)
				if err != nil {
					return err
				}
				recs[i] = b
			}
			if journal != nil {
				if err := journal.Append(recs...); err != nil {
					return err
				}
			}
			bar.Add(len(batch))
			return nil
		})
		bar.Finish()
		if err != nil {
			return nil, err
		}
	}

	sum.Phases.Score = time.Since(loopStart).Seconds()
	writeStart := time.Now()
	results := make([]Result, 0, len(encoded))
	for _, e := range encoded {
		results = append(results, done[e.Index])
		sum.Tokens += int64(2*len(e.Prompt) + len(e.Chosen) + len(e.Rejected))
	}
	sum.Stats = Aggregate(results)
	writePairs := func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	if j.Out != "" {
		if err := fsutil.WriteFile(j.Out, writePairs); err != nil {
			return nil, err
		}
		if err := journal.Remove(); err != nil {
			return nil, err
		}
	} else if j.Stdout != nil {
		if err := writePairs(j.Stdout); err != nil {
			return nil, err
		}
	}
	sum.Phases.Write = time.Since(writeStart).Seconds()
	sum.Seconds = time.Since(start).Seconds()
	if sum.Seconds > 0 {
		sum.TokensPerSecond = float64(sum.Tokens) / sum.Seconds
		sum.PairsPerSecond = float64(sum.Scored) / sum.Seconds
	}
	workers := 0
	for _, m := range []*models.Model{policy, ref} {
		if m != nil {
			d, _ := m.ORTTime()
			sum.ORTSeconds += d.Seconds()
			workers++
		}
	}
	if workers > 0 && sum.Phases.Score > 0 {
		sum.ORTShare = (sum.ORTSeconds - ortBefore.Seconds()) / (sum.Phases.Score * float64(workers))
	}
	if j.Summary != "" {
		if err := WriteSummary(j.Summary, sum); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// WriteSummary writes the summary JSON atomically.
func WriteSummary(path string, s *Summary) error {
	return fsutil.WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}

// Identify names a file by its absolute path, SHA-256 and size. For an ONNX
// file its external data files are not hashed (the ONNX file names them).
func Identify(path string) (Identity, error) {
	sum, n, err := dataset.Identity(path)
	if err != nil {
		return Identity{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return Identity{Path: abs, SHA256: sum, Bytes: n}, nil
}

// Table writes the summary as a short human-readable table.
func (s *Summary) Table(w io.Writer) {
	fmt.Fprintf(w, "pairs            %d (scored %d, skipped %d)\n", s.Pairs, s.Scored, s.Skipped)
	fmt.Fprintf(w, "accuracy         %.4f ± %.4f\n", s.Accuracy, s.AccuracyStdErr)
	fmt.Fprintf(w, "chosen reward    %+.4f\n", s.MeanChosenReward)
	fmt.Fprintf(w, "rejected reward  %+.4f\n", s.MeanRejectedReward)
	fmt.Fprintf(w, "margin           %+.4f ± %.4f\n", s.MeanMargin, s.MarginStdErr)
	fmt.Fprintf(w, "beta             %g%s\n", s.Beta, map[bool]string{true: " (reference-free)", false: ""}[s.RefFree])
	fmt.Fprintf(w, "tokens           %d in %.2fs (%.0f tokens/s, %.1f pairs/s)\n", s.Tokens, s.Seconds, s.TokensPerSecond, s.PairsPerSecond)
	if s.BoundaryMismatches > 0 || s.Truncated > 0 {
		fmt.Fprintf(w, "tokenization     %d boundary mismatches, %d truncated\n", s.BoundaryMismatches, s.Truncated)
	}
}
