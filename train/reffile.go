package train

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/resume"
)

// Reference log-probs are cached in a file: JSON Lines, a header then one
// record per pair.
//
//	{"dpokit_ref_logps":1,"key":{"dpokit_resume":"ref-logps","inputs":{…}},"pairs":N}
//	{"index":0,"id":"…","ref_chosen_logp":-12.5,"ref_rejected_logp":-14.1,"chosen_tokens":7,"rejected_tokens":9}
//
// A file is reused only when its key equals the one a run expects (see
// package internal/resume): the same reference model and data by content,
// and the same data preparation settings.

// RefHeader is the first line of a reference log-prob file.
type RefHeader struct {
	Format int             `json:"dpokit_ref_logps"`
	Key    json.RawMessage `json:"key"`
	Pairs  int             `json:"pairs"`
}

// RefRecord is one pair's reference log-probs (summed over the response
// tokens) and token counts.
type RefRecord struct {
	Index          int     `json:"index"`
	ID             string  `json:"id"`
	Chosen         float64 `json:"ref_chosen_logp"`
	Rejected       float64 `json:"ref_rejected_logp"`
	ChosenTokens   int     `json:"chosen_tokens"`
	RejectedTokens int     `json:"rejected_tokens"`
}

// ErrStaleRefs is returned (wrapped) by ReadRefLogps when the file was
// written for another reference model, data or tokenization.
var ErrStaleRefs = errors.New("reference log-probs were computed for another model, data or tokenization")

// WriteRefLogps writes the file atomically.
func WriteRefLogps(path string, h RefHeader, recs []RefRecord) error {
	h.Format = 1
	h.Pairs = len(recs)
	return fsutil.WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		if err := enc.Encode(h); err != nil {
			return err
		}
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReadRefLogps reads a file written by WriteRefLogps and checks that its
// header matches want (Pairs included, unless want.Pairs is 0).
func ReadRefLogps(path string, want RefHeader) ([]RefRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: empty reference log-prob file", path)
	}
	var h RefHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != 1 {
		return nil, fmt.Errorf("%s: not a dpokit reference log-prob file", path)
	}
	want.Format = 1
	if want.Pairs == 0 {
		want.Pairs = h.Pairs
	}
	if h.Pairs != want.Pairs {
		return nil, fmt.Errorf("%s: %w: %d pairs, want %d", path, ErrStaleRefs, h.Pairs, want.Pairs)
	}
	if err := resume.Differ(h.Key, want.Key); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrStaleRefs, err)
	}
	var recs []RefRecord
	for line := 2; sc.Scan(); line++ {
		var r RefRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) != h.Pairs {
		return nil, fmt.Errorf("%s: %d records, header says %d (incomplete file)", path, len(recs), h.Pairs)
	}
	return recs, nil
}
