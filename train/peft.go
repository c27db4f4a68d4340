package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// PEFT's file names.
const (
	peftConfigFile  = "adapter_config.json"
	peftWeightsFile = "adapter_model.safetensors"
)

// peftConfig is the adapter_config.json of a Hugging Face PEFT LoRA
// adapter (the fields of peft.LoraConfig).
type peftConfig struct {
	PEFTType          string             `json:"peft_type"`
	TaskType          string             `json:"task_type"`
	BaseModel         string             `json:"base_model_name_or_path"`
	Revision          *string            `json:"revision"`
	R                 int                `json:"r"`
	LoRAAlpha         float64            `json:"lora_alpha"`
	LoRADropout       float64            `json:"lora_dropout"`
	TargetModules     []string           `json:"target_modules"`
	FanInFanOut       bool               `json:"fan_in_fan_out"`
	Bias              string             `json:"bias"`
	ModulesToSave     []string           `json:"modules_to_save"`
	InitLoRAWeights   bool               `json:"init_lora_weights"`
	LayersToTransform []int              `json:"layers_to_transform"`
	LayersPattern     *string            `json:"layers_pattern"`
	RankPattern       map[string]int     `json:"rank_pattern"`
	AlphaPattern      map[string]float64 `json:"alpha_pattern"`
	UseRSLoRA         bool               `json:"use_rslora"`
	UseDoRA           bool               `json:"use_dora"`
	InferenceMode     bool               `json:"inference_mode"`
}

// WritePEFTAdapter writes the adapters as a Hugging Face PEFT LoRA adapter
// directory: adapter_config.json and adapter_model.safetensors, with
// base_model.model.MODULE.lora_A.weight [r, in] and lora_B.weight [out, r]
// per target (MODULE the initializer name without ".weight", which must
// be the PyTorch module's, as in a TrainingMode.PRESERVE export). The
// directory is assembled beside out and renamed into place; out must not
// exist. baseModel fills base_model_name_or_path.
func (m *Model) WritePEFTAdapter(out, baseModel string) error {
	st := m.lora
	if st == nil {
		return errors.New("PEFT adapter: the model has no LoRA adapters")
	}
	cfg := peftConfig{PEFTType: "LORA", TaskType: "CAUSAL_LM", BaseModel: baseModel, R: st.cfg.Rank,
		LoRAAlpha: st.cfg.Alpha, LoRADropout: st.cfg.Dropout, Bias: "none", InitLoRAWeights: true,
		RankPattern: map[string]int{}, AlphaPattern: map[string]float64{}, InferenceMode: true}
	tensorsByName := map[string]safeTensor{}
	for k, t := range st.targets {
		if !strings.HasSuffix(t.Initializer, ".weight") {
			return fmt.Errorf("PEFT adapter: initializer %q is not named after a PyTorch module (MODULE.weight), so PEFT could not place its adapter; export the merged model only", t.Initializer)
		}
		if k > 0 && t.Transposed != st.targets[0].Transposed {
			return fmt.Errorf("PEFT adapter: %s is stored %s but %s is not; one adapter needs one fan_in_fan_out", t.Initializer, orientation(t), st.targets[0].Initializer)
		}
		cfg.FanInFanOut = !t.Transposed // Conv1D-style weights [in, out]
		cfg.TargetModules = append(cfg.TargetModules, t.Module())
		a, err := variableFloats(st.a[k]) // A' [in, r]
		if err != nil {
			return err
		}
		b, err := variableFloats(st.b[k]) // B' [r, out]
		if err != nil {
			return err
		}
		key := "base_model.model." + t.Module()
		tensorsByName[key+".lora_A.weight"] = safeTensor{[]int{st.cfg.Rank, t.In}, transpose(a, t.In, st.cfg.Rank)}
		tensorsByName[key+".lora_B.weight"] = safeTensor{[]int{t.Out, st.cfg.Rank}, transpose(b, st.cfg.Rank, t.Out)}
	}
	return writeDirAtomically(out, func(tmp string) error {
		if err := fsutil.WriteFile(filepath.Join(tmp, peftConfigFile), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(cfg)
		}); err != nil {
			return err
		}
		return fsutil.WriteFile(filepath.Join(tmp, peftWeightsFile), func(w io.Writer) error {
			return writeSafetensors(w, tensorsByName)
		})
	})
}

func orientation(t LoRACandidate) string {
	if t.Transposed {
		return "[out, in] (nn.Linear)"
	}
	return "[in, out] (Conv1D)"
}

// transpose returns the [cols, rows] transpose of a row-major [rows, cols] matrix.
func transpose(v []float32, rows, cols int) []float32 {
	out := make([]float32, len(v))
	for i := range rows {
		for j := range cols {
			out[j*rows+i] = v[i*cols+j]
		}
	}
	return out
}

type safeTensor struct {
	shape []int
	data  []float32
}

// writeSafetensors writes float32 tensors in the safetensors layout: an
// 8-byte little-endian header length, the JSON header (names to dtype,
// shape and byte range of the data, padded with spaces to 8 bytes), then
// the data, tensors in name order.
func writeSafetensors(w io.Writer, ts map[string]safeTensor) error {
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	sort.Strings(names)
	type entry struct {
		DType   string `json:"dtype"`
		Shape   []int  `json:"shape"`
		Offsets [2]int `json:"data_offsets"`
	}
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	off := 0
	for _, n := range names {
		size := 4 * len(ts[n].data)
		header[n] = entry{"F32", ts[n].shape, [2]int{off, off + size}}
		off += size
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	if pad := len(h) % 8; pad != 0 {
		h = append(h, bytes.Repeat([]byte(" "), 8-pad)...)
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(h))); err != nil {
		return err
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	for _, n := range names {
		raw := make([]byte, 4*len(ts[n].data))
		for i, x := range ts[n].data {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		if _, err := w.Write(raw); err != nil {
			return err
		}
	}
	return nil
}

// writeDirAtomically fills a temporary directory beside out and renames it
// to out, which must not exist.
func writeDirAtomically(out string, fill func(tmp string) error) error {
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("output %s already exists (it is never overwritten)", out)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	syncDir(parent)
	return nil
}
