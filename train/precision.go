package train

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Precision is the arithmetic of the training passes.
type Precision string

// The precisions.
const (
	// FP32 runs everything in float32 (on CUDA, XLA's matrix multiplies use
	// TF32 tensor cores unless the backend has "notf32").
	FP32 Precision = "fp32"
	// BF16 keeps float32 master weights, gradients and optimizer state,
	// and runs every matrix product of the forward and backward passes with
	// bfloat16 operands, accumulated and returned in float32 — PyTorch
	// autocast's rule for matmuls. Norms, softmax, the loss and the
	// optimizer stay float32.
	BF16 Precision = "bf16"
)

// ParsePrecision reads a --precision value ("" is fp32).
func ParsePrecision(s string) (Precision, error) {
	switch p := Precision(strings.ToLower(s)); p {
	case "", FP32:
		return FP32, nil
	case BF16:
		return p, nil
	}
	return "", fmt.Errorf("unknown precision %q (want fp32 or bf16)", s)
}

// fp32Graph prefixes the names of the computations that always run in
// float32, whatever the backend's precision: reference log-probs.
const fp32Graph = "dpokit_fp32_"

// backends caches one backend per configuration and precision: the policy
// and a reference model share the device (one PJRT client per process).
var backends = struct {
	sync.Mutex
	m map[string]*wrapped
}{m: map[string]*wrapped{}}

// backendFor returns the (shared) backend of a configuration and precision.
func backendFor(config string, p Precision) (*wrapped, error) {
	if p == "" {
		p = FP32
	}
	key := config + "\x00" + string(p)
	backends.Lock()
	defer backends.Unlock()
	if b := backends.m[key]; b != nil {
		return b, nil
	}
	inner, err := NewBackend(config)
	if err != nil {
		return nil, err
	}
	b := &wrapped{Backend: inner, bf16: p == BF16}
	if b.bf16 {
		if err := checkBF16(b); err != nil {
			return nil, err
		}
	}
	backends.m[key] = b
	return b, nil
}

// ErrBF16Product is returned for --precision bf16 when the backend's
// bfloat16 matrix product is wrong (checkBF16).
var ErrBF16Product = errors.New("--precision bf16: this backend's bfloat16 matrix product is wrong")

// checkBF16 runs the bfloat16 products of the layouts the training graphs
// use — plain, contracted over the first axis (weight gradients), with a
// transposed right operand, with batch axes (attention) — and compares them
// with float32. GoMLX's AVX2 matrix kernel (github.com/gomlx/compute
// v0.1.6, used by GOEXPERIMENT=simd builds on CPUs without AVX-512) returns
// wrong bfloat16 products for the transposed layouts, errors of the size of
// the results, so bf16 training would be silently wrong there: it is
// refused instead.
func checkBF16(b *wrapped) error {
	for _, c := range []struct {
		name           string
		lhs, rhs       []int
		lc, lb, rc, rb []int
	}{
		{"plain", []int{24, 64}, []int{64, 40}, []int{1}, nil, []int{0}, nil},
		{"first-axis contraction", []int{64, 24}, []int{64, 40}, []int{0}, nil, []int{0}, nil},
		{"transposed right operand", []int{24, 64}, []int{40, 64}, []int{1}, nil, []int{1}, nil},
		{"batch axes", []int{2, 4, 24, 16}, []int{2, 4, 40, 16}, []int{3}, []int{0, 1}, []int{3}, []int{0, 1}},
	} {
		worst, err := bf16ProductError(b, c.lhs, c.rhs, c.lc, c.lb, c.rc, c.rb)
		if err != nil {
			return fmt.Errorf("--precision bf16: checking the backend's bfloat16 matrix product: %w", err)
		}
		if worst > 1e-3 {
			return fmt.Errorf("%w (%s: off by %.3g on values of order 10; GoMLX's AVX2 kernel in a GOEXPERIMENT=simd build): "+
				"build without GOEXPERIMENT=simd, set GOMLX_SIMD_AVX2=false, or train in fp32", ErrBF16Product, c.name, worst)
		}
	}
	return nil
}

