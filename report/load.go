package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/dpokit/dpokit/results"
)

// Kind is what an input file holds.
type Kind string

const (
	KindSummary    Kind = "score summary"      // `dpokit score --summary` (results.Summary)
	KindPairs      Kind = "score pairs"        // `dpokit score --out`, one results.Result per line
	KindWinRate    Kind = "win rate"           // `dpokit score winrate --out` (results.WinRate)
	KindExperiment Kind = "experiment results" // Experiment
	KindIteration  Kind = "iterate rounds"     // `dpokit iterate`'s iterate.json (results.Iteration)
)

// Page is a report: a title and one section per input.
type Page struct {
	Title    string
	Sections []Section
}

// Section is one input's part of a page; exactly one of Score, WinRate and
// Experiment is set.
type Section struct {
	Source     string // the file it was read from
	Score      *Score
	WinRate    *results.WinRate
	Experiment *Experiment
	Iteration  *results.Iteration
}

// Score is a `dpokit score` run: its summary, its per-pair results, or both.
type Score struct {
	Summary   *results.Summary // nil when only per-pair results were given
	Pairs     []results.Result // nil when they were not found
	PairsPath string
	Notes     []string // what the page says about missing or inconsistent inputs
}

// Detect tells what a file's content is, from its JSON fields.
func Detect(data []byte) (Kind, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return "", errors.New("not a JSON object or JSON lines of objects")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		// JSON lines: the first line decides.
		first, _, _ := bytes.Cut(data, []byte("\n"))
		obj = nil
		if json.Unmarshal(first, &obj) != nil {
			return "", fmt.Errorf("not JSON: %w", err)
		}
		if isPair(obj) {
			return KindPairs, nil
		}
		return "", fmt.Errorf("JSON lines whose first line has fields %s: not per-pair score results", fieldNames(obj))
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case has("schema"):
		var s string
		json.Unmarshal(obj["schema"], &s)
		if strings.HasPrefix(s, "dpokit.experiment/") {
			return KindExperiment, nil
		}
		return "", fmt.Errorf("unknown schema %q (this dpokit reads %q)", s, ExperimentSchema)
	case has("judge", "rounds"):
		return KindIteration, nil
	case has("win_rate", "n", "wins", "losses"):
		return KindWinRate, nil
	case has("pairs", "scored", "accuracy", "beta"):
		return KindSummary, nil
	case isPair(obj):
		return KindPairs, nil
	}
	return "", fmt.Errorf("an object with fields %s is not a score summary, per-pair score results, a win rate or experiment results", fieldNames(obj))
}

func isPair(obj map[string]json.RawMessage) bool {
	_, a := obj["chosen_reward"]
	_, b := obj["rejected_reward"]
	_, c := obj["margin"]
	return a && b && c
}

func fieldNames(obj map[string]json.RawMessage) string {
	var ks []string
	for k := range obj {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	if len(ks) > 8 {
		ks = append(ks[:8], "…")
	}
	return "{" + strings.Join(ks, ", ") + "}"
}

// Load reads the input files, detecting each one's kind, and makes a page
// with a section per input. A per-pair results file joins the score
// summary whose "out" names it, else the summary just before it; a summary
// left without one reads the file its "out" names when that exists. A
// per-pair file that joins no summary makes a section of its own, with
// statistics computed from its results.
func Load(title string, paths ...string) (*Page, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input files")
	}
	p := &Page{Title: title}
	var prev *Score // the summary just before, while it has no pairs
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		kind, err := Detect(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var sec Section
		sec.Source = path
		switch kind {
		case KindSummary:
			var s results.Summary
			if err := json.Unmarshal(data, &s); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			sec.Score = &Score{Summary: &s}
		case KindWinRate:
			var w results.WinRate
			if err := json.Unmarshal(data, &w); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			sec.WinRate = &w
		case KindIteration:
			var it results.Iteration
			if err := json.Unmarshal(data, &it); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if len(it.Rounds) == 0 {
				return nil, fmt.Errorf("%s: no rounds", path)
			}
			sec.Iteration = &it
		case KindExperiment:
			e, err := ReadExperiment(path)
			if err != nil {
				return nil, err
			}
			sec.Experiment = e
		case KindPairs:
			rs, err := results.DecodePairs(bytes.NewReader(data), path)
			if err != nil {
				return nil, err
			}
			owner := ownerOf(p, path)
			if owner == nil && prev != nil {
				owner = prev
			}
			if owner != nil {
				owner.Pairs, owner.PairsPath = rs, path
				prev = nil
				continue
			}
			sec.Score = &Score{Pairs: rs, PairsPath: path}
		}
		prev = nil
		if sec.Score != nil && sec.Score.Summary != nil {
			prev = sec.Score
		}
		p.Sections = append(p.Sections, sec)
	}
	for i, sec := range p.Sections {
		if s := sec.Score; s != nil {
			if err := s.complete(sec.Source); err != nil {
				return nil, err
			}
			p.Sections[i] = sec
		}
	}
	return p, nil
}

// ownerOf returns the summary in p without pairs whose "out" is path.
func ownerOf(p *Page, path string) *Score {
	abs, _ := filepath.Abs(path)
	for _, sec := range p.Sections {
		s := sec.Score
		if s == nil || s.Summary == nil || s.Pairs != nil || s.Summary.Out == "" {
			continue
		}
		for _, c := range outCandidates(sec.Source, s.Summary.Out) {
			if ca, _ := filepath.Abs(c); ca == abs {
				return s
			}
		}
	}
	return nil
}

// outCandidates are the places a summary's "out" may be: as written (an
// absolute path, or relative to where score ran), then beside the summary.
func outCandidates(summaryPath, out string) []string {
	c := []string{out}
	if !filepath.IsAbs(out) {
		c = append(c, filepath.Join(filepath.Dir(summaryPath), out))
	}
	if b := filepath.Join(filepath.Dir(summaryPath), filepath.Base(out)); !slices.Contains(c, b) {
		c = append(c, b)
	}
	return c
}

// complete finds the per-pair results of a summary given alone, and notes
// what is missing or inconsistent.
func (s *Score) complete(source string) error {
	if s.Summary != nil && s.Pairs == nil {
		if s.Summary.Out == "" {
			s.Notes = append(s.Notes, "The summary names no per-pair results file (score wrote them to standard output): give that file after the summary to plot the pairs.")
		} else {
			found := false
			for _, c := range outCandidates(source, s.Summary.Out) {
				data, err := os.ReadFile(c)
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				if err != nil {
					return err
				}
				if s.Pairs, err = results.DecodePairs(bytes.NewReader(data), c); err != nil {
					return err
				}
				s.PairsPath, found = c, true
				break
			}
			if !found {
				s.Notes = append(s.Notes, fmt.Sprintf("The per-pair results %s were not found: give that file after the summary to plot the pairs.", s.Summary.Out))
			}
		}
	}
	if s.Summary != nil && s.Pairs != nil && len(s.Pairs) != s.Summary.Scored {
		s.Notes = append(s.Notes, fmt.Sprintf("The per-pair file %s holds %d results but the summary counts %d scored pairs: they may come from different runs.", s.PairsPath, len(s.Pairs), s.Summary.Scored))
	}
	if s.Summary == nil {
		s.Notes = append(s.Notes, "Only per-pair results were given: the statistics below are computed from them; β, models and data are not known.")
	}
	return nil
}
