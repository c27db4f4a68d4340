package tokenizer

import (
	"fmt"
	"log"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sugarme/tokenizer/normalizer"
)

// AddedToken represents a token added by the user on top of the
// existing model vocabulary.
//
// AddedToken can be configured to specify the behaviour they should
// have in various situations. I.e.,:
// - Whether they should only match single words
// - Whether to include any whitespace on its left or right
type AddedToken struct {
	// Content is the content of added token
	Content string
	// whether this token is single word or break words
	SingleWord bool
	// Whether this token should strip whitespace on its left
	LStrip bool
	// Whether this token should strip whitespace on its right
	RStrip bool
	// Whether this token should be normalized
	Normalized bool
}

// DefaultAddedToken initiates a default AddedToken
func DefaultAddedToken() (retVal AddedToken) {
	return AddedToken{
		Content:    "",
		SingleWord: false,
		LStrip:     false,
		RStrip:     false,
		Normalized: true,
	}
}

type ATOption func(at *AddedToken)

// WithSingleWord specifies whether this token should only match on whole
// single words, and never part of a word.
func WithSingleWord(singleWord bool) ATOption {
	return func(at *AddedToken) {
		at.SingleWord = singleWord
	}
}

// WithLStrip specify whether this token should include all the whitespaces
// on its left in order to strip them out.
func WithLStrip(lstrip bool) ATOption {
	return func(at *AddedToken) {
		at.LStrip = lstrip
	}
}

// WithRStrip specify whether this token should include all the whitespaces
// on its right in order to strip them out.
func WithRStrip(rstrip bool) ATOption {
	return func(at *AddedToken) {
		at.RStrip = rstrip
	}
}

// WithNormalized specifies whether this token should be normalized and match against its normalized
// version in the input text.
func WithNormalized(normalized bool) ATOption {
	return func(at *AddedToken) {
		at.Normalized = normalized
	}
}

// NewAddedToken builds an AddedToken from given content
// specifying whether it is intended to be a special token.
// NOTE. Special token ar not normalized by default.
func NewAddedToken(s string, special bool, opts ...ATOption) (retVal AddedToken) {
	addedTok := DefaultAddedToken()
	addedTok.Content = s
	addedTok.Normalized = !special

	for _, opt := range opts {
		opt(&addedTok)
	}

	return addedTok
}

// Specify whether this token should only match on whole single words, and never
// part of a word.
func (at AddedToken) SetSingleWord(singleWord bool) (retVal AddedToken) {
	at.SingleWord = singleWord
	return at
}

// Specify whether this token should include all the whitespaces on its left, in
// order to strip them out.
func (at AddedToken) SetLStrip(lstrip bool) (retVal AddedToken) {
	at.LStrip = lstrip
	return at
}

// Specify whether this token should include all the whitespaces on its right, in
// order to strip them out.
func (at AddedToken) SetRStrip(rstrip bool) (retVal AddedToken) {
	at.RStrip = rstrip
	return at
}

// Specify whether this token should be normalized and match against its normalized
// version in the input text.
func (at AddedToken) SetNormalized(normalized bool) (retVal AddedToken) {
	at.Normalized = normalized
	return at
}

// GetPattern retrieves the pattern built for this token, according to all the specified parameters.
//
// NOTE. normalizer input is optional
func (at AddedToken) GetPattern(n normalizer.Normalizer) (retVal string) {
	var reStr string // regular expression pattern

	if at.SingleWord {
		var firstB, lastB string
		runes := []rune(at.Content)
		firstChar := runes[0]
		lastChar := runes[len(runes)-1]
		if isWordCharacter(firstChar) {
			firstB = `\b`
		} else {
			firstB = ``
		}
		if isWordCharacter(lastChar) {
			lastB = `\b`
		} else {
			lastB = ``
		}

		// normalize the content
		content := normalizer.NewNormalizedFrom(at.Content)
		var normalized string
		if n != nil {
			normalizedString, err := n.Normalize(content)
			if err != nil {
				log.Fatal(err)
			}
			normalized = normalizedString.GetNormalized()
		} else { // don't have a normalizer, just use content as is
			normalized = at.Content
		}

		reStr = fmt.Sprintf("%v%v%v", firstB, regexp.QuoteMeta(normalized), lastB)

	} else {
		reStr = regexp.QuoteMeta(at.Content)
	}

	if at.LStrip && at.RStrip {
		reStr = fmt.Sprintf("(\\s)?%v(\\s)?", reStr)
	} else if at.LStrip {
		reStr = fmt.Sprintf("(\\s)?%v", reStr)
	} else if at.RStrip {
		reStr = fmt.Sprintf("%v(\\s)?", reStr)
	}

	return reStr
}

