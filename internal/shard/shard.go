// Package shard keeps the parts of a sharded run beside its output file.
//
// Each shard of `--shard auto` or `--shard i/n` (score, sample, bestofn)
// writes its part under a name derived from the output it would write
// unsharded ([Name]: pairs.jsonl → pairs-shard-00002-of-00004.jsonl) and,
// once its files are complete, a done marker beside it (PART.done) that
// holds the run's identity — internal/resume's key without the shard, equal
// for every shard of one run — and the content hash of each file it wrote.
// A rerun of a finished shard finds the marker and skips the work ([Check]);
// a killed one left a journal (PART.partial) and resumes it. A merge finds
// every part of an output ([Find]) and refuses a missing part, parts of
// different runs (naming the inputs that differ) and files that changed
// after their shard finished.
package shard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/resume"
	"github.com/dpokit/dpokit/results"
)

// Name returns the path of shard s's part of the file out: the same folder,
// the name's stem with "-shard-IIIII-of-NNNNN" before its extension.
func Name(out string, s results.Shard) string {
	if out == "" {
		return ""
	}
	dir, base := filepath.Split(out)
	stem, ext := split(base)
	return filepath.Join(dir, fmt.Sprintf("%s-shard-%05d-of-%05d%s", stem, s.I, s.N, ext))
}

// split cuts a file name into stem and extension; ".jsonl.gz" counts as
// one extension.
func split(base string) (string, string) {
	ext := filepath.Ext(base)
	if ext == ".gz" {
		ext = filepath.Ext(strings.TrimSuffix(base, ext)) + ext
	}
	if ext == base {
		return base, ""
	}
	return strings.TrimSuffix(base, ext), ext
}

// MarkerPath is the done marker of a part.
func MarkerPath(part string) string { return part + ".done" }

// File is one file a finished shard wrote: its name in the part's folder
// and the SHA-256 of its content.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Marker is the content of a done marker.
type Marker struct {
	Shard string `json:"shard"` // "i/n"
	// Run is the run's identity (an encoded resume.Key) without the shard.
	Run json.RawMessage `json:"run"`
	// Files are the files the shard wrote, by role ("out", "summary", ...).
	Files map[string]File `json:"files"`
	// Summary is the command's own report of the shard, when it has one.
	Summary json.RawMessage `json:"summary,omitempty"`
}

