package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// OutputError is an output that cannot be written, found before the work:
// a directory, a missing parent, no permission, or another run writing it.
type OutputError struct {
	Output Path
	Reason string
	Busy   bool // another run holds its lock (the command line itself is fine)
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Output.Flag, e.Output.Path, e.Reason)
}

// CheckWritable finds, before any work, outputs that could not be written
// at the end: a path that is a directory or not a regular file, a parent
// that is missing or not a directory, a directory where this user may not
// create the temporary file that an atomic write renames into place.
// Empty paths are left out.
func CheckWritable(outputs ...Path) error {
	for _, o := range outputs {
		if o.Path == "" {
			continue
		}
		if err := checkWritable(o); err != nil {
			return err
		}
	}
	return nil
}

func checkWritable(o Path) error {
	if st, err := os.Stat(o.Path); err == nil && st.IsDir() {
		return &OutputError{Output: o, Reason: "is a directory"}
	} else if err == nil && !st.Mode().IsRegular() {
		return &OutputError{Output: o, Reason: "is not a regular file (outputs are written to a temporary file renamed into place)"}
	}
	dir := filepath.Dir(o.Path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &OutputError{Output: o, Reason: fmt.Sprintf("directory %s does not exist", dir)}
	case err != nil:
		return &OutputError{Output: o, Reason: err.Error()}
	case !st.IsDir():
		return &OutputError{Output: o, Reason: fmt.Sprintf("%s is not a directory", dir)}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(o.Path)+".check-*")
	if err != nil {
		return &OutputError{Output: o, Reason: fmt.Sprintf("cannot create a file in %s: %v", dir, unwrapPath(err))}
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Lock is an exclusive lock on an output, held by this process until
// Unlock (or its end: the kernel releases a flock when the process dies,
// kill -9 included, so a lock file left behind never blocks a rerun).
type Lock struct {
	f    *os.File
	path string
}

// LockOutput takes the lock of output o: an flock on o.Path + ".lock".
// When another run holds it, it fails at once with an *OutputError naming
// that run's process.
func LockOutput(o Path) (*Lock, error) {
	path := o.Path + ".lock"
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, &OutputError{Output: o, Reason: fmt.Sprintf("lock %s: %v", path, unwrapPath(err))}
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			holder, _ := os.ReadFile(path)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &OutputError{Output: o, Busy: true, Reason: fmt.Sprintf("another run (process %s) is writing it: %s is locked", pidOf(holder), path)}
			}
			return nil, &OutputError{Output: o, Reason: fmt.Sprintf("lock %s: %v", path, err)}
		}
		// The holder before us may have removed the file between our open
		// and our flock: then the lock is on a file nobody else sees.
		if sameFile(f, path) {
			f.Truncate(0)
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			return &Lock{f: f, path: path}, nil
		}
		f.Close()
	}
}

func pidOf(b []byte) string {
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return "unknown"
}

func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// Unlock removes the lock file and releases the lock.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := os.Remove(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	err = errors.Join(err, l.f.Close())
	l.f = nil
	return err
}