func isWordCharacter(r rune) bool {
	if unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || unicode.IsControl(r) || unicode.IsPunct(r) {
		return true
	}
	return false
}

// matchingSet finds added tokens in a text: leftmost-longest, as Hugging
// Face's Aho-Corasick matcher does (dpokit patch: upstream used a set of
// regexps whose matches it sorted twice, losing the order, and kept the
// lowest id on overlaps).
type matchingSet struct {
	byFirst     *[256][]int // first byte → indexes into tokens, longest first
	firsts      string      // the distinct first bytes
	asciiFirsts bool        // whether they are all ASCII
	tokens      []AddedToken
	ids         []int
	// For first bytes that start many tokens (Gemma has thousands of
	// "<unused…>"): their distinct lengths, longest first, and the tokens
	// by content, so that a match costs one lookup per length.
	lengths   *[256][]int
	byContent map[string]int
}

// manyTokens is the number of tokens sharing a first byte above which
// match looks tokens up by length instead of comparing each.
const manyTokens = 16

func newMatchingSet(tokens []AddedToken, ids []int) matchingSet {
	m := matchingSet{byFirst: new([256][]int), tokens: tokens, ids: ids}
	for i, t := range tokens {
		if t.Content == "" {
			continue
		}
		c := t.Content[0]
		if len(m.byFirst[c]) == 0 {
			m.firsts += string([]byte{c})
		}
		m.byFirst[c] = append(m.byFirst[c], i)
	}
	m.asciiFirsts = true
	for i := 0; i < len(m.firsts); i++ {
		if m.firsts[i] >= utf8.RuneSelf {
			m.asciiFirsts = false
		}
	}
	for c, list := range m.byFirst {
		sort.SliceStable(list, func(a, b int) bool { return len(tokens[list[a]].Content) > len(tokens[list[b]].Content) })
		if len(list) <= manyTokens {
			continue
		}
		if m.lengths == nil {
			m.lengths, m.byContent = new([256][]int), map[string]int{}
		}
		for _, k := range list {
			n := len(tokens[k].Content)
			if ls := m.lengths[c]; len(ls) == 0 || ls[len(ls)-1] != n {
				m.lengths[c] = append(ls, n)
			}
			if _, dup := m.byContent[tokens[k].Content]; !dup {
				m.byContent[tokens[k].Content] = k
			}
		}
	}
	return m
}

// next returns the index of the next byte at or after i that starts some token, or -1.
func (m matchingSet) next(s string, i int) int {
	var k int
	switch {
	case len(m.firsts) == 0:
		return -1
	case len(m.firsts) == 1:
		k = strings.IndexByte(s[i:], m.firsts[0])
	case m.asciiFirsts:
		k = strings.IndexAny(s[i:], m.firsts)
	default:
		for k = i; k < len(s); k++ {
			if m.byFirst[s[k]] != nil {
				return k
			}
		}
		return -1
	}
	if k < 0 {
		return -1
	}
	return i + k
}

