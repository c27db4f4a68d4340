// Package models owns model directories and ONNX Runtime: it reads a
// directory in the Hugging Face / optimum layout or one described by an ONNX
// Runtime GenAI genai_config.json, reads the decoder's signature from the
// ONNX file itself, and runs forward passes that give per-token
// log-probabilities, with and without a KV cache.
//
// # Directories and signatures
//
// Package modeldir reads a directory and its signature without cgo; [Dir],
// [Signature] and [OpenDir] are its names here. It finds the ONNX file
// (model.onnx, onnx/model.onnx, decoder_model_merged.onnx,
// decoder_model.onnx, or genai_config.json's decoder filename), parses its
// graph with dpokit's ONNX codec (internal/onnxproto) and derives the
// signature: input ids, attention mask and position ids, logits, and the KV
// cache — optimum's past_key_values.{i}.key|value and present.{i}.key|value,
// a stacked past_{i} of shape [2, batch, heads, past, head] ([KVStacked]),
// or the names a genai_config.json gives as %d templates. Nothing is
// guessed from a model's name.
//
// # Runtime
//
// ONNX Runtime is loaded at run time (github.com/yalue/onnxruntime_go). Its
// environment is process-global: [NewRuntime] opens it once and
// [Runtime.Close] releases it. The library is the explicit path, or
// third_party/onnxruntime/libonnxruntime.so.1 found upwards from the working
// directory or beside the executable, or a standard library directory; a
// [MissingLibraryError] says how to get one. The CUDA execution provider is
// used with Device "cuda"; where the library lacks it, [ErrNoCUDA].
//
// # Forward passes
//
// [Model.Run] runs a batch of rows, each asking for the log-probs of
// Tokens[Start:]. Without a cache rows are full sequences, right- or
// left-padded; with a [Cache] from [Model.Prefill] (left-padded prompts,
// per-row position ids) each row continues one cached prompt. A prefill
// fetches only the cache, so ONNX Runtime skips the LM head. Outputs are
// written by ONNX Runtime straight into Go memory. [Logits.ORTLogProbs]
// gathers the log-softmax at the target tokens with a small ONNX graph
// built in memory (the exponentials summed in float64);
// [Logits.TokenLogProbs] does the same in Go. [Decoding]
// is the incremental loop for generation; [Model.Scores] runs
// sequence-classification reward models.
//
// # Errors
//
// Functions return errors that name the file or tensor at fault: a token id
// outside the vocabulary is a [*TokenRangeError]; ONNX Runtime failures are
// wrapped with the model path and batch shape.
package models
