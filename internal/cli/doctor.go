package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/internal/device"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/train"
)

func doctorCommand() *cli.Command {
	return &cli.Command{
		Name:      "doctor",
		Usage:     "show the devices and runtimes found: ONNX Runtime and its providers, NVIDIA driver and GPUs, PJRT CUDA plugins, GoMLX backends",
		UsageText: "dpokit doctor [--json] [--ort-lib PATH]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
			&cli.StringFlag{Name: "ort-lib", Usage: "path of libonnxruntime.so (ONNX Runtime >= 1.24)",
				EnvVars: []string{"DPOKIT_ORT_LIB", "ONNXRUNTIME_SHARED_LIBRARY_PATH"}},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return usagef("unexpected arguments %q (doctor takes flags only)", c.Args().Slice())
			}
			r := diagnose(c.String("ort-lib"))
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			r.write(c.App.Writer)
			return nil
		},
	}
}

// doctorReport is what `dpokit doctor` found.
type doctorReport struct {
	ONNXRuntime struct {
		Library   string   `json:"library,omitempty"`
		Version   string   `json:"version,omitempty"`
		Providers []string `json:"providers,omitempty"`
		NoCUDA    string   `json:"cuda_unavailable,omitempty"` // why the CUDA provider is not usable
		Error     string   `json:"error,omitempty"`
		Hint      string   `json:"hint,omitempty"`
	} `json:"onnxruntime"`
	NVIDIA struct {
		Driver string   `json:"driver,omitempty"`
		GPUs   []string `json:"gpus"`
	} `json:"nvidia"`
	PJRT struct {
		CUDA     []device.Plugin `json:"cuda_plugins"`
		Searched []string        `json:"searched"`
		Train    *device.Setup   `json:"train_setup,omitempty"` // what train --device cuda would use
		Hint     string          `json:"hint,omitempty"`
	} `json:"pjrt"`
	GoMLX struct {
		Backends   []string          `json:"backends"`
		XLAPlugins map[string]string `json:"xla_plugins"` // go-xla's own search
	} `json:"gomlx"`
}

func diagnose(ortLib string) *doctorReport {
	r := &doctorReport{}
	if rt, err := models.NewRuntime(models.RuntimeOptions{Library: ortLib}); err != nil {
		r.ONNXRuntime.Error = err.Error()
		var ml *models.MissingLibraryError
		if errors.As(err, &ml) {
			r.ONNXRuntime.Hint = ml.Hint()
		}
	} else {
		r.ONNXRuntime.Library, r.ONNXRuntime.Version = rt.Library(), rt.Version()
		r.ONNXRuntime.Providers, r.ONNXRuntime.NoCUDA = rt.Providers()
		_ = rt.Close()
	}
	env := deviceEnv()
	r.NVIDIA.Driver, r.NVIDIA.GPUs = device.DriverVersion(env), device.GPUs(env)
	r.PJRT.CUDA, r.PJRT.Searched = device.FindCUDA(env)
	if len(r.PJRT.CUDA) == 0 {
		r.PJRT.Hint = (&device.MissingPluginError{}).Hint()
	} else if s, err := device.Prepare(env, r.PJRT.CUDA[0], device.Options{}); err == nil {
		r.PJRT.Train = &s
	}
	r.GoMLX.Backends, r.GoMLX.XLAPlugins = train.Backends(), train.XLAPlugins()
	return r
}

func (r *doctorReport) write(w io.Writer) {
	o := r.ONNXRuntime
	if o.Error != "" {
		fmt.Fprintf(w, "ONNX Runtime      not usable: %s\n", o.Error)
		if o.Hint != "" {
			fmt.Fprintf(w, "                  hint: %s\n", o.Hint)
		}
	} else {
		fmt.Fprintf(w, "ONNX Runtime      %s (version %s)\n", o.Library, o.Version)
		fmt.Fprintf(w, "  providers       %s", strings.Join(o.Providers, ", "))
		if o.NoCUDA != "" {
			fmt.Fprintf(w, " (no CUDA provider: %s)", firstLine(o.NoCUDA))
		}
		fmt.Fprintln(w)
	}
	switch {
	case r.NVIDIA.Driver == "" && len(r.NVIDIA.GPUs) == 0:
		fmt.Fprintln(w, "NVIDIA            no driver loaded, no GPU device")
	default:
		fmt.Fprintf(w, "NVIDIA            driver %q, %d GPU device(s) %s\n", r.NVIDIA.Driver, len(r.NVIDIA.GPUs), strings.Join(r.NVIDIA.GPUs, " "))
	}
	if len(r.PJRT.CUDA) == 0 {
		fmt.Fprintf(w, "PJRT CUDA plugin  none found (%d folders searched)\n                  hint: %s\n", len(r.PJRT.Searched), r.PJRT.Hint)
	}
	for i, p := range r.PJRT.CUDA {
		label := "PJRT CUDA plugin "
		if i > 0 {
			label = "  also           "
		}
		fmt.Fprintf(w, "%s %s (%s; CUDA %s; CUDA data folder %s)\n", label, p.Path, p.From, orDash(p.CUDA), orDash(p.DataDir))
	}
	if s := r.PJRT.Train; s != nil {
		fmt.Fprintf(w, "  train --device cuda: GoMLX backend %q, XLA_FLAGS %q\n", s.Backend, s.XLAFlags)
	}
	fmt.Fprintf(w, "GoMLX backends    %s\n", strings.Join(r.GoMLX.Backends, ", "))
	names := slices.Sorted(maps.Keys(r.GoMLX.XLAPlugins))
	if len(names) == 0 {
		fmt.Fprintln(w, "  go-xla plugins  none in go-xla's own folders (train --device cuda searches more, above)")
	}
	for _, n := range names {
		fmt.Fprintf(w, "  go-xla plugin   %s: %s\n", n, r.GoMLX.XLAPlugins[n])
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
