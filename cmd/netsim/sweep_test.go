package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/sweep"
)

// sweepCmd runs netsim (the binary TestMain built) in dir with env added,
// and returns its exit status, stdout and stderr.
func sweepCmd(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(netsimBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("netsim %v: %v", args, err)
	return 0, "", ""
}

func readLedger(t *testing.T, name string) []sweep.Record {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, torn, err := sweep.Read(name, f)
	if err != nil || torn {
		t.Fatalf("ledger %s: torn %v, %v", name, torn, err)
	}
	return recs
}

func seedsOf(recs []sweep.Record) []int64 {
	var s []int64
	for _, r := range recs {
		s = append(s, r.Seed)
	}
	slices.Sort(s)
	return s
}

// TestSweepFailures: a lossy book-tcp fails on some seeds; each failing
// seed is in the summary with its first failure, its kept capture (the
// ledger's sha256) and a reproduction line that gives the same capture;
// passing seeds' captures are not kept.
func TestSweepFailures(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := sweepCmd(t, dir, nil, "sweep", "book-tcp", "--seeds", "1-40", "--loss", "10%", "-j", "2", "--ledger", "l.jsonl", "--keep", "kept")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	recs := readLedger(t, filepath.Join(dir, "l.jsonl"))
	if want, _ := sweep.ParseSeeds("1-40"); !slices.Equal(seedsOf(recs), want) {
		t.Fatalf("ledger seeds %v", seedsOf(recs))
	}
	var failed, passed int
	for _, r := range recs {
		kept := filepath.Join(dir, "kept", "seed"+strconv.FormatInt(r.Seed, 10)+".pcap")
		b, err := os.ReadFile(kept)
		if r.Pass {
			passed++
			if err == nil {
				t.Errorf("seed %d passed, but its capture is kept", r.Seed)
			}
			continue
		}
		failed++
		if err != nil || sha(b) != r.SHA256 {
			t.Errorf("seed %d: kept capture %v, sha256 %s, ledger's %s", r.Seed, err, sha(b), r.SHA256)
		}
		if !strings.HasPrefix(r.Failure, "scenarios/book-tcp.yaml:") || !strings.Contains(r.Failure, "expect:") {
			t.Errorf("seed %d: failure %q", r.Seed, r.Failure)
		}
		line := "FAIL seed " + strconv.FormatInt(r.Seed, 10) + ": " + r.Failure + "\n"
		repro := "  reproduce: netsim run book-tcp --loss 10% --seed " + strconv.FormatInt(r.Seed, 10) + " -w seed" + strconv.FormatInt(r.Seed, 10) + ".pcap\n"
		if !strings.Contains(stdout, line+"  capture:   kept/seed"+strconv.FormatInt(r.Seed, 10)+".pcap\n"+repro) {
			t.Errorf("summary lacks seed %d's lines:\n%s", r.Seed, stdout)
		}
		if r.Frames < 9 || r.SimNS <= 0 || r.WallNS <= 0 || r.Version == "" {
			t.Errorf("seed %d: record %+v", r.Seed, r)
		}
	}
	if failed == 0 || passed == 0 {
		t.Fatalf("%d failed, %d passed: the test wants both", failed, passed)
	}
	if !strings.Contains(stdout, "40 seed(s) run, "+strconv.Itoa(passed)+" passed, "+strconv.Itoa(failed)+" failed") {
		t.Errorf("summary:\n%s", stdout)
	}
	// The reproduction line gives the kept capture's bytes.
	first := recs[slices.IndexFunc(recs, func(r sweep.Record) bool { return !r.Pass })]
	s := strconv.FormatInt(first.Seed, 10)
	code, _, _ = sweepCmd(t, dir, nil, "run", "book-tcp", "--loss", "10%", "--seed", s, "-w", "seed"+s+".pcap")
	b, err := os.ReadFile(filepath.Join(dir, "seed"+s+".pcap"))
	if code != 1 || err != nil || sha(b) != first.SHA256 {
		t.Fatalf("reproduction of seed %s: exit %d, %v, sha256 %s, ledger's %s", s, code, err, sha(b), first.SHA256)
	}
	// Not on a terminal: nothing on stderr but what went wrong.
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
}

// TestSweepDemo: a demo with its own flags; every seed passes, the same
// on a second sweep (--compare), and --keep-all keeps every capture.
func TestSweepDemo(t *testing.T) {
	dir := t.TempDir()
	args := []string{"sweep", "tcp", "--seeds", "1-6", "--payload", "68656c6c6f", "-F", "pcapng", "--keep-all", "--keep", "all"}
	code, stdout, stderr := sweepCmd(t, dir, nil, append(args, "--ledger", "a.jsonl", "--check-determinism")...)
	if code != 0 || !strings.Contains(stdout, "tcp: 6 seed(s) run, 6 passed, 0 failed") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for s := 1; s <= 6; s++ {
		if _, err := os.Stat(filepath.Join(dir, "all", "seed"+strconv.Itoa(s)+".pcapng")); err != nil {
			t.Error(err)
		}
	}
	if code, _, stderr := sweepCmd(t, dir, nil, append(args[:len(args)-3], "-j", "1", "--ledger", "b.jsonl")...); code != 0 {
		t.Fatalf("second sweep: exit %d: %s", code, stderr)
	}
	code, stdout, stderr = sweepCmd(t, dir, nil, "sweep", "--compare", "a.jsonl", "b.jsonl")
	if code != 0 || !strings.Contains(stdout, "the same 6 seed(s)") {
		t.Fatalf("--compare: exit %d\n%s%s", code, stdout, stderr)
	}
	// Another payload is another sweep: its records have another name,
	// and --compare says the first seed of a.jsonl's is not in c.jsonl.
	sweepCmd(t, dir, nil, "sweep", "tcp", "--seeds", "1-6", "--payload", "6869", "-F", "pcapng", "--ledger", "c.jsonl")
	code, _, stderr = sweepCmd(t, dir, nil, "sweep", "--compare", "a.jsonl", "c.jsonl")
	if code != 1 || !strings.Contains(stderr, "tcp -F pcapng --payload 68656c6c6f seed 1: in a.jsonl only") {
		t.Fatalf("--compare of another sweep: exit %d: %s", code, stderr)
	}
	// The same sweep with other bytes (another machine, another netsim):
	// --compare names the seed and field.
	a, err := os.ReadFile(filepath.Join(dir, "a.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	recs := readLedger(t, filepath.Join(dir, "a.jsonl"))
	c := strings.Replace(string(a), recs[0].SHA256, strings.Repeat("0", 64), 1)
	if err := os.WriteFile(filepath.Join(dir, "c.jsonl"), []byte(c), 0o666); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = sweepCmd(t, dir, nil, "sweep", "--compare", "a.jsonl", "c.jsonl")
	if code != 1 || !strings.Contains(stderr, fmt.Sprintf("seed %d: sha256 differs", recs[0].Seed)) {
		t.Fatalf("--compare of other captures: exit %d: %s", code, stderr)
	}
	code, _, stderr = sweepCmd(t, dir, nil, "sweep", "--merge", "-o", "m.jsonl", "a.jsonl", "c.jsonl")
	if code != 1 || !strings.Contains(stderr, fmt.Sprintf("seed %d has two records that disagree: sha256", recs[0].Seed)) {
		t.Fatalf("--merge of disagreeing ledgers: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.jsonl")); err == nil {
		t.Error("a failed --merge wrote its output")
	}
}

// TestSweepShards: N shards, each a process of its own, from --shard,
// from Bazel's variables and from a Kubernetes Indexed Job's, cover every
// seed exactly once, and their merged ledger equals an unsharded sweep's.
func TestSweepShards(t *testing.T) {
	dir := t.TempDir()
	base := []string{"sweep", "book-tcp", "--seeds", "1-30", "--loss", "5%", "-j", "1"}
	if code, _, stderr := sweepCmd(t, dir, nil, append(base, "--ledger", "all.jsonl")...); code > 1 {
		t.Fatalf("unsharded: exit %d: %s", code, stderr)
	}
	const n = 3
	for _, how := range []string{"flag", "bazel", "k8s"} {
		var files []string
		var total int
		for i := range n {
			file := how + strconv.Itoa(i) + ".jsonl"
			args := append(slices.Clone(base), "--ledger", file)
			var env []string
			status := filepath.Join(dir, how+"-status"+strconv.Itoa(i))
			switch how {
			case "flag":
				args = append(args, "--shard", strconv.Itoa(i)+"/"+strconv.Itoa(n))
			case "bazel":
				env = []string{"TEST_SHARD_INDEX=" + strconv.Itoa(i), "TEST_TOTAL_SHARDS=" + strconv.Itoa(n), "TEST_SHARD_STATUS_FILE=" + status}
			case "k8s":
				env = []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(i), "NETSIM_SHARDS=" + strconv.Itoa(n)}
			}
			code, _, stderr := sweepCmd(t, dir, env, args...)
			if code > 1 || !strings.Contains(stderr, "shard "+strconv.Itoa(i)+"/3") {
				t.Fatalf("%s shard %d: exit %d: %s", how, i, code, stderr)
			}
			if _, err := os.Stat(status); (err == nil) != (how == "bazel") {
				t.Errorf("%s shard %d: TEST_SHARD_STATUS_FILE touched: %v", how, i, err == nil)
			}
			total += len(readLedger(t, filepath.Join(dir, file)))
			files = append(files, file)
		}
		if total != 30 {
			t.Errorf("%s: the shards ran %d seeds, want each of 30 once", how, total)
		}
		code, _, stderr := sweepCmd(t, dir, nil, append([]string{"sweep", "--merge", "-o", how + ".jsonl"}, files...)...)
		if code != 0 {
			t.Fatalf("%s: --merge: exit %d: %s", how, code, stderr)
		}
		merged := readLedger(t, filepath.Join(dir, how+".jsonl"))
		if !slices.IsSortedFunc(merged, func(a, b sweep.Record) int { return int(a.Seed - b.Seed) }) {
			t.Errorf("%s: merged ledger not sorted by seed", how)
		}
		code, stdout, stderr := sweepCmd(t, dir, nil, "sweep", "--compare", "all.jsonl", how+".jsonl")
		if code != 0 {
			t.Errorf("%s: merged shards differ from the unsharded sweep: exit %d: %s%s", how, code, stdout, stderr)
		}
	}
}

// TestSweepResume: a sweep with an existing ledger skips its seeds, and a
// torn last line is cut off.
func TestSweepResume(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "l.jsonl")
	sweepCmd(t, dir, nil, "sweep", "book-tcp", "--seeds", "1-10", "--ledger", "l.jsonl")
	code, _, stderr := sweepCmd(t, dir, nil, "sweep", "book-tcp", "--seeds", "1-20", "--ledger", "l.jsonl")
	if code != 0 || !strings.Contains(stderr, "10 seed(s) already in the ledger (0 failed), skipped; 10 to run") {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if got, want := seedsOf(readLedger(t, ledger)), seedsOf(readLedger(t, ledger)); len(got) != 20 || !slices.Equal(got, want) {
		t.Fatalf("ledger seeds %v", got)
	}
	f, err := os.OpenFile(ledger, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seed":21,"pass":tr`)
	f.Close()
	code, _, stderr = sweepCmd(t, dir, nil, "sweep", "book-tcp", "--seeds", "1-21", "--ledger", "l.jsonl")
	if code != 0 || !strings.Contains(stderr, "cut short") || !strings.Contains(stderr, "1 to run") {
		t.Fatalf("resume after a torn line: exit %d: %s", code, stderr)
	}
	if got := seedsOf(readLedger(t, ledger)); len(got) != 21 {
		t.Fatalf("ledger seeds %v", got)
	}
}

// TestSweepBadInput: bad flags get one line naming the flag, exit status
// 2, and leave no file behind.
func TestSweepBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"sweep", "book-tcp", "--seeds", "10-1"}, nil, `--seeds "10-1": range "10-1" ends before it starts`},
		{[]string{"sweep", "book-tcp", "--seeds", "x"}, nil, `--seeds "x"`},
		{[]string{"sweep", "book-tcp"}, nil, "--seeds is missing"},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5", "-j", "0"}, nil, "-j 0: at least 1"},
		{[]string{"sweep", "book-tcp", "--seeds", "1-100000", "-j", "100000"}, nil, "-j 100000: at most "},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5", "--shard", "3/3"}, nil, `--shard "3/3": shard 3 of 3: the index must be from 0 to 2`},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5", "--shard", "1"}, nil, `--shard "1": "1" is not I/N`},
		{[]string{"sweep", "no-such", "--seeds", "1-5"}, nil, `unknown demo or scenario "no-such"`},
		{[]string{"sweep", "--seeds", "1-5"}, nil, "name a demo or a scenario"},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5", "--seed", "3"}, nil, "--seed is not used by sweep"},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5", "-w", "x.pcap"}, nil, "-w is not used by sweep"},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5", "--loss", "200%"}, nil, "--loss"},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5", "--port", "80"}, nil, "--port is not used by scenarios"},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5"}, []string{"JOB_COMPLETION_INDEX=1"}, "JOB_COMPLETION_INDEX is set but not the number of shards"},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5"}, []string{"TEST_SHARD_INDEX=4", "TEST_TOTAL_SHARDS=4"}, "TEST_SHARD_INDEX=4, TEST_TOTAL_SHARDS=4: shard 4 of 4"},
		{[]string{"sweep", "--compare", "a.jsonl"}, nil, "--compare takes two ledgers"},
		{[]string{"sweep", "book-tcp", "--seeds", "1-5", "--timeout", "-1s"}, nil, "--timeout -1s: negative"},
		{[]string{"sweep", "--merge"}, nil, "--merge takes the ledgers"},
		{[]string{"sweep", "--merge", "-o", "", "a.jsonl"}, nil, `-o "": empty`},
	} {
		dir := t.TempDir()
		args := append(c.args, "--ledger", "l.jsonl")
		if strings.HasPrefix(c.args[1], "--compare") || strings.HasPrefix(c.args[1], "--merge") {
			args = c.args
		}
		code, stdout, stderr := sweepCmd(t, dir, c.env, args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("%v %v: exit %d, stderr %q, stdout %q; want 2 and one line with %q", c.env, c.args, code, stderr, stdout, c.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%v: left %s behind", c.args, entries[0].Name())
		}
	}
}

