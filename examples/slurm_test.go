package examples

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSlurmJobArray runs scripts/slurm/test.sh: examples/slurm/score-array.sbatch as a
// four-task job array on a private one-node Slurm started for the test, one task killed
// mid-run and requeued, the parts merged and compared with an unsharded run byte for byte.
// It needs root (slurmd runs the jobs; Debian's slurm-wlm and munge are installed when
// missing) and says so when skipped.
func TestSlurmJobArray(t *testing.T) {
	if os.Geteuid() != 0 {
		msg := "TestSlurmJobArray SKIPPED: the real-Slurm test needs root (run `make test` as root, or scripts/slurm/test.sh)"
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
	if testing.Short() {
		msg := "TestSlurmJobArray SKIPPED in -short mode: it runs a Slurm job array for minutes (go test without -short runs it)"
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
	if os.Getenv("DPOKIT_ORT_LIB") == "" {
		t.Fatal("the Slurm test scores with ONNX Runtime: run `make ort` and set DPOKIT_ORT_LIB (make test does both)")
	}
	bin := filepath.Join(t.TempDir(), "dpokit")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/dpokit").CombinedOutput(); err != nil {
		t.Fatalf("build dpokit: %v\n%s", err, out)
	}
	cmd := exec.Command("bash", "../scripts/slurm/test.sh")
	cmd.Env = append(os.Environ(), "DPOKIT_BIN="+bin)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("scripts/slurm/test.sh: %v", err)
	}
}
