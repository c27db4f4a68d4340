package bpe

import (
	"errors"
	"math/rand"
	"time"
)

const DefaultCacheCapacity int = 10000

type Merge struct {
	Pos   int
	Rank  int
	NewId int
	Time  time.Time
}

// Ordering is a enum of Less, Equal, and Greater
type Ordering int

const (
	Less    Ordering = -1
	Equal   Ordering = 0
	Greater Ordering = 1
)

// NOTE.Should  we implement comparing methods?
// - Eq
// - PartialCmp
// - Cmp
func (m *Merge) Eq(other *Merge) bool {
	return m.Rank == other.Rank && m.Pos == other.Pos
}

func (m *Merge) PartialCmp(other *Merge) (Ordering, error) {
	// First, compare rank
	if m.Rank != other.Rank {
		if other.Rank < m.Rank {
			return Less, nil
		} else if other.Rank > m.Rank {
			return Greater, nil
		}
	}
	// Then, compare pos
	if other.Pos < m.Pos {
		return Less, nil
	} else if other.Pos > m.Pos {
		return Greater, nil
	} else {
		return Equal, nil
	}
}

func (m *Merge) Cmp(other *Merge) Ordering {
	res, _ := m.PartialCmp(other)
	return res
}

type Symbol struct {
	C    int
	Prev int
	Next int
	Len  int
}

// Some slice methods to manipulate slice struct Symbol
type Symbols []Symbol

// Insert inserts a symbol to the slice at `i` index point
func (ss *Symbols) Insert(s Symbol, i int) error {
	var err error
	if i < 0 || i > len(*ss) {
		err = errors.New("`i` index is out of bound.")
		return err
	}
	*ss = append((*ss)[:i], append([]Symbol{s}, (*ss)[i:]...)...)
	return nil
}

// Remove removes a symbol from the slice at `i` index point
func (ss *Symbols) Remove(i int) error {
	var err error
	if i < 0 || i > len(*ss)-1 {
		err = errors.New("`i` index is out of bound.")
		return err
	}
	*ss = append((*ss)[:i], (*ss)[i+1:]...)
	return nil
}

func (s *Symbol) MergeWith(other *Symbol, newC int) {
	s.C = newC
	s.Len += other.Len
	s.Next = other.Next
}

type Word struct {
	Symbols Symbols
}

func NewWord() *Word {
	return &Word{
		// Symbols: Symbols{},
		Symbols: []Symbol{},
	}
}

func (w *Word) Add(c int, byteLen int) {
	// dpokit patch: append in O(1) instead of rebuilding the slice.
	n := len(w.Symbols)
	if n > 0 {
		w.Symbols[n-1].Next = n
	}
	w.Symbols = append(w.Symbols, Symbol{C: c, Prev: n - 1, Next: -1, Len: byteLen})
}

type Pair struct {
	C1 int
	C2 int
}

// PairVal holds pair's rank and NewId
type PairVal struct {
	Rank  int
	NewId int
}

type WChange struct {
	C1     int
	C2     int
	Change int
}

// Merge finds any pairs of (c1, c2) and removes in place. It also maps changes depending
// on the position of the pair in word.
func (w *Word) Merge(c1, c2, replacement int) ([]WChange, error) {
	// fmt.Printf("before merge word symbols: %v\n", w.Symbols)
	// fmt.Printf("c1: %v - c2: %v- replacement: %v\n", c1, c2, replacement)
	var changes []WChange

	i := 0

	for {
		if i >= len(w.Symbols) {
			break
		}
		// found a pair
		if w.Symbols[i].C == c1 && (i+1) < len(w.Symbols) && w.Symbols[i+1].C == c2 {
			first := w.Symbols[i]
			second := w.Symbols[i+1]

			// If there's other characters before the pair
			if i > 0 {
				changes = append(changes, WChange{
					C1:     w.Symbols[i-1].C,
					C2:     first.C,
					Change: -1,
				})
				changes = append(changes, WChange{
					C1:     w.Symbols[i-1].C,
					C2:     replacement,
					Change: 1,
				})
			}

			// Remove in place
			newS := Symbol{
				C:    replacement,
				Prev: first.Prev,
				Next: second.Next,
				Len:  first.Len + second.Len,
			}

			// Insert replacement before first `char` of pair
			err := w.Symbols.Insert(newS, i)
			if err != nil {
				return nil, err
			}

			// Remove first `char` of pair
			err = w.Symbols.Remove(i + 1)
			if err != nil {
				return nil, err
			}
			// And then the second
			err = w.Symbols.Remove(i + 1)
			if err != nil {
				return nil, err
			}

			// If there are other `chars` after the pair
			if i > 0 && i < len(w.Symbols)-1 {
				// fmt.Println("Yes, there some char after the pair")
				changes = append(changes, WChange{
					C1:     second.C,
					C2:     w.Symbols[i+1].C,
					Change: -1,
				})
				changes = append(changes, WChange{
					C1:     replacement,
					C2:     w.Symbols[i+1].C,
					Change: 1,
				})
			}
		}

		i++

	} // End of `for` loop

	// fmt.Printf("After merge word symbols: %v\n", w.Symbols)

	// fmt.Printf("Num of changes: %v\n", len(changes))
	// fmt.Printf("They are: %v\n", changes)

	return changes, nil
}

func (w *Word) MergeAll(merges map[Pair]PairVal, dropoutOpt ...float32) {
	// dpokit patch: the Hugging Face merge order (lowest rank, then leftmost);
	// see merge.go.
	var dropout float32
	if len(dropoutOpt) > 0 {
		dropout = dropoutOpt[0]
	}
	syms := make([]sym, len(w.Symbols))
	for i, s := range w.Symbols {
		syms[i] = sym{id: int32(s.C), prev: int32(i - 1), next: int32(i + 1), size: int32(s.Len)}
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	var queue candidateHeap
	r := rand.New(rand.NewSource(99)) // fixed seed, as upstream
	merged := mergeSymbols(syms, buildRanks(merges), dropout, r, &queue)
	*w = *symsToWord(merged)
}

// removeSymbols removes all symbols with lenth == 0
func (w *Word) removeSymbols() {
	var filtered []Symbol
	for _, s := range w.Symbols {
		if s.Len != 0 {
			filtered = append(filtered, s)
		}
	}
	w.Symbols = filtered
}

func (w *Word) GetChars() []int {
	var res []int
	for _, s := range w.Symbols {
		res = append(res, s.C)
	}
	return res
}

func (w *Word) GetOffsets() [][]int {
	var offsets [][]int

	var pos int = 0
	for _, s := range w.Symbols {
		end := pos + s.Len
		offsets = append(offsets, []int{pos, end})
		pos += s.Len
	}

	return offsets
}