// TestSweepInterrupt: SIGINT stops a sweep: the summary so far, exit
// status 130, a whole ledger that a second sweep resumes.
func TestSweepInterrupt(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(netsimBin, "sweep", "book-tcp", "--seeds", "1-1000000", "-j", "2", "--ledger", "l.jsonl")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ledger := filepath.Join(dir, "l.jsonl")
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(ledger)
		if bytes.Count(b, []byte("\n")) >= 20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no 20 records in 60 s: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130: %s", err, stderr.String())
	}
	recs := readLedger(t, ledger)
	if !regexp.MustCompile(`book-tcp: \d+ seed\(s\) run, \d+ passed, 0 failed`).MatchString(stdout.String()) ||
		!strings.Contains(stderr.String(), "interrupted: ") || !strings.Contains(stderr.String(), "resumes the sweep from l.jsonl") {
		t.Fatalf("summary:\n%s%s", stdout.String(), stderr.String())
	}
	for _, r := range recs {
		if !r.Pass {
			t.Errorf("seed %d failed after an interruption: %s", r.Seed, r.Failure)
		}
	}
}

// TestSweepHelp: -h prints the usage and the flags sweep takes, not run's
// -w or --seed.
func TestSweepHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := mainArgs([]string{"sweep", "-h"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"Usage: netsim sweep", "-seeds LIST", "-shard I/N", "-keep-all", "-loss"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "  -w ") || strings.HasPrefix(l, "  -seed ") || strings.HasPrefix(l, "  -worker") {
			t.Errorf("help lists %q", l)
		}
	}
}

