package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/internal/launcher"
	"github.com/dpokit/dpokit/results"
)

// shardFlags are the flags of the commands that run as shards of an array
// job (score, sample, bestofn).
func shardFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "shard", Usage: "run one shard of an array job: `auto|i/n`; auto reads the index and count from the launcher (" +
			strings.Join(launcher.Variables(), "; ") + "). The shard writes its part beside each output " +
			"(OUT-shard-IIIII-of-NNNNN.EXT) and a done marker; a rerun skips a finished shard and resumes a killed one; " +
			"the command's merge joins the parts"},
		&cli.IntFlag{Name: "shards", Usage: "shard `count` for --shard auto where the launcher sets none (Kubernetes Indexed Jobs); DPOKIT_SHARDS when not given"},
	}
}

// shardOption reads --shard and --shards (DPOKIT_SHARDS when --shards is
// not given); the launcher's variables are read from the environment.
func shardOption(c *cli.Context) (results.Shard, error) {
	spec := c.String("shard")
	count := c.Int("shards")
	if c.IsSet("shards") && count < 1 {
		return results.Shard{}, usagef("--shards %d: want a positive number", count)
	}
	if spec != "auto" {
		if c.IsSet("shards") {
			return results.Shard{}, usagef("--shards goes with --shard auto")
		}
		s, err := results.ParseShard(spec)
		if err != nil {
			return s, usagef("--%v", err)
		}
		return s, nil
	}
	if !c.IsSet("shards") {
		if v, ok := os.LookupEnv("DPOKIT_SHARDS"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return results.Shard{}, usagef("DPOKIT_SHARDS=%q: want a positive integer", v)
			}
			count = n
		}
	}
	sh, err := launcher.Detect(os.LookupEnv, count)
	if err != nil {
		return results.Shard{}, &UsageError{Err: err}
	}
	slog.Info("shard from the launcher", "shard", fmt.Sprintf("%d/%d", sh.Index, sh.Count), "from", sh.Source)
	return results.Shard{I: sh.Index, N: sh.Count}, nil
}