// AddedVocabulary is a vocabulary built on top of the Model
//
// This provides a way to add new vocabulary to a Tokenizer that has already been trained,
// in a previous process, maybe by someone else. This is especially interesting in the case
// of fine-tunings, where we want to finetune a model while adding some new functionalities
// using some new special tokens, or maybe add some tokens in the case of unknown tokens, etc.
//
// One of the reasons we need to handle these tokens outside of the model is simply that
// for many models, it is not possible to add new tokens after the training process. For example,
// using BPE, the training process generates merges pairs along the vocabulary, and any token
// in the vocabulary can be decomposed in other tokens, down to the original alphabet. If we
// were to add new tokens after this training process, we couldn't make sure the merges pairs
// exist as required.
type AddedVocabulary struct {
	// Contains the mapping from String (token content) to ID. This map contains both special
	// tokens and classic added tokens that were added to the this vocabulary.
	addedTokenMap map[string]int
	// Contains the mapping from ID to AddedToken for all the added tokens, both special
	// and classic.
	addedTokenMapR map[int]string
	// Contains only the classic AddedToken, in the specific order the user gave them.
	addedTokens []AddedToken
	// Contains only the special AddedToken, in the specific order the user gave them.
	specialTokens []AddedToken
	// A map, containing all the special token for easy access while decoding. This let's
	// us remove them easily with an O(1) complexity.
	specialTokensSet map[string]bool
	// A struct containing all the non-normalized patterns used to split on AddedTokens
	splitRe matchingSet
	// A struct containing all the normalized patterns used to split on AddedTokens
	splitNormalizedRe matchingSet
}

func NewAddedVocabulary() (retVal AddedVocabulary) {
	return AddedVocabulary{
		addedTokenMap:     make(map[string]int, 0),
		addedTokenMapR:    make(map[int]string, 0),
		addedTokens:       []AddedToken{},
		specialTokens:     []AddedToken{},
		specialTokensSet:  make(map[string]bool, 0),
		splitRe:           matchingSet{},
		splitNormalizedRe: matchingSet{},
	}
}

// Len returns size of the additional vocabulary
func (av *AddedVocabulary) Len() int {
	return len(av.addedTokenMap)
}

// GetVocab gets the additional vocabulary
func (av *AddedVocabulary) GetVocab() (retVal map[string]int) {
	return av.addedTokenMap
}

// Get the id matching one of our token if it exists
func (av *AddedVocabulary) TokenToId(token string, model Model) (retVal int, ok bool) {

	retVal, ok = av.addedTokenMap[token]
	if !ok {
		return model.TokenToId(token)
	}

	return retVal, ok
}

// Get the token matching the given id if it exists
func (av *AddedVocabulary) IdToToken(id int, model Model) (retVal string, ok bool) {
	retVal, ok = av.addedTokenMapR[id]
	if !ok {
		return model.IdToToken(id)
	}

	return retVal, ok
}

// Check if a token is a special token
func (av *AddedVocabulary) IsSpecialToken(token string) bool {
	_, ok := av.specialTokensSet[token]

	return ok
}

// Add some special tokens to the vocabulary
// It returns number of added tokens
func (av *AddedVocabulary) AddSpecialTokens(tokens []AddedToken, model Model, normalizer normalizer.Normalizer) (retVal int) {

	for _, tok := range tokens {
		_, isExist := av.specialTokensSet[tok.Content]
		if tok.Content != "" && !isExist {
			av.specialTokens = append(av.specialTokens, tok)
			av.specialTokensSet[tok.Content] = true
		}
	}

	// Then we delegate to `add_tokens`, that will take care of refreshing added tokens too.
	return av.AddTokens(tokens, model, normalizer)
}

// Add some tokens to the vocabulary
// It returns number of added tokens
func (av *AddedVocabulary) AddTokens(tokens []AddedToken, model Model, normalizer normalizer.Normalizer) (retVal int) {

	ignored := 0
	for _, token := range tokens {
		if token.Content == "" {
			ignored++
			continue
		}

		var id int
		if i, ok := av.TokenToId(token.Content, model); ok {
			ignored++
			id = i
		} else {
			id = model.GetVocabSize() + len(av.addedTokenMap)
			av.addedTokenMap[token.Content] = id

			if _, ok := av.specialTokensSet[token.Content]; !ok {
				av.addedTokens = append(av.addedTokens, token)
			}
		}

		// Update the current revert operation
		av.addedTokenMapR[id] = token.Content
	}

	av.refreshAddedTokens(model, normalizer)

	// return the number of added tokens
	return len(tokens) - ignored
}

