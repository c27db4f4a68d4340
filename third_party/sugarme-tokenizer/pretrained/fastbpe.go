package pretrained

// dpokit patch (see NOTES.md): loading tokenizer.json in one pass. The
// small sections go through encoding/json as before; a BPE model's
// vocabulary and merges are read by the scanner of jsonscan.go straight
// into the model's tables.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"unsafe"

	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/model/bpe"
)

// FromBytes builds a Tokenizer from the content of a tokenizer.json file,
// and returns the raw top-level members other than "model". A BPE model's
// vocabulary and merges are read in the same pass over the bytes.
func FromBytes(raw []byte) (*tokenizer.Tokenizer, map[string]json.RawMessage, error) {
	sections := map[string]json.RawMessage{}
	var fast *bpe.BPE
	var modelRaw []byte
	err := topLevel(raw, func(key string, vStart int) (int, error) {
		if key == "model" {
			m, end, err := readBPEModel(raw, vStart)
			fast = m
			if m == nil && err == nil {
				modelRaw = raw[vStart:end]
			}
			return end, err
		}
		end, err := skipValue(raw, vStart)
		sections[key] = raw[vStart:end]
		return end, err
	})
	if err != nil {
		return nil, nil, err
	}
	// Everything but the model, decoded as FromReader decodes it.
	small, err := json.Marshal(sections)
	if err != nil {
		return nil, nil, err
	}
	config := &tokenizer.Config{}
	if err := json.Unmarshal(small, config); err != nil {
		return nil, nil, err
	}
	var model tokenizer.Model = fast
	if fast == nil {
		if modelRaw != nil {
			if err := json.Unmarshal(modelRaw, &config.Model); err != nil {
				return nil, nil, fmt.Errorf("model: %w", err)
			}
		}
		if model, err = CreateModel(config); err != nil {
			return nil, nil, fmt.Errorf("CreateModel: %w", err)
		}
	}
	tk, err := assemble(config, model)
	return tk, sections, err
}

