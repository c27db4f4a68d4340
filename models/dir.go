package models

import "github.com/dpokit/dpokit/modeldir"

// The model directory and its signature are read without cgo by package
// modeldir; models runs them on ONNX Runtime. These names keep models'
// API whole.
type (
	Dir       = modeldir.Dir
	Signature = modeldir.Signature
	KVLayout  = modeldir.KVLayout
)

// KV-cache layouts (see modeldir).
const (
	KVSeparate = modeldir.KVSeparate
	KVStacked  = modeldir.KVStacked
)

// OpenDir reads a model directory and its signature (modeldir.Open).
func OpenDir(path string) (*Dir, error) { return modeldir.Open(path) }
