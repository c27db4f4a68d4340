package train

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/pjrt"

	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/tokenize"
)

// precision is the job's precision, fp32 when unset.
func (j *Job) precision() Precision {
	if j.Precision == "" {
		return FP32
	}
	return j.Precision
}

// reference is what computes the job's reference log-probs: the GoMLX
// forward pass on the training backend (RefOnDevice; with the loaded policy
// when the reference is the policy's ONNX file), else j.Reference.
func (j *Job) reference(policy *Model) *timedReference {
	if !j.RefOnDevice {
		if j.Reference == nil {
			return nil
		}
		return &timedReference{Reference: j.Reference}
	}
	return &timedReference{Reference: &DeviceReference{Backend: j.Backend, BatchSize: 2 * max(1, j.Run.BatchSize),
		MaxShapes: j.Run.MaxShapes, LogitChunk: j.LogitChunk, Progress: j.Stderr, policy: policy}}
}

// timedReference times the reference log-probs it computes.
type timedReference struct {
	Reference
	seconds float64
	pairs   int
}

func (r *timedReference) Logps(ctx context.Context, dir *modeldir.Dir, pairs []tokenize.Encoded) ([]float64, []float64, error) {
	start := time.Now()
	c, rj, err := r.Reference.Logps(ctx, dir, pairs)
	r.seconds += time.Since(start).Seconds()
	r.pairs += len(pairs)
	if err == nil {
		slog.Info("reference log-probs computed", "engine", r.Engine(), "pairs", len(pairs), "seconds", round2(time.Since(start).Seconds()))
	}
	return c, rj, err
}

// Engine names what computes the log-probs.
func (r *timedReference) Engine() string {
	if e, ok := r.Reference.(interface{ Engine() string }); ok {
		return e.Engine()
	}
	return "ONNX Runtime"
}

// stats records the reference computation in s (nothing when cached).
func (r *timedReference) stats(s *RunStats) {
	if r == nil || r.pairs == 0 {
		return
	}
	s.RefEngine, s.RefSeconds, s.RefPairs = r.Engine(), r.seconds, r.pairs
}

// backendIdentity names a backend configuration for a run's identity: an
// XLA plugin given by its absolute path counts by its platform, so that a
// resume after reinstalling the plugin elsewhere is not refused.
func backendIdentity(config string) string {
	name, rest, ok := strings.Cut(config, ":")
	if !ok || name != "xla" {
		return config
	}
	plugin, opts, _ := strings.Cut(rest, ",")
	if !filepath.IsAbs(plugin) {
		return config
	}
	platform := "plugin"
	if strings.Contains(strings.ToLower(filepath.Base(filepath.Dir(plugin))+filepath.Base(plugin)), "cuda") {
		platform = "cuda"
	}
	if opts != "" {
		return "xla:" + platform + "," + opts
	}
	return "xla:" + platform
}

// log writes the run's costs as one log line.
func (s RunStats) log() {
	slog.Info("run costs", "compile_seconds", round2(s.CompileSeconds), "time_to_first_step_seconds", round2(s.FirstStepSeconds),
		"shapes", formatShapes(s.Shapes), "reference_seconds", round2(s.RefSeconds), "peak_rss_mib", s.PeakRSSBytes>>20,
		"device_mib", s.DeviceBytes>>20)
}

// Backends lists the GoMLX backends compiled in ("go", "xla", …).
func Backends() []string {
	b := compute.List()
	slices.Sort(b)
	return b
}

// XLAPlugins lists the PJRT plugins go-xla finds by itself (its search
// folders, or PJRT_PLUGIN_LIBRARY_PATH as the process started), by name:
// each is loaded to check it, and CUDA ones only where a GPU is present.
func XLAPlugins() map[string]string { return pjrt.AvailablePlugins() }
