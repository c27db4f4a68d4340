// Package modeldir reads a model directory without ONNX Runtime: the Hugging
// Face / optimum layout or one described by an ONNX Runtime GenAI
// genai_config.json, and the decoder's signature read from the ONNX file
// itself (input ids, attention mask, position ids, logits, the KV cache).
// models runs what it describes; train imports what it names; `dpokit
// models inspect` describes it. Nothing here links cgo.
package modeldir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// Dir is a model directory in the Hugging Face / optimum layout, or one
// described by an ONNX Runtime GenAI genai_config.json.
type Dir struct {
	Path       string
	ONNX       string         // path of the decoder ONNX file
	Config     map[string]any // config.json (may be empty)
	Generation map[string]any // generation_config.json (may be empty)
	GenAI      *GenAIConfig   // genai_config.json, when present
	Graph      *Graph
	Signature  Signature
}

// GenAIConfig is the part of ONNX Runtime GenAI's genai_config.json that
// dpokit uses.
type GenAIConfig struct {
	Model struct {
		Type       string `json:"type"`
		VocabSize  int    `json:"vocab_size"`
		ContextLen int    `json:"context_length"`
		BOSTokenID any    `json:"bos_token_id"`
		EOSTokenID any    `json:"eos_token_id"`
		PadTokenID any    `json:"pad_token_id"`
		Decoder    struct {
			Filename string            `json:"filename"`
			HeadSize int               `json:"head_size"`
			Hidden   int               `json:"hidden_size"`
			Heads    int               `json:"num_attention_heads"`
			KVHeads  int               `json:"num_key_value_heads"`
			Layers   int               `json:"num_hidden_layers"`
			Inputs   map[string]string `json:"inputs"`
			Outputs  map[string]string `json:"outputs"`
		} `json:"decoder"`
	} `json:"model"`
}

// onnxCandidates are the file names searched, in order.
var onnxCandidates = []string{
	"model.onnx", "onnx/model.onnx",
	"decoder_model_merged.onnx", "onnx/decoder_model_merged.onnx",
	"decoder_model.onnx", "onnx/decoder_model.onnx",
}

// Open reads a model directory and the signature of its ONNX file. Every
// path it reads resolves inside the directory, symlinks followed then
// checked, before it is opened: the configuration and tokenizer files, the
// ONNX file (genai_config.json's decoder filename included) and the
// external data files the ONNX file names (these inside the ONNX file's own
// directory, where ONNX Runtime resolves them). A path that leads out is
// refused with an error naming it (and the tensor, for external data).
func Open(path string) (*Dir, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("model directory %s: not a directory", path)
	}
	for _, f := range ConfigFiles {
		if _, err := fsutil.Inside(path, f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("model directory %s: %s: %w", path, f, err)
		}
	}
	d := &Dir{Path: path, Config: map[string]any{}, Generation: map[string]any{}}
	if err := readJSONIfExists(path, "config.json", &d.Config); err != nil {
		return nil, err
	}
	if err := readJSONIfExists(path, "generation_config.json", &d.Generation); err != nil {
		return nil, err
	}
	if d.ONNX, err = findONNX(d); err != nil {
		return nil, err
	}
	if d.Graph, err = ReadGraph(d.ONNX); err != nil {
		return nil, err
	}
	if d.Signature, err = readSignature(d); err != nil {
		return nil, fmt.Errorf("%s: %w", d.ONNX, err)
	}
	return d, nil
}

