// Package train owns preference training on GoMLX: it imports a causal
// LM's ONNX weights as GoMLX variables (github.com/gomlx/onnx-gomlx), runs
// the objectives of TRL's DPOTrainer (every loss and their weighted sums),
// KTOTrainer, ORPOTrainer, CPOTrainer and RewardTrainer with PyTorch's
// optimizers, on all weights or on LoRA adapters, keeps checkpoints that a
// run resumes from, and writes the trained weights back into a copy of the
// ONNX model directory (a reward model as a sequence-classification model;
// adapters also as a PEFT adapter).
//
// It never calls ONNX Runtime: reference log-probs arrive as numbers
// ([Example.RefChosen], [Example.RefRejected]) through the [Reference]
// interface (dpokit passes logprob.Reference, which runs ONNX Runtime), and
// are cached in a file keyed by the reference model's and data's content
// and the data preparation settings ([Prep], [WriteRefLogps]). [Job] is
// `dpokit train`: preparation, [Run] and [Model.Export]; a checkpoint
// records the run's identity (internal/resume) and a resume with another
// model, data, preparation setting or hyperparameter is refused, naming it.
//
// # Model
//
// [Load] parses the ONNX file itself (internal/onnxproto) to check, before
// any step, that every node is a standard operator that onnx-gomlx converts
// and, on the path from a weight to the logits, one that GoMLX can
// differentiate; the errors ([UnsupportedError]) name each node. An
// eval-mode PyTorch export that merged equal initializers behind Identity
// nodes is untied: each copy becomes its own weight ([Model.Ties]).
// onnx-gomlx's fusions are disabled: the QKV fusion trains fused copies of
// the weights that the export would not write. Every float32 initializer
// with more than one element is trained — or, with [LoadOptions.LoRA],
// only adapters on chosen MatMul weights ([LoRA], [LoRACandidates]), which
// the graph gets as extra nodes. After the import the weights live in the
// variables alone: the file's bytes and onnx-gomlx's protobuf drop their
// copies (the export writes every weight from its variable).
//
// The graph inputs, named by the model directory's signature
// ([LoadOptions].Signature, genai_config.json included), are fed as a
// right-padded batch with an empty KV past,
// and when the logits are a final MatMul(hidden, weight) (an lm_head, tied or
// not), possibly followed by Tanh and Mul/Div by scalar constants (Gemma-2's
// final soft-capping), the logits are computed only at the positions that
// predict response tokens; their log-sum-exp is accumulated in float64. A
// merged decoder (an If node on use_cache_branch) trains its no-cache
// branch, which is what that feed selects; both branches read the same
// initializers, so the exported file updates both. Batches are padded to a
// few shapes — planned from the run's batches, or fixed buckets (16, 24, 32,
// 48, 64, 96, …) — because GoMLX compiles one graph per input shape.
//
// # Objectives and losses
//
// [Config.Objective] picks DPO (default), KTO, ORPO, CPO/SimPO or a reward
// model ([Objective]); under DPO, [Config.Loss] is one of TRL's 15 losses or
// several, weighted by [Objectives.LossWeights] ([Loss], [Losses]), with
// f-divergences, LD-DPO, WPO weighting, TR-DPO's moving reference and
// reference-free training as options ([Objectives]). Each is written from
// its paper and TRL's documentation, in objective.go, losses.go, kto.go,
// refree.go and rm.go. A micro-batch's loss is the mean over its pairs; gradient
// accumulation sums grad(loss/GradAccum) over micro-batches, as Hugging Face
// does. Steps clip the global gradient norm and apply AdamW or RMSprop with
// PyTorch's update formulas and Hugging Face's warmup schedules
// ([Config.LearningRate]). [Metrics] are the figures TRL logs, by TRL's
// names. testdata/train/dpo_reference.py runs the same steps in PyTorch
// 1.13 for every objective, loss, combination, LoRA and the reward model;
// the tests hold dpokit to it.
//
// # Runs, checkpoints, export
//
// [Run] visits the data in an order fixed by the seed and the epoch, logs a
// [Record] per step, evaluates, and checkpoints (weights, optimizer moments,
// step) atomically; a resumed run repeats the losses of an uninterrupted one
// exactly. A NaN or infinite loss or gradient norm stops the run before the
// step is applied ([NonFiniteError]). [Model.Export] writes a complete model
// directory atomically, never over its input.
//
// # GoMLX
//
// The package registers two gradients in GoMLX's graph.VJPRegistration when
// a model is first loaded: one for Identity (GoMLX has none) and one for
// DotGeneral written as two DotGenerals (GoMLX's own materialises a
// batch×M×N×K product). The pure-Go backend runs ops one at a time (each op
// parallel inside): with GoMLX v0.27.3's parallel op scheduling, ops waiting
// for pool workers can deadlock on a small machine. Building with
// GOEXPERIMENT=simd makes its matrix multiplications about three times
// faster on AVX2/AVX-512 machines.
//
// # Devices, shapes, precision, memory
//
// [Job] runs on any GoMLX backend; dpokit's --device cuda passes XLA with the
// PJRT CUDA plugin (internal/device finds it). [DeviceReference] computes
// reference log-probs with the GoMLX forward pass on that backend. With
// [RunOptions].MaxShapes a run chooses its batch shapes from its own
// batches before step 1 and compiles them ahead ([RunStats] reports the
// compile and the time to the first step). [BF16] runs matrix products with
// bfloat16 operands; the LM head runs in chunks of response tokens, each a
// gradient checkpoint, so the [rows, positions, vocabulary] logits are never
// held.
//
// # Errors
//
// GoMLX builds graphs by panicking; this package converts those panics to
// errors at its boundary, so every exported function returns an error.
package train
