package bpe

// This file holds the BPE merge loop (dpokit patch, see NOTES.md). The
// upstream loop ordered its queue by rank and then by a timestamp that was
// never set, so among equal-rank pairs (as in "hhh" or "....") it merged an
// arbitrary one instead of the leftmost, and it rebuilt the symbol slice on
// every added character. Hugging Face merges the pair of lowest rank first and,
// among equal ranks, the one that starts leftmost.

import (
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// pairKey packs the ids of a pair of adjacent symbols.
func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// mergeInfo is what merging a pair gives: its rank in the merges list and the id of the merged symbol.
type mergeInfo struct {
	rank  int32
	newID int32
}

// sym is one symbol of a word being merged: a token id and the byte length of
// the text it covers. prev and next link the live symbols; a merged-away
// symbol has size 0.
type sym struct {
	id         int32
	prev, next int32
	size       int32
}

// candidate is a queued merge of the symbol at pos with its next symbol.
type candidate struct {
	rank  int32
	pos   int32
	newID int32
}

func (a candidate) less(b candidate) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

// candidateHeap is a binary min-heap of candidates ordered by (rank, pos).
type candidateHeap []candidate

func (h *candidateHeap) push(c candidate) {
	*h = append(*h, c)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].less(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *candidateHeap) pop() candidate {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].less(s[l]) {
			m = r
		}
		if !s[m].less(s[i]) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// buildRanks indexes the merges by packed pair for the merge loop.
func buildRanks(merges Merges) map[uint64]mergeInfo {
	ranks := make(map[uint64]mergeInfo, len(merges))
	for p, v := range merges {
		ranks[pairKey(int32(p.C1), int32(p.C2))] = mergeInfo{rank: int32(v.Rank), newID: int32(v.NewId)}
	}
	return ranks
}

// mergeSymbols applies the merges to syms in place and returns the live
// symbols in order. With dropout > 0 each merge is skipped with that
// probability, as in BPE-dropout.
func mergeSymbols(syms []sym, ranks map[uint64]mergeInfo, dropout float32, rng *rand.Rand, queue *candidateHeap) []sym {
	if len(syms) < 2 {
		return syms
	}
	*queue = (*queue)[:0]
	for i := 0; i+1 < len(syms); i++ {
		if m, ok := ranks[pairKey(syms[i].id, syms[i+1].id)]; ok {
			queue.push(candidate{rank: m.rank, pos: int32(i), newID: m.newID})
		}
	}
	var skipped []candidate
	for len(*queue) > 0 {
		top := queue.pop()
		if dropout > 0 && rng.Float32() < dropout {
			skipped = append(skipped, top)
			continue
		}
		for _, s := range skipped {
			queue.push(s)
		}
		skipped = skipped[:0]

		cur := &syms[top.pos]
		if cur.size == 0 || cur.next == -1 {
			continue
		}
		nextPos := cur.next
		right := syms[nextPos]
		// Skip stale entries: the pair at pos changed since it was queued.
		if m, ok := ranks[pairKey(cur.id, right.id)]; !ok || m.newID != top.newID {
			continue
		}
		cur.id = top.newID
		cur.size += right.size
		cur.next = right.next
		syms[nextPos].size = 0
		if right.next != -1 {
			syms[right.next].prev = top.pos
		}
		if cur.prev != -1 {
			prev := syms[cur.prev]
			if m, ok := ranks[pairKey(prev.id, cur.id)]; ok {
				queue.push(candidate{rank: m.rank, pos: cur.prev, newID: m.newID})
			}
		}
		if cur.next != -1 {
			if m, ok := ranks[pairKey(cur.id, syms[cur.next].id)]; ok {
				queue.push(candidate{rank: m.rank, pos: top.pos, newID: m.newID})
			}
		}
	}
	out := syms[:0]
	for _, s := range syms {
		if s.size != 0 {
			out = append(out, s)
		}
	}
	return out
}

// wordSymbols splits w into its initial symbols: one per character, with the
// continuing-subword prefix and end-of-word suffix where configured, byte
// fallback tokens for characters outside the vocabulary when enabled, and the
// unknown token (fused when fuse_unk) otherwise. Characters that fit none of
// these are dropped, as Hugging Face drops them.
func (b *BPE) wordSymbols(w string, dst []sym) ([]sym, error) {
	vocab := *b.Vocab
	var prefix, suffix string
	if b.ContinuingSubwordPrefix != nil {
		prefix = *b.ContinuingSubwordPrefix
	}
	if b.EndOfWordSuffix != nil {
		suffix = *b.EndOfWordSuffix
	}
	unkID := int32(-1)
	if b.UnkToken != nil {
		id, ok := vocab[*b.UnkToken]
		if !ok {
			return nil, fmt.Errorf("unk token %q not found in the vocabulary", *b.UnkToken)
		}
		unkID = int32(id)
	}
	add := func(id int32, size int) {
		n := int32(len(dst))
		if n > 0 {
			dst[n-1].next = n
		}
		prev := n - 1
		dst = append(dst, sym{id: id, prev: prev, next: -1, size: int32(size)})
	}
	pendingUnk := 0 // byte length of a fused unknown run not yet added
	var scratch []byte
	for i := 0; i < len(w); {
		_, n := utf8.DecodeRuneInString(w[i:])
		piece := w[i : i+n]
		if (prefix != "" && i > 0) || (suffix != "" && i+n == len(w)) {
			scratch = scratch[:0]
			if i > 0 {
				scratch = append(scratch, prefix...)
			}
			scratch = append(scratch, piece...)
			if i+n == len(w) {
				scratch = append(scratch, suffix...)
			}
			piece = string(scratch)
		}
		i += n
		if id, ok := vocab[piece]; ok {
			if pendingUnk > 0 {
				add(unkID, pendingUnk)
				pendingUnk = 0
			}
			add(int32(id), n)
			continue
		}
		if b.ByteFallback {
			if ids, ok := b.byteFallbackIDs(piece); ok {
				if pendingUnk > 0 {
					add(unkID, pendingUnk)
					pendingUnk = 0
				}
				for k, id := range ids {
					size := 1
					if k == len(ids)-1 {
						// The symbols of one character cover its bytes together.
						size = n - (len(ids) - 1)
						if size < 1 {
							size = 1
						}
					}
					add(id, size)
				}
				continue
			}
		}
		if unkID < 0 {
			continue
		}
		if b.FuseUnk {
			pendingUnk += n
			continue
		}
		if pendingUnk > 0 {
			add(unkID, pendingUnk)
			pendingUnk = 0
		}
		add(unkID, n)
	}
	if pendingUnk > 0 {
		add(unkID, pendingUnk)
	}
	return dst, nil
}

// byteFallbackIDs returns the ids of the <0xXX> tokens of s's bytes, if all exist.
func (b *BPE) byteFallbackIDs(s string) ([]int32, bool) {
	ids := make([]int32, len(s))
	for i := 0; i < len(s); i++ {
		id := b.byteTokens[s[i]]
		if id < 0 {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

// prepare builds the lookup tables of the merge loop. It is called by the
// constructors; a BPE built by hand must call it before tokenizing.
func (b *BPE) prepare() {
	b.prepareTables(buildRanks(*b.Merges))
}

// prepareTables installs ranks and builds the other tables.
func (b *BPE) prepareTables(ranks map[uint64]mergeInfo) {
	b.ranks = ranks
	b.byteTokens = new([256]int32)
	for i := range 256 {
		b.byteTokens[i] = -1
		if id, ok := (*b.Vocab)[fmt.Sprintf("<0x%02X>", i)]; ok {
			b.byteTokens[i] = int32(id)
		}
	}
	b.wordCache = newWordCache(b.cacheCapacity)
	b.segmenter = newSegmenter(b)
	b.symPool = &sync.Pool{New: func() any { return &scratchSyms{} }}
}

type scratchSyms struct {
	syms  []sym
	queue candidateHeap
}

// mergeWordSymbols runs the whole model on one word: initial symbols, then
// merges (unless ignore_merges finds the word in the vocabulary).
func (b *BPE) mergeWordSymbols(w string) ([]sym, error) {
	if b.IgnoreMerges {
		if id, ok := (*b.Vocab)[w]; ok {
			return []sym{{id: int32(id), prev: -1, next: -1, size: int32(len(w))}}, nil
		}
	}
	sc := b.symPool.Get().(*scratchSyms)
	defer b.symPool.Put(sc)
	syms, err := b.wordSymbols(w, sc.syms[:0])
	if err != nil {
		return nil, err
	}
	var dropout float32
	var rng *rand.Rand
	if b.Dropout != nil && *b.Dropout > 0 {
		dropout = *b.Dropout
		rng = rand.New(rand.NewSource(rand.Int63()))
	}
	merged := mergeSymbols(syms, b.ranks, dropout, rng, &sc.queue)
	out := make([]sym, len(merged))
	copy(out, merged)
	sc.syms = syms[:0]
	return out, nil
}

// wordIDs returns the token ids and byte sizes of one word, through the cache
// when dropout is off.
func (b *BPE) wordIDs(w string) ([]sym, error) {
	cacheable := b.wordCache != nil && (b.Dropout == nil || *b.Dropout == 0) && len(w) < maxCachedWordLen
	if cacheable {
		if s, ok := b.wordCache.get(w); ok {
			return s, nil
		}
	}
	s, err := b.mergeWordSymbols(w)
	if err != nil {
		return nil, err
	}
	if cacheable {
		b.wordCache.put(w, s)
	}
	return s, nil
}

// AppendIDs appends the token ids of word to dst. It is the allocation-light
// path used by Tokenizer.EncodeIDs: a cached word costs no allocation.
func (b BPE) AppendIDs(dst []int, word []byte) ([]int, error) {
	if b.segmenter != nil && len(word) > 2*len(spaceMarker) {
		err := b.segmenter.pieces(&b, word, func(piece []byte) error {
			var err error
			dst, err = b.appendWordIDs(dst, piece)
			return err
		})
		return dst, err
	}
	return b.appendWordIDs(dst, word)
}

// appendWordIDs appends the token ids of word to dst, through the cache.
func (b *BPE) appendWordIDs(dst []int, word []byte) ([]int, error) {
	if len(word) == 0 {
		return dst, nil
	}
	cacheable := b.wordCache != nil && (b.Dropout == nil || *b.Dropout == 0) && len(word) < maxCachedWordLen
	if cacheable {
		if s, ok := b.wordCache.getBytes(word); ok {
			for _, x := range s {
				dst = append(dst, int(x.id))
			}
			return dst, nil
		}
	}
	w := string(word)
	s, err := b.mergeWordSymbols(w)
	if err != nil {
		return dst, err
	}
	if cacheable {
		b.wordCache.put(w, s)
	}
	for _, x := range s {
		dst = append(dst, int(x.id))
	}
	return dst, nil
}

// maxCachedWordLen bounds the words kept in the cache, so that long texts
// without pre-tokenization do not fill it.
const maxCachedWordLen = 256

// wordCache is a concurrency-safe, bounded map from word to merged symbols.
// Readers take no lock and write no shared memory (a lock per read made the
// cache the bottleneck of encoding on several cores): each shard publishes
// an immutable map through an atomic pointer; new words wait in a pending
// map and are published in batches. Once full, the cache takes no new
// words, as Hugging Face's cache does.
type wordCache struct {
	shards [64]cacheShard
	limit  int // words per shard
}

type cacheShard struct {
	published atomic.Pointer[map[string][]sym]
	mu        sync.Mutex
	pending   map[string][]sym
	size      int
	_         [24]byte // keep shards on separate cache lines
}

func newWordCache(capacity int) *wordCache {
	if capacity <= 0 {
		return nil
	}
	return &wordCache{limit: (capacity + 63) / 64}
}

func fnv(h uint32, b byte) uint32 { return (h ^ uint32(b)) * 16777619 }

func (c *wordCache) shard(w string) *cacheShard {
	h := uint32(2166136261)
	for i := 0; i < len(w); i++ {
		h = fnv(h, w[i])
	}
	return &c.shards[h%64]
}

func (c *wordCache) shardBytes(w []byte) *cacheShard {
	h := uint32(2166136261)
	for _, b := range w {
		h = fnv(h, b)
	}
	return &c.shards[h%64]
}

func (c *wordCache) get(w string) ([]sym, bool) {
	m := c.shard(w).published.Load()
	if m == nil {
		return nil, false
	}
	v, ok := (*m)[w]
	return v, ok
}

func (c *wordCache) getBytes(w []byte) ([]sym, bool) {
	m := c.shardBytes(w).published.Load()
	if m == nil {
		return nil, false
	}
	v, ok := (*m)[string(w)]
	return v, ok
}

func (c *wordCache) put(w string, v []sym) {
	s := c.shard(w)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.size >= c.limit {
		return
	}
	if s.pending == nil {
		s.pending = make(map[string][]sym)
	}
	if _, ok := s.pending[w]; ok {
		return
	}
	old := s.published.Load()
	if old != nil {
		if _, ok := (*old)[w]; ok {
			return
		}
	}
	s.pending[w] = v
	s.size++
	// Publish when the pending words are many next to the published ones,
	// so that copying stays linear overall, or when the shard is full.
	n := 0
	if old != nil {
		n = len(*old)
	}
	if len(s.pending) >= max(4, n/4) || s.size >= c.limit {
		m := make(map[string][]sym, n+len(s.pending))
		if old != nil {
			for k, x := range *old {
				m[k] = x
			}
		}
		for k, x := range s.pending {
			m[k] = x
		}
		s.published.Store(&m)
		s.pending = nil
	}
}

func (c *wordCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.published.Store(nil)
		s.pending = nil
		s.size = 0
		s.mu.Unlock()
	}
}
