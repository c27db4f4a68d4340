// Package dataset owns reading preference pairs and prompt files.
//
// [ReadPairs] reads preference pairs for scoring and training; [ReadPrompts]
// reads prompts for sampling. [Identity] hashes a data file for reports.
// The package does not tokenize or render chat templates: conversational
// records come back as [Message] lists.
//
// # File kinds
//
// A file's kind is taken from its name and content, or forced with
// [Options].Kind:
//
//   - JSON Lines (.jsonl, .ndjson): one JSON object per line. Blank lines are
//     not records and are passed over; lines may be megabytes long.
//   - JSON (.json): one JSON array of objects. A .json file whose first byte
//     is not '[' is read as JSON Lines, which is what Hugging Face datasets'
//     to_json writes.
//   - Parquet (.parquet): one record per row. String columns, numeric ids and
//     list<struct<role, content>> message columns are understood.
//
// Gzip compression is recognised by its magic bytes whatever the name; a
// ".gz" suffix is dropped before the extension is looked at. A file with any
// other name is sniffed: "PAR1" is Parquet, '[' a JSON array, anything else
// JSON Lines.
//
// # Record formats
//
// Pair records come in three formats, detected from the first valid record
// of each file (all later records must have the same format) or forced with
// [Options].Format:
//
//   - explicit: {"prompt": str, "chosen": str, "rejected": str}
//   - implicit (Anthropic HH): {"chosen": str, "rejected": str}. The prompt is
//     the longest common prefix of chosen and rejected, cut just after the
//     last "\n\nAssistant:" inside that prefix; chosen and rejected are what
//     follows.
//   - conversational: prompt, chosen and rejected are lists of
//     {"role": str, "content": str} messages. Without a prompt, chosen and
//     rejected are whole conversations: their common leading messages are the
//     prompt and the rest are the responses, as TRL does.
//
// Prompt records are {"prompt": str}, {"prompt": [messages]} or
// {"messages": [messages]}; a "prompt" field wins over "messages".
//
// Every record may have an "id" (a string or a number, kept in its text
// form); a record without one gets its 1-based record number ("1", "2", ...).
// Ids must be unique within a file. Fields a format does not use are
// ignored; a null id, or a null field that may be left out, counts as
// absent.
//
// # Errors
//
// A record that cannot be used is reported as a [*RecordError] naming the
// file, the record's position (line of a JSON Lines file, record of a JSON
// array, row of a Parquet file) and the field at fault; callers branch on it
// with [errors.As]. By default the first bad record ends the read. With
// [Options].SkipInvalid bad records are left out and each one is listed in
// the returned [Skipped] slice, so nothing read is dropped unreported.
// Problems with the file as a whole (it cannot be opened, its gzip or
// Parquet framing is corrupt, a JSON array's syntax breaks so that later
// records cannot be found, it holds no records) are always returned as
// errors, wrapped with the file name.
package dataset
