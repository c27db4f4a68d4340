package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
)

// bufSize is the read buffer; longer JSON Lines lines still work, they
// just grow a slice.
const bufSize = 1 << 20

var bom = []byte("\xef\xbb\xbf")

// record is one decoded record of a file, before its format is parsed.
type record struct {
	num      int // 1-based count of records so far: the default id
	line     int // position, as Pair.Line
	textLine int // JSON arrays: line where the record starts
	fields   map[string]any
	err      *RecordError // the record could not be decoded
}

// source is an opened data file. Its records sequence ends at the first
// non-nil error, which is fatal: later records cannot be found.
type source struct {
	name    string
	kind    Kind
	records iter.Seq2[record, error]
	closers []io.Closer
}

func (s *source) close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i].Close())
	}
	return errors.Join(errs...)
}

// fatal names the file in an error that ends a read.
func (s *source) fatal(err error) error {
	var re *RecordError
	if errors.As(err, &re) {
		re.File, re.Kind = s.name, s.kind
		return re
	}
	return fmt.Errorf("read %s: %w", s.name, err)
}

// open opens the file at path, undoes gzip and decides its kind.
func open(path string, kind Kind) (*source, error) {
	switch kind {
	case "", Auto:
		kind = ""
	case JSONL, JSON, Parquet:
	default:
		return nil, fmt.Errorf("unknown file kind %q (want %s, %s, %s or %s)", kind, Auto, JSONL, JSON, Parquet)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	src := &source{name: path, closers: []io.Closer{f}}
	r := bufio.NewReaderSize(f, bufSize)
	name := path
	head, _ := r.Peek(2)
	gzipped := len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b
	if gzipped {
		zr, err := gzip.NewReader(r)
		if err != nil {
			src.close()
			return nil, fmt.Errorf("%s: gzip: %w", path, err)
		}
		src.closers = append(src.closers, zr)
		r = bufio.NewReaderSize(truncationReader{zr}, bufSize)
		if ext := filepath.Ext(name); strings.EqualFold(ext, ".gz") {
			name = name[:len(name)-len(ext)]
		}
	} else if strings.EqualFold(filepath.Ext(path), ".gz") {
		src.close()
		return nil, fmt.Errorf("%s: named .gz but not gzip-compressed", path)
	}
	if kind == "" {
		kind = detectKind(name, r)
	}
	src.kind = kind
	switch kind {
	case Parquet:
		if !gzipped {
			st, err := f.Stat()
			if err != nil {
				src.close()
				return nil, err
			}
			src.records = parquetRecords(f, st.Size())
			break
		}
		data, err := io.ReadAll(r)
		if err != nil {
			src.close()
			return nil, fmt.Errorf("%s: gzip: %w", path, err)
		}
		src.records = parquetRecords(bytes.NewReader(data), int64(len(data)))
	case JSON:
		src.records = jsonArrayRecords(r)
	default:
		src.records = jsonlRecords(r)
	}
	return src, nil
}

// ErrTruncated is the error of a gzip stream that ends before its end marker.
var ErrTruncated = errors.New("gzip data ends early: the compressed file is truncated")

// truncationReader names gzip's unexpected EOF for what it is.
type truncationReader struct{ r io.Reader }

func (t truncationReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = ErrTruncated
	}
	return n, err
}

// detectKind decides a file's kind from its name (without .gz) and, where
// the name does not settle it, its first bytes.
func detectKind(name string, r *bufio.Reader) Kind {
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".jsonl", ".ndjson":
		return JSONL
	case ".parquet":
		return Parquet
	}
	head, _ := r.Peek(4096)
	if ext != ".json" && bytes.HasPrefix(head, []byte("PAR1")) {
		return Parquet
	}
	head = bytes.TrimLeft(bytes.TrimPrefix(head, bom), " \t\r\n")
	if len(head) > 0 && head[0] == '[' {
		return JSON
	}
	return JSONL
}

// jsonlRecords reads one JSON object per non-blank line.
func jsonlRecords(r *bufio.Reader) iter.Seq2[record, error] {
	return func(yield func(record, error) bool) {
		line, num := 0, 0
		for {
			b, err := r.ReadBytes('\n')
			if err != nil && err != io.EOF {
				// A read error (a truncated .gz) is reported as itself, not as
				// the half line read before it.
				yield(record{}, fmt.Errorf("after line %d: %w", line, err))
				return
			}
			if len(b) > 0 {
				line++
				if line == 1 {
					b = bytes.TrimPrefix(b, bom)
				}
				if len(bytes.TrimSpace(b)) > 0 {
					num++
					rec := record{num: num, line: line}
					rec.fields, rec.err = decodeObject(b)
					if !yield(rec, nil) {
						return
					}
				}
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(record{}, err)
				return
			}
		}
	}
}

// jsonArrayRecords reads a file holding one JSON array of objects. The
// whole file is read first, to know the line each record starts on.
func jsonArrayRecords(r io.Reader) iter.Seq2[record, error] {
	return func(yield func(record, error) bool) {
		data, err := io.ReadAll(r)
		if err != nil {
			yield(record{}, err)
			return
		}
		data = bytes.TrimPrefix(data, bom)
		lines := lineCounter{data: data, line: 1}
		dec := json.NewDecoder(bytes.NewReader(data))
		broken := func(n int, off int64, err error) {
			yield(record{}, &RecordError{Line: n, TextLine: lines.at(skipSeparators(data, off)), Err: jsonError(err)})
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			if err == nil {
				err = errors.New("the file does not hold one JSON array")
			}
			broken(1, 0, err)
			return
		}
		n := 0
		for dec.More() {
			n++
			start := dec.InputOffset()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				broken(n, start, err)
				return
			}
			rec := record{num: n, line: n, textLine: lines.at(skipSeparators(data, start))}
			rec.fields, rec.err = decodeObject(raw)
			if !yield(rec, nil) {
				return
			}
		}
		end := dec.InputOffset()
		if _, err := dec.Token(); err != nil { // the closing ']'
			broken(n+1, end, err)
			return
		}
		end = dec.InputOffset()
		if _, err := dec.Token(); err != io.EOF {
			broken(n+1, end, errors.New("unexpected data after the JSON array"))
		}
	}
}

// skipSeparators returns the offset of the first byte at or after off that
// is neither JSON white space nor a comma.
func skipSeparators(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return off
}

// lineCounter maps increasing byte offsets of data to 1-based lines.
type lineCounter struct {
	data []byte
	off  int64
	line int
}

func (c *lineCounter) at(off int64) int {
	off = min(off, int64(len(c.data)))
	if off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
	c.off = off
	return c.line
}