// AddTokensWithIDs adds the added tokens of tokenizer.json in file order, and
// gives them ids as Hugging Face's Rust library does when it loads the file
// (dpokit patch): a token already added keeps its id, a token of the model's
// vocabulary takes the model's id, and any other takes the next id after the
// largest added one (the model's vocabulary size for the first). The ids the
// file writes are not used; for files that Hugging Face wrote they agree. A
// token identical to one added before (content and options) is skipped.
func (av *AddedVocabulary) AddTokensWithIDs(tokens []AddedTokenWithId, model Model, n normalizer.Normalizer) {
	vocabSize := model.GetVocabSize()
	maxID := -1
	for _, id := range av.addedTokenMap {
		maxID = max(maxID, id)
	}
	type entry struct {
		tok     AddedToken
		special bool
	}
	byID := map[int]entry{}
	for _, t := range tokens {
		c := t.Token.Content
		if c == "" {
			continue
		}
		if t.Special && !av.specialTokensSet[c] {
			av.specialTokens = append(av.specialTokens, t.Token)
			av.specialTokensSet[c] = true
		}
		id, ok := av.addedTokenMap[c]
		if ok && byID[id] == (entry{t.Token, t.Special}) {
			continue
		}
		if !ok {
			id, ok = model.TokenToId(c)
		}
		if !ok {
			id = vocabSize
			if maxID >= vocabSize || vocabSize == 0 {
				id = maxID + 1
			}
		}
		maxID = max(maxID, id)
		av.addedTokenMap[c] = id
		// The id names the token's normalized form when it is matched
		// on normalized text, as in Hugging Face (decoding uses it).
		av.addedTokenMapR[id] = normalizedContent(t.Token, n)
		byID[id] = entry{t.Token, t.Special}
		if !av.specialTokensSet[c] {
			av.addedTokens = append(av.addedTokens, t.Token)
		}
	}
	av.refreshAddedTokens(model, n)
}

// normalizedContent is the content of tok, normalized by n when tok.Normalized.
func normalizedContent(tok AddedToken, n normalizer.Normalizer) string {
	if !tok.Normalized || n == nil {
		return tok.Content
	}
	ns, err := n.Normalize(normalizer.NewNormalizedFrom(tok.Content))
	if err != nil || ns == nil {
		return tok.Content
	}
	return ns.GetNormalized()
}

type tokenId struct {
	token AddedToken
	id    int
}

// refreshAddedTokens reconstructs our internal RegexSet when new tokens are added to the vocabulary.
//
// NOTE. We keep two different regular expression sets, one that will take care of matching against the
// non-normalized string, and one matching against the normalized one.
func (av *AddedVocabulary) refreshAddedTokens(model Model, n normalizer.Normalizer) {
	var normTokens, rawTokens []AddedToken
	var normIds, rawIds []int
	tokens := append(append([]AddedToken(nil), av.specialTokens...), av.addedTokens...)
	for _, token := range tokens {
		id, ok := av.TokenToId(token.Content, model)
		if !ok {
			log.Fatalf("Missing additional token.\n")
		}
		if token.Normalized {
			// Match the normalized form of the token on normalized text.
			t := token
			t.Content = normalizedContent(token, n)
			normTokens = append(normTokens, t)
			normIds = append(normIds, id)
		} else {
			rawTokens = append(rawTokens, token)
			rawIds = append(rawIds, id)
		}
	}
	av.splitNormalizedRe = newMatchingSet(normTokens, normIds)
	av.splitRe = newMatchingSet(rawTokens, rawIds)
}

type idOffsets struct {
	id      int // optional - None value = -1
	offsets []int
}

// helper functions to sort idOffsets
// By implement sort interface of package sort

