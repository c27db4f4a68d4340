package score

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/shard"
	"github.com/dpokit/dpokit/results"
)

// Merge joins the outputs of `score --shard i/n` runs, given their summary
// files, into one per-pair file (out) and one summary (summaryPath, may be
// ""). Every shard 0..n-1 must be present once, all run with the same
// models, data and settings. The merged pairs equal those of one unsharded
// run.
func Merge(summaries []string, out, summaryPath string) (*results.Summary, error) {
	shards, err := readShards(summaries)
	if err != nil {
		return nil, err
	}
	files := make([]string, len(shards))
	for i, s := range shards {
		files[i] = s.Out
	}
	ins := append(fsutil.Named("shard summary", summaries...), fsutil.Named("shard results", files...)...)
	return merge(shards, files, ins, out, summaryPath)
}

// MergeParts joins the parts that the shards of one run wrote beside out
// (see package internal/shard) into out and summaryPath (may be ""): it
// refuses a missing part, parts of different runs and parts changed after
// their shard finished. The merged file equals that of one unsharded run;
// the summary is a *results.Summary, or a *results.RankingSummary for
// RewardBench 2 rows (evaluated over every row).
func MergeParts(out, summaryPath string) (results.Report, error) {
	parts, err := shard.Find(out)
	if err != nil {
		return nil, err
	}
	files := make([]string, len(parts))
	var ins []fsutil.Path
	for i, p := range parts {
		if files[i] = p.File("out"); files[i] == "" || p.Marker.Summary == nil {
			return nil, fmt.Errorf("%s: not the done marker of a score shard", shard.MarkerPath(p.Path))
		}
		ins = append(ins, fsutil.Path{Flag: "part", Path: files[i]}, fsutil.Path{Flag: "part's summary", Path: p.File("summary")},
			fsutil.Path{Flag: "done marker", Path: shard.MarkerPath(p.Path)})
	}
	if err := fsutil.CheckAliases(ins, []fsutil.Path{{Flag: "--out", Path: out}, {Flag: "--summary", Path: summaryPath}}); err != nil {
		return nil, err
	}
	var probe struct{ Format string }
	if err := json.Unmarshal(parts[0].Marker.Summary, &probe); err != nil {
		return nil, fmt.Errorf("%s: summary: %w", shard.MarkerPath(parts[0].Path), err)
	}
	if probe.Format == results.RankingFormat {
		return mergeRankings(parts, files, out, summaryPath)
	}
	shards := make([]*results.Summary, len(parts))
	for i, p := range parts {
		shards[i] = &results.Summary{}
		if err := json.Unmarshal(p.Marker.Summary, shards[i]); err != nil {
			return nil, fmt.Errorf("%s: summary: %w", shard.MarkerPath(p.Path), err)
		}
	}
	sum, err := merge(shards, files, nil, out, summaryPath)
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// mergeRankings joins the parts of a RewardBench 2 run and evaluates every
// row.
func mergeRankings(parts []shard.Part, files []string, out, summaryPath string) (*results.RankingSummary, error) {
	var m *results.RankingSummary
	var rs []results.Ranked
	for i, p := range parts {
		var s results.RankingSummary
		if err := json.Unmarshal(p.Marker.Summary, &s); err != nil {
			return nil, fmt.Errorf("%s: summary: %w", shard.MarkerPath(p.Path), err)
		}
		part, err := results.ReadRanked(files[i])
		if err != nil {
			return nil, err
		}
		if len(part) != s.Scored {
			return nil, fmt.Errorf("%s holds %d rows but its summary says %d were scored", files[i], len(part), s.Scored)
		}
		rs = append(rs, part...)
		if m == nil {
			m = &s
			m.Shard, m.SkippedRecords = "", []results.Skip{}
			m.Rows, m.Completions, m.BoundaryMismatches, m.Truncated, m.EmptyResponses, m.Tokens, m.Seconds = 0, 0, 0, 0, 0, 0, 0
		}
		m.Rows += s.Rows
		m.Completions += s.Completions
		m.SkippedRecords = append(m.SkippedRecords, s.SkippedRecords...)
		m.BoundaryMismatches += s.BoundaryMismatches
		m.Truncated += s.Truncated
		m.EmptyResponses += s.EmptyResponses
		m.Tokens += s.Tokens
		m.Seconds += s.Seconds
	}
	m.Skipped, m.Scored = len(m.SkippedRecords), len(rs)
	var err error
	if m.Report, err = results.Evaluate(rs); err != nil {
		return nil, err
	}
	if err := fsutil.WriteFile(out, func(w io.Writer) error { return results.WriteRanked(w, rs) }); err != nil {
		return nil, err
	}
	m.Out = out
	if summaryPath != "" {
		if err := results.WriteSummary(summaryPath, m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// merge joins the shards' per-pair files (in shard order) and summaries;
// ins are the files read, none of which may be an output (nil: checked).
func merge(shards []*results.Summary, files []string, ins []fsutil.Path, out, summaryPath string) (*results.Summary, error) {
	if ins != nil {
		if err := fsutil.CheckAliases(ins, []fsutil.Path{{Flag: "--out", Path: out}, {Flag: "--summary", Path: summaryPath}}); err != nil {
			return nil, err
		}
	}
	first := shards[0]
	m := &results.Summary{Beta: first.Beta, RefFree: first.RefFree, LengthNorm: first.LengthNorm, PrefixSharing: first.PrefixSharing,
		Policy: first.Policy, Ref: first.Ref, Data: first.Data, Settings: first.Settings, SkippedRecords: []results.Skip{}}
	var rs []results.Result
	for i, s := range shards {
		part, err := results.ReadPairs(files[i])
		if err != nil {
			return nil, err
		}
		if len(part) != s.Scored {
			return nil, fmt.Errorf("%s holds %d pairs but its summary says %d were scored", files[i], len(part), s.Scored)
		}
		rs = append(rs, part...)
		m.Pairs += s.Pairs
		m.SkippedRecords = append(m.SkippedRecords, s.SkippedRecords...)
		m.BoundaryMismatches += s.BoundaryMismatches
		m.Truncated += s.Truncated
		m.TruncatedToEqual += s.TruncatedToEqual
		m.EmptyResponses += s.EmptyResponses
		m.Tokens += s.Tokens
		m.Seconds += s.Seconds
		m.ORTSeconds += s.ORTSeconds
	}
	m.Skipped = len(m.SkippedRecords)
	m.Stats = results.Aggregate(rs)
	if m.Seconds > 0 {
		m.TokensPerSecond = float64(m.Tokens) / m.Seconds
		m.PairsPerSecond = float64(m.Scored) / m.Seconds
	}
	if err := fsutil.WriteFile(out, func(w io.Writer) error { return results.WritePairs(w, rs) }); err != nil {
		return nil, err
	}
	m.Out = out
	if summaryPath != "" {
		if err := results.WriteSummary(summaryPath, m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// readShards reads the shard summaries and returns them by shard index:
// every shard of one run, each once.
func readShards(summaries []string) ([]*results.Summary, error) {
	if len(summaries) == 0 {
		return nil, fmt.Errorf("no shard summaries to merge")
	}
	var shards []*results.Summary
	for _, p := range summaries {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var s results.Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("%s: not a score summary: %w", p, err)
		}
		sh, err := results.ParseShard(s.Shard)
		if err != nil || sh.N < 1 {
			return nil, fmt.Errorf("%s: not a shard run (shard %q)", p, s.Shard)
		}
		if shards == nil {
			shards = make([]*results.Summary, sh.N)
		}
		switch {
		case sh.N != len(shards):
			return nil, fmt.Errorf("%s: shard %s is not one of %d shards", p, s.Shard, len(shards))
		case shards[sh.I] != nil:
			return nil, fmt.Errorf("%s: shard %s given twice", p, s.Shard)
		case s.Out == "":
			return nil, fmt.Errorf("%s: the shard wrote its pairs to stdout; merge needs runs with --out", p)
		}
		for _, o := range shards {
			if o != nil && o.Settings != s.Settings {
				return nil, fmt.Errorf("%s: run with other models, data or settings than the other shards", p)
			}
		}
		shards[sh.I] = &s
	}
	for i, s := range shards {
		if s == nil {
			return nil, fmt.Errorf("shard %d/%d is missing", i, len(shards))
		}
	}
	return shards, nil
}