// BenchmarkSweepSeed is the cost of one seed of book-tcp in a worker: the
// in-process run, its capture's hash and its record.
func BenchmarkSweepSeed(b *testing.B) {
	f := newSweepFlags()
	name, code := f.parse([]string{"book-tcp", "--seeds", "1-10"}, io.Discard, io.Discard)
	if code >= 0 {
		b.Fatal("parse")
	}
	r, code := f.newSeedRunner(name, nil, io.Discard)
	if code >= 0 {
		b.Fatal("newSeedRunner")
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if rec := r.runSeed(int64(i)); !rec.Pass {
			b.Fatalf("seed %d: %s", i, rec.Failure)
		}
	}
}

// childPIDs lists the processes whose parent is pid (Linux's /proc).
func childPIDs(pid int) []int {
	var kids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, not ")".
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			kids = append(kids, child)
		}
	}
	return kids
}

// TestSweepWorkerKilled: a worker killed mid-seed is that seed's failure,
// with its log kept; a new worker runs the other seeds, none is lost.
func TestSweepWorkerKilled(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs Linux's /proc to find the workers")
	}
	dir := t.TempDir()
	cmd := exec.Command(netsimBin, "sweep", "book-tcp", "--seeds", "1-2000", "-j", "2", "--ledger", "l.jsonl", "--keep", "kept")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ledger := filepath.Join(dir, "l.jsonl")
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(ledger)
		if kids := childPIDs(cmd.Process.Pid); bytes.Count(b, []byte("\n")) >= 20 && len(kids) > 0 {
			if p, err := os.FindProcess(kids[0]); err == nil {
				p.Kill()
			}
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no 20 records in 60 s: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1: %s%s", err, stdout.String(), stderr.String())
	}
	recs := readLedger(t, ledger)
	if want, _ := sweep.ParseSeeds("1-2000"); !slices.Equal(seedsOf(recs), want) {
		t.Fatalf("the ledger has %d seeds, want each of 2000 once", len(recs))
	}
	var crashed []sweep.Record
	for _, r := range recs {
		if !r.Pass {
			crashed = append(crashed, r)
		}
	}
	if len(crashed) != 1 || !crashed[0].Crashed || crashed[0].Failure != "worker process died: signal: killed" {
		t.Fatalf("failed seeds: %+v", crashed)
	}
	// SIGKILL leaves the worker no time to write anything: no crash log
	// is kept or named (an empty one used to be).
	s := strconv.FormatInt(crashed[0].Seed, 10)
	if _, err := os.Stat(filepath.Join(dir, "kept", "seed"+s+".crash.txt")); err == nil {
		t.Error("an empty crash log was kept")
	}
	if !strings.Contains(stdout.String(), "FAIL seed "+s+": worker process died: signal: killed\n  reproduce: netsim run book-tcp --seed "+s+" -w seed"+s+".pcap\n") {
		t.Errorf("summary:\n%s", stdout.String())
	}
}