// Finish writes part's done marker, after the files it names (role →
// path, each in part's folder; an empty path is left out) are complete.
func Finish(part string, s results.Shard, run *resume.Key, files map[string]string, summary any) error {
	m := Marker{Shard: s.String(), Run: run.Encode(), Files: map[string]File{}}
	for role, path := range files {
		if path == "" {
			continue
		}
		if filepath.Dir(path) != filepath.Dir(part) {
			return fmt.Errorf("%s: a shard's files must lie beside its part %s", path, part)
		}
		sum, _, err := fsutil.HashFile(path)
		if err != nil {
			return err
		}
		m.Files[role] = File{Name: filepath.Base(path), SHA256: sum}
	}
	if summary != nil {
		b, err := json.Marshal(summary)
		if err != nil {
			return err
		}
		m.Summary = b
	}
	return fsutil.WriteFile(MarkerPath(part), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// Check reads part's done marker. It returns the marker when the shard was
// finished by this run (run, the key without the shard) and its files are
// intact: the shard has nothing left to do. It returns nil when there is no
// marker, or when a file it names is missing or changed (logged: the shard
// runs again). A marker of another run is an error naming what differs.
func Check(part string, run *resume.Key) (*Marker, error) {
	path := MarkerPath(part)
	m, err := readMarker(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if d := differ(m.Run, run.Encode()); d != "" {
		return nil, fmt.Errorf("%s: the part was finished by another run, whose inputs differ: %s; delete the marker and its part to run this one", path, d)
	}
	if err := m.verify(filepath.Dir(part)); err != nil {
		slog.Warn("a finished part changed since; running its shard again", "marker", path, "reason", err)
		return nil, nil
	}
	return m, nil
}

func readMarker(path string) (*Marker, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Marker
	var run bytes.Buffer
	if err := json.Unmarshal(b, &m); err != nil || m.Run == nil || m.Files == nil || json.Compact(&run, m.Run) != nil {
		return nil, fmt.Errorf("%s: not a dpokit done marker", path)
	}
	m.Run = run.Bytes()
	return &m, nil
}

// differ names the inputs in which two encoded run identities differ, or
// returns "" when they are equal.
func differ(a, b []byte) string {
	err := resume.Differ(a, b)
	var ce *resume.ChangedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ce):
		return strings.Join(ce.Changed, ", ")
	}
	return err.Error()
}

// verify checks that the marker's files in dir still hold what the shard
// wrote.
func (m *Marker) verify(dir string) error {
	for _, role := range slices.Sorted(maps.Keys(m.Files)) {
		f := m.Files[role]
		path := filepath.Join(dir, f.Name)
		sum, _, err := fsutil.HashFile(path)
		if err != nil {
			return err
		}
		if sum != f.SHA256 {
			return fmt.Errorf("%s changed after its shard finished (its content is not what the done marker records)", path)
		}
	}
	return nil
}

// Part is a finished part found beside an output.
type Part struct {
	Shard  results.Shard
	Path   string // the part of the output file
	Marker Marker
}

// File returns the path of the part's file in role, or "" when the shard
// wrote none.
func (p Part) File(role string) string {
	f, ok := p.Marker.Files[role]
	if !ok {
		return ""
	}
	return filepath.Join(filepath.Dir(p.Path), f.Name)
}

// Find returns the finished parts of the output out, in shard order. Every
// shard 0..n−1 of one count n must have finished, all in one run (their
// markers' identities equal), with their files as they wrote them;
// otherwise the error names each missing part, or the parts that differ
// and how.
func Find(out string) ([]Part, error) {
	found, err := scan(out)
	if err != nil {
		return nil, err
	}
	n := found[0].Shard.N
	for _, p := range found[1:] {
		if p.Shard.N != n {
			return nil, fmt.Errorf("parts of runs with different shard counts beside %s: %s and %s; delete the stale ones", out, found[0].Path, p.Path)
		}
	}
	parts := make([]Part, n)
	for _, p := range found {
		parts[p.Shard.I] = p
	}
	if err := missing(out, parts); err != nil {
		return nil, err
	}
	for _, p := range parts[1:] {
		if d := differ(parts[0].Marker.Run, p.Marker.Run); d != "" {
			return nil, fmt.Errorf("%s and %s are parts of different runs, whose inputs differ: %s; run every shard with the same inputs", parts[0].Path, p.Path, d)
		}
	}
	for _, p := range parts {
		if err := p.Marker.verify(filepath.Dir(p.Path)); err != nil {
			return nil, fmt.Errorf("%w; run shard %s again", err, p.Marker.Shard)
		}
	}
	return parts, nil
}

// scan reads the done markers of out's parts.
func scan(out string) ([]Part, error) {
	dir := filepath.Dir(out)
	stem, ext := split(filepath.Base(out))
	re := regexp.MustCompile("^" + regexp.QuoteMeta(stem) + `-shard-(\d{5,})-of-(\d{5,})` + regexp.QuoteMeta(ext) + `\.done$`)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var found []Part
	for _, e := range entries {
		m := re.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		path := filepath.Join(dir, strings.TrimSuffix(e.Name(), ".done"))
		if n < 1 || i >= n {
			return nil, fmt.Errorf("%s: shard %d of %d does not exist", MarkerPath(path), i, n)
		}
		mk, err := readMarker(MarkerPath(path))
		if err != nil {
			return nil, err
		}
		s := results.Shard{I: i, N: n}
		if mk.Shard != s.String() {
			return nil, fmt.Errorf("%s: the marker is shard %s's, not %s's", MarkerPath(path), mk.Shard, s)
		}
		found = append(found, Part{Shard: s, Path: path, Marker: *mk})
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no finished parts of %s: found no %s", out, filepath.Join(dir, stem+"-shard-*-of-*"+ext+".done"))
	}
	return found, nil
}

// missing names the parts that have not finished.
func missing(out string, parts []Part) error {
	var msgs []string
	for i, p := range parts {
		if p.Path != "" {
			continue
		}
		path := Name(out, results.Shard{I: i, N: len(parts)})
		why := "not run, or not finished"
		if _, err := os.Stat(path + ".partial"); err == nil {
			why = "started but not finished: its journal " + path + ".partial is there; run the shard again to resume it"
		}
		msgs = append(msgs, fmt.Sprintf("part %d of %d (%s) is missing: %s", i, len(parts), path, why))
	}
	if msgs == nil {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// Concat writes the parts' files in role, in shard order, to w: parts of a
// JSON Lines output joined as one run writes them.
func Concat(w io.Writer, parts []Part, role string) error {
	for _, p := range parts {
		path := p.File(role)
		if path == "" {
			return fmt.Errorf("%s: shard %s wrote no %s file", MarkerPath(p.Path), p.Marker.Shard, role)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
			return fmt.Errorf("%s: does not end with a newline: not a complete JSON Lines part", path)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// Count returns the shard count of the parts of out found beside it —
// finished (a done marker), killed (a journal) or written — or 0 when
// there are none. Parts of different counts are an error.
func Count(out string) (int, error) {
	dir := filepath.Dir(out)
	stem, ext := split(filepath.Base(out))
	re := regexp.MustCompile("^" + regexp.QuoteMeta(stem) + `-shard-\d{5,}-of-(\d{5,})` + regexp.QuoteMeta(ext) + `(\.done|\.partial)?$`)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, first := 0, ""
	for _, e := range entries {
		m := re.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		c, _ := strconv.Atoi(m[1])
		if n != 0 && c != n {
			return 0, fmt.Errorf("parts of runs with different shard counts beside %s: %s and %s; delete the stale ones", out, first, e.Name())
		}
		n, first = c, e.Name()
	}
	return n, nil
}
