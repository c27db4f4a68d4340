package train

import (
	"github.com/gomlx/gomlx/core/graph"
	mlctx "github.com/gomlx/gomlx/ml/model"
)

func rewardObjective(cfg Config, v *batchValues) (*graph.Node, []metric) { panic("todo") }
func (t *Trainer) rewardScores(ctx *mlctx.Scope, in []*graph.Node, seg *graph.Node) *graph.Node {
	panic("todo")
}
