// Package fsutil writes files atomically, keeps append-only journals that
// survive a crash (kill -9 included) without a torn record being read back
// as data, hashes files by content, and refuses outputs that alias inputs.
package fsutil

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// HashFile returns the SHA-256 (hex) and size in bytes of the file at
// path, as stored (before any gzip is undone). A file hashed before in
// this process, unchanged since (same device, inode, size and
// modification time), is not read again.
func HashFile(path string) (sha256hex string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err // *PathError names the file
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	key := hashKey{size: st.Size(), mtime: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		key.dev, key.ino = uint64(sys.Dev), sys.Ino
	}
	if sum, ok := hashes.Load(key); ok && key.ino != 0 {
		return sum.(string), st.Size(), nil
	}
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if size == key.size {
		hashes.Store(key, sum)
	}
	return sum, size, nil
}

type hashKey struct {
	dev, ino    uint64
	size, mtime int64
}

var hashes sync.Map // hashKey -> hex SHA-256

// ReadLines calls fn with each non-blank line of the file at path (without
// its newline) and its 1-based line number, stopping at fn's first error.
func ReadLines(path string, fn func(line int, b []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return EachLine(f, path, fn)
}

// EachLine is ReadLines over a reader; name is what errors call it.
func EachLine(rd io.Reader, name string, fn func(line int, b []byte) error) error {
	r := bufio.NewReaderSize(rd, 1<<16)
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			if ferr := fn(line, bytes.TrimSuffix(b, []byte("\n"))); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
}

// WriteFile writes path atomically: fill writes a temporary file in the same
// directory, which is synced and renamed over path only when fill succeeds.
func WriteFile(path string, fill func(w io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := fill(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Journal is an append-only file of newline-terminated records. Append
// writes whole records and syncs, so after a crash at most the last record
// is torn; OpenJournal cuts such a tail off before appending again.
type Journal struct {
	f     *os.File
	path  string
	lines int  // complete lines, the header included
	fresh bool // created by this process, not an earlier run's journal
}

// ErrJournalExists is returned by OpenJournal when a journal exists and
// resume was not asked for.
var ErrJournalExists = errors.New("unfinished results of an earlier run exist")

// OpenJournal opens the journal at path. When the file exists and resume is
// true, its complete lines are returned (a torn last line is dropped and cut
// from the file); when it exists, holds a record and resume is false,
// ErrJournalExists is returned (one that holds no record, left by a run
// killed before it finished anything, keeps nothing and is started again).
// A new journal starts with header as its first line.
func OpenJournal(path string, header []byte, resume bool) (*Journal, [][]byte, error) {
	return OpenJournalChecked(path, header, resume, nil)
}

// OpenJournalChecked is OpenJournal with check run on an existing journal's
// header before the file is opened for writing: a refusal leaves the file
// exactly as it was, torn last line included.
func OpenJournalChecked(path string, header []byte, resume bool, check func(stored []byte) error) (*Journal, [][]byte, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, err
		}
		j := &Journal{f: f, path: path, fresh: true}
		if err := j.Append(header); err != nil {
			j.Close()
			return nil, nil, err
		}
		return j, nil, nil
	case err != nil:
		return nil, nil, err
	}
	good := bytes.LastIndexByte(data, '\n') + 1
	lines := bytes.Split(data[:good], []byte("\n"))
	lines = lines[:len(lines)-1]
	if !resume && len(lines) > 1 {
		return nil, nil, fmt.Errorf("%s: %w (pass --resume to continue it, or delete it to start again)", path, ErrJournalExists)
	}
	if len(lines) == 0 || !resume {
		// Crashed before the header was complete, or (a plain run) before
		// any record: nothing is lost by starting the file again.
		if err := os.Remove(path); err != nil {
			return nil, nil, err
		}
		return OpenJournalChecked(path, header, resume, check)
	}
	if check != nil {
		if err := check(lines[0]); err != nil {
			return nil, nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if err := f.Truncate(int64(good)); err != nil {
		f.Close()
		return nil, nil, err
	}
	if _, err := f.Seek(int64(good), io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &Journal{f: f, path: path, lines: len(lines)}, lines, nil
}

// Append writes the records (each without a newline) and syncs the file.
func (j *Journal) Append(records ...[]byte) error {
	var buf bytes.Buffer
	for _, r := range records {
		if bytes.IndexByte(r, '\n') >= 0 {
			return fmt.Errorf("journal record holds a newline")
		}
		buf.Write(r)
		buf.WriteByte('\n')
	}
	if _, err := j.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("append to %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", j.path, err)
	}
	j.lines += len(records)
	return nil
}

// Records is the number of records the journal holds after its header.
func (j *Journal) Records() int { return max(j.lines-1, 0) }

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Close closes the journal file. A journal this process created that holds
// no record after its header keeps nothing worth resuming: it is deleted.
// An earlier run's journal is kept, whatever it holds (a refused --resume
// leaves it as it was).
func (j *Journal) Close() error {
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	if j.fresh && j.lines <= 1 {
		if rerr := os.Remove(j.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// Remove closes and deletes the journal.
func (j *Journal) Remove() error {
	var err error
	if j.f != nil {
		err = j.f.Close()
		j.f = nil
	}
	if rerr := os.Remove(j.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

// Finish ends the journal's use by a run that returns err: a run that
// failed before journalling any record (records is how many the journal
// holds) removes it, so that nothing blocks a plain rerun; otherwise it is
// closed and kept for --resume.
func (j *Journal) Finish(err error, records int) error {
	if err != nil && records == 0 {
		return j.Remove()
	}
	return j.Close()
}