// byStart sort by offset.Start
type byStart []idOffsets

func (s byStart) Len() int           { return len(s) }
func (s byStart) Less(i, j int) bool { return s[i].offsets[0] < s[j].offsets[0] }
func (s byStart) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

// byId sort by id
type byId []idOffsets

func (bi byId) Len() int           { return len(bi) }
func (bi byId) Less(i, j int) bool { return bi[i].id < bi[j].id }
func (bi byId) Swap(i, j int)      { bi[i], bi[j] = bi[j], bi[i] }

// findMatches finds any AddedToken in the given sentence, using the provided MatchingSet.
// This method returns a list "splits", each of them being a pair of Offsets
// and an optional ID if it is an AddedToken. The list of splits cover the entire input string.
//
// dpokit patch: leftmost-longest matches; a token with lstrip/rstrip takes in
// the whitespace before/after it, as in Hugging Face.
func (av *AddedVocabulary) findMatches(sentence string, splitRe matchingSet) (retVal []idOffsets) {
	if len(sentence) == 0 {
		return []idOffsets{{-1, []int{0, 0}}}
	}
	if len(splitRe.tokens) == 0 {
		return []idOffsets{{-1, []int{0, len(sentence)}}}
	}
	var splits []idOffsets
	startOffset := 0
	for i := 0; i < len(sentence); {
		if i = splitRe.next(sentence, i); i < 0 {
			break
		}
		k := splitRe.match(sentence, i)
		if k < 0 {
			i++
			continue
		}
		tok := splitRe.tokens[k]
		start, stop := i, i+len(tok.Content)
		if tok.SingleWord && !isSingleWord(sentence, start, stop) {
			// Not a word of its own: skip the match, as Hugging Face's
			// non-overlapping match iteration does.
			i = stop
			continue
		}
		if tok.LStrip {
			for start > startOffset {
				r, n := utf8.DecodeLastRuneInString(sentence[:start])
				if !IsAddedTokenSpace(r) {
					break
				}
				start -= n
			}
		}
		if tok.RStrip {
			for stop < len(sentence) {
				r, n := utf8.DecodeRuneInString(sentence[stop:])
				if !IsAddedTokenSpace(r) {
					break
				}
				stop += n
			}
		}
		if start > startOffset {
			splits = append(splits, idOffsets{-1, []int{startOffset, start}})
		}
		splits = append(splits, idOffsets{splitRe.ids[k], []int{start, stop}})
		startOffset = stop
		i = stop
	}
	if startOffset < len(sentence) {
		splits = append(splits, idOffsets{-1, []int{startOffset, len(sentence)}})
	}
	return splits
}

// match returns the index of the longest token that starts at s[i], or -1.
func (m matchingSet) match(s string, i int) int {
	if m.lengths != nil && m.lengths[s[i]] != nil {
		for _, n := range m.lengths[s[i]] {
			if len(s)-i >= n {
				if k, ok := m.byContent[s[i:i+n]]; ok {
					return k
				}
			}
		}
		return -1
	}
	for _, k := range m.byFirst[s[i]] {
		c := m.tokens[k].Content
		if len(s)-i >= len(c) && s[i:i+len(c)] == c {
			return k
		}
	}
	return -1
}

// isSingleWord reports whether s[start:stop] has no word character (\w)
// right before or after it.
func isSingleWord(s string, start, stop int) bool {
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(s[:start]); isWordChar(r) {
			return false
		}
	}
	if stop < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[stop:]); isWordChar(r) {
			return false
		}
	}
	return true
}

// isWordChar is Unicode \w: Alphabetic, marks, decimal digits, connector
// punctuation and the joiners.
func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Nl, r) ||
		unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Other_Alphabetic, r) || r == 0x200c || r == 0x200d
}

// IsAddedTokenSpace is the whitespace that lstrip and rstrip remove: Rust's
// char::is_whitespace, the Unicode White_Space property (U+0085 included,
// U+FEFF not), as unicode.IsSpace is.
func IsAddedTokenSpace(r rune) bool {
	return unicode.IsSpace(r)
}

