package sweep_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"netsim.dev/netsim/sweep"
)

// The tests run the manifests' commands over fewer seeds than they name,
// to take seconds: the seed lists are replaced, nothing else.
var fewerSeeds = strings.NewReplacer("--seeds 1-10000", "--seeds 1-150", "-netsim.seeds=1-2000", "-netsim.seeds=1-40")

// netsimBin builds cmd/netsim once, into a directory to put on PATH.
var netsimBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "netsim-sweep-example-")
	if err != nil {
		return "", err
	}
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "netsim"), "netsim.dev/cmd/netsim").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build netsim.dev/cmd/netsim: %v\n%s", err, out)
	}
	return dir, nil
})

// TestMain removes the netsim binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := netsimBin(); err == nil && strings.HasPrefix(filepath.Base(dir), "netsim-sweep-example-") {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// sh runs script with sh -c in dir, with netsim on PATH and env added to a
// clean environment (no shard variables of the machine's own), and
// returns its output and exit status.
func sh(t *testing.T, dir, script string, env ...string) (string, int) {
	t.Helper()
	bin, err := netsimBin()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "NETSIM_") || strings.HasPrefix(name, "TEST_") || name == sweep.EnvJobIndex || name == "PATH" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	status := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("sh -c %q: %v", script, err)
		}
		status = ee.ExitCode()
	}
	return string(out), status
}

// readLedger reads a ledger file.
func readLedger(t *testing.T, path string) []sweep.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, torn, err := sweep.Read(path, f)
	if err != nil || torn {
		t.Fatalf("%s: torn %v, %v", path, torn, err)
	}
	return recs
}

// decodeAll decodes every document of a YAML file.
func decodeAll[T any](t *testing.T, path string) []T {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []T
	for {
		var doc T
		if err := dec.Decode(&doc); err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, doc)
	}
}

// k8sObject is the part of a Kubernetes object the test looks at.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		// PersistentVolumeClaim
		AccessModes []string `yaml:"accessModes"`
		// Job
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Image   string   `yaml:"image"`
					Command []string `yaml:"command"`
					Env     []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// jobScript checks a Job's pod and returns its container's sh -c script
// and environment, and the path where the shared volume is mounted.
func jobScript(t *testing.T, job k8sObject, claim string) (script string, env map[string]string, mount string) {
	t.Helper()
	pod := job.Spec.Template.Spec
	if pod.RestartPolicy != "Never" || len(pod.Containers) != 1 || len(pod.Volumes) != 1 {
		t.Fatalf("job %s: restartPolicy %q, %d containers, %d volumes; want Never, 1, 1", job.Metadata.Name, pod.RestartPolicy, len(pod.Containers), len(pod.Volumes))
	}
	c := pod.Containers[0]
	if len(c.Command) != 3 || c.Command[0] != "sh" || c.Command[1] != "-c" {
		t.Fatalf("job %s: command %q, want [sh -c SCRIPT]", job.Metadata.Name, c.Command)
	}
	if v := pod.Volumes[0]; v.PersistentVolumeClaim.ClaimName != claim || len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != v.Name {
		t.Fatalf("job %s: the volume is not claim %s mounted in the container", job.Metadata.Name, claim)
	}
	env = map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return c.Command[2], env, c.VolumeMounts[0].MountPath
}