func TestSweepMode(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"book-tcp", "--seeds", "1-5", "--keep", "merge"}, ""},
		{[]string{"--merge", "-o", "x", "a"}, "merge"},
		{[]string{"--compare", "a", "b", "-h"}, "h"},
		{[]string{"-compare=true", "a", "b"}, "compare"},
		{[]string{"book-tcp", "--", "-h"}, ""},
	} {
		if got := sweepMode(c.args); got != c.want {
			t.Errorf("sweepMode(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

// TestSweepTimeout: a seed that takes longer than --timeout fails, its
// worker killed, and the sweep goes on.
func TestSweepTimeout(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := sweepCmd(t, dir, nil, "sweep", "book-tcp", "--seeds", "1-3", "-j", "1", "--timeout", "1us")
	if code != 1 || strings.Count(stdout, "timed out: no result after 1µs of wall time; worker process killed") != 3 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestSweepMissingLedger: --compare or --merge of a ledger that is not
// there names it, exit status 1.
func TestSweepMissingLedger(t *testing.T) {
	for _, args := range [][]string{{"sweep", "--compare", "a.jsonl", "nope.jsonl"}, {"sweep", "--merge", "nope.jsonl"}} {
		code, _, stderr := sweepCmd(t, t.TempDir(), nil, args...)
		if code != 1 || !strings.HasPrefix(stderr, "netsim sweep: ") || !strings.Contains(stderr, ".jsonl: no such file or directory") {
			t.Errorf("%v: exit %d: %q", args, code, stderr)
		}
	}
}

// TestSweepCheckDeterminism: with --check-determinism, a seed whose two
// runs write other bytes fails, one that repeats passes.
func TestSweepCheckDeterminism(t *testing.T) {
	calls := 0
	r := &seedRunner{twice: true, version: "test", keep: t.TempDir(), ext: ".pcap",
		run: func(seed int64, w io.Writer) (netsim.Stats, string) {
			calls++
			if seed == 2 {
				w.Write([]byte{byte(calls)}) // another byte each run
			} else {
				w.Write([]byte{byte(seed)})
			}
			return netsim.Stats{Frames: 1}, ""
		}}
	if rec := r.runSeed(1); !rec.Pass {
		t.Errorf("seed 1 repeats, yet fails: %s", rec.Failure)
	}
	rec := r.runSeed(2)
	if rec.Pass || !strings.HasPrefix(rec.Failure, "not deterministic: a second run gave other capture bytes") {
		t.Errorf("seed 2: %+v", rec)
	}
	if _, err := os.Stat(filepath.Join(r.keep, "seed2.pcap")); err != nil {
		t.Errorf("the nondeterministic seed's capture is not kept: %v", err)
	}
}

// TestSweepLedgerOtherSweep: a ledger is resumed only by the same sweep:
// the same scenario, unedited, with the same run flags. Another flag or an
// edited file runs its seeds and appends them beside the others' (a
// ledger used to be resumed by any sweep: `--loss 50%` on a ledger of
// lossless runs skipped every seed and reported their results).
func TestSweepLedgerOtherSweep(t *testing.T) {
	dir := t.TempDir()
	code, src, stderr := sweepCmd(t, dir, nil, "show", "book-tcp")
	if code != 0 {
		t.Fatalf("show: %d %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(src), 0o666); err != nil {
		t.Fatal(err)
	}
	run := func(want string, args ...string) string {
		t.Helper()
		_, stdout, stderr := sweepCmd(t, dir, nil, append([]string{"sweep", "b.yaml", "--seeds", "1-3", "--ledger", "l.jsonl"}, args...)...)
		if !strings.Contains(stdout, want) {
			t.Fatalf("%v: want %q in\n%s%s", args, want, stdout, stderr)
		}
		return stderr
	}
	run("3 seed(s) run")
	if stderr := run("0 seed(s) run"); !strings.Contains(stderr, "3 seed(s) already in the ledger") {
		t.Fatalf("the same sweep again: %s", stderr)
	}
	if stderr := run("3 seed(s) run", "--loss", "50%"); !strings.Contains(stderr, `3 record(s) are of other runs ("book-tcp (`) {
		t.Fatalf("with --loss: %s", stderr)
	}
	i := strings.Index(src, "\nsummary: ")
	if i < 0 {
		t.Fatalf("book-tcp has no summary line:\n%s", src)
	}
	edited := src[:i] + "\nsummary: edited\n" + src[i+1+strings.Index(src[i+1:], "\n")+1:]
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(edited), 0o666); err != nil {
		t.Fatal(err)
	}
	run("3 seed(s) run")
	names := map[string]int{}
	for _, r := range readLedger(t, filepath.Join(dir, "l.jsonl")) {
		names[r.Name]++
	}
	if len(names) != 3 {
		t.Fatalf("ledger records by name: %v, want 3 sweeps of 3 seeds", names)
	}
	for n, c := range names {
		if c != 3 || !strings.HasPrefix(n, "book-tcp (") {
			t.Errorf("%d records named %q", c, n)
		}
	}
}

// TestSweepKeepUnwritable: when the failing seeds' captures cannot be
// kept, the summary says so and why, instead of naming files that are not
// there.
func TestSweepKeepUnwritable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := sweepCmd(t, dir, nil, "sweep", "book-tcp", "--seeds", "1-5", "--loss", "10%", "-j", "1", "--keep", "f/sub")
	if code != 1 || !strings.Contains(stdout, "FAIL seed 1:") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "capture:   f/sub/") || !strings.Contains(stdout, "capture:   not kept: --keep f/sub: not a directory") {
		t.Fatalf("summary:\n%s", stdout)
	}
}

// TestSweepLedgerNameStable: a shipped scenario's ledger name is its name,
// the sha256 of its file's bytes and the flags, so that a netsim release
// with other Go structs behind the same file resumes the same ledger (a
// digest of the parsed Scenario changed with each new step key).
func TestSweepLedgerNameStable(t *testing.T) {
	dir := t.TempDir()
	_, src, _ := sweepCmd(t, dir, nil, "show", "book-tcp")
	sum := sha256.Sum256([]byte(src))
	sweepCmd(t, dir, nil, "sweep", "book-tcp", "--seeds", "1", "--loss", "1%", "--ledger", "l.jsonl")
	recs := readLedger(t, filepath.Join(dir, "l.jsonl"))
	want := "book-tcp (" + hex.EncodeToString(sum[:])[:12] + ") --loss 1%"
	if len(recs) != 1 || recs[0].Name != want {
		t.Fatalf("records %+v, want one named %q", recs, want)
	}
}
