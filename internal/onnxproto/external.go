package onnxproto

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// ExternalRef is a tensor whose data is in an external file.
type ExternalRef struct {
	Tensor   string // the tensor's name (a node's name for an unnamed attribute tensor)
	Location string // as the file writes it
}

// Externals lists every tensor of the model whose data lives in an
// external file, subgraphs included: initializers, sparse initializers and
// tensor attributes (a Constant's value). ONNX Runtime and onnx-gomlx
// read all of them.
func (m *Model) Externals() []ExternalRef {
	var out []ExternalRef
	add := func(owner string, ts []Tensor) {
		for _, t := range ts {
			if t.External != nil {
				name := t.Name
				if name == "" {
					name = owner
				}
				out = append(out, ExternalRef{Tensor: name, Location: t.External.Location})
			}
		}
	}
	var visit func(g *Graph)
	visit = func(g *Graph) {
		add("", g.Inits)
		add("", g.SparseParts)
		for _, n := range g.Nodes {
			add(n.String(), n.Tensors)
			for _, sg := range n.Subgraphs {
				visit(sg)
			}
		}
	}
	if m.Graph != nil {
		visit(m.Graph)
	}
	return out
}

// ExternalError is an external data location that is not a file inside
// the ONNX file's directory.
type ExternalError struct {
	Tensor, Location string
	Dir              string // the ONNX file's directory
	Err              error  // *fsutil.OutsideError, or a missing file
}

func (e *ExternalError) Error() string {
	var oe *fsutil.OutsideError
	switch {
	case errors.As(e.Err, &oe) && oe.Resolved != "":
		return fmt.Sprintf("tensor %q: external data location %q resolves to %s, outside the model directory %s (a symlink leads out; to use the file, copy it in, e.g. with cp -L)", e.Tensor, e.Location, oe.Resolved, e.Dir)
	case errors.As(e.Err, &oe):
		return fmt.Sprintf("tensor %q: external data location %q is not inside the model directory %s", e.Tensor, e.Location, e.Dir)
	case errors.Is(e.Err, fs.ErrNotExist):
		return fmt.Sprintf("tensor %q: external data file %q not found in %s", e.Tensor, e.Location, e.Dir)
	}
	return fmt.Sprintf("tensor %q: external data file %q: %v", e.Tensor, e.Location, e.Err)
}

func (e *ExternalError) Unwrap() error { return e.Err }

// CheckExternal refuses, before any of them is opened, external data
// locations that are not files inside dir, the ONNX file's directory (the
// one ONNX Runtime resolves them from): absolute, climbing out with .., or
// leading out through a symlink, as well as missing files. It returns the
// resolved paths of the files, each once.
func (m *Model) CheckExternal(dir string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for _, r := range m.Externals() {
		p, err := fsutil.FileInside(dir, r.Location)
		if err != nil {
			return nil, &ExternalError{Tensor: r.Tensor, Location: r.Location, Dir: dir, Err: err}
		}
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	return files, nil
}
