package results

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// Result is one scored pair (`dpokit score`, one JSON line per pair).
type Result struct {
	ID                 string  `json:"id"`
	PolicyChosenLogp   float64 `json:"policy_chosen_logp"`
	PolicyRejectedLogp float64 `json:"policy_rejected_logp"`
	RefChosenLogp      float64 `json:"ref_chosen_logp"`
	RefRejectedLogp    float64 `json:"ref_rejected_logp"`
	ChosenReward       float64 `json:"chosen_reward"`
	RejectedReward     float64 `json:"rejected_reward"`
	Margin             float64 `json:"margin"`
	Correct            bool    `json:"correct"`
	ChosenTokens       int     `json:"chosen_tokens"`
	RejectedTokens     int     `json:"rejected_tokens"`
}

// Stats are the aggregate figures of a set of results.
type Stats struct {
	Scored             int     `json:"scored"`
	Accuracy           float64 `json:"accuracy"`
	AccuracyStdErr     float64 `json:"accuracy_standard_error"`
	MeanChosenReward   float64 `json:"mean_chosen_reward"`
	MeanRejectedReward float64 `json:"mean_rejected_reward"`
	MeanMargin         float64 `json:"mean_margin"`
	MarginStdErr       float64 `json:"margin_standard_error"`
	ChosenTokens       int     `json:"chosen_tokens"`
	RejectedTokens     int     `json:"rejected_tokens"`
}

// Aggregate computes Stats over results. The standard errors are those of a
// mean of independent samples (accuracy: sqrt(p(1−p)/n); margin: sample
// standard deviation / sqrt(n)).
func Aggregate(results []Result) Stats {
	s := Stats{Scored: len(results)}
	if len(results) == 0 {
		return s
	}
	correct := 0
	margins := make([]float64, len(results))
	for i, r := range results {
		if r.Correct {
			correct++
		}
		s.MeanChosenReward += r.ChosenReward
		s.MeanRejectedReward += r.RejectedReward
		margins[i] = r.Margin
		s.ChosenTokens += r.ChosenTokens
		s.RejectedTokens += r.RejectedTokens
	}
	fn := float64(len(results))
	s.Accuracy = float64(correct) / fn
	s.AccuracyStdErr = math.Sqrt(s.Accuracy * (1 - s.Accuracy) / fn)
	s.MeanChosenReward /= fn
	s.MeanRejectedReward /= fn
	s.MeanMargin, s.MarginStdErr = MeanStdErr(margins)
	return s
}

// MeanStdErr returns the mean of x and its standard error, the sample
// standard deviation (n−1) over √n (0 for fewer than two values).
func MeanStdErr(x []float64) (mean, stderr float64) {
	n := float64(len(x))
	if len(x) == 0 {
		return 0, 0
	}
	for _, v := range x {
		mean += v
	}
	mean /= n
	if len(x) < 2 {
		return mean, 0
	}
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss/(n-1)) / math.Sqrt(n)
}

