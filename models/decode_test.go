package models

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestDecodingMatchesPyTorch prefills the reference prompts (different
// lengths, one left-padded batch), then feeds each response one token per
// step, checking every next-token log-prob against PyTorch's (1e-4). On the
// way it duplicates and reorders rows, and drops rows whose response is
// done, so Select's gather, in-place compaction and column trimming are all
// held to the same numbers. The chunked case forces the prefill into passes
// of two columns.
func TestDecodingMatchesPyTorch(t *testing.T) {
	const tol = 1e-4
	for _, chunked := range []bool{false, true} {
		for model, cases := range loadRefs(t) {
			if chunked && model != "gpt2-ref" && model != "llama-ref" {
				continue
			}
			t.Run(fmt.Sprintf("%s/chunked=%v", model, chunked), func(t *testing.T) {
				m := openModel(t, model)
				if chunked {
					old := prefillLogitsBudget
					prefillLogitsBudget = 2 * len(cases) * m.Sig.Vocab
					defer func() { prefillLogitsBudget = old }()
				}
				var prompts [][]int
				for _, c := range cases {
					prompts = append(prompts, c.Prompt)
				}
				d, err := m.StartDecoding(prompts)
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				// Rows: every case twice, the copies in reverse order.
				var src []int
				for i := range cases {
					src = append(src, i, len(cases)-1-i)
				}
				if err := d.Select(src); err != nil {
					t.Fatal(err)
				}
				rowCase := slices.Clone(src)
				checked := 0
				for step := 0; len(rowCase) > 0; step++ {
					var keep, toks []int
					for i, ci := range rowCase {
						c := cases[ci]
						got := LogSoftmaxAt(d.Logits(i), c.Response[step])
						if want := c.TokenLogps[step]; math.Abs(got-want) > tol {
							t.Fatalf("%s step %d (row %d): logp %.6f, PyTorch %.6f", c.Name, step, i, got, want)
						}
						if d.Position(i) != len(c.Prompt)+step {
							t.Fatalf("%s step %d: position %d, want %d", c.Name, step, d.Position(i), len(c.Prompt)+step)
						}
						checked++
						if step+1 < len(c.Response) {
							keep = append(keep, i)
							toks = append(toks, c.Response[step])
						}
					}
					if len(keep) == 0 {
						break
					}
					if len(keep) < len(rowCase) {
						if err := d.Select(keep); err != nil {
							t.Fatal(err)
						}
						next := make([]int, len(keep))
						for j, i := range keep {
							next[j] = rowCase[i]
						}
						rowCase = next
					}
					if err := d.Step(toks); err != nil {
						t.Fatal(err)
					}
				}
				want := 0
				for _, c := range cases {
					want += 2 * len(c.Response)
				}
				if checked != want {
					t.Fatalf("checked %d token log-probs, want %d", checked, want)
				}
			})
		}
	}
}

// TestDecodingErrors covers the inputs StartDecoding and Step refuse.
func TestDecodingErrors(t *testing.T) {
	m := openModel(t, "llama-ref")
	if _, err := m.StartDecoding([][]int{{1, 2}, {}}); err == nil {
		t.Error("empty prompt: no error")
	}
	if _, err := m.StartDecoding(nil); err == nil {
		t.Error("no prompts: no error")
	}
	if _, err := m.StartDecoding([][]int{{1, m.Sig.Vocab}}); err == nil {
		t.Error("token outside vocab: no error")
	}
	d, err := m.StartDecoding([][]int{{1, 2}, {3}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Step([]int{1}); err == nil {
		t.Error("one token for two rows: no error")
	}
	if err := d.Select([]int{2}); err == nil {
		t.Error("select of a missing row: no error")
	}
}

// TestSelectLayout checks Select's copies against a naive gather on
// synthetic caches of both layouts (the stacked one has no ONNX fixture).
func TestSelectLayout(t *testing.T) {
	const V, heads, dim = 3, 2, 2
	for _, halves := range []int{1, 2} {
		for _, src := range [][]int{{0, 1, 2, 3}, {1, 3}, {2}, {3, 3, 0}, {1, 0}, {0, 0, 0, 0, 0}} {
			t.Run(fmt.Sprintf("halves%d/%v", halves, src), func(t *testing.T) {
				n, P := 4, 5
				// Rows 1 and 3 start with two padding columns, row 2 with one.
				lead := []int{0, 2, 1, 2}
				d := &Decoding{m: &Model{Sig: Signature{Vocab: V}}, rows: n, past: P, halves: halves, head: heads, dim: dim,
					mask: make([]int64, n*P), next: make([]int64, n), logits: make([]float32, n*V)}
				val := func(h, r, hd, p, x int) float32 { return float32(((h*10+r)*10+hd)*100 + p*10 + x) }
				buf := make([]float32, d.kvSize(n, P))
				at := 0
				for h := range halves {
					for r := range n {
						for hd := range heads {
							for p := range P {
								for x := range dim {
									buf[at] = val(h, r, hd, p, x)
									at++
								}
							}
						}
					}
				}
				for r := range n {
					for p := lead[r]; p < P; p++ {
						d.mask[r*P+p] = 1
					}
					d.next[r] = int64(100 + r)
					for v := range V {
						d.logits[r*V+v] = float32(r*V + v)
					}
				}
				d.kv = []kvBuf{{cur: buf}}
				if err := d.Select(src); err != nil {
					t.Fatal(err)
				}
				trim := P
				for _, r := range src {
					trim = min(trim, lead[r])
				}
				P2 := P - trim
				if d.rows != len(src) || d.past != P2 {
					t.Fatalf("rows %d past %d, want %d %d", d.rows, d.past, len(src), P2)
				}
				got := d.kv[0].cur
				at = 0
				for h := range halves {
					for i, r := range src {
						for hd := range heads {
							for p := range P2 {
								for x := range dim {
									if w := val(h, r, hd, p+trim, x); got[at] != w {
										t.Fatalf("half %d row %d head %d pos %d: %v, want %v", h, i, hd, p, got[at], w)
									}
									at++
								}
							}
						}
					}
				}
				for i, r := range src {
					for p := range P2 {
						want := int64(0)
						if p+trim >= lead[r] {
							want = 1
						}
						if d.mask[i*P2+p] != want {
							t.Fatalf("row %d mask[%d] = %d, want %d", i, p, d.mask[i*P2+p], want)
						}
					}
					if d.Position(i) != 100+r || d.Logits(i)[1] != float32(r*V+1) {
						t.Fatalf("row %d: position %d logits %v, from row %d", i, d.Position(i), d.Logits(i), r)
					}
				}
			})
		}
	}
}
