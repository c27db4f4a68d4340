package onnxproto

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// constantWithExternal is a Constant node whose value attribute is a
// tensor stored at location.
func constantWithExternal(location string) []byte {
	var tp []byte
	tp = AppendVarint(tp, 1, 2)
	tp = AppendVarint(tp, 2, Float)
	tp = AppendString(tp, 8, "c")
	tp = AppendMessage(tp, 13, AppendString(AppendString(nil, 1, "location"), 2, location))
	tp = AppendVarint(tp, 14, 1)
	attr := AppendVarint(AppendMessage(AppendString(nil, 1, "value"), 5, tp), 20, 4)
	return EncodeNode("Constant", "", nil, []string{"c"}, Attr(attr))
}

// TestCheckExternal: an external data location is accepted only when it
// resolves to a file inside the ONNX file's directory; the error names the
// tensor and the location as written. Tensor attributes count as much as
// initializers.
func TestCheckExternal(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "model")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.MkdirAll(filepath.Join(top, "outside"), 0o755)
	os.WriteFile(filepath.Join(top, "outside", "w.bin"), make([]byte, 12), 0o644)
	os.WriteFile(filepath.Join(dir, "w.bin"), make([]byte, 12), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "w.bin"), make([]byte, 12), 0o644)
	os.Symlink(filepath.Join(top, "outside", "w.bin"), filepath.Join(dir, "link.bin"))
	os.Symlink(filepath.Join(top, "outside"), filepath.Join(dir, "linkdir"))
	os.Symlink("w.bin", filepath.Join(dir, "inner.bin"))
	g := NewBuilder("tiny")
	g.Input("x", Float, 3)
	g.Output("y", Float, 3)
	g.Floats("w", []int{3}, []float32{1, 2, 3})
	g.Node("Mul", []string{"x", "w"}, []string{"y"})
	m0, err := Parse(g.Model(13))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		location string
		outside  bool // else fine
		missing  bool
	}{
		{"w.bin", false, false},
		{"sub/w.bin", false, false},
		{"sub/../w.bin", false, false},
		{"inner.bin", false, false},
		{"../outside/w.bin", true, false},
		{"sub/../../outside/w.bin", true, false},
		{filepath.Join(top, "outside", "w.bin"), true, false},
		{"link.bin", true, false},
		{"linkdir/w.bin", true, false},
		{"", true, false},
		{"absent.bin", false, true},
	} {
		t.Run(tc.location, func(t *testing.T) {
			w, _ := m0.Initializer("w")
			ext, err := m0.TensorExternal(w, tc.location, 0, 12)
			if err != nil {
				t.Fatal(err)
			}
			data, err := m0.Rewrite(Edit{ReplaceInits: map[int][]byte{0: ext}})
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.CheckExternal(dir)
			var oe *fsutil.OutsideError
			var ee *ExternalError
			switch {
			case tc.outside && !errors.As(err, &oe):
				t.Fatalf("err = %v, want a location outside the directory refused", err)
			case tc.missing && !errors.Is(err, os.ErrNotExist):
				t.Fatalf("err = %v, want a missing file", err)
			case !tc.outside && !tc.missing && err != nil:
				t.Fatalf("refused: %v", err)
			case err != nil && (!errors.As(err, &ee) || !strings.Contains(err.Error(), `tensor "w"`) || !strings.Contains(err.Error(), tc.location)):
				t.Fatalf("error %q does not name the tensor and the location", err)
			}
			if tc.outside {
				if _, rerr := m.ReadTensor(dir, &m.Graph.Inits[0]); !errors.As(rerr, &oe) {
					t.Errorf("ReadTensor read it: %v", rerr)
				}
			}
		})
	}
	// A directory or a FIFO (which would block its reader) is no data file.
	syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644)
	for _, loc := range []string{".", "sub", "fifo"} {
		w, _ := m0.Initializer("w")
		ext, _ := m0.TensorExternal(w, loc, 0, 12)
		data, _ := m0.Rewrite(Edit{ReplaceInits: map[int][]byte{0: ext}})
		m, _ := Parse(data)
		if _, err := m.CheckExternal(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("location %q: err = %v", loc, err)
		}
	}
	g.Node("Constant", nil, []string{"c"})
	m1, err := Parse(modelWithLastNode(g, constantWithExternal("../outside/w.bin")))
	if err != nil {
		t.Fatal(err)
	}
	if refs := m1.Externals(); len(refs) != 1 || refs[0].Location != "../outside/w.bin" {
		t.Fatalf("externals %+v, want the Constant's value", refs)
	}
	if _, err := m1.CheckExternal(dir); err == nil {
		t.Fatal("a Constant's value outside the directory was accepted")
	}
}

// modelWithLastNode is g's model with its last node replaced by node.
func modelWithLastNode(g *Builder, node []byte) []byte {
	g.nodes[len(g.nodes)-1] = node
	return g.Model(13)
}

// TestExternalLocationTwice: two location entries are ambiguous (readers
// disagree on which wins) and refused.
func TestExternalLocationTwice(t *testing.T) {
	var tp []byte
	tp = AppendVarint(tp, 2, Float)
	tp = AppendString(tp, 8, "w")
	for _, loc := range []string{"w.bin", "../outside/w.bin"} {
		tp = AppendMessage(tp, 13, AppendString(AppendString(nil, 1, "location"), 2, loc))
	}
	if _, err := parseTensor(tp, 0); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("err = %v", err)
	}
	// Without data_location EXTERNAL the entries still count as external
	// (onnx-gomlx reads them).
	one := AppendMessage(AppendString(AppendVarint(nil, 2, Float), 8, "w"), 13, AppendString(AppendString(nil, 1, "location"), 2, "../x"))
	if tt, err := parseTensor(one, 0); err != nil || tt.External == nil || tt.External.Location != "../x" {
		t.Fatalf("tensor %+v, %v", tt, err)
	}
}
