package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// Path is a file a command reads or writes, named by the flag that gave it.
type Path struct{ Flag, Path string }

// AliasError is an output that is the same file as an input or as another
// output: writing it would destroy the other.
type AliasError struct{ Output, Other Path }

func (e *AliasError) Error() string {
	return fmt.Sprintf("%s %s is the same file as %s %s: writing it would destroy the other", e.Output.Flag, e.Output.Path, e.Other.Flag, e.Other.Path)
}

// CheckAliases refuses, before any work, an output that is the same file
// as an input or as another output. Existing files are compared by device
// and inode (os.SameFile, symlinks and hard links included); a file that
// does not exist yet by its absolute path with the parent directory's
// symlinks resolved. Empty paths are left out.
func CheckAliases(inputs, outputs []Path) error {
	type file struct {
		Path
		info os.FileInfo // nil when absent
		name string      // resolved absolute name
	}
	resolve := func(p Path) file {
		f := file{Path: p, name: p.Path}
		if fi, err := os.Stat(p.Path); err == nil {
			f.info = fi
		}
		if abs, err := filepath.Abs(p.Path); err == nil {
			f.name = abs
			if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
				f.name = filepath.Join(dir, filepath.Base(abs))
			}
		}
		return f
	}
	same := func(a, b file) bool {
		if a.info != nil && b.info != nil {
			return os.SameFile(a.info, b.info)
		}
		return a.name == b.name
	}
	var ins, outs []file
	for _, p := range inputs {
		if p.Path != "" {
			ins = append(ins, resolve(p))
		}
	}
	for _, p := range outputs {
		if p.Path == "" {
			continue
		}
		o := resolve(p)
		for _, group := range [][]file{outs, ins} {
			for _, other := range group {
				if same(o, other) {
					return &AliasError{Output: p, Other: other.Path}
				}
			}
		}
		outs = append(outs, o)
	}
	return nil
}

// Named gives every path the same flag.
func Named(flag string, paths ...string) []Path {
	out := make([]Path, len(paths))
	for i, p := range paths {
		out[i] = Path{Flag: flag, Path: p}
	}
	return out
}
