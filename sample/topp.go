package sample

// topP is TopPLogitsWarper: in increasing probability, drop the tokens
// whose cumulative probability (their own included) is at most 1-p; the
// most likely token always stays. Ties sort the higher id first, so the
// lower id is kept.
//
// Equivalently a token stays when the tokens above it (in decreasing
// order, lower id first on ties) weigh less than p of the mass, so the
// kept set is popped from a max-heap: O(n + kept·log n) instead of a sort.
func (s *Sampler) topP(p float64) {
	total := 0.0
	for _, c := range s.cand {
		total += c.w
	}
	h := s.order[:0]
	for i := range s.cand {
		h = append(h, i)
	}
	s.order = h
	above := func(a, b int) bool { // a pops before b
		ca, cb := s.cand[a], s.cand[b]
		return ca.w > cb.w || ca.w == cb.w && ca.id < cb.id
	}
	down := func(i, n int) {
		for {
			l := 2*i + 1
			if l >= n {
				return
			}
			if r := l + 1; r < n && above(h[r], h[l]) {
				l = r
			}
			if !above(h[l], h[i]) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	n := len(h)
	for i := n/2 - 1; i >= 0; i-- {
		down(i, n)
	}
	// Pop the kept tokens to the end of h; what stays in h[:n] is dropped.
	sum := 0.0
	for n > 0 && (n == len(h) || sum < p*total) {
		top := h[0]
		sum += s.cand[top].w
		n--
		h[0], h[n] = h[n], h[0]
		down(0, n)
	}
	for _, i := range h[:n] {
		s.cand[i].w = 0
	}
}
