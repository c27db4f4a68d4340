// Package resume names a run by the content of everything that changes its
// results — model files, data files and every result-affecting option —
// in the manner of Go's build action IDs: files by the SHA-256 of their
// bytes (never their paths), options by their JSON values. A journal or
// checkpoint stores the key of the run that wrote it; a resume compares it
// with its own and is refused, naming each input that changed, when they
// differ. score, sample, bestofn and train resume this way, and train keys
// its reference log-prob cache the same way.
package resume

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/modeldir"
)

// Key is the identity of a run: for each named input, "sha256:HEX" of a
// file's or model's content, or an option's JSON value. Names are the
// command's flag names (without dashes), so a refusal names the flag.
type Key struct {
	Command string                     `json:"dpokit_resume"`
	Inputs  map[string]json.RawMessage `json:"inputs"`
}

// New starts the key of a run of command.
func New(command string) *Key {
	return &Key{Command: command, Inputs: map[string]json.RawMessage{}}
}

// Option records an option's value.
func (k *Key) Option(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("identity of --%s: %w", name, err)
	}
	k.Inputs[name] = b
	return nil
}

// File records a file's content hash.
func (k *Key) File(name, path string) error {
	sum, _, err := fsutil.HashFile(path)
	if err != nil {
		return err
	}
	return k.Option(name, "sha256:"+sum)
}

// Model records a model directory by the content of the files a run reads
// (modeldir.Dir.Files: the ONNX file, its external data, configuration and
// tokenizer files, present or not).
func (k *Key) Model(name string, d *modeldir.Dir) error {
	h := sha256.New()
	for i, path := range d.Files() {
		sum, _, err := fsutil.HashFile(path)
		if i > len(d.Graph.ExternalFiles) && os.IsNotExist(err) { // a config file the directory lacks
			sum = "absent"
		} else if err != nil {
			return err
		}
		rel, _ := filepath.Rel(d.Path, path)
		fmt.Fprintf(h, "%s %s\n", rel, sum)
	}
	return k.Option(name, "sha256:"+hex.EncodeToString(h.Sum(nil)))
}

// Clone returns a copy that can be extended without changing k.
func (k *Key) Clone() *Key {
	return &Key{Command: k.Command, Inputs: maps.Clone(k.Inputs)}
}

// Encode returns the key as one line of JSON (names sorted).
func (k *Key) Encode() []byte {
	b, err := json.Marshal(k) // maps marshal with sorted keys
	if err != nil {
		panic(err) // RawMessages were produced by json.Marshal
	}
	return b
}

// Sum is the key's SHA-256, a short name for it (cache file names).
func (k *Key) Sum() string {
	h := sha256.Sum256(k.Encode())
	return hex.EncodeToString(h[:])
}

// ChangedError is a resume refused because inputs differ from the run
// that wrote the journal or checkpoint.
type ChangedError struct {
	Changed []string // "--name (old → new)" or "--name (file contents differ)"
}

func (e *ChangedError) Error() string {
	return "changed since the interrupted run: " + strings.Join(e.Changed, ", ")
}

// Check compares the stored key (as Encode wrote it) with want and returns
// a *ChangedError naming every input that differs, or nil.
func Check(stored []byte, want *Key) error { return check(stored, want, false) }

// CheckPart is Check restricted to the inputs want names: a stored key may
// hold more (a checkpoint's key adds the hyperparameters to the inputs a
// run knows before it has read its data).
func CheckPart(stored []byte, want *Key) error { return check(stored, want, true) }

func check(stored []byte, want *Key, part bool) error {
	var old Key
	if err := json.Unmarshal(stored, &old); err != nil || old.Inputs == nil {
		return &ChangedError{Changed: []string{"the stored run identity is not readable (written by another dpokit version)"}}
	}
	var changed []string
	if old.Command != want.Command {
		changed = append(changed, fmt.Sprintf("the command (%s → %s)", old.Command, want.Command))
	}
	names := slices.Sorted(maps.Keys(want.Inputs))
	for n := range old.Inputs {
		if _, ok := want.Inputs[n]; !ok && !part {
			names = append(names, n)
		}
	}
	for _, n := range names {
		a, b := old.Inputs[n], want.Inputs[n]
		if bytes.Equal(a, b) {
			continue
		}
		changed = append(changed, describe(n, a, b))
	}
	if len(changed) == 0 {
		return nil
	}
	return &ChangedError{Changed: changed}
}

func describe(name string, old, now json.RawMessage) string {
	var s string
	if json.Unmarshal(old, &s) == nil && strings.HasPrefix(s, "sha256:") {
		return fmt.Sprintf("--%s (contents differ)", name)
	}
	show := func(b json.RawMessage) string {
		if b == nil {
			return "unset"
		}
		return string(b)
	}
	return fmt.Sprintf("--%s (%s → %s)", name, show(old), show(now))
}

// OpenJournal opens the append-only journal at path for a run named by
// key: a new one starts with the key as its header. An existing journal is
// an error unless resume is asked for (fsutil.ErrJournalExists); with
// resume, one written by a run with another key is refused, naming what
// changed. It returns the journal and its records after the header.
func OpenJournal(path string, key *Key, resume bool) (*fsutil.Journal, [][]byte, error) {
	j, lines, err := fsutil.OpenJournalChecked(path, key.Encode(), resume, func(stored []byte) error {
		if err := Check(stored, key); err != nil {
			return fmt.Errorf("--resume refused: %s: %w; delete it to start again", path, err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(lines) == 0 {
		return j, nil, nil
	}
	return j, lines[1:], nil
}

// OpenRecords is OpenJournal with each record after the header decoded
// from JSON into a T and passed to add, in order; a record that does not
// decode closes the journal and is an error naming its file and line.
func OpenRecords[T any](path string, key *Key, resume bool, add func(T)) (*fsutil.Journal, error) {
	j, lines, err := OpenJournal(path, key, resume)
	if err != nil {
		return nil, err
	}
	for i, l := range lines {
		var r T
		if err := json.Unmarshal(l, &r); err != nil {
			j.Close()
			return nil, fmt.Errorf("%s:%d: %w", path, i+2, err)
		}
		add(r)
	}
	return j, nil
}

// Differ explains why two encoded keys differ: a *ChangedError naming the
// inputs when both are keys, a generic error otherwise, nil when equal.
func Differ(stored, want []byte) error {
	if bytes.Equal(stored, want) {
		return nil
	}
	var k Key
	if err := json.Unmarshal(want, &k); err != nil || k.Inputs == nil {
		return &ChangedError{Changed: []string{"the run's identity"}}
	}
	if err := Check(stored, &k); err != nil {
		return err
	}
	return &ChangedError{Changed: []string{"the run's identity"}}
}

// Fields records every JSON field of the struct v as an option, named by
// its JSON name with '_' written '-' unless rename maps the JSON name to
// another, so fields added to v later are part of the key too.
func (k *Key) Fields(v any, rename map[string]string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for name, raw := range m {
		if r, ok := rename[name]; ok {
			name = r
		} else {
			name = strings.ReplaceAll(name, "_", "-")
		}
		k.Inputs[name] = raw
	}
	return nil
}

// Hash returns the content hash (hex) recorded for a file or model input,
// or "" when name is not one.
func (k *Key) Hash(name string) string {
	var s string
	if json.Unmarshal(k.Inputs[name], &s) != nil {
		return ""
	}
	h, _ := strings.CutPrefix(s, "sha256:")
	if h == s {
		return ""
	}
	return h
}