// Identity names an input by path and content hash.
type Identity struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Identify names a file by its absolute path, SHA-256 and size.
func Identify(path string) (Identity, error) {
	sum, n, err := fsutil.HashFile(path)
	if err != nil {
		return Identity{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return Identity{Path: abs, SHA256: sum, Bytes: n}, nil
}

// Skip is a record that was not scored, and why.
type Skip struct {
	Line   int    `json:"line"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// Summary is a `dpokit score` run's report.
type Summary struct {
	Pairs          int    `json:"pairs"`
	Skipped        int    `json:"skipped"`
	SkippedRecords []Skip `json:"skipped_records"`
	Stats
	Beta               float64   `json:"beta"`
	RefFree            bool      `json:"ref_free"`
	LengthNorm         string    `json:"length_norm"`
	RefFreeNorm        string    `json:"ref_free_norm,omitempty"` // reference-free: sum, avg or norm of the per-token log-probs
	PrefixSharing      bool      `json:"prefix_sharing"`
	BoundaryMismatches int       `json:"boundary_mismatches"`
	Truncated          int       `json:"truncated"`
	TruncatedToEqual   int       `json:"truncated_to_equal"` // pairs whose responses truncation left equal (no preference left)
	EmptyResponses     int       `json:"empty_responses"`    // empty or blank responses scored (an empty one as its EOS alone)
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

// WriteSummary writes a summary (*Summary, *RankingSummary) as JSON,
// atomically.
func WriteSummary(path string, s any) error {
	return fsutil.WriteFile(path, func(w io.Writer) error { return EncodeSummary(w, s) })
}

// EncodeSummary writes the summary as indented JSON.
func EncodeSummary(w io.Writer, s any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Table writes the summary as a short human-readable table.
func (s *Summary) Table(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pairs            %d (scored %d, skipped %d)\n", s.Pairs, s.Scored, s.Skipped)
	fmt.Fprintf(&b, "accuracy         %.4f ± %.4f\n", s.Accuracy, s.AccuracyStdErr)
	fmt.Fprintf(&b, "chosen reward    %+.4f\n", s.MeanChosenReward)
	fmt.Fprintf(&b, "rejected reward  %+.4f\n", s.MeanRejectedReward)
	fmt.Fprintf(&b, "margin           %+.4f ± %.4f\n", s.MeanMargin, s.MarginStdErr)
	fmt.Fprintf(&b, "beta             %g%s\n", s.Beta, map[bool]string{true: " (reference-free)", false: ""}[s.RefFree])
	fmt.Fprintf(&b, "tokens           %d in %.2fs (%.0f tokens/s, %.1f pairs/s)\n", s.Tokens, s.Seconds, s.TokensPerSecond, s.PairsPerSecond)
	if s.EmptyResponses > 0 {
		fmt.Fprintf(&b, "empty responses  %d (scored; an empty one as its EOS alone)\n", s.EmptyResponses)
	}
	if s.BoundaryMismatches > 0 || s.Truncated > 0 {
		fmt.Fprintf(&b, "tokenization     %d boundary mismatches, %d truncated (%d left with equal responses)\n", s.BoundaryMismatches, s.Truncated, s.TruncatedToEqual)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WritePairs writes per-pair results as JSON lines.
func WritePairs(w io.Writer, rs []Result) error { return writeLines(w, rs) }

// writeLines writes values as JSON lines.
func writeLines[T any](w io.Writer, vs []T) error {
	enc := json.NewEncoder(w)
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// ReadPairs reads a per-pair JSONL file written by score; an error names
// the file and line.
func ReadPairs(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodePairs(f, path)
}

// DecodePairs reads per-pair results, one JSON object per line; name is
// what errors call the input.
func DecodePairs(r io.Reader, name string) ([]Result, error) {
	out := []Result{}
	err := fsutil.EachLine(r, name, func(line int, b []byte) error {
		var res Result
		if err := json.Unmarshal(b, &res); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, res)
		return nil
	})
	return out, err
}

// Shard selects the I-th of N contiguous blocks of the dataset (0-based);
// the zero Shard is no sharding. Score's blocks are whole chunks of
// ChunkPairs records, because batches are planned within a chunk: a pair
// then lands in the same batch, and so gets the same bits, whether the data
// is sharded, resumed or run at once. Generation's blocks are whole groups
// of prompts decoded together, for the same reason.
type Shard struct{ I, N int }

// ChunkPairs is the number of consecutive records within which pairs are
// sorted by length and batched.
const ChunkPairs = 256

// String is "i/n", or "" for the zero Shard (no sharding).
func (s Shard) String() string {
	if s.N < 1 {
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

// Range returns the block [lo, hi) of n records that the shard owns, in
// whole chunks of ChunkPairs records.
func (s Shard) Range(n int) (int, int) { return s.Blocks(n, ChunkPairs) }

// Blocks returns the block [lo, hi) of n records that the shard owns, in
// whole chunks of chunk records: the chunks are split as evenly as they go.
func (s Shard) Blocks(n, chunk int) (int, int) {
	if s.N <= 1 || chunk < 1 {
		return 0, n
	}
	chunks := (n + chunk - 1) / chunk
	lo, hi := s.I*chunks/s.N*chunk, (s.I+1)*chunks/s.N*chunk
	return min(lo, n), min(hi, n)
}