// bf16ProductError returns the largest difference between the backend's
// DotGeneral (lowered to bfloat16 operands by b) and the inner backend's
// float32 one, on operands of small multiples of ¼: exact in bfloat16,
// with products and sums exact in float32, so the two must be equal.
func bf16ProductError(b *wrapped, lhsDims, rhsDims, lc, lb, rc, rb []int) (worst float64, err error) {
	fill := func(dims []int, seed int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32((i*7+seed*13)%17-8) / 4
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	product := func(be compute.Backend) []float32 {
		out := graph.MustExecOnce(be, func(x, y *graph.Node) *graph.Node {
			return graph.DotGeneral(x, lc, lb, y, rc, rb)
		}, fill(lhsDims, 1), fill(rhsDims, 2))
		v, e := tensors.CopyFlatData[float32](out)
		if e != nil {
			panic(e)
		}
		return v
	}
	var got, want []float32
	err = exceptions.TryCatch[error](func() { got, want = product(b), product(b.Backend) })
	if err != nil {
		return 0, err
	}
	for i := range got {
		worst = max(worst, math.Abs(float64(got[i]-want[i])))
	}
	return worst, nil
}

// wrapped is a GoMLX backend that, with bf16, lowers float32 matrix
// products to bfloat16 operands as its computations are built, and records
// the memory XLA's compiled executables need. Everything else is the inner
// backend's.
type wrapped struct {
	compute.Backend
	bf16 bool

	mu       sync.Mutex
	peakExec int64 // the largest compiled executable's memory (XLA), bytes
}

func (b *wrapped) Builder(name string) compute.Builder {
	inner := b.Backend.Builder(name)
	return &wrappedBuilder{Builder: inner, b: b, bf16: b.bf16 && !strings.HasPrefix(name, fp32Graph)}
}

// Description names the precision after the inner backend's description.
func (b *wrapped) Description() string {
	if b.bf16 {
		return b.Backend.Description() + " (bf16 matmuls)"
	}
	return b.Backend.Description()
}

// PeakExecutableBytes is the largest device memory requirement XLA
// reported for an executable compiled so far (arguments + outputs −
// aliased + temporaries); 0 where the backend reports none (pure Go).
func (b *wrapped) PeakExecutableBytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peakExec
}

type wrappedBuilder struct {
	compute.Builder
	b    *wrapped
	bf16 bool
	main *wrappedFunction
}

func (wb *wrappedBuilder) Main() compute.Function {
	if wb.main == nil {
		wb.main = &wrappedFunction{Function: wb.Builder.Main(), wb: wb}
	}
	return wb.main
}

func (wb *wrappedBuilder) NewFunction(name string) (compute.Function, error) {
	f, err := wb.Builder.NewFunction(name)
	if err != nil {
		return nil, err
	}
	return &wrappedFunction{Function: f, wb: wb}, nil
}

func (wb *wrappedBuilder) Compile() (compute.Executable, error) {
	e, err := wb.Builder.Compile()
	if err != nil {
		return nil, err
	}
	if n := xlaMemory(e); n > 0 {
		wb.b.mu.Lock()
		wb.b.peakExec = max(wb.b.peakExec, n)
		wb.b.mu.Unlock()
	}
	return &wrappedExecutable{Executable: e, b: wb.b}, nil
}

// Buffers carry the backend that owns them (GoMLX refuses a tensor of
// another backend instance), so the wrapper hands out its own buffers and
// gives the inner backend its own back.

type wrappedBuffer struct {
	compute.Buffer
	b *wrapped
}

func (w *wrappedBuffer) Backend() compute.Backend { return w.b }

func (w *wrappedBuffer) CopyToDevice(d compute.DeviceNum) (compute.Buffer, error) {
	c, err := w.Buffer.CopyToDevice(d)
	return w.b.wrap(c), err
}

func (b *wrapped) wrap(buf compute.Buffer) compute.Buffer {
	if buf == nil {
		return nil
	}
	return &wrappedBuffer{Buffer: buf, b: b}
}

func unwrapBuffer(buf compute.Buffer) compute.Buffer {
	if w, ok := buf.(*wrappedBuffer); ok {
		return w.Buffer
	}
	return buf
}

func (b *wrapped) BufferFromFlatData(d compute.DeviceNum, flat any, shape shapes.Shape) (compute.Buffer, error) {
	buf, err := b.Backend.BufferFromFlatData(d, flat, shape)
	return b.wrap(buf), err
}

func (b *wrapped) NewSharedBuffer(d compute.DeviceNum, shape shapes.Shape) (compute.Buffer, any, error) {
	buf, flat, err := b.Backend.NewSharedBuffer(d, shape)
	return b.wrap(buf), flat, err
}

type wrappedExecutable struct {
	compute.Executable
	b *wrapped
}