// TestKubernetesIndexedJob: sweep-job.yaml is an Indexed Job whose pods
// share a ReadWriteMany volume and know the number of shards; its script,
// run here once per index with JOB_COMPLETION_INDEX set as Kubernetes sets
// it, each in a process of its own, writes one ledger per shard;
// merge-job.yaml's script merges them, and the merged ledger equals the
// ledger of the same script run unsharded.
func TestKubernetesIndexedJob(t *testing.T) {
	docs := decodeAll[k8sObject](t, "kubernetes/sweep-job.yaml")
	if len(docs) != 2 || docs[0].Kind != "PersistentVolumeClaim" || docs[1].Kind != "Job" {
		t.Fatalf("sweep-job.yaml holds %d objects, want a PersistentVolumeClaim and a Job", len(docs))
	}
	pvc, job := docs[0], docs[1]
	if !slices.Contains(pvc.Spec.AccessModes, "ReadWriteMany") {
		t.Errorf("the claim's access modes %v: the pods of several nodes write to it, want ReadWriteMany", pvc.Spec.AccessModes)
	}
	if job.APIVersion != "batch/v1" || job.Spec.CompletionMode != "Indexed" || job.Spec.Completions < 2 || job.Spec.Parallelism < 1 || job.Spec.Parallelism > job.Spec.Completions {
		t.Fatalf("job: %s, completionMode %q, completions %d, parallelism %d; want batch/v1, Indexed, completions >= 2, 1 <= parallelism <= completions",
			job.APIVersion, job.Spec.CompletionMode, job.Spec.Completions, job.Spec.Parallelism)
	}
	script, env, mount := jobScript(t, job, pvc.Metadata.Name)
	if env[sweep.EnvShards] != strconv.Itoa(job.Spec.Completions) {
		t.Fatalf("%s=%q in the pod, want the Job's completions, %d", sweep.EnvShards, env[sweep.EnvShards], job.Spec.Completions)
	}
	merges := decodeAll[k8sObject](t, "kubernetes/merge-job.yaml")
	if len(merges) != 1 || merges[0].Kind != "Job" {
		t.Fatalf("merge-job.yaml holds %d objects, want one Job", len(merges))
	}
	mergeScript, _, mergeMount := jobScript(t, merges[0], pvc.Metadata.Name)
	if !strings.Contains(mergeScript, "netsim sweep --merge") {
		t.Fatalf("the merge job's script does not run netsim sweep --merge:\n%s", mergeScript)
	}

	// The volume, here: a directory; the scripts' paths are moved to it.
	vol := t.TempDir()
	local := func(s, mount string) string { return fewerSeeds.Replace(strings.ReplaceAll(s, mount, vol)) }
	n := job.Spec.Completions
	for i := range n {
		out, status := sh(t, vol, local(script, mount), sweep.EnvJobIndex+"="+strconv.Itoa(i), sweep.EnvShards+"="+env[sweep.EnvShards])
		if status != 0 {
			t.Fatalf("index %d: the pod's script exited %d:\n%s", i, status, out)
		}
		t.Logf("index %d: %s", i, strings.TrimSpace(lastLine(out)))
	}
	out, status := sh(t, vol, local(mergeScript, mergeMount))
	if status != 0 {
		t.Fatalf("the merge job's script exited %d:\n%s", status, out)
	}
	merged := readLedger(t, filepath.Join(vol, "all.jsonl"))
	failed := 0
	for i, r := range merged {
		if r.Seed != int64(i+1) {
			t.Fatalf("merged ledger: record %d is seed %d, want every seed of 1-150 once, in order", i, r.Seed)
		}
		if !r.Pass {
			failed++
		}
	}
	if len(merged) != 150 {
		t.Fatalf("merged ledger: %d seeds, want 150", len(merged))
	}
	if got := strings.Count(out, `"pass":false`); got != failed {
		t.Errorf("the merge job listed %d failing seeds, the ledger has %d:\n%s", got, failed, out)
	}

	// The same script with no index: one unsharded sweep.
	once := t.TempDir()
	script1 := fewerSeeds.Replace(strings.ReplaceAll(script, mount, once))
	if out, status := sh(t, once, script1); status != 0 {
		t.Fatalf("unsharded: exit %d:\n%s", status, out)
	}
	ledger1, err := filepath.Glob(filepath.Join(once, "*.jsonl"))
	if err != nil || len(ledger1) != 1 {
		t.Fatalf("unsharded: ledgers %v, want one", ledger1)
	}
	if err := sweep.Compare("merged", merged, "unsharded", readLedger(t, ledger1[0])); err != nil {
		t.Error(err)
	}
	if out, status := sh(t, vol, "netsim sweep --compare all.jsonl "+ledger1[0]); status != 0 {
		t.Errorf("netsim sweep --compare: exit %d:\n%s", status, out)
	}
	t.Logf("%d shards as separate processes: 150 seeds, %d failed; merged ledger = unsharded ledger", n, failed)
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// workflow is the part of a GitHub Actions workflow the test looks at.
type workflow struct {
	Jobs map[string]struct {
		Needs    any    `yaml:"needs"`
		If       string `yaml:"if"`
		RunsOn   string `yaml:"runs-on"`
		Strategy struct {
			Matrix struct {
				Shard   []int               `yaml:"shard"`
				Arch    []string            `yaml:"arch"`
				Include []map[string]string `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			If   string            `yaml:"if"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestGitHubMatrix: github/sweep.yml's sweep job is a matrix over shard
// indexes and architectures whose steps run `netsim sweep --shard` and a
// Go test with -netsim.shard; each job uploads its ledgers, even when
// seeds failed. Its steps, run here once per shard and architecture as
// separate processes, write ledgers that the merge job's step merges and
// compares; the merged ledgers equal unsharded runs'.
func TestGitHubMatrix(t *testing.T) {
	docs := decodeAll[workflow](t, "github/sweep.yml")
	if len(docs) != 1 {
		t.Fatalf("%d documents, want 1", len(docs))
	}
	wf := docs[0]
	job, merge := wf.Jobs["sweep"], wf.Jobs["merge"]
	m := job.Strategy.Matrix
	n := len(m.Shard)
	for i, s := range m.Shard {
		if s != i {
			t.Fatalf("matrix shards %v, want 0..N-1", m.Shard)
		}
	}
	if n < 2 || len(m.Arch) != 2 || len(m.Include) != 2 || job.RunsOn != "${{ matrix.runner }}" {
		t.Fatalf("matrix: shards %v, arch %v, include %v, runs-on %q", m.Shard, m.Arch, m.Include, job.RunsOn)
	}
	if merge.Needs != "sweep" || merge.If != "always()" {
		t.Errorf("the merge job: needs %v, if %q; want needs sweep, if always() (it runs when seeds failed)", merge.Needs, merge.If)
	}
	step := map[string]string{}
	uploads := 0
	for _, s := range job.Steps {
		if s.ID != "" {
			step[s.ID] = s.Run
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			uploads++
			if s.If != "always()" || !strings.Contains(s.With["path"], "ledger-${{ matrix.arch }}-${{ matrix.shard }}.jsonl") ||
				!strings.Contains(s.With["path"], "gotest-${{ matrix.arch }}-${{ matrix.shard }}.jsonl") {
				t.Errorf("the upload step: if %q, path %q; want always(), both ledgers", s.If, s.With["path"])
			}
		}
	}
	for _, s := range merge.Steps {
		if s.ID != "" {
			step["merge/"+s.ID] = s.Run
		}
	}
	shardArg := fmt.Sprintf("--shard ${{ matrix.shard }}/%d", n)
	if uploads != 1 || !strings.Contains(step["sweep"], "netsim sweep ") || !strings.Contains(step["sweep"], shardArg) ||
		!strings.Contains(step["gotest"], fmt.Sprintf("-netsim.shard=${{ matrix.shard }}/%d", n)) {
		t.Fatalf("the sweep job's steps: %d upload(s), sweep %q, gotest %q; want 1 upload, %q and -netsim.shard", uploads, step["sweep"], step["gotest"], shardArg)
	}

	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	expand := func(s, arch string, shard int) string {
		return fewerSeeds.Replace(strings.NewReplacer("${{ matrix.arch }}", arch, "${{ matrix.shard }}", strconv.Itoa(shard), `"$PWD/`, `"`+work+`/`).Replace(s))
	}
	// This machine has one architecture: the amd64 and arm64 jobs run
	// here alike, the netsim sweeps for both, the Go tests (a build each)
	// for the first, whose ledgers stand for both.
	for _, arch := range m.Arch {
		for shard := range n {
			out, status := sh(t, work, expand(step["sweep"], arch, shard))
			if status > 1 {
				t.Fatalf("%s shard %d: netsim sweep exited %d:\n%s", arch, shard, status, out)
			}
			if arch != m.Arch[0] {
				data, err := os.ReadFile(filepath.Join(work, fmt.Sprintf("gotest-%s-%d.jsonl", m.Arch[0], shard)))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(work, fmt.Sprintf("gotest-%s-%d.jsonl", arch, shard)), data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			out, status = sh(t, root, expand(step["gotest"], arch, shard))
			if status != 0 {
				t.Fatalf("%s shard %d: go test exited %d:\n%s", arch, shard, status, out)
			}
		}
	}
	out, status := sh(t, work, step["merge/merge"])
	for _, name := range []string{"amd64.jsonl", "gotest-amd64.jsonl"} {
		recs := readLedger(t, filepath.Join(work, name))
		if want := map[string]int{"amd64.jsonl": 150, "gotest-amd64.jsonl": 40}[name]; len(recs) != want {
			t.Errorf("%s: %d seeds, want %d", name, len(recs), want)
		}
	}
	failing := regexp.MustCompile(`"pass":false`).FindAllString(out, -1)
	if (status == 0) != (len(failing) == 0) {
		t.Errorf("the merge step exited %d with %d failing seeds listed:\n%s", status, len(failing), out)
	}
	if strings.Contains(out, "differ") {
		t.Errorf("the merge step's compare found a difference:\n%s", out)
	}

	// Unsharded: the sweep step without --shard, and the Go test without
	// -netsim.shard, equal the merged ledgers.
	once := t.TempDir()
	one := strings.ReplaceAll(expand(step["sweep"], "amd64", 0), "--shard 0/"+strconv.Itoa(n), "")
	if out, status := sh(t, once, one); status > 1 {
		t.Fatalf("unsharded sweep: exit %d:\n%s", status, out)
	}
	if err := sweep.Compare("merged", readLedger(t, filepath.Join(work, "amd64.jsonl")), "unsharded", readLedger(t, filepath.Join(once, "ledger-amd64-0.jsonl"))); err != nil {
		t.Error(err)
	}
	goOne := strings.ReplaceAll(strings.ReplaceAll(step["gotest"], "-netsim.shard=${{ matrix.shard }}/"+strconv.Itoa(n), ""), `"$PWD/`, `"`+once+`/`)
	goOne = strings.NewReplacer("${{ matrix.arch }}", "all", "${{ matrix.shard }}", "all").Replace(fewerSeeds.Replace(goOne))
	if out, status := sh(t, root, goOne); status != 0 {
		t.Fatalf("unsharded go test: exit %d:\n%s", status, out)
	}
	if err := sweep.Compare("merged", readLedger(t, filepath.Join(work, "gotest-amd64.jsonl")), "unsharded", readLedger(t, filepath.Join(once, "gotest-all-all.jsonl"))); err != nil {
		t.Error(err)
	}
	t.Logf("%d shards x %d architectures as separate processes; merge step exit %d, %d failing seed(s) listed; merged = unsharded", n, len(m.Arch), status, len(failing))
}
