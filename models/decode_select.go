package models

import "fmt"

// Select keeps rows src[0], src[1], … of the batch, in that order: row i
// afterwards is row src[i] before. Indices may repeat (to share a prompt's
// prefill between several samples) or be left out (to drop finished rows,
// which then cost no more work). Leading cache columns that are padding in
// every kept row are trimmed. When src is strictly increasing the cache is
// compacted in place; otherwise it is gathered into the spare buffer.
func (d *Decoding) Select(src []int) error {
	if len(src) == 0 {
		return fmt.Errorf("select: no rows to keep")
	}
	increasing := true
	for i, r := range src {
		if r < 0 || r >= d.rows {
			return fmt.Errorf("select: row %d outside 0..%d", r, d.rows-1)
		}
		if i > 0 && r <= src[i-1] {
			increasing = false
		}
	}
	n, P, n2 := d.rows, d.past, len(src)
	// Columns that are padding in every kept row.
	trim := P
	for _, r := range src {
		k := 0
		for k < trim && d.mask[r*P+k] == 0 {
			k++
		}
		trim = k
	}
	P2 := P - trim
	blk := d.dim // floats per (row, head, position)
	for k := range d.kv {
		b := &d.kv[k]
		dst := b.cur
		if !increasing {
			if need := d.kvSize(n2, P2); len(b.out) < need {
				b.out = make([]float32, d.kvSize(n2, P2+max(d.spare, 16, P2/2)))
			}
			dst = b.out
		}
		for h := range d.halves {
			for i, r := range src {
				for hd := range d.head {
					from := (((h*n+r)*d.head+hd)*P + trim) * blk
					to := ((h*n2+i)*d.head + hd) * P2 * blk
					copy(dst[to:to+P2*blk], b.cur[from:from+P2*blk])
				}
			}
		}
		if !increasing {
			b.cur, b.out = b.out, b.cur
		}
	}
	V := d.m.Sig.Vocab
	mask := make([]int64, n2*P2)
	next := make([]int64, n2)
	logits := d.logits
	if !increasing {
		logits = make([]float32, n2*V)
	}
	for i, r := range src {
		copy(mask[i*P2:], d.mask[r*P+trim:(r+1)*P])
		next[i] = d.next[r]
		copy(logits[i*V:(i+1)*V], d.logits[r*V:(r+1)*V])
	}
	d.rows, d.past, d.mask, d.next, d.logits = n2, P2, mask, next, logits
	return nil
}
