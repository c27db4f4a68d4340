package train

import (
	"math"
	"strings"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// More losses of TRL's DPOTrainer (v1.9), each from its paper. With
// u_w = log π(y_w|x) − log π_ref(y_w|x), u_l the same for y_l, s_w and s_l
// their f-divergence scores (s = u under the default reverse KL) and
// Δ = s_w − s_l:
const (
	// ExoPair is EXO's pairwise loss (EXO paper, Eq. 16), the KL from
	// q = σ(±βΔ) to the smoothed labels (1−ε, ε):
	// q_w·(log q_w − log(1−ε)) + q_l·(log q_l − log ε).
	ExoPair Loss = "exo_pair"
	// NCAPair is NCA's: −log σ(βs_w) − ½·log σ(−βs_w) − ½·log σ(−βs_l).
	NCAPair Loss = "nca_pair"
	// BCOPair is BCO's binary classifier, chosen → 1 and rejected → 0, with
	// TRL v1.9's reward shift δ = 0: −log σ(βs_w) − log σ(−βs_l).
	BCOPair Loss = "bco_pair"
	// SPPOHard is SPPO with hard labels: (s_w − 1/(2β))² + (s_l + 1/(2β))².
	SPPOHard Loss = "sppo_hard"
	// AOT is AOT's paired loss: the sigmoid loss (with label smoothing) on
	// sort(log π_w − log π_l) − sort(log π_ref,w − log π_ref,l), sorted over
	// the micro-batch.
	AOT Loss = "aot"
	// AOTUnpaired is AOT's unpaired loss: the sigmoid loss on
	// sort(u_w) − sort(u_l).
	AOTUnpaired Loss = "aot_unpaired"
	// APOZero is APO-zero: 1 − σ(βu_w) + σ(βu_l).
	APOZero Loss = "apo_zero"
	// APODown is APO-down: σ(βu_w) + 1 − σ(βΔ).
	APODown Loss = "apo_down"
	// DiscoPOP is the log-ratio modulated loss: with x = βΔ and
	// m = σ(x/τ), (1 − m)·(−log σ(x)) + m·e^(−x).
	DiscoPOP Loss = "discopop"
	// SigmoidNorm is DPO on length-normalised log-ratios:
	// −log σ(β(s_w/|y_w| − s_l/|y_l|)).
	SigmoidNorm Loss = "sigmoid_norm"
	// SimPOLoss is the CPO objective's SimPO loss: the sigmoid loss on
	// β(avg log π(y_w) − avg log π(y_l)) − γ.
	SimPOLoss Loss = "simpo"
)

// Losses lists the losses of the DPO objective, in TRL's order.
var Losses = []Loss{Sigmoid, Hinge, IPO, ExoPair, NCAPair, Robust, BCOPair, SPPOHard, AOT, AOTUnpaired,
	APOZero, APODown, DiscoPOP, SFT, SigmoidNorm}

func (l Loss) valid() bool {
	for _, x := range Losses {
		if l == x {
			return true
		}
	}
	return false
}

func lossNames() string {
	s := make([]string, len(Losses))
	for i, l := range Losses {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}

// pairSides are a micro-batch's per-pair quantities that the DPO losses
// are written in, each [P].
type pairSides struct {
	uw, ul   *graph.Node // log-ratios log π − log π_ref (LD-weighted)
	sw, sl   *graph.Node // their f-divergence scores
	pw, pl   *graph.Node // policy log-probs (LD-weighted)
	rw, rl   *graph.Node // reference log-probs
	nw, nl   *graph.Node // response tokens, at least 1
	pairs    *graph.Node
	beta, ls float64 // β and the label smoothing ε
	tau      float64 // discopop τ
}

// dpoObjective is the weighted sum of the configured losses, each a mean
// over the real pairs (times the WPO weights under UseWeighting), with
// TRL's metrics.
func dpoObjective(cfg Config, v *batchValues) (*graph.Node, []metric) {
	s := &pairSides{
		pw: v.chosen(v.logp), pl: v.rejected(v.logp), rw: v.chosen(v.ref), rl: v.rejected(v.ref),
		nw: graph.MaxScalar(v.chosen(v.tokens), 1), nl: graph.MaxScalar(v.rejected(v.tokens), 1),
		pairs: v.pairs, beta: cfg.Beta, ls: cfg.LabelSmoothing, tau: cfg.DiscopopTau,
	}
	s.uw, s.ul = graph.Sub(s.pw, s.rw), graph.Sub(s.pl, s.rl)
	s.sw, s.sl = fScore(cfg, s.uw), fScore(cfg, s.ul)
	var wpo *graph.Node
	if cfg.UseWeighting {
		// WPO: w(x, y) = exp(mean over y's tokens of log p(y_t) − log Σ_v p(v)²).
		wpo = graph.Mul(graph.Exp(graph.Div(v.chosen(v.wpo), s.nw)), graph.Exp(graph.Div(v.rejected(v.wpo), s.nl)))
	}
	var loss *graph.Node
	for i, term := range cfg.Loss.terms() {
		var l *graph.Node
		if term == SFT {
			// The mean NLL of the micro-batch's chosen tokens, one figure for
			// every pair.
			l = graph.Neg(ratio(sum(v.chosen(v.rawLogp)), sum(v.chosen(v.tokens))))
			if wpo != nil {
				l = graph.Mul(l, v.mean(wpo))
			}
		} else {
			per := s.loss(term)
			if wpo != nil {
				per = graph.Mul(per, wpo)
			}
			l = v.mean(per)
		}
		l = graph.MulScalar(l, cfg.weight(i))
		if loss == nil {
			loss = l
		} else {
			loss = graph.Add(loss, l)
		}
	}
	ms := []metric{{name: "loss", value: loss}}
	ms = append(ms, rewardMetrics(v, graph.MulScalar(s.uw, cfg.Beta), graph.MulScalar(s.ul, cfg.Beta))...)
	ms = append(ms, metric{name: "logps/chosen", value: v.mean(s.pw)}, metric{name: "logps/rejected", value: v.mean(s.pl)})
	return loss, append(ms, tokenMetrics(v)...)
}

// fScore is f′(π/π_ref) of a log-ratio u, constants dropped.
func fScore(cfg Config, u *graph.Node) *graph.Node {
	switch cfg.FDivergence {
	case ForwardKL:
		return graph.Neg(graph.Exp(graph.Neg(u)))
	case JSDivergence:
		return logSigmoid(u)
	case AlphaDivergence:
		a := cfg.FAlphaCoef
		if math.Abs(a-1) < 1e-6 {
			return u
		}
		return graph.DivScalar(graph.Exp(graph.MinScalar(graph.MulScalar(u, a-1), 80)), a-1)
	}
	return u
}

// smoothedSigmoid is −(1−ε)·log σ(x) − ε·log σ(−x).
func smoothedSigmoid(x *graph.Node, eps float64) *graph.Node {
	return graph.Sub(graph.MulScalar(logSigmoid(x), -(1-eps)), graph.MulScalar(logSigmoid(graph.Neg(x)), eps))
}

// loss returns one DPO loss per pair, [P].
func (s *pairSides) loss(l Loss) *graph.Node {
	b := s.beta
	delta := graph.Sub(s.sw, s.sl)
	bd := graph.MulScalar(delta, b)
	switch l {
	case Sigmoid:
		return smoothedSigmoid(bd, s.ls)
	case Hinge:
		return graph.MaxScalar(graph.OneMinus(bd), 0)
	case IPO:
		d := graph.Sub(graph.Div(s.sw, s.nw), graph.Div(s.sl, s.nl))
		return graph.Square(graph.AddScalar(d, -1/(2*b)))
	case ExoPair:
		qw, ql := graph.Sigmoid(bd), graph.Sigmoid(graph.Neg(bd))
		lw := graph.AddScalar(logSigmoid(bd), -math.Log1p(-s.ls))
		ll := graph.AddScalar(logSigmoid(graph.Neg(bd)), -math.Log(s.ls))
		return graph.Add(graph.Mul(qw, lw), graph.Mul(ql, ll))
	case NCAPair:
		cw, cl := graph.MulScalar(s.sw, b), graph.MulScalar(s.sl, b)
		return graph.Neg(graph.Add(logSigmoid(cw), graph.MulScalar(graph.Add(logSigmoid(graph.Neg(cw)), logSigmoid(graph.Neg(cl))), 0.5)))
	case Robust:
		return graph.DivScalar(graph.Add(graph.MulScalar(logSigmoid(bd), -(1-s.ls)), graph.MulScalar(logSigmoid(graph.Neg(bd)), s.ls)), 1-2*s.ls)
	case BCOPair:
		return graph.Neg(graph.Add(logSigmoid(graph.MulScalar(s.sw, b)), logSigmoid(graph.MulScalar(s.sl, -b))))
	case SPPOHard:
		return graph.Add(graph.Square(graph.AddScalar(s.sw, -0.5/b)), graph.Square(graph.AddScalar(s.sl, 0.5/b)))
	case AOT:
		d := graph.Sub(sortReal(graph.Sub(s.pw, s.pl), s.pairs), sortReal(graph.Sub(s.rw, s.rl), s.pairs))
		return smoothedSigmoid(graph.MulScalar(d, b), s.ls)
	case AOTUnpaired:
		d := graph.Sub(sortReal(s.uw, s.pairs), sortReal(s.ul, s.pairs))
		return smoothedSigmoid(graph.MulScalar(d, b), s.ls)
	case APOZero:
		return graph.Add(graph.OneMinus(graph.Sigmoid(graph.MulScalar(s.uw, b))), graph.Sigmoid(graph.MulScalar(s.ul, b)))
	case APODown:
		return graph.Add(graph.Sigmoid(graph.MulScalar(s.uw, b)), graph.OneMinus(graph.Sigmoid(bd)))
	case DiscoPOP:
		m := graph.Sigmoid(graph.DivScalar(bd, s.tau))
		return graph.Add(graph.Mul(graph.Neg(logSigmoid(bd)), graph.OneMinus(m)), graph.Mul(graph.Exp(graph.Neg(bd)), m))
	case SigmoidNorm:
		d := graph.Sub(graph.Div(s.sw, s.nw), graph.Div(s.sl, s.nl))
		return graph.Neg(logSigmoid(graph.MulScalar(d, b)))
	}
	panic("unknown loss " + string(l))
}

// sortReal sorts x [P] ascending over the real pairs (which come first),
// leaving the padding slots last; the gradient flows back through the
// permutation, as a sort's does.
func sortReal(x, pairs *graph.Node) *graph.Node {
	g := x.Graph()
	P := x.Shape().Dim(0)
	big := graph.BroadcastToShape(graph.Scalar(g, x.DType(), math.MaxFloat32), x.Shape())
	key := graph.StopGradient(graph.Where(graph.GreaterThan(pairs, graph.ZerosLike(pairs)), x, big))
	ki, kj := graph.Reshape(key, P, 1), graph.Reshape(key, 1, P)
	i := graph.Iota(g, shapes.Make(x.DType(), P, P), 0)
	j := graph.Iota(g, shapes.Make(x.DType(), P, P), 1)
	// rank of x_i: how many x_j are smaller, ties broken by index.
	before := graph.LogicalOr(graph.LessThan(kj, ki), graph.LogicalAnd(graph.Equal(kj, ki), graph.LessThan(j, i)))
	rank := graph.ReduceSum(graph.ConvertDType(before, x.DType()), 1) // [P]
	// perm[r, i] = 1 where x_i has rank r.
	perm := graph.ConvertDType(graph.Equal(i, graph.BroadcastToDims(graph.Reshape(rank, 1, P), P, P)), x.DType())
	return graph.DotGeneral(perm, []int{1}, nil, x, []int{0}, nil)
}

// LDWeighted is LD-DPO's log-prob of a response from its full sum and the
// sum over its first min(|y_w|, |y_l|) tokens: shared + α·(full − shared).
// Reference log-probs are weighted the same way as the policy's.
func LDWeighted(full, shared, alpha float64) float64 { return shared + alpha*(full-shared) }
