// Package fsutil writes files atomically and keeps append-only journals
// that survive a crash (kill -9 included) without a torn record being read
// back as data.
package fsutil

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

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
	f    *os.File
	path string
}

// ErrJournalExists is returned by OpenJournal when a journal exists and
// resume was not asked for.
var ErrJournalExists = errors.New("unfinished results of an earlier run exist")

// OpenJournal opens the journal at path. When the file exists and resume is
// true, its complete lines are returned (a torn last line is dropped and cut
// from the file); when it exists and resume is false, ErrJournalExists is
// returned. A new journal starts with header as its first line.
func OpenJournal(path string, header []byte, resume bool) (*Journal, [][]byte, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, err
		}
		j := &Journal{f: f, path: path}
		if err := j.Append(header); err != nil {
			f.Close()
			return nil, nil, err
		}
		return j, nil, nil
	case err != nil:
		return nil, nil, err
	case !resume:
		return nil, nil, fmt.Errorf("%s: %w (pass --resume to continue it, or delete it to start again)", path, ErrJournalExists)
	}
	good := bytes.LastIndexByte(data, '\n') + 1
	lines := bytes.Split(data[:good], []byte("\n"))
	lines = lines[:len(lines)-1]
	if len(lines) == 0 {
		// Crashed before the header was complete: start the file again.
		if err := os.Remove(path); err != nil {
			return nil, nil, err
		}
		return OpenJournal(path, header, resume)
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
	return &Journal{f: f, path: path}, lines, nil
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
	return j.f.Sync()
}

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }

// Remove closes and deletes the journal.
func (j *Journal) Remove() error {
	return errors.Join(j.f.Close(), os.Remove(j.path))
}
