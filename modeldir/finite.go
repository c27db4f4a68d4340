package modeldir

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// NonFiniteError is a log-prob or reward that came out NaN or infinite:
// the value, what it is, the item (a pair or prompt id) and the model that
// gave it, with the first of the model's weights that is not finite, when
// one is (else the weights are finite and the value overflowed).
type NonFiniteError struct {
	What   string  // e.g. "policy log-prob of the chosen response"
	Value  float64 // NaN or ±Inf
	Item   string  // e.g. `pair id "7"`
	Model  string  // the ONNX file
	Tensor string  // first initializer holding NaN or ±Inf; "" when all are finite
}

func (e *NonFiniteError) Error() string {
	msg := fmt.Sprintf("%s: %s is %v under model %s", e.Item, e.What, e.Value, e.Model)
	if e.Tensor != "" {
		return msg + fmt.Sprintf(": its initializer %q holds non-finite weights; nothing was written for this item", e.Tensor)
	}
	return msg + ": its weights are finite; nothing was written for this item"
}

// CheckFinite returns nil when v is finite, else a *NonFiniteError naming
// what, the item and the directory's ONNX file, whose weights it scans for
// the first non-finite one.
func (d *Dir) CheckFinite(v float64, what, item string) error {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		return nil
	}
	e := &NonFiniteError{What: what, Value: v, Item: item, Model: d.ONNX}
	e.Tensor, _ = FirstNonFinite(d.ONNX) // a failed scan leaves the weights unnamed
	return e
}

// FirstNonFinite returns the name of the first float32 initializer of the
// ONNX file at path (external data included) that holds NaN or ±Inf, or
// "" when every one is finite.
func FirstNonFinite(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	m, err := onnxproto.Parse(data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	for i := range m.Graph.Inits {
		t := &m.Graph.Inits[i]
		if t.DType != onnxproto.Float {
			continue
		}
		raw, err := m.ReadTensor(filepath.Dir(path), t)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		for k := 0; k+4 <= len(raw); k += 4 {
			// Exponent bits all set: NaN or ±Inf.
			if binary.LittleEndian.Uint32(raw[k:])&0x7f800000 == 0x7f800000 {
				return t.Name, nil
			}
		}
	}
	return "", nil
}
