// Package results owns dpokit's output schemas — the JSON field names that
// stay stable across versions — with their readers and writers: per-pair
// score results and summaries ([Result], [Summary]), sample and best-of-N
// records ([Record]), win rates ([WinRate]), and the identity of an input
// file ([Identity]). It imports neither ONNX Runtime nor GoMLX, so report,
// the synthetic experiment and any other pure-Go consumer read results
// without cgo.
package results
