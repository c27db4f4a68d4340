package score

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// Merge joins the outputs of `score --shard i/n` runs, given their summary
// files, into one per-pair file (out) and one summary (summaryPath, may be
// ""). Every shard 0..n-1 must be present once, all run with the same
// models, data and settings. The merged pairs equal those of one unsharded
// run.
func Merge(summaries []string, out, summaryPath string) (*Summary, error) {
	var shards []*Summary
	n := -1
	for _, p := range summaries {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("%s: not a score summary: %w", p, err)
		}
		sh, err := ParseShard(s.Shard)
		if err != nil || sh.N < 1 {
			return nil, fmt.Errorf("%s: not a shard run (shard %q)", p, s.Shard)
		}
		i, k := sh.I, sh.N
		if n == -1 {
			n = k
			shards = make([]*Summary, n)
		}
		if k != n {
			return nil, fmt.Errorf("%s: shard %s is not one of %d shards", p, s.Shard, n)
		}
		if shards[i] != nil {
			return nil, fmt.Errorf("%s: shard %s given twice", p, s.Shard)
		}
		if s.Out == "" {
			return nil, fmt.Errorf("%s: the shard wrote its pairs to stdout; merge needs runs with --out", p)
		}
		for _, o := range shards {
			if o != nil && o.Settings != s.Settings {
				return nil, fmt.Errorf("%s: run with other models, data or settings than the other shards", p)
			}
		}
		shards[i] = &s
	}
	for i, s := range shards {
		if s == nil {
			return nil, fmt.Errorf("shard %d/%d is missing", i, n)
		}
	}
	first := shards[0]
	m := &Summary{Beta: first.Beta, RefFree: first.RefFree, LengthNorm: first.LengthNorm, PrefixSharing: first.PrefixSharing,
		Policy: first.Policy, Ref: first.Ref, Data: first.Data, Settings: first.Settings, SkippedRecords: []Skip{}}
	var results []Result
	for _, s := range shards {
		rs, err := readResults(s.Out)
		if err != nil {
			return nil, err
		}
		if len(rs) != s.Scored {
			return nil, fmt.Errorf("%s holds %d pairs but its summary says %d were scored", s.Out, len(rs), s.Scored)
		}
		results = append(results, rs...)
		m.Pairs += s.Pairs
		m.SkippedRecords = append(m.SkippedRecords, s.SkippedRecords...)
		m.BoundaryMismatches += s.BoundaryMismatches
		m.Truncated += s.Truncated
		m.Tokens += s.Tokens
		m.Seconds += s.Seconds
		m.ORTSeconds += s.ORTSeconds
	}
	m.Skipped = len(m.SkippedRecords)
	m.Stats = Aggregate(results)
	if m.Seconds > 0 {
		m.TokensPerSecond = float64(m.Tokens) / m.Seconds
		m.PairsPerSecond = float64(m.Scored) / m.Seconds
	}
	if err := fsutil.WriteFile(out, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	m.Out = out
	if summaryPath != "" {
		if err := WriteSummary(summaryPath, m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// readResults reads a per-pair JSONL file written by score.
func readResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Result
	r := bufio.NewReader(f)
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(b) > 0 {
			var res Result
			if err := json.Unmarshal(b, &res); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, line, err)
			}
			out = append(out, res)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
