// Package sample generates completions from a causal LM on its KV cache:
// greedy decoding or sampling with temperature, top-k, top-p and min-p,
// a repetition penalty, stop strings, stop and EOS tokens, minimum and
// maximum lengths, a seeded random source per completion, and batches of
// sequences. The decoding loop runs on [models.Decoding]; this package
// decides which token comes next and when a completion ends.
//
// # Filters
//
// The next token is chosen from the last position's logits after, in this
// order (Hugging Face transformers' order: logits processors, then warpers):
//
//  1. repetition penalty: each distinct id of the prompt and the completion
//     so far has its score multiplied by the penalty when negative and
//     divided by it otherwise (RepetitionPenaltyLogitsProcessor);
//  2. before MinNewTokens, EOS and stop tokens are masked
//     (MinNewTokensLengthLogitsProcessor);
//  3. temperature: scores divided by Temperature;
//  4. top-k: scores below the K-th highest removed (ties kept);
//  5. top-p: in increasing probability, tokens whose cumulative probability
//     (their own included) is at most 1-TopP removed, the most likely kept;
//  6. min-p: tokens with probability below MinP × the top probability removed.
//
// Temperature 0 is greedy decoding: the argmax (lowest id on ties) after
// steps 1 and 2; steps 3 to 6 do not apply, and no random number is drawn.
// Otherwise one token is drawn from the softmax of the remaining scores.
// Scores are float64 from the float32 logits.
//
// # Log-probabilities
//
// [Completion].Logp is the sum of the natural-log probabilities of the
// generated tokens under the model's unfiltered, untempered distribution
// (log-softmax of the raw logits), the same number a scoring pass gives for
// the same prompt and tokens. It is not the log-probability of the draw
// under the filtered distribution, which depends on the sampling settings
// and is zero for greedy decoding; the model's own probability is what DPO
// rewards and best-of-N ranking compare.
//
// # Randomness
//
// Sample j of prompt i draws from a PCG source seeded by (Options.Seed, i, j)
// and takes exactly one uniform number per sampled token, so a seed gives
// the same completions whatever Options.Batch is and whichever rows share a
// batch (up to logits that differ in the last float32 bits between batch
// shapes, which can flip a draw that lands on a boundary).
//
// # Ending a completion
//
// After each token, in this order: an EOS id ends it with reason "eos", a
// stop token with "stop" (both kept in TokenIDs and Logp, left out of Text);
// a stop string in the decoded text ends it with "stop" and Text is cut
// before the earliest stop string; reaching MaxNewTokens or the model's
// context length (config.json max_position_embeddings / n_positions) ends it
// with "length". Before MinNewTokens tokens, EOS and stop tokens cannot be
// drawn and stop strings are looked for only where they end in the text of
// token MinNewTokens or later. Stop strings are matched in the text decoded
// with special tokens skipped; the whole completion is decoded after every
// token, which costs O(length²) per completion.
//
// # Jobs
//
// [Job] is `dpokit sample` (and the drawing half of `dpokit bestofn`): it
// reads and renders the prompts, generates them in fixed groups of
// Batch/N prompts, journals each group, and resumes only a run with the
// same model, prompts (by content) and options (internal/resume).
//
// # Errors
//
// Functions return errors (nothing panics on bad input): options out of
// range, empty prompts or prompts that fill the context, token ids outside
// the vocabulary ([models.TokenRangeError]), ONNX Runtime failures, decoder
// failures and context cancellation.
package sample
