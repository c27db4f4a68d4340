// Package score computes DPO implicit rewards r = β·(log π(y|x) − log π_ref(y|x))
// for preference pairs, and win rates between two sets of outputs.
//
// # Tokenization
//
// As current TRL does, a pair's prompt is tokenized with the tokenizer's
// special tokens (BOS when the config says so; not twice when a chat
// template already wrote it) and each response without them, EOS appended;
// the scored sequence is their concatenation, so the prompt/response
// boundary is exact. Where tokenizing prompt+response jointly would merge
// tokens across the boundary, the pair is counted in the summary's
// boundary_mismatches and scored as concatenated. --max-length and
// --max-prompt-length truncate as TRL does: keep the end of the prompt,
// then cut the responses.
//
// # Running
//
// Pairs are sorted by length within chunks of [ChunkPairs] records and
// batched under a padded-token budget ([Batches]). With prefix sharing a
// prompt, minus its last token, runs once; both responses (each after the
// prompt's last token) continue its KV cache in one batch. The policy and
// the reference run in parallel. A batch's results depend only on the
// batch, and batches are planned per chunk, so resumed (--resume, from an
// append-only journal synced per batch) and sharded (--shard i/n, then
// [Merge]) runs give the same bytes as one run.
//
// # Rewards and statistics
//
// [Rewarding] applies β, the reference-free variant (reference log-probs 0)
// and length normalisation ("avg": log-probs divided by the response's
// token count). A pair is correct when its chosen reward is strictly
// greater. [Aggregate] gives accuracy and margins with standard errors.
//
// # Judges and win rates
//
// A [Judge] rewards (prompt, response) pairs: the implicit reward, a
// policy's log-prob, or an ONNX reward model ([OpenJudge]); bestofn ranks
// with one. [CompareFiles] pairs sample/bestofn outputs by id, counts
// ties (equal text or reward) as ½, and reports the win rate with its
// standard error, a 95% interval and, optionally, an AlpacaEval-2-style
// length-controlled win rate ([LengthControlled]).
//
// # Errors
//
// A record that cannot be scored is a *dataset.RecordError naming file,
// line and field; with SkipInvalid it is listed in the summary instead.
package score