// findONNX returns the decoder's ONNX file: genai_config.json's decoder
// filename, else the first of onnxCandidates present. Each resolves inside
// the directory.
func findONNX(d *Dir) (string, error) {
	g := &GenAIConfig{}
	ok, err := readJSON(d.Path, "genai_config.json", g)
	if err != nil {
		return "", err
	}
	if ok {
		d.GenAI = g
		if name := g.Model.Decoder.Filename; name != "" {
			if _, err := fsutil.FileInside(d.Path, name); err != nil {
				return "", fmt.Errorf("%s: model.decoder.filename: %w", filepath.Join(d.Path, "genai_config.json"), err)
			}
			return filepath.Join(d.Path, name), nil
		}
	}
	for _, c := range onnxCandidates {
		_, err := fsutil.FileInside(d.Path, c)
		if err == nil {
			return filepath.Join(d.Path, c), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("model directory %s: %s: %w", d.Path, c, err)
		}
	}
	return "", fmt.Errorf("model directory %s: no ONNX file (looked for %s)", d.Path, strings.Join(onnxCandidates, ", "))
}

// readJSONIfExists decodes the file name of dir into dst; a missing file
// leaves dst as it is.
func readJSONIfExists(dir, name string, dst any) error {
	_, err := readJSON(dir, name, dst)
	return err
}