// FindAddedTokens splits s on the added tokens that match unnormalized text
// (normalized = false): the returned splits cover s, with id -1 for text
// between tokens (dpokit patch, used by Tokenizer.EncodeIDs).
func (av *AddedVocabulary) FindAddedTokens(s string) []AddedSplit {
	return toAddedSplits(av.findMatches(s, av.splitRe))
}

// FindNormalizedAddedTokens is FindAddedTokens for the tokens matched on normalized text.
func (av *AddedVocabulary) FindNormalizedAddedTokens(s string) []AddedSplit {
	return toAddedSplits(av.findMatches(s, av.splitNormalizedRe))
}

// HasNormalizedAddedTokens reports whether some added tokens match on normalized text.
func (av *AddedVocabulary) HasNormalizedAddedTokens() bool {
	return len(av.splitNormalizedRe.tokens) > 0
}

// AddedSplit is a piece of text: an added token (ID ≥ 0) or text between them (ID = -1).
type AddedSplit struct {
	Start, End int
	ID         int
}

func toAddedSplits(m []idOffsets) []AddedSplit {
	out := make([]AddedSplit, len(m))
	for i, x := range m {
		out[i] = AddedSplit{Start: x.offsets[0], End: x.offsets[1], ID: x.id}
	}
	return out
}

type SplitIdx struct {
	Normalized *normalizer.NormalizedString
	Tokens     []Token
}

// splitWithIndices splits the input sentence to extract anything found from the `MatchingSet`, as well as
// the list of corresponding IDs.
//
// NOTE.The list of IDs have the exact same number of elements as the Iterator.
func (av *AddedVocabulary) splitWithIndices(sentence *normalizer.NormalizedString, splitRe matchingSet) []SplitIdx {

	ioPairs := av.findMatches(sentence.GetNormalized(), splitRe)

	var splits []SplitIdx

	for _, p := range ioPairs {
		slice := sentence.Slice(normalizer.NewRange(p.offsets[0], p.offsets[1], normalizer.NormalizedTarget))
		if p.id == -1 {
			splits = append(splits, SplitIdx{slice, nil})
		} else {
			value := slice.GetNormalized()
			length := len(value)
			split := SplitIdx{slice, []Token{NewToken(p.id, value, []int{0, length})}}
			splits = append(splits, split)
		}
	}

	return splits
}

// ExtractAndNormalize extracts the additional vocabulary from the given sentence, normalizing it along the way.
//
// Some tokens should match against their normalized representation, as well as the
// non-normalized one. For example, when we expect to extract the token `yesterday` in the
// input sentence `I read a book Yesterday`, if the normalizer is supposed to lowercase
// everything, we expect a match.
func (av *AddedVocabulary) ExtractAndNormalize(sequence string, n normalizer.Normalizer) *PreTokenizedString {

	pretokenized := NewPreTokenizedString(sequence)

	// 1. Extract all non-normalized tokens from the non-normalized string
	pretok1 := pretokenized.Split(func(idx int, seq *normalizer.NormalizedString) []SplitIdx {
		return av.splitWithIndices(seq, av.splitRe)
	})

	// 2. Extract the normalized tokens from the normalized pieces of the string
	pretok2 := pretok1.Split(func(i int, seq *normalizer.NormalizedString) []SplitIdx {
		newSeq := seq
		var err error
		if n != nil {
			newSeq, err = n.Normalize(seq)
			if err != nil {
				log.Fatal(err)
			}
		}
		return av.splitWithIndices(newSeq, av.splitNormalizedRe)
	})

	return pretok2
}

type AddedTokenWithId struct {
	Id      int        // Id assigned to this token
	Special bool       // whether this is a special token
	Token   AddedToken // the target AddedToken
}

// Implement Serialize interface for AddedVocabular:
// =================================================

// Serialize implements Serialize interface for AddedVocabular
// TODO. implement it
// func(av AddedVocabulary) Serialize(s Serializer)(retVal ...)
