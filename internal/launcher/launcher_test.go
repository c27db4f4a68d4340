package launcher

import (
	"strings"
	"testing"
)

func env(kv ...string) Lookup {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDetect(t *testing.T) {
	cases := []struct {
		name         string
		env          Lookup
		shards       int
		index, count int
		err          string
	}{
		{"slurm 0-3", env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_STEP", "1"), 0, 2, 4, ""},
		{"slurm 1-4", env("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_STEP", "1"), 0, 0, 4, ""},
		{"slurm 0-6:2", env("SLURM_ARRAY_TASK_ID", "6", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_STEP", "2"), 0, 3, 4, ""},
		{"slurm off grid", env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_STEP", "2"), 0, 0, 0, "not on the array's grid"},
		{"slurm without count", env("SLURM_ARRAY_TASK_ID", "0"), 0, 0, 0, "SLURM_ARRAY_TASK_COUNT is not"},
		{"slurm --shards agrees", env("SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_COUNT", "2"), 2, 0, 2, ""},
		{"slurm --shards disagrees", env("SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_COUNT", "2"), 3, 0, 0, "--shards 3 disagrees"},
		{"kubernetes with --shards", env("JOB_COMPLETION_INDEX", "3"), 4, 3, 4, ""},
		{"kubernetes without count", env("JOB_COMPLETION_INDEX", "3"), 0, 0, 0, "--shards N or DPOKIT_SHARDS"},
		{"kubernetes index past count", env("JOB_COMPLETION_INDEX", "4"), 4, 0, 0, "outside a count of 4"},
		{"aws", env("AWS_BATCH_JOB_ARRAY_INDEX", "1", "AWS_BATCH_JOB_ARRAY_SIZE", "3"), 0, 1, 3, ""},
		{"aws without size", env("AWS_BATCH_JOB_ARRAY_INDEX", "1"), 0, 0, 0, "AWS_BATCH_JOB_ARRAY_SIZE is not"},
		{"google batch", env("BATCH_TASK_INDEX", "0", "BATCH_TASK_COUNT", "5"), 0, 0, 5, ""},
		{"cloud run", env("CLOUD_RUN_TASK_INDEX", "4", "CLOUD_RUN_TASK_COUNT", "5"), 0, 4, 5, ""},
		{"torchrun", env("RANK", "1", "WORLD_SIZE", "2"), 0, 1, 2, ""},
		{"slurm wins over torchrun", env("RANK", "1", "WORLD_SIZE", "2", "SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_COUNT", "3"), 0, 0, 3, ""},
		{"not a number", env("RANK", "x", "WORLD_SIZE", "2"), 0, 0, 0, `RANK="x"`},
		{"negative", env("RANK", "-1", "WORLD_SIZE", "2"), 0, 0, 0, "want an integer ≥ 0"},
		{"zero count", env("RANK", "0", "WORLD_SIZE", "0"), 0, 0, 0, "want an integer ≥ 1"},
		{"nothing set", env(), 0, 0, 0, "no launcher variable is set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Detect(tc.env, tc.shards)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil || got.Index != tc.index || got.Count != tc.count || got.Source == "" {
				t.Fatalf("got %+v, %v; want %d/%d", got, err, tc.index, tc.count)
			}
		})
	}
}