func (e *wrappedExecutable) Execute(inputs []compute.Buffer, donate []bool, d compute.DeviceNum) ([]compute.Buffer, error) {
	in := make([]compute.Buffer, len(inputs))
	for i, buf := range inputs {
		in[i] = unwrapBuffer(buf)
	}
	out, err := e.Executable.Execute(in, donate, d)
	for i := range out {
		out[i] = e.b.wrap(out[i])
	}
	return out, err
}

type wrappedFunction struct {
	compute.Function
	wb *wrappedBuilder
}

func (f *wrappedFunction) Builder() compute.Builder { return f.wb }

func (f *wrappedFunction) Closure() (compute.Function, error) {
	c, err := f.Function.Closure()
	if err != nil {
		return nil, err
	}
	return &wrappedFunction{Function: c, wb: f.wb}, nil
}

// inner returns the backend's own function (the inner backend type-asserts
// the functions given to Call, Sort, While and If).
func inner(fn compute.Function) compute.Function {
	if w, ok := fn.(*wrappedFunction); ok {
		return w.Function
	}
	return fn
}

func (f *wrappedFunction) Call(g compute.Function, inputs ...compute.Value) ([]compute.Value, error) {
	return f.Function.Call(inner(g), inputs...)
}

func (f *wrappedFunction) Sort(cmp compute.Function, axis int, stable bool, inputs ...compute.Value) ([]compute.Value, error) {
	return f.Function.Sort(inner(cmp), axis, stable, inputs...)
}

func (f *wrappedFunction) While(cond, body compute.Function, state ...compute.Value) ([]compute.Value, error) {
	return f.Function.While(inner(cond), inner(body), state...)
}

func (f *wrappedFunction) If(pred compute.Value, t, e compute.Function) ([]compute.Value, error) {
	return f.Function.If(pred, inner(t), inner(e))
}

// DotGeneral lowers a float32 product of two operands of rank ≥ 2 (a
// matrix product: projections, attention, the LM head, and their
// gradients) to bfloat16 operands with float32 accumulation and result.
// Products with a vector operand (per-row sums of log-probs) stay float32.
func (f *wrappedFunction) DotGeneral(lhs compute.Value, lc, lb []int, rhs compute.Value, rc, rb []int, cfg compute.DotGeneralConfig) (compute.Value, error) {
	if !f.wb.bf16 || !f.lowered(lhs, rhs, cfg) {
		return f.Function.DotGeneral(lhs, lc, lb, rhs, rc, rb, cfg)
	}
	l, err := f.Function.ConvertDType(lhs, dtypes.BFloat16)
	if err != nil {
		return nil, err
	}
	r, err := f.Function.ConvertDType(rhs, dtypes.BFloat16)
	if err != nil {
		return nil, err
	}
	cfg.AccumulatorDType, cfg.OutputDType = dtypes.Float32, dtypes.Float32
	return f.Function.DotGeneral(l, lc, lb, r, rc, rb, cfg)
}

func (f *wrappedFunction) lowered(lhs, rhs compute.Value, cfg compute.DotGeneralConfig) bool {
	if cfg.AccumulatorDType != dtypes.InvalidDType || cfg.OutputDType != dtypes.InvalidDType {
		return false
	}
	for _, v := range []compute.Value{lhs, rhs} {
		s, err := f.Function.Shape(v)
		if err != nil || s.DType != dtypes.Float32 || s.Rank() < 2 {
			return false
		}
	}
	return true
}

// xlaMemory reads the device memory requirement of an XLA executable
// (go-xla keeps pjrt's compiled memory statistics in unexported fields, so
// they are read by reflection); 0 for other backends or another layout.
func xlaMemory(e compute.Executable) (n int64) {
	defer func() {
		if recover() != nil {
			n = 0
		}
	}()
	v := reflect.ValueOf(e)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return 0
	}
	ex := v.Elem().FieldByName("exec")
	if !ex.IsValid() || ex.Kind() != reflect.Pointer || ex.IsNil() {
		return 0
	}
	st := ex.Elem().FieldByName("OnDeviceMemoryUsageStats")
	if !st.IsValid() || st.Kind() != reflect.Struct {
		return 0
	}
	field := func(name string) int64 {
		if f := st.FieldByName(name); f.IsValid() && f.CanInt() {
			return f.Int()
		}
		return 0
	}
	return field("Inputs") + field("Outputs") - field("Aliases") + field("Temporary") + field("GeneratedCode")
}
