package modeldir

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// ValueInfo is a graph input or output; Dim one of its dimensions.
type (
	ValueInfo = onnxproto.ValueInfo
	Dim       = onnxproto.Dim
)

// ShapeString formats a shape as [a, b, c].
func ShapeString(s []Dim) string { return onnxproto.ShapeString(s) }

// Graph is what dpokit reads from an ONNX file without ONNX Runtime: enough
// to describe a model and to check its signature.
type Graph struct {
	IRVersion     int64
	Producer      string
	Opsets        map[string]int64 // domain ("" = ai.onnx) -> version
	Inputs        []ValueInfo
	Outputs       []ValueInfo
	OpCounts      map[string]int // "domain:OpType" (domain omitted for ai.onnx), subgraphs included
	Initializers  int
	Parameters    int64 // elements of floating-point initializers
	ExternalFiles []string
}

// ReadGraph parses the ONNX file at path (mapped, not read into memory)
// and checks its external data files: each must be a file inside the ONNX
// file's directory, symlinks followed (onnxproto.CheckExternal), so that
// nothing outside is opened by what runs the model.
func ReadGraph(path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return nil, fmt.Errorf("%s: empty ONNX file", path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: map file: %w", path, err)
	}
	defer syscall.Munmap(data)
	m, err := onnxproto.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g := summarize(m) // copies what it keeps: data is unmapped on return
	if len(g.Inputs) == 0 && len(g.Outputs) == 0 {
		return nil, fmt.Errorf("%s: not a valid ONNX model: no graph inputs or outputs", path)
	}
	if _, err := m.CheckExternal(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// summarize counts operators, initializers and parameters over the main
// graph and its subgraphs.
func summarize(m *onnxproto.Model) *Graph {
	g := &Graph{IRVersion: m.IRVersion, Producer: m.Producer, Opsets: m.Opsets, OpCounts: map[string]int{},
		Inputs: m.Graph.Inputs, Outputs: m.Graph.Outputs}
	ext := map[string]bool{}
	var visit func(sg *onnxproto.Graph)
	visit = func(sg *onnxproto.Graph) {
		for _, n := range sg.Nodes {
			g.OpCounts[n.OpType()]++
			for _, s := range n.Subgraphs {
				visit(s)
			}
		}
		for _, t := range sg.Inits {
			g.Initializers++
			if onnxproto.IsFloat(t.DType) {
				g.Parameters += max(t.Elems(), 0)
			}
		}
	}
	visit(m.Graph)
	for _, r := range m.Externals() {
		if !ext[r.Location] {
			ext[r.Location] = true
			g.ExternalFiles = append(g.ExternalFiles, r.Location)
		}
	}
	sort.Strings(g.ExternalFiles)
	return g
}
