package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// OutsideError is a path written in a directory's own files (an ONNX
// file's external data location, a file name in a config) that leads out
// of that directory: as written (absolute, or climbing with ..), or through
// a symlink.
type OutsideError struct {
	Dir      string // the directory it must stay in
	Name     string // the path as written
	Resolved string // where a symlink took it; "" when refused as written
}

func (e *OutsideError) Error() string {
	if e.Resolved == "" {
		return fmt.Sprintf("%q is not inside %s (absolute, or climbing out with ..)", e.Name, e.Dir)
	}
	return fmt.Sprintf("%q resolves to %s, outside %s (a symlink leads out; to use the file, copy it in, e.g. with cp -L)", e.Name, e.Resolved, e.Dir)
}

// Inside resolves name, a path relative to dir as dir's own files write
// it, and checks that it stays inside dir: absolute names and names that
// climb out are refused as written, and symlinks (name's and its parents')
// are followed, then the target checked. It returns the resolved path.
// When name, or a symlink on the way, does not exist the error wraps
// fs.ErrNotExist (nothing outside dir was opened).
func Inside(dir, name string) (string, error) {
	if !filepath.IsLocal(name) {
		return "", &OutsideError{Dir: dir, Name: name}
	}
	root, err := realAbs(dir)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	real, err := realAbs(p)
	if err != nil {
		return p, err
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel != "." && !filepath.IsLocal(rel) {
		return "", &OutsideError{Dir: dir, Name: name, Resolved: real}
	}
	return real, nil
}

// FileInside is Inside for a name that must be a regular file (not a
// directory, a FIFO that would block its reader, or a device).
func FileInside(dir, name string) (string, error) {
	p, err := Inside(dir, name)
	if err != nil {
		return p, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return p, err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", filepath.Join(dir, name))
	}
	return p, nil
}

// realAbs is path made absolute with every symlink resolved.
func realAbs(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// ReadFileInside reads the regular file name of dir, checked by Inside and read
// through an os.Root, so that a symlink swapped in after the check cannot
// lead out either. A missing file gives an error wrapping fs.ErrNotExist.
func ReadFileInside(dir, name string) ([]byte, error) {
	if _, err := FileInside(dir, name); err != nil {
		var oe *OutsideError
		if errors.As(err, &oe) || !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := r.ReadFile(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Path = filepath.Join(dir, name)
		}
		return nil, err
	}
	return b, nil
}
