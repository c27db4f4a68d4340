package train

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
)

func rewardObjective(cfg Config, v *batchValues) (*graph.Node, []metric) { panic("todo") }
func (t *Trainer) rewardScores(ctx *mlctx.Context, in []*graph.Node, seg *graph.Node) *graph.Node {
	panic("todo")
}
