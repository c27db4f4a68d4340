// Package families holds dpokit's end-to-end tests on models of today's
// architecture families (Llama-3, Qwen2/2.5, Qwen3, Gemma-2, Gemma-3,
// Mistral, Phi-3, SmolLM2, GPT-2) and on three file layouts (no
// position_ids, a merged decoder with use_cache_branch, external-data
// weights). It has no code of its own: the tests use the public APIs of
// models, sample and train and the built dpokit binary.
//
// The models are tiny, with random weights, but each has its family's real
// architecture, config.json fields, tokenizer and vocabulary size. They and
// their PyTorch reference numbers are made by
// testdata/families/make_families.py, which the tests run when
// .cache/families/<hash of the scripts> is missing; see
// testdata/families/README.md.
package families
