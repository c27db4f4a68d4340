package bpe

// dpokit patch (see NOTES.md): a BPE model from merges already resolved to
// ids, for fast loading of large vocabularies (pretrained.FromBytes).

import (
	"errors"

	"github.com/sugarme/tokenizer/model"
)

// MergeIDs is one merge: the ids of its two parts and of their merge. Its
// rank is its position in the merges list.
type MergeIDs struct {
	A, B, New int32
}

// NewFromIDs builds a BPE model from its vocabulary and merges.
func NewFromIDs(vocab model.Vocab, merges []MergeIDs, dropout *float32, unkToken, continuingSubwordPrefix, endOfWordSuffix *string) (*BPE, error) {
	if dropout != nil && (*dropout <= 0 || *dropout > 1) {
		return nil, errors.New("Error: Invalid dropout.")
	}
	// The reverse vocabulary is built on another core meanwhile.
	vocabR := make(model.VocabR, len(vocab))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k, v := range vocab {
			vocabR[v] = k
		}
	}()
	defer func() { <-done }()
	ranks := make(map[uint64]mergeInfo, len(merges))
	// Backwards, so that the first of duplicate merges wins, as in Hugging Face.
	for rank := len(merges) - 1; rank >= 0; rank-- {
		m := merges[rank]
		ranks[pairKey(m.A, m.B)] = mergeInfo{rank: int32(rank), newID: m.New}
	}
	b := &BPE{
		Vocab:                   &vocab,
		VocabR:                  &vocabR,
		Merges:                  &Merges{},
		Dropout:                 dropout,
		UnkToken:                unkToken,
		ContinuingSubwordPrefix: continuingSubwordPrefix,
		EndOfWordSuffix:         endOfWordSuffix,
		cacheCapacity:           DefaultCacheCapacity,
	}
	b.prepareTables(ranks)
	return b, nil
}
