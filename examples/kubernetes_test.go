// Package examples checks the example deployments in this folder.
package examples

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// docs splits a multi-document YAML file and decodes each document strictly
// (unknown or misspelt fields are errors) into the type its kind names.
func docs(t *testing.T, path string) (jobs []batchv1.Job, claims []corev1.PersistentVolumeClaim) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, doc := range bytes.Split(raw, []byte("\n---\n")) {
		var meta struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("%s document %d: %v", path, i, err)
		}
		switch meta.Kind {
		case "Job":
			var j batchv1.Job
			if err := yaml.UnmarshalStrict(doc, &j); err != nil {
				t.Fatalf("%s document %d: %v", path, i, err)
			}
			jobs = append(jobs, j)
		case "PersistentVolumeClaim":
			var c corev1.PersistentVolumeClaim
			if err := yaml.UnmarshalStrict(doc, &c); err != nil {
				t.Fatalf("%s document %d: %v", path, i, err)
			}
			claims = append(claims, c)
		default:
			t.Fatalf("%s document %d: unexpected kind %q", path, i, meta.Kind)
		}
	}
	return jobs, claims
}

func TestKubernetesManifests(t *testing.T) {
	jobs, claims := docs(t, "kubernetes/score-indexed-job.yaml")
	merge, _ := docs(t, "kubernetes/score-merge-job.yaml")
	if len(jobs) != 1 || len(claims) != 1 || len(merge) != 1 {
		t.Fatalf("%d jobs, %d claims, %d merge jobs", len(jobs), len(claims), len(merge))
	}
	job := jobs[0]
	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("the sharded Job must be an Indexed Job (JOB_COMPLETION_INDEX)")
	}
	if spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Error("restartPolicy must be Never for backoffLimitPerIndex")
	}
	c := spec.Template.Spec.Containers[0]
	shards := -1
	for _, e := range c.Env {
		if e.Name == "DPOKIT_SHARDS" {
			shards, _ = strconv.Atoi(e.Value)
		}
	}
	if spec.Completions == nil || int(*spec.Completions) != shards {
		t.Errorf("DPOKIT_SHARDS %d must equal spec.completions %v", shards, spec.Completions)
	}
	if !slices.Contains(c.Args, "--shard=auto") || c.Command[0] != "dpokit" || c.Args[0] != "score" {
		t.Errorf("score container runs %v %v", c.Command, c.Args)
	}
	m := merge[0].Spec.Template.Spec
	if m.Containers[0].Args[0] != "score" || m.Containers[0].Args[1] != "merge" {
		t.Errorf("merge container runs %v", m.Containers[0].Args)
	}
	// Both Jobs mount the one claim at the same place, and merge writes where the shards did.
	for _, ps := range []corev1.PodSpec{spec.Template.Spec, m} {
		if ps.Volumes[0].PersistentVolumeClaim == nil || ps.Volumes[0].PersistentVolumeClaim.ClaimName != claims[0].Name ||
			ps.Containers[0].VolumeMounts[0].MountPath != "/work" {
			t.Errorf("pod %v does not mount claim %s at /work", ps.Containers[0].Name, claims[0].Name)
		}
	}
	for _, want := range []string{"--out=/work/out/pairs.jsonl", "--summary=/work/out/summary.json"} {
		if !slices.Contains(c.Args, want) || !slices.Contains(m.Containers[0].Args, want) {
			t.Errorf("%s must be the same in the shards and the merge", want)
		}
	}
	if !strings.Contains(string(claims[0].Spec.AccessModes[0]), "ReadWriteMany") {
		t.Errorf("the claim must be ReadWriteMany: %v", claims[0].Spec.AccessModes)
	}
}
