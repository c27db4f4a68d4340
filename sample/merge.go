package sample

import (
	"fmt"
	"io"
	"os"

	"github.com/dpokit/dpokit/harness"
	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/shard"
	"github.com/dpokit/dpokit/results"
)

// MergeParts joins the parts that the shards of one sample or bestofn run
// wrote beside out (package internal/shard) into out, and each further
// output asked for (by role: "baseline" for bestofn's --baseline-out,
// "answers" for --answers-out; role → path) from the parts of the same
// role. It refuses a missing part, parts of different runs and parts
// changed after their shard finished; the files it writes equal those of
// one unsharded run. It returns the number of records merged.
func MergeParts(out string, also map[string]string) (int, error) {
	parts, err := shard.Find(out)
	if err != nil {
		return 0, err
	}
	var ins []fsutil.Path
	for _, p := range parts {
		ins = append(ins, fsutil.Path{Flag: "done marker", Path: shard.MarkerPath(p.Path)})
		for role := range p.Marker.Files {
			ins = append(ins, fsutil.Path{Flag: "part", Path: p.File(role)})
		}
	}
	outs := []fsutil.Path{{Flag: "--out", Path: out}}
	for role, path := range also {
		outs = append(outs, fsutil.Path{Flag: "--" + role + "-out", Path: path})
	}
	if err := fsutil.CheckAliases(ins, outs); err != nil {
		return 0, err
	}
	n := 0
	for _, p := range parts {
		recs, err := results.ReadRecords(p.Path)
		if err != nil {
			return 0, err
		}
		n += len(recs)
	}
	if err := fsutil.WriteFile(out, func(w io.Writer) error { return shard.Concat(w, parts, "out") }); err != nil {
		return 0, err
	}
	for role, path := range also {
		if path == "" {
			continue
		}
		if err := mergeRole(parts, role, path); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// mergeRole writes the parts' files of one role to path: harness answers
// with harness.Join (an AlpacaEval file is one JSON array), others as JSON
// Lines.
func mergeRole(parts []shard.Part, role, path string) error {
	files := make([][]byte, len(parts))
	for i, p := range parts {
		f := p.File(role)
		if f == "" {
			return fmt.Errorf("%s: shard %s wrote no %s file: run the shards with that flag", shard.MarkerPath(p.Path), p.Marker.Shard, role)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		files[i] = b
	}
	return fsutil.WriteFile(path, func(w io.Writer) error {
		if role == "answers" {
			return harness.Join(w, files)
		}
		return shard.Concat(w, parts, role)
	})
}