// bpeOptions are the members of a BPE model other than vocab and merges.
type bpeOptions struct {
	Type                    string   `json:"type"`
	Dropout                 *float64 `json:"dropout"`
	UnkToken                *string  `json:"unk_token"`
	ContinuingSubwordPrefix *string  `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string  `json:"end_of_word_suffix"`
	FuseUnk                 bool     `json:"fuse_unk"`
	ByteFallback            bool     `json:"byte_fallback"`
	IgnoreMerges            bool     `json:"ignore_merges"`
}

// readBPEModel reads the model object at b[i:] when it is a BPE model with
// its vocabulary before its merges (as Hugging Face writes it), and returns
// the index after it. For other models it returns a nil model and no error.
func readBPEModel(b []byte, i int) (m *bpe.BPE, end int, err error) {
	if i >= len(b) || b[i] != '{' {
		end, err = skipValue(b, i)
		return nil, end, err
	}
	var opts bytes.Buffer
	var vocab map[string]int
	var merges []bpe.MergeIDs
	fast := true
	opts.WriteByte('{')
	end, err = eachMemberAt(b, i, func(key []byte, _ bool, vStart int) (int, error) {
		switch {
		case string(key) == `"vocab"` && fast && b[vStart] == '{':
			var end int
			var err error
			vocab, end, err = readVocab(b, vStart)
			return end, err
		case string(key) == `"merges"` && fast && vocab != nil:
			var end int
			var err error
			merges, end, err = readMerges(b, vStart, vocab)
			return end, err
		case string(key) == `"vocab"` || string(key) == `"merges"`:
			fast = false
			return skipValue(b, vStart)
		}
		vEnd, err := skipValue(b, vStart)
		if opts.Len() > 1 {
			opts.WriteByte(',')
		}
		opts.Write(key)
		opts.WriteByte(':')
		opts.Write(b[vStart:vEnd])
		return vEnd, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("model: %w", err)
	}
	opts.WriteByte('}')
	var o bpeOptions
	if err := json.Unmarshal(opts.Bytes(), &o); err != nil {
		return nil, 0, fmt.Errorf("model: %w", err)
	}
	if o.Type != "BPE" || !fast || vocab == nil {
		return nil, end, nil
	}
	var dropout *float32
	if o.Dropout != nil {
		d := float32(*o.Dropout)
		dropout = &d
	}
	m, err = bpe.NewFromIDs(vocab, merges, dropout, o.UnkToken, o.ContinuingSubwordPrefix, o.EndOfWordSuffix)
	if err != nil {
		return nil, 0, fmt.Errorf("model: %w", err)
	}
	m.ByteFallback, m.FuseUnk, m.IgnoreMerges = o.ByteFallback, o.FuseUnk, o.IgnoreMerges
	return m, end, nil
}

// readVocab reads the {"token": id, ...} object at b[i:]. The tokens'
// bytes share one allocation.
func readVocab(b []byte, i int) (map[string]int, int, error) {
	// Size the map from the object's length (about 20 bytes a token): an
	// oversized map costs cache misses on every lookup of the merges.
	size, err := skipValue(b, i)
	if err != nil {
		return nil, 0, err
	}
	vocab := make(map[string]int, (size-i)/20)
	var arena []byte
	end, err := eachMemberAt(b, i, func(key []byte, escaped bool, vStart int) (int, error) {
		var k string
		if escaped {
			var err error
			if k, err = decodeString(key, 0, len(key), true); err != nil {
				return 0, err
			}
		} else {
			k, arena = internBytes(arena, key[1:len(key)-1])
		}
		vEnd := vStart
		for vEnd < len(b) && b[vEnd] >= '0' && b[vEnd] <= '9' {
			vEnd++
		}
		id, err := strconv.Atoi(string(b[vStart:vEnd]))
		if err != nil || vEnd-vStart > 9 {
			return 0, fmt.Errorf("vocab: token %q: id is not a non-negative integer (byte %d)", k, vStart)
		}
		vocab[k] = id
		return vEnd, nil
	})
	return vocab, end, err
}

// internBytes returns s as a string stored in arena, which grows by large
// blocks so that many short strings cost few allocations.
func internBytes(arena, s []byte) (string, []byte) {
	if cap(arena)-len(arena) < len(s) {
		arena = make([]byte, 0, max(1<<20, len(s)))
	}
	start := len(arena)
	arena = append(arena, s...)
	if len(s) == 0 {
		return "", arena
	}
	return unsafe.String(&arena[start], len(s)), arena
}

// readMerges reads the merges at b[i:], written "a b" or ["a", "b"], as ids.
// A merge whose parts or result are not in the vocabulary is an error, as in
// Hugging Face. The array is scanned first; the vocabulary lookups, most of
// the time, are then shared among the cores.
func readMerges(b []byte, i int, vocab map[string]int) ([]bpe.MergeIDs, int, error) {
	if len(b) >= 1<<31 {
		return nil, 0, fmt.Errorf("tokenizer.json of %d bytes: too large", len(b))
	}
	var parts [][2]textRef
	var side []byte // decoded parts that had escapes
	end, err := eachElementAt(b, i, func(vStart int) (int, error) {
		p, vEnd, err := mergeParts(b, vStart, &side)
		if err != nil {
			return 0, fmt.Errorf("merge %d: %w", len(parts), err)
		}
		parts = append(parts, p)
		return vEnd, nil
	})
	if err != nil {
		return nil, 0, err
	}
	merges := make([]bpe.MergeIDs, len(parts))
	workers := min(runtime.GOMAXPROCS(0), 1+len(parts)/50000)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for k := w * len(parts) / workers; k < (w+1)*len(parts)/workers; k++ {
				x, y := parts[k][0].bytes(b, side), parts[k][1].bytes(b, side)
				idx, okx := vocab[string(x)]
				idy, oky := vocab[string(y)]
				buf = append(append(buf[:0], x...), y...)
				idn, okn := vocab[string(buf)]
				if !okx || !oky || !okn {
					errs[w] = fmt.Errorf("merge %d (%q %q): token not in the vocabulary", k, x, y)
					return
				}
				merges[k] = bpe.MergeIDs{A: int32(idx), B: int32(idy), New: int32(idn)}
			}
		}()
	}
	wg.Wait()
	return merges, end, errors.Join(errs...)
}

// textRef locates a token of a merge: bytes [off, off+n) of the file, or of
// the side buffer of decoded tokens when inSide.
type textRef struct {
	off, n int32
	inSide bool
}

func (r textRef) bytes(b, side []byte) []byte {
	if r.inSide {
		return side[r.off : r.off+r.n]
	}
	return b[r.off : r.off+r.n]
}

// stringRef locates the content of the string b[i:end], decoding it into
// side when it has escapes.
func stringRef(b []byte, i, end int, escaped bool, side *[]byte) (textRef, error) {
	if !escaped {
		return textRef{off: int32(i + 1), n: int32(end - i - 2)}, nil
	}
	s, err := decodeString(b, i, end, true)
	if err != nil {
		return textRef{}, err
	}
	r := textRef{off: int32(len(*side)), n: int32(len(s)), inSide: true}
	*side = append(*side, s...)
	return r, nil
}

// mergeParts reads the merge at b[i:] and returns its two tokens and the
// index after it.
func mergeParts(b []byte, i int, side *[]byte) (p [2]textRef, end int, err error) {
	if b[i] == '"' {
		end, escaped, err := scanString(b, i)
		if err != nil {
			return p, 0, err
		}
		r, err := stringRef(b, i, end, escaped, side)
		if err != nil {
			return p, 0, err
		}
		s := r.bytes(b, *side)
		k := bytes.IndexByte(s, ' ')
		if k < 0 || bytes.IndexByte(s[k+1:], ' ') >= 0 {
			return p, 0, fmt.Errorf("%s: want two tokens separated by one space", b[i:end])
		}
		p[0] = textRef{off: r.off, n: int32(k), inSide: r.inSide}
		p[1] = textRef{off: r.off + int32(k) + 1, n: r.n - int32(k) - 1, inSide: r.inSide}
		return p, end, nil
	}
	if b[i] != '[' {
		return p, 0, scanError(i, "merge: want a string or a pair of strings")
	}
	for k := range 2 {
		i = skipSpace(b, i+1)
		end, escaped, err := scanString(b, i)
		if err != nil {
			return p, 0, err
		}
		if p[k], err = stringRef(b, i, end, escaped, side); err != nil {
			return p, 0, err
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ",]"[k] {
			return p, 0, scanError(i, "merge: want a pair of strings")
		}
	}
	return p, i + 1, nil
}
