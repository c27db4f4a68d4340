package train

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memChildEnv makes the test binary a child of BenchmarkLoRAMemory: it
// runs DPO steps in the mode named by its value and prints one MEM line.
const memChildEnv = "DPOKIT_LORA_MEM_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(memChildEnv); mode != "" {
		pairs, _ := strconv.Atoi(os.Getenv("DPOKIT_LORA_MEM_PAIRS"))
		if err := memChild(mode, os.Getenv("DPOKIT_LORA_MEM_MODEL"), pairs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// benchLoRA is the adapter configuration of the memory benchmark: rank 8
// on the attention projections, a common choice.
var benchLoRA = LoRA{Rank: 8, Alpha: 16, Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj"}, Seed: 1}

// memChild loads the model in dir, fully or with benchLoRA, runs one step
// (compiling) and three more on the first `pairs` benchmark pairs, and
// prints the process's peak resident memory (load, compilation and steps)
// and that of the three steps alone.
func memChild(mode, dir string, pairs int) error {
	opts := LoadOptions{}
	if mode == "lora" {
		opts.LoRA = &benchLoRA
	}
	m, err := Load(dir+"/model.onnx", opts)
	if err != nil {
		return err
	}
	exs := benchPairs(min(m.Vocab(), 32000))[:pairs]
	tr, err := NewTrainer(m, Config{LR: 1e-4, BatchSize: len(exs), MaxGradNorm: 1})
	if err != nil {
		return err
	}
	if _, err := tr.Step([][]Example{exs}); err != nil {
		return err
	}
	process := peakRSSMB()
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	start := time.Now()
	for range 3 {
		if _, err := tr.Step([][]Example{exs}); err != nil {
			return err
		}
	}
	steps := peakRSSMB()
	fmt.Printf("MEM %s %.1f %.1f %d %.1f\n", mode, max(process, steps), steps, m.Parameters(), time.Since(start).Seconds()/3*1000)
	return nil
}

// BenchmarkLoRAMemory compares the peak resident memory of DPO training on
// the 11M-parameter benchmark Llama (see BenchmarkDPOStep) with full
// fine-tuning and with LoRA adapters (benchLoRA), each run in its own
// process: the process's peak (loading, compiling, steps) and the peak of
// the steps alone, on the DPO benchmark's 4 pairs (8 sequences of 32–128
// tokens) and on its first pair alone; it prints a table with the ratios.
//
//	go test -run '^$' -bench LoRAMemory -benchtime 1x ./train/
func BenchmarkLoRAMemory(b *testing.B) {
	dir := os.Getenv("DPOKIT_BENCH_MODEL")
	if dir == "" {
		var err error
		if dir, err = benchModel(); err != nil {
			b.Fatalf("cannot build the benchmark model: %v", err)
		}
	}
	type result struct {
		process, steps, ms float64
		trainable          int64
	}
	run := func(mode string, pairs int) result {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), memChildEnv+"="+mode, "DPOKIT_LORA_MEM_MODEL="+dir, fmt.Sprintf("DPOKIT_LORA_MEM_PAIRS=%d", pairs))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%s: %v\n%s", mode, err, stderr.String())
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 6 && f[0] == "MEM" {
				var r result
				r.process, _ = strconv.ParseFloat(f[2], 64)
				r.steps, _ = strconv.ParseFloat(f[3], 64)
				r.trainable, _ = strconv.ParseInt(f[4], 10, 64)
				r.ms, _ = strconv.ParseFloat(f[5], 64)
				return r
			}
		}
		b.Fatalf("%s: no MEM line in %q", mode, out)
		return result{}
	}
	for b.Loop() {
		fmt.Printf("\nDPO training, %s; LoRA r=%d on %s; peak RSS in MB\n", dir, benchLoRA.Rank, strings.Join(benchLoRA.Targets, ","))
		fmt.Printf("%-26s %12s %12s %10s %10s %10s\n", "batch", "trainable", "", "process", "steps", "ms/step")
		for _, pairs := range []int{4, 1} {
			full, lora := run("full", pairs), run("lora", pairs)
			name := fmt.Sprintf("%d pair(s)", pairs)
			fmt.Printf("%-26s %12d %12s %10.0f %10.0f %10.0f\n", name, full.trainable, "full", full.process, full.steps, full.ms)
			fmt.Printf("%-26s %12d %12s %10.0f %10.0f %10.0f\n", "", lora.trainable, "LoRA", lora.process, lora.steps, lora.ms)
			fmt.Printf("%-26s %12.4f %12s %10.2f %10.2f %10.2f\n", "", float64(lora.trainable)/float64(full.trainable), "LoRA/full",
				lora.process/full.process, lora.steps/full.steps, lora.ms/full.ms)
			b.ReportMetric(lora.process/full.process, fmt.Sprintf("lora/full-peak-%dpairs", pairs))
		}
	}
}
