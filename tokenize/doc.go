// Package tokenize turns text into token ids and back exactly as Hugging Face
// does for a model directory's tokenizer, and renders conversations with the
// tokenizer's chat template.
//
// # What it owns
//
// [Load] reads a directory's tokenizer.json and, when present,
// tokenizer_config.json and special_tokens_map.json (nothing is downloaded).
// A [Tokenizer] then encodes ([Tokenizer.Encode], [Tokenizer.EncodeBatch]),
// decodes ([Tokenizer.Decode], [Tokenizer.Tokens]), names its special tokens
// ([Tokenizer.BOS], [Tokenizer.EOS]), identifies itself
// ([Tokenizer.Fingerprint]: sha256 of tokenizer.json's canonical JSON, so two
// directories with the same tokenizer agree whatever the file's formatting)
// and applies the chat template ([Tokenizer.ApplyChatTemplate]). A Tokenizer
// is safe for concurrent use.
//
// # Engine
//
// The engine is github.com/sugarme/tokenizer v0.3.0. As published it does not
// reproduce Hugging Face on the families dpokit tests and cannot load most of
// today's tokenizers, and the causes sit inside its components, so dpokit
// uses a patched copy in third_party/sugarme-tokenizer (a replace in go.mod)
// rather than a wrapper that would have to replace most of the engine around
// it. The copy keeps the upstream license; its NOTES.md lists every change.
// The main ones:
//
//   - Split pre-tokenizers follow Oniguruma, the regex engine of the Rust
//     library: the patterns of GPT-2, Llama-3, Qwen2/3, GPT-4o/gpt-oss
//     (o200k) and DeepSeek-V3, which need lookahead (\s+(?!\S)) that Go's
//     regexp lacks, run on hand-written scanners with backtracking semantics;
//     any other pattern runs on github.com/dlclark/regexp2. All split
//     behaviours and invert work.
//   - BPE merges the leftmost of equal-rank pairs first (upstream: arbitrary);
//     byte_fallback, fuse_unk and ignore_merges are honoured.
//   - Added tokens keep their ids, match leftmost-longest, and honour lstrip,
//     rstrip (Unicode White_Space, as Rust), single_word and normalized.
//   - NFC/NFKC compose on every path; Prepend, Replace, Metaspace, the
//     byte-level and byte-fallback decoders were fixed.
//   - Loading walks tokenizer.json once (encoding/json decoded it into
//     interface values: 5–10 s for a 262k-token vocabulary).
//
// Encoding runs the engine's EncodeIDs, a string-level form of its pipeline
// added by the patch (same ids, no offset bookkeeping, 20–30 times faster than
// its Encode); [Tokenizer.EncodeOffsets] runs the offset-tracking Encode.
// Tokenizers whose components lack the string form fall back to the engine's
// Encode.
//
// # Parity
//
// The reference is Hugging Face's Rust library, the one transformers runs,
// through its Node binding (npm tokenizers@0.23.2, fetched with the real
// tokenizer files by scripts/fetch/tokenizers.sh). scripts/tokenize/reference.mjs
// writes its ids without and with special tokens and its decodings for the
// 3,600 texts of testdata/tokenize/corpus.json.gz — prose, dialogue, code,
// CJK, digit groups, contractions in capitals, whitespace runs, emoji,
// control characters, invalid UTF-8, and the families' special tokens inside
// text. The tests require exact equality on both engine paths for GPT-2 and a
// Llama/SentencePiece BPE (goldens committed in testdata/tokenize) and for
// Qwen3, Llama-3, Llama-3.1, Gemma-3, Gemma-2, DeepSeek-V3, GPT-4o, gpt-oss and
// Llama-2, whose files cannot be committed: their goldens are generated into
// .cache/tokenize-golden, named by a hash of the script, the corpus and the
// tokenizer files, when missing (this needs node and npm; the tests fail
// saying so when they are absent). Two variants of the committed tokenizers
// with added tokens that use lstrip, rstrip, single_word and normalized are
// held to the Rust library the same way.
//
// # Invalid UTF-8
//
// Hugging Face tokenizers take Unicode strings (Rust's str, JavaScript
// strings), which cannot hold invalid UTF-8. Encode therefore first replaces each maximal invalid
// byte subsequence with U+FFFD, exactly as a JavaScript TextDecoder (or Rust's
// String::from_utf8_lossy) does; the corpus holds such texts as base64 and
// reference.mjs decodes them with a TextDecoder. Decode returns valid UTF-8.
//
// # BOS and EOS
//
// Encode(text, false) adds nothing. Encode(text, true) adds what
// encode(text, add_special_tokens=True) of transformers adds: the special
// tokens that tokenizer.json's post-processor puts around a single sequence
// (TemplateProcessing, Bert/RobertaProcessing, or Sequence of these;
// ByteLevel adds none), except that an add_bos_token or add_eos_token key in
// tokenizer_config.json decides its side on its own, as transformers rebuilds
// the post-processor from these flags: true adds bos_token/eos_token, false
// adds nothing. GPT-2 adds nothing; Llama adds <s> in front.
//
// BOS is bos_token of tokenizer_config.json, else of special_tokens_map.json.
// EOS lists eos_token of tokenizer_config.json, then that of
// special_tokens_map.json when different; ids for an end of generation that
// only generation_config.json names are the models package's business.
//
// Decode(ids, true) leaves out the added tokens marked special in
// tokenizer.json and the special tokens the config files name (bos, eos, unk,
// pad and additional_special_tokens), as skip_special_tokens does. Ids that
// the tokenizer does not know (a padded embedding matrix) are left out. Decode
// applies no clean_up_tokenization_spaces: it returns the tokenizer's decoding
// of the ids, so that decoding what Encode produced gives the text back.
//
// # Chat templates
//
// The chat_template of tokenizer_config.json (a string, or the template named
// "default" of a list) is parsed when first used ([ChatTemplate] keeps the
// result), so a template that cannot be parsed never stops Load or plain
// tokenization; using it returns an error naming the tokenizer_config.json.
// [LoadChatTemplate] reads a template without the vocabulary.
//
// Templates are rendered by tokenize/internal/jinja, an interpreter written
// for dpokit that reproduces @huggingface/jinja 0.5.11 (the Jinja of
// transformers.js), configured as transformers configures Jinja: trim_blocks
// and lstrip_blocks, one trailing newline dropped, whitespace control, the
// {% generation %} marker removed. gonja v2, used before, parses a different
// language (Python Jinja2's semantics, no inline if-else inside parentheses,
// an off-by-one negative index) and would have needed patches for every
// difference; the reference is small, so following it directly is simpler and
// exact. [Tokenizer.RenderChat] takes a [Chat]: messages as JSON (every field
// reaches the template as written: tool_calls, content lists,
// reasoning_content), tools, add_generation_prompt, further variables
// (enable_thinking) and the time strftime_now formats; the special tokens of
// the config files (bos_token, eos_token, unk_token, pad_token) are variables
// too. raise_exception's message comes back as a [*TemplateError].
// [Tokenizer.EncodeChat] also encodes the rendering without adding special
// tokens, as apply_chat_template(tokenize=True) does.
//
// Renderings are held to @huggingface/jinja's on every template of
// testdata/tokenize/chat-cases.json and the real templates of Qwen3,
// Llama-3, Llama-3.1, Gemma-3 and DeepSeek-V3 (scripts/tokenize/chat-golden.mjs);
// where that implementation departs from Python's Jinja (strip('x') trims
// whitespace, == is JavaScript's loose equality, values print as JSON),
// dpokit follows it.
//
// # Errors
//
// Functions return errors, never panic on input. Errors name the file or
// operation and wrap their cause with %w: a missing directory satisfies
// errors.Is(err, fs.ErrNotExist). [ErrNoChatTemplate] and [*TemplateError]
// are the errors callers branch on.
//
// # Performance
//
// bash scripts/tokenize/bench.sh (part of make bench) measures load time and
// single-threaded encode throughput for every family beside the Rust library
// in the same run; the README holds its table. Large vocabularies load in one
// pass over tokenizer.json; the fingerprint is computed in the background
// ([Tokenizer.Fingerprint] waits for it). Encode keeps a BPE cache of words
// (up to 10,000, of under 256 bytes; readers take no lock), and
// SentencePiece-style texts (Llama-2, Gemma), which have no pre-tokenizer, are
// cut at boundaries that no vocabulary token spans so that the cache applies
// to their pieces.
package tokenize
