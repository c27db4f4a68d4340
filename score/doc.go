// Package score computes DPO implicit rewards r = β·(log π(y|x) − log π_ref(y|x))
// for preference pairs, and win rates between two sets of outputs.
//
// # Tokenization
//
// Pairs are encoded by tokenize.PairOptions, as current TRL does (see
// package tokenize): prompt and responses tokenized apart and
// concatenated, boundary mismatches and truncations counted in the summary.
//
// # Running
//
// [Job] is `dpokit score`. Pairs are sorted by length within chunks of
// results.ChunkPairs records and batched under a padded-token budget by
// package logprob, the log-prob engine, with or without prefix sharing.
// The policy and the reference run in parallel ([Run]). A batch's results
// depend only on the batch, and batches are planned per chunk, so resumed
// (--resume, from an append-only journal synced per batch) and sharded
// (--shard i/n, then [Merge]) runs give the same bytes as one run. A
// journal records the run's identity (internal/resume): the models and data
// by content and every result-affecting option; a resume with any of them
// changed is refused, naming it. An output that is the same file as an
// input is refused before any work.
//
// # Rewards and statistics
//
// [Rewarding] applies β, the reference-free variant (reference log-probs 0)
// and length normalisation ("avg": log-probs divided by the response's
// token count). A pair is correct when its chosen reward is strictly
// greater. results.Aggregate gives accuracy and margins with standard
// errors; the output schemas live in package results.
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
