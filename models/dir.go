package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
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

// OpenDir reads a model directory and the signature of its ONNX file.
func OpenDir(path string) (*Dir, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("model directory %s: not a directory", path)
	}
	d := &Dir{Path: path, Config: map[string]any{}, Generation: map[string]any{}}
	if err := readJSONIfExists(filepath.Join(path, "config.json"), &d.Config); err != nil {
		return nil, err
	}
	if err := readJSONIfExists(filepath.Join(path, "generation_config.json"), &d.Generation); err != nil {
		return nil, err
	}
	genai := filepath.Join(path, "genai_config.json")
	if _, err := os.Stat(genai); err == nil {
		d.GenAI = &GenAIConfig{}
		if err := readJSONIfExists(genai, d.GenAI); err != nil {
			return nil, err
		}
		if d.GenAI.Model.Decoder.Filename != "" {
			d.ONNX = filepath.Join(path, d.GenAI.Model.Decoder.Filename)
		}
	}
	if d.ONNX == "" {
		for _, c := range onnxCandidates {
			p := filepath.Join(path, c)
			if _, err := os.Stat(p); err == nil {
				d.ONNX = p
				break
			}
		}
	}
	if d.ONNX == "" {
		return nil, fmt.Errorf("model directory %s: no ONNX file (looked for %s)", path, strings.Join(onnxCandidates, ", "))
	}
	if d.Graph, err = ReadGraph(d.ONNX); err != nil {
		return nil, err
	}
	onnxDir := filepath.Dir(d.ONNX)
	for _, ext := range d.Graph.ExternalFiles {
		if _, err := os.Stat(filepath.Join(onnxDir, ext)); err != nil {
			return nil, fmt.Errorf("%s: external data file %s: %w", d.ONNX, ext, err)
		}
	}
	if d.Signature, err = readSignature(d); err != nil {
		return nil, fmt.Errorf("%s: %w", d.ONNX, err)
	}
	return d, nil
}

func readJSONIfExists(path string, dst any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
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

var (
	reSepPast  = regexp.MustCompile(`^past_key_values\.(\d+)\.(key|value)$`)
	reSepPres  = regexp.MustCompile(`^present\.(\d+)\.(key|value)$`)
	reStack    = regexp.MustCompile(`^past_(\d+)$`)
	reStackOut = regexp.MustCompile(`^present_(\d+)$`)
)

// genaiPattern turns a genai_config name template such as
// "past_key_values.%d.key" into a regexp.
func genaiPattern(tmpl string) *regexp.Regexp {
	if tmpl == "" || !strings.Contains(tmpl, "%d") {
		return nil
	}
	q := regexp.QuoteMeta(tmpl)
	return regexp.MustCompile("^" + strings.Replace(q, "%d", `(\d+)`, 1) + "$")
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
	keyIn, valIn := reSepPast, reSepPast
	keyOut, valOut := reSepPres, reSepPres
	if d.GenAI != nil {
		for k, v := range d.GenAI.Model.Decoder.Inputs {
			names[k] = v
		}
		for k, v := range d.GenAI.Model.Decoder.Outputs {
			names[k] = v
		}
		ins, outs := d.GenAI.Model.Decoder.Inputs, d.GenAI.Model.Decoder.Outputs
		if p := genaiPattern(ins["past_key_names"]); p != nil {
			keyIn, valIn = p, genaiPattern(ins["past_value_names"])
			keyOut, valOut = genaiPattern(outs["present_key_names"]), genaiPattern(outs["present_value_names"])
		} else if p := genaiPattern(ins["past_names"]); p != nil {
			keyIn, valIn = p, nil
			keyOut, valOut = genaiPattern(outs["present_names"]), nil
		}
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

	// KV cache inputs.
	type kv struct{ key, val string }
	pastIn := map[int]*kv{}
	stacked := false
	for _, v := range g.Inputs {
		if m := keyIn.FindStringSubmatch(v.Name); m != nil {
			i, _ := strconv.Atoi(m[1])
			if pastIn[i] == nil {
				pastIn[i] = &kv{}
			}
			if valIn == nil || (len(m) > 2 && m[2] == "key") || (keyIn != reSepPast && valIn != keyIn) {
				pastIn[i].key = v.Name
			}
			if len(m) > 2 && m[2] == "value" {
				pastIn[i].val = v.Name
			}
			if valIn == nil {
				stacked = true
			}
		}
		if valIn != nil && valIn != keyIn {
			if m := valIn.FindStringSubmatch(v.Name); m != nil {
				i, _ := strconv.Atoi(m[1])
				if pastIn[i] == nil {
					pastIn[i] = &kv{}
				}
				pastIn[i].val = v.Name
			}
		}
		if d.GenAI == nil {
			if m := reStack.FindStringSubmatch(v.Name); m != nil {
				i, _ := strconv.Atoi(m[1])
				pastIn[i] = &kv{key: v.Name}
				stacked = true
			}
		}
	}
	if len(pastIn) == 0 {
		return s, nil // a model without cache: full sequences only
	}
	s.Layers = len(pastIn)
	s.Layout = KVSeparate
	if stacked {
		s.Layout = KVStacked
	}
	pastOut := map[int]*kv{}
	for _, v := range g.Outputs {
		var m []string
		isVal := false
		switch {
		case keyOut != nil && keyOut.MatchString(v.Name):
			m = keyOut.FindStringSubmatch(v.Name)
			isVal = len(m) > 2 && m[2] == "value"
		case valOut != nil && valOut != keyOut && valOut.MatchString(v.Name):
			m = valOut.FindStringSubmatch(v.Name)
			isVal = true
		case d.GenAI == nil && reStackOut.MatchString(v.Name):
			m = reStackOut.FindStringSubmatch(v.Name)
		}
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if pastOut[i] == nil {
			pastOut[i] = &kv{}
		}
		if isVal {
			pastOut[i].val = v.Name
		} else {
			pastOut[i].key = v.Name
		}
	}
	for i := 0; i < s.Layers; i++ {
		p, o := pastIn[i], pastOut[i]
		if p == nil {
			return s, fmt.Errorf("KV cache: layer %d has no past input (found %d layers)", i, s.Layers)
		}
		if o == nil || o.key == "" || (s.Layout == KVSeparate && o.val == "") {
			return s, fmt.Errorf("KV cache: layer %d has no present output", i)
		}
		if s.Layout == KVSeparate && p.val == "" || p.key == "" {
			return s, fmt.Errorf("KV cache: layer %d lacks a key or value input", i)
		}
		s.PastKeys = append(s.PastKeys, p.key)
		s.PresentKeys = append(s.PresentKeys, o.key)
		if s.Layout == KVSeparate {
			s.PastValues = append(s.PastValues, p.val)
			s.PresentValues = append(s.PresentValues, o.val)
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
