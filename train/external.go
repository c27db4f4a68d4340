package train

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/gomlx/onnx-gomlx/onnx"
)

// rootReader gives onnx-gomlx the external data of an ONNX file through an
// os.Root on the file's directory: whatever a location says, nothing
// outside that directory can be opened (Load has already refused such
// locations by name; this holds even if the file changed since).
type rootReader struct {
	dir   string
	mu    sync.Mutex
	root  *os.Root
	files map[string]*os.File
}

var _ onnx.ExternalDataReader = (*rootReader)(nil)

func newRootReader(dir string) *rootReader {
	return &rootReader{dir: dir, files: map[string]*os.File{}}
}

func (r *rootReader) open(location string) (*os.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.files[location]; ok {
		return f, nil
	}
	if r.root == nil {
		root, err := os.OpenRoot(r.dir)
		if err != nil {
			return nil, err
		}
		r.root = root
	}
	f, err := r.root.Open(location)
	if err != nil {
		return nil, fmt.Errorf("external data %q in %s: %w", location, r.dir, err)
	}
	r.files[location] = f
	return f, nil
}

// ReadInto fills output with the bytes at info.Offset of info.Location.
func (r *rootReader) ReadInto(info onnx.ExternalDataInfo, output []byte) error {
	f, err := r.open(info.Location)
	if err != nil {
		return err
	}
	if info.Length > 0 && info.Length != int64(len(output)) {
		return fmt.Errorf("external data %q: length %d, but the tensor takes %d bytes", info.Location, info.Length, len(output))
	}
	n, err := f.ReadAt(output, info.Offset)
	if n == len(output) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("external data %q: %d bytes at offset %d: %w", info.Location, len(output), info.Offset, err)
}

// Close closes the files; a later ReadInto opens them again.
func (r *rootReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, f := range r.files {
		errs = append(errs, f.Close())
	}
	clear(r.files)
	if r.root != nil {
		errs = append(errs, r.root.Close())
		r.root = nil
	}
	return errors.Join(errs...)
}
