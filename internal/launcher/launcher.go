// Package launcher reads which shard of a job this process is from the
// environment that an existing scheduler sets for each task of an array job:
// Slurm job arrays, Kubernetes Indexed Jobs, AWS Batch and Google Cloud Batch
// array jobs, Cloud Run jobs and torchrun-style launchers. It only reads
// variables; internal/cli passes it os.LookupEnv.
package launcher

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is this task's place in its array: Index in [0, Count).
type Shard struct {
	Index, Count int
	Source       string // the launcher and variables it came from, for logs
}

// Lookup is os.LookupEnv's shape.
type Lookup func(key string) (string, bool)

// scheme is one launcher's variables. count == "" means the launcher sets no
// count (Kubernetes): it must come from --shards or DPOKIT_SHARDS.
type scheme struct {
	name, index, count string
}

var schemes = []scheme{
	{"Kubernetes Indexed Job", "JOB_COMPLETION_INDEX", ""},
	{"AWS Batch array job", "AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"},
	{"Google Cloud Batch", "BATCH_TASK_INDEX", "BATCH_TASK_COUNT"},
	{"Cloud Run job", "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT"},
	{"torchrun", "RANK", "WORLD_SIZE"},
}

// Variables lists every variable Detect reads, for help texts and errors.
func Variables() []string {
	v := []string{"SLURM_ARRAY_TASK_ID (with SLURM_ARRAY_TASK_COUNT, _MIN, _STEP)"}
	for _, s := range schemes {
		if s.count == "" {
			v = append(v, s.index+" (count from --shards or DPOKIT_SHARDS)")
		} else {
			v = append(v, s.index+"/"+s.count)
		}
	}
	return v
}

// Detect returns this task's shard. shards is the count given on the command
// line or in DPOKIT_SHARDS (0 = not given); it is required where the launcher
// sets no count and must agree with the launcher's count where it sets one.
// The first launcher found, in the order of Variables, decides.
func Detect(env Lookup, shards int) (Shard, error) {
	if shards < 0 {
		return Shard{}, fmt.Errorf("shard count %d: want a positive number", shards)
	}
	sh, found, err := slurm(env)
	for i := 0; !found && err == nil && i < len(schemes); i++ {
		sh, found, err = schemes[i].detect(env)
	}
	switch {
	case err != nil:
		return Shard{}, err
	case !found:
		return Shard{}, fmt.Errorf("--shard auto: no launcher variable is set; looked for %s", strings.Join(Variables(), ", "))
	case sh.Count == 0 && shards == 0:
		return Shard{}, fmt.Errorf("--shard auto: %s sets no shard count; give it with --shards N or DPOKIT_SHARDS", sh.Source)
	case sh.Count == 0:
		sh.Count = shards
	case shards != 0 && shards != sh.Count:
		return Shard{}, fmt.Errorf("--shard auto: --shards %d disagrees with %s's count %d", shards, sh.Source, sh.Count)
	}
	if sh.Index >= sh.Count {
		return Shard{}, fmt.Errorf("--shard auto: %s gives index %d, outside a count of %d", sh.Source, sh.Index, sh.Count)
	}
	return sh, nil
}

func (s scheme) detect(env Lookup) (Shard, bool, error) {
	v, ok := env(s.index)
	if !ok {
		return Shard{}, false, nil
	}
	sh := Shard{Source: s.name + " (" + s.index}
	var err error
	if sh.Index, err = number(s.index, v, 0); err != nil {
		return Shard{}, true, err
	}
	if s.count != "" {
		c, ok := env(s.count)
		if !ok {
			return Shard{}, true, fmt.Errorf("--shard auto: %s=%s is set but %s is not", s.index, v, s.count)
		}
		if sh.Count, err = number(s.count, c, 1); err != nil {
			return Shard{}, true, err
		}
		sh.Source += ", " + s.count
	}
	sh.Source += ")"
	return sh, true, nil
}

// slurm maps an array's task id to a 0-based index: (id − min) / step, so
// --array=0-3, --array=1-4 and --array=0-6:2 all give indices 0..3.
func slurm(env Lookup) (Shard, bool, error) {
	id, ok := env("SLURM_ARRAY_TASK_ID")
	if !ok {
		return Shard{}, false, nil
	}
	get := func(key string, dflt, least int) (int, error) {
		v, ok := env(key)
		if !ok {
			if dflt < 0 {
				return 0, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID=%s is set but %s is not", id, key)
			}
			return dflt, nil
		}
		return number(key, v, least)
	}
	task, err := number("SLURM_ARRAY_TASK_ID", id, 0)
	if err != nil {
		return Shard{}, true, err
	}
	count, err := get("SLURM_ARRAY_TASK_COUNT", -1, 1)
	if err != nil {
		return Shard{}, true, err
	}
	lo, err := get("SLURM_ARRAY_TASK_MIN", 0, 0)
	if err != nil {
		return Shard{}, true, err
	}
	step, err := get("SLURM_ARRAY_TASK_STEP", 1, 1)
	if err != nil {
		return Shard{}, true, err
	}
	if task < lo || (task-lo)%step != 0 {
		return Shard{}, true, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID=%d is not on the array's grid (min %d, step %d); use a regular --array=a-b[:step]", task, lo, step)
	}
	return Shard{Index: (task - lo) / step, Count: count,
		Source: "Slurm job array (SLURM_ARRAY_TASK_ID, _COUNT, _MIN, _STEP)"}, true, nil
}

func number(key, v string, least int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < least {
		return 0, fmt.Errorf("--shard auto: %s=%q: want an integer ≥ %d", key, v, least)
	}
	return n, nil
}