// readJSON decodes the file name of dir (read inside dir) into dst and
// reports whether it exists.
func readJSON(dir, name string, dst any) (bool, error) {
	b, err := fsutil.ReadFileInside(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("model directory %s: %s: %w", dir, name, err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return false, fmt.Errorf("%s: %w", filepath.Join(dir, name), err)
	}
	return true, nil
}

// ConfigInt returns the first integer found under any of the keys of config.json.
func (d *Dir) ConfigInt(keys ...string) (int, bool) {
	for _, k := range keys {
		if v, ok := d.Config[k].(float64); ok {
			return int(v), true
		}
	}
	return 0, false
}

// ConfigString returns config.json's value for key, or "".
func (d *Dir) ConfigString(key string) string {
	s, _ := d.Config[key].(string)
	return s
}

// EOS returns the end-of-sequence ids from generation_config.json, then
// config.json, then genai_config.json.
func (d *Dir) EOS() []int {
	for _, v := range []any{d.Generation["eos_token_id"], d.Config["eos_token_id"], d.genaiEOS()} {
		if ids := intList(v); len(ids) > 0 {
			return ids
		}
	}
	return nil
}

func (d *Dir) genaiEOS() any {
	if d.GenAI == nil {
		return nil
	}
	return d.GenAI.Model.EOSTokenID
}

func intList(v any) []int {
	switch x := v.(type) {
	case float64:
		return []int{int(x)}
	case []any:
		var out []int
		for _, e := range x {
			if f, ok := e.(float64); ok {
				out = append(out, int(f))
			}
		}
		return out
	}
	return nil
}

// KVLayout says how the KV cache is passed to the model.
type KVLayout string

const (
	// KVSeparate: one key and one value input per layer, [batch, kv_heads, past, head_dim].
	KVSeparate KVLayout = "separate"
	// KVStacked: one input per layer holding key and value, [2, batch, kv_heads, past, head_dim].
	KVStacked KVLayout = "stacked"
)

// Signature is the model's input/output contract, read from the ONNX graph.
type Signature struct {
	InputIDs       string   `json:"input_ids"`
	AttentionMask  string   `json:"attention_mask,omitempty"`
	PositionIDs    string   `json:"position_ids,omitempty"`
	UseCacheBranch string   `json:"use_cache_branch,omitempty"`
	Logits         string   `json:"logits"`
	Layout         KVLayout `json:"kv_layout,omitempty"`
	PastKeys       []string `json:"past_keys,omitempty"` // per layer (the stacked input for KVStacked)
	PastValues     []string `json:"past_values,omitempty"`
	PresentKeys    []string `json:"present_keys,omitempty"`
	PresentValues  []string `json:"present_values,omitempty"`
	Layers         int      `json:"layers"`
	KVHeads        int      `json:"kv_heads"`
	HeadDim        int      `json:"head_dim"`
	Vocab          int      `json:"vocab"`
}

// HasCache reports whether the model takes a KV cache.
func (s Signature) HasCache() bool { return s.Layers > 0 }

// kvPatterns says how KV-cache inputs and outputs are named: per layer a
// key and a value (optimum's past_key_values.{i}.key|value and
// present.{i}.key|value), or one stacked tensor per layer (past_{i},
// present_{i}). A genai_config.json may name them with %d templates.
type kvPatterns struct {
	pastKey, pastValue, presentKey, presentValue *regexp.Regexp // values nil when stacked
}

var (
	optimumKV = kvPatterns{
		pastKey: regexp.MustCompile(`^past_key_values\.(\d+)\.key$`), pastValue: regexp.MustCompile(`^past_key_values\.(\d+)\.value$`),
		presentKey: regexp.MustCompile(`^present\.(\d+)\.key$`), presentValue: regexp.MustCompile(`^present\.(\d+)\.value$`),
	}
	stackedKV = kvPatterns{pastKey: regexp.MustCompile(`^past_(\d+)$`), presentKey: regexp.MustCompile(`^present_(\d+)$`)}
)

// template turns a genai_config name template such as
// "past_key_values.%d.key" into a regexp (nil when there is none).
func template(tmpl string) *regexp.Regexp {
	if !strings.Contains(tmpl, "%d") {
		return nil
	}
	q := regexp.QuoteMeta(tmpl)
	return regexp.MustCompile("^" + strings.Replace(q, "%d", `(\d+)`, 1) + "$")
}

// genaiKV reads the name templates of a genai_config.json decoder.
func genaiKV(ins, outs map[string]string) (kvPatterns, bool) {
	if k := template(ins["past_key_names"]); k != nil {
		return kvPatterns{k, template(ins["past_value_names"]), template(outs["present_key_names"]), template(outs["present_value_names"])}, true
	}
	if k := template(ins["past_names"]); k != nil {
		return kvPatterns{pastKey: k, presentKey: template(outs["present_names"])}, true
	}
	return kvPatterns{}, false
}

// layerIndex returns the layer number a name matches, or -1.
func layerIndex(re *regexp.Regexp, name string) int {
	if re == nil {
		return -1
	}
	m := re.FindStringSubmatch(name)
	if m == nil {
		return -1
	}
	i, _ := strconv.Atoi(m[1])
	return i
}

// collect maps layer -> name for the names that match re.
func collect(re *regexp.Regexp, vs []ValueInfo) map[int]string {
	out := map[int]string{}
	for _, v := range vs {
		if i := layerIndex(re, v.Name); i >= 0 {
			out[i] = v.Name
		}
	}
	return out
}

func readSignature(d *Dir) (Signature, error) {
	var s Signature
	g := d.Graph
	in := map[string]ValueInfo{}
	for _, v := range g.Inputs {
		in[v.Name] = v
	}
	names := map[string]string{"input_ids": "input_ids", "attention_mask": "attention_mask",
		"position_ids": "position_ids", "logits": "logits"}
	kv := optimumKV
	if d.GenAI != nil {
		for k, v := range d.GenAI.Model.Decoder.Inputs {
			names[k] = v
		}
		for k, v := range d.GenAI.Model.Decoder.Outputs {
			names[k] = v
		}
		if p, ok := genaiKV(d.GenAI.Model.Decoder.Inputs, d.GenAI.Model.Decoder.Outputs); ok {
			kv = p
		}
	} else if len(collect(optimumKV.pastKey, g.Inputs)) == 0 {
		kv = stackedKV
	}
	if _, ok := in[names["input_ids"]]; !ok {
		return s, fmt.Errorf("no %q input (inputs: %s)", names["input_ids"], valueNames(g.Inputs))
	}
	s.InputIDs = names["input_ids"]
	if _, ok := in[names["attention_mask"]]; ok {
		s.AttentionMask = names["attention_mask"]
	}
	if _, ok := in[names["position_ids"]]; ok {
		s.PositionIDs = names["position_ids"]
	}
	if _, ok := in["use_cache_branch"]; ok {
		s.UseCacheBranch = "use_cache_branch"
	}
	var logits *ValueInfo
	for i := range g.Outputs {
		if g.Outputs[i].Name == names["logits"] {
			logits = &g.Outputs[i]
		}
	}
	if logits == nil {
		return s, fmt.Errorf("no %q output (outputs: %s)", names["logits"], valueNames(g.Outputs))
	}
	s.Logits = logits.Name
	if n := len(logits.Shape); n > 0 && logits.Shape[n-1].Size > 0 {
		s.Vocab = int(logits.Shape[n-1].Size)
	} else if v, ok := d.ConfigInt("vocab_size"); ok {
		s.Vocab = v
	} else if d.GenAI != nil {
		s.Vocab = d.GenAI.Model.VocabSize
	}
	if s.Vocab <= 0 {
		return s, fmt.Errorf("vocabulary size: not in the logits shape %s nor in config.json", ShapeString(logits.Shape))
	}

	// KV cache inputs and outputs.
	pastK, presK := collect(kv.pastKey, g.Inputs), collect(kv.presentKey, g.Outputs)
	if len(pastK) == 0 {
		return s, nil // a model without cache: full sequences only
	}
	stacked := kv.pastValue == nil
	pastV, presV := collect(kv.pastValue, g.Inputs), collect(kv.presentValue, g.Outputs)
	s.Layers = len(pastK)
	s.Layout = KVSeparate
	if stacked {
		s.Layout = KVStacked
	}
	for i := 0; i < s.Layers; i++ {
		if pastK[i] == "" || !stacked && pastV[i] == "" {
			return s, fmt.Errorf("KV cache: layer %d lacks a past key or value input (found %d layers)", i, s.Layers)
		}
		if presK[i] == "" || !stacked && presV[i] == "" {
			return s, fmt.Errorf("KV cache: layer %d has no present output", i)
		}
		s.PastKeys = append(s.PastKeys, pastK[i])
		s.PresentKeys = append(s.PresentKeys, presK[i])
		if !stacked {
			s.PastValues = append(s.PastValues, pastV[i])
			s.PresentValues = append(s.PresentValues, presV[i])
		}
	}
	shape := in[s.PastKeys[0]].Shape
	off := 0
	if s.Layout == KVStacked {
		off = 1
	}
	if len(shape) != 4+off {
		return s, fmt.Errorf("KV cache input %s has shape %s; want %d dimensions", s.PastKeys[0], ShapeString(shape), 4+off)
	}
	s.KVHeads, s.HeadDim = int(shape[1+off].Size), int(shape[3+off].Size)
	if s.KVHeads <= 0 {
		if v, ok := d.ConfigInt("num_key_value_heads", "num_attention_heads", "n_head"); ok {
			s.KVHeads = v
		}
	}
	if s.HeadDim <= 0 {
		if v, ok := d.ConfigInt("head_dim"); ok {
			s.HeadDim = v
		}
	}
	if s.KVHeads <= 0 || s.HeadDim <= 0 {
		return s, fmt.Errorf("KV cache input %s: shape %s does not fix heads and head size", s.PastKeys[0], ShapeString(shape))
	}
	return s, nil
}

func valueNames(vs []ValueInfo) string {
	var names []string
	for _, v := range vs {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	if len(names) > 8 {
		names = append(names[:8], "…")
	}
	return strings.Join(names, ", ")
}

// ConfigFiles are the files of a model directory, besides its ONNX file
// and external data, that change what a run computes.
var ConfigFiles = []string{"config.json", "generation_config.json", "genai_config.json",
	"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"}

// Files returns the paths a run reads: the ONNX file, the external data
// files it names and the ConfigFiles (present or not).
func (d *Dir) Files() []string {
	out := []string{d.ONNX}
	for _, ext := range d.Graph.ExternalFiles {
		out = append(out, filepath.Join(filepath.Dir(d.ONNX), ext))
	}
	for _, f := range ConfigFiles {
		out = append(out, filepath.Join(d.Path, f))
	}
	return out
}
