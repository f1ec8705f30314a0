package netsimtest_test

import (
	"bytes"
	"context"
	"flag"
	"io"
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

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
	"netsim.dev/netsim/sweep"
)

// echoOverLossyLink sends 2 KiB from client to server and back over a
// link with 3% loss each way, and returns how many frames the link lost:
// a number that depends on the seed only.
func echoOverLossyLink(t *testing.T, seed int64) (lost int) {
	t.Helper()
	link := netsim.LinkConfig{Delay: 10 * time.Millisecond, Loss: 0.03}
	n, client, server := twoHosts(t, netsim.Options{Seed: seed}, link)
	netsimtest.Run(t, n, func(t *testing.T) {
		ln, err := server.Listen("tcp", ":7")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.Copy(c, c)
			c.Close()
		}()
		conn, err := client.Dial("tcp", "server:7")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		msg := bytes.Repeat([]byte("netsim"), 2048/6)
		conn.SetDeadline(time.Now().Add(time.Minute))
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(conn, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Error("the echo differs from what was sent")
		}
	})
	ab, ba := n.Link("client-server").Stats()
	return ab.Lost + ba.Lost
}

// seedsHelperEnv gates TestSeedsLossHelper, which fails on purpose: only
// TestSeedsReproduces runs it, in go test processes of its own.
const seedsHelperEnv = "NETSIM_TEST_SEEDS_HELPER"

// TestSeedsLossHelper fails every seed whose run loses a frame, with a
// message naming the count: TestSeedsReproduces runs it over many seeds,
// then runs the reproduction line of a failing one.
func TestSeedsLossHelper(t *testing.T) {
	if os.Getenv(seedsHelperEnv) != "1" {
		t.Skip("fails on purpose; TestSeedsReproduces runs it with " + seedsHelperEnv + "=1")
	}
	netsimtest.Seeds(t, func(t *testing.T, seed int64) {
		if lost := echoOverLossyLink(t, seed); lost > 0 {
			t.Errorf("seed %d: the link lost %d frame(s)", seed, lost)
		}
	})
}

// hermeticEnv is the environment without any variable that selects seeds
// or shards, plus the helper's gate.
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case netsimtest.EnvSeeds, netsimtest.EnvSeed, netsimtest.EnvShard, netsimtest.EnvLedger, netsimtest.EnvCheck,
			sweep.EnvBazelIndex, sweep.EnvBazelTotal, sweep.EnvBazelStatus, sweep.EnvJobIndex, sweep.EnvShards:
			continue
		}
		env = append(env, kv)
	}
	return append(env, seedsHelperEnv+"=1")
}

// TestSeedsReproduces runs TestSeedsLossHelper over seeds 1-12 with `go
// test`, as a user would; some seeds fail, each with a reproduction line.
// It then runs the first failing seed's line, as it is printed, through
// the shell, in a go test process of its own: that run must run that seed
// alone and fail with the same message.
func TestSeedsReproduces(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"test", "-count=1", "-v", "-run", "^TestSeedsLossHelper$"}
	if raceEnabled() {
		args = append(args, "-race")
	}
	args = append(args, "netsim.dev/netsim/netsimtest", "-netsim.seeds=1-12")
	cmd := exec.CommandContext(ctx, gobin, args...)
	cmd.Env = hermeticEnv()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("go %s passed; some seeds should lose a frame and fail:\n%s", strings.Join(args, " "), out)
	}
	// A failing seed: its error, then its reproduction line.
	failRe := regexp.MustCompile(`seed (\d+): the link lost (\d+) frame\(s\)`)
	reproRe := regexp.MustCompile(`netsim: seed (\d+) failed; reproduce with:\n\s+(go test .*)\n`)
	fails := failRe.FindAllStringSubmatch(string(out), -1)
	repros := reproRe.FindAllStringSubmatch(string(out), -1)
	if len(fails) == 0 || len(fails) == 12 || len(repros) != len(fails) {
		t.Fatalf("%d failing seed(s) and %d reproduction line(s) in 12; want some seeds failing (not all), each with its line:\n%s", len(fails), len(repros), out)
	}
	if got := strings.Count(string(out), "--- PASS: TestSeedsLossHelper/seed="); got != 12-len(fails) {
		t.Errorf("%d seeds passed, want %d", got, 12-len(fails))
	}
	summary := regexp.MustCompile(`netsim: 12 seed\(s\) from -netsim.seeds=1-12: (\d+) failed: ([\d ]+);`).FindStringSubmatch(string(out))
	if summary == nil || summary[1] != strconv.Itoa(len(fails)) {
		t.Errorf("no summary of %d failing seeds in the output:\n%s", len(fails), out)
	}
	seed, message, line := fails[0][1], fails[0][0], repros[0][2]
	if repros[0][1] != seed {
		t.Fatalf("the first reproduction line is for seed %s, the first failure seed %s", repros[0][1], seed)
	}
	want := "go test -run '^TestSeedsLossHelper$/^seed=" + seed + "$' netsim.dev/netsim/netsimtest -netsim.seed=" + seed
	if raceEnabled() {
		want = strings.Replace(want, "go test", "go test -race", 1)
	}
	if line != want {
		t.Errorf("reproduction line\n\t%s\nwant\n\t%s", line, want)
	}
	t.Logf("%d of 12 seeds failed; the first, seed %s: %q; reproduce: %s", len(fails), seed, message, line)

	// The line, run by the shell, in a new process, with -v to see what ran.
	repro := exec.CommandContext(ctx, "sh", "-c", line+" -test.v")
	repro.Env = append(hermeticEnv(), "PATH="+filepath.Dir(gobin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	rout, err := repro.CombinedOutput()
	if err == nil {
		t.Fatalf("the reproduction line passed:\n%s", rout)
	}
	if !strings.Contains(string(rout), message) {
		t.Errorf("the reproduction did not fail the same way (%q):\n%s", message, rout)
	}
	if got := regexp.MustCompile(`=== RUN   TestSeedsLossHelper/seed=(\d+)`).FindAllStringSubmatch(string(rout), -1); len(got) != 1 || got[0][1] != seed {
		t.Errorf("the reproduction ran seeds %v, want %s alone:\n%s", got, seed, rout)
	}
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	return strings.Contains(netsimtest.ReproCommand("T", ".", 1), "-race")
}

// setFlag sets a flag of netsimtest for the rest of the test.
func setFlag(t *testing.T, name, value string) {
	t.Helper()
	old := flag.Lookup(name).Value.String()
	if err := flag.Set(name, value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { flag.Set(name, old) })
}

// clearEnv unsets, for the rest of the test, the variables that select
// seeds and shards, so that the machine's own do not leak in.
func clearEnv(t *testing.T) {
	for _, name := range []string{netsimtest.EnvSeeds, netsimtest.EnvSeed, netsimtest.EnvShard, netsimtest.EnvLedger, netsimtest.EnvCheck,
		sweep.EnvBazelIndex, sweep.EnvBazelTotal, sweep.EnvBazelStatus, sweep.EnvJobIndex, sweep.EnvShards} {
		t.Setenv(name, "")
	}
}

// seedsRun returns the seeds Seeds runs in t, in order, with a body that
// only records them.
func seedsRun(t *testing.T) []int64 {
	t.Helper()
	var got []int64
	netsimtest.Seeds(t, func(t *testing.T, seed int64) {
		if want := "seed=" + strconv.FormatInt(seed, 10); !strings.HasSuffix(t.Name(), "/"+want) {
			t.Errorf("subtest %q, want .../%s", t.Name(), want)
		}
		got = append(got, seed)
	})
	return got
}

// TestSeedsSelection: the default is seed 1; $NETSIM_SEEDS and
// -netsim.seeds give a list (the flag wins); -netsim.seed one seed, even
// in a shard that does not hold it.
func TestSeedsSelection(t *testing.T) {
	for _, tc := range []struct {
		name             string
		env, seeds, seed string
		shard            string
		want             []int64
	}{
		{name: "default", want: []int64{1}},
		{name: "env", env: "3-5,9", want: []int64{3, 4, 5, 9}},
		{name: "flag", seeds: "7,2", want: []int64{7, 2}},
		{name: "flag over env", env: "1-100", seeds: "-2,0", want: []int64{-2, 0}},
		{name: "one seed", env: "1-100", seeds: "1-100", seed: "137", shard: "0/4", want: []int64{137}},
		{name: "shard", seeds: "10-19", shard: "1/3", want: []int64{11, 14, 17}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(netsimtest.EnvSeeds, tc.env)
			setFlag(t, "netsim.seeds", tc.seeds)
			setFlag(t, "netsim.seed", tc.seed)
			setFlag(t, "netsim.shard", tc.shard)
			if got := seedsRun(t); !slices.Equal(got, tc.want) {
				t.Errorf("seeds %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSeedsShardsCoverEverySeed: for N = 1..7 shards of seeds 1-100, from
// -netsim.shard, $NETSIM_SHARD, Bazel's variables and a Kubernetes Indexed
// Job's, every seed runs in exactly one shard, in the split of `netsim
// sweep` (sweep.Shard.Select).
func TestSeedsShardsCoverEverySeed(t *testing.T) {
	all, err := sweep.ParseSeeds("1-100")
	if err != nil {
		t.Fatal(err)
	}
	engines := map[string]func(t *testing.T, i, n int){
		"flag": func(t *testing.T, i, n int) { setFlag(t, "netsim.shard", strconv.Itoa(i)+"/"+strconv.Itoa(n)) },
		"env":  func(t *testing.T, i, n int) { t.Setenv(netsimtest.EnvShard, strconv.Itoa(i)+"/"+strconv.Itoa(n)) },
		"bazel": func(t *testing.T, i, n int) {
			t.Setenv(sweep.EnvBazelIndex, strconv.Itoa(i))
			t.Setenv(sweep.EnvBazelTotal, strconv.Itoa(n))
		},
		"kubernetes": func(t *testing.T, i, n int) {
			t.Setenv(sweep.EnvJobIndex, strconv.Itoa(i))
			t.Setenv(sweep.EnvShards, strconv.Itoa(n))
		},
	}
	for name, set := range engines {
		for n := 1; n <= 7; n++ {
			t.Run(name+"/"+strconv.Itoa(n), func(t *testing.T) {
				count := map[int64]int{}
				for i := range n {
					t.Run(strconv.Itoa(i), func(t *testing.T) {
						clearEnv(t)
						setFlag(t, "netsim.seeds", "1-100")
						set(t, i, n)
						got := seedsRun(t)
						if want := (sweep.Shard{Index: i, Count: n}).Select(all); !slices.Equal(got, want) {
							t.Errorf("shard %d/%d ran %v, want sweep's %v", i, n, got, want)
						}
						for _, s := range got {
							count[s]++
						}
					})
				}
				for _, s := range all {
					if count[s] != 1 {
						t.Errorf("seed %d ran in %d of %d shards, want 1", s, count[s], n)
					}
				}
				if len(count) != len(all) {
					t.Errorf("%d distinct seeds ran, want %d", len(count), len(all))
				}
			})
		}
	}
}

// TestSeedsBazelStatusFile: under Bazel, Seeds touches
// TEST_SHARD_STATUS_FILE and splits the seeds; when the file is already
// there (rules_go's go_test made it: it shards the test functions itself),
// the test runs in one shard only, so Seeds runs all its seeds.
func TestSeedsBazelStatusFile(t *testing.T) {
	t.Run("Seeds shards", func(t *testing.T) {
		clearEnv(t)
		status := filepath.Join(t.TempDir(), "shard.status")
		t.Setenv(sweep.EnvBazelIndex, "1")
		t.Setenv(sweep.EnvBazelTotal, "2")
		t.Setenv(sweep.EnvBazelStatus, status)
		setFlag(t, "netsim.seeds", "1-6")
		if got := seedsRun(t); !slices.Equal(got, []int64{2, 4, 6}) {
			t.Errorf("seeds %v, want shard 1/2: [2 4 6]", got)
		}
		if _, err := os.Stat(status); err != nil {
			t.Errorf("the status file was not touched: %v", err)
		}
		// A second Seeds test of the same binary still shards.
		t.Run("second", func(t *testing.T) {
			if got := seedsRun(t); !slices.Equal(got, []int64{2, 4, 6}) {
				t.Errorf("second test: seeds %v, want [2 4 6]", got)
			}
		})
	})
	t.Run("rules_go shards", func(t *testing.T) {
		clearEnv(t)
		status := filepath.Join(t.TempDir(), "shard.status")
		if err := os.WriteFile(status, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv(sweep.EnvBazelIndex, "1")
		t.Setenv(sweep.EnvBazelTotal, "2")
		t.Setenv(sweep.EnvBazelStatus, status)
		setFlag(t, "netsim.seeds", "1-6")
		if got := seedsRun(t); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
			t.Errorf("seeds %v, want all of 1-6", got)
		}
	})
}

// TestSeedsLedger: -netsim.ledger writes one record per seed in `netsim
// sweep`'s format, with the capture's sha256 and frames; a second run of
// the same seeds gives the same ledger but for wall times.
func TestSeedsLedger(t *testing.T) {
	read := func(path string) []sweep.Record {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, torn, err := sweep.Read(path, f)
		if err != nil || torn {
			t.Fatalf("read %s: torn %v, %v", path, torn, err)
		}
		return recs
	}
	dir := t.TempDir()
	var paths []string
	for run := range 2 {
		path := filepath.Join(dir, "run"+strconv.Itoa(run)+".jsonl")
		paths = append(paths, path)
		t.Run("run", func(t *testing.T) { // run, then run#01: one name in the ledger
			clearEnv(t)
			setFlag(t, "netsim.seeds", "1-3")
			setFlag(t, "netsim.ledger", path)
			netsimtest.Seeds(t, func(t *testing.T, seed int64) { echoOverLossyLink(t, seed) })
		})
	}
	a, b := read(paths[0]), read(paths[1])
	if len(a) != 3 {
		t.Fatalf("%d records, want 3: %+v", len(a), a)
	}
	for i, r := range a {
		if r.Seed != int64(i+1) || !r.Pass || r.Frames < 10 || len(r.SHA256) != 64 || r.SimNS <= 0 || r.WallNS <= 0 || r.Version == "" {
			t.Errorf("record %d: %+v; want seed %d, pass, frames, sha256, simulated and wall time, version", i, r, i+1)
		}
	}
	if a[0].SHA256 == a[1].SHA256 {
		t.Error("seeds 1 and 2 have the same capture")
	}
	if err := sweep.Compare(paths[0], a, paths[1], b); err != nil {
		t.Errorf("two runs of the same seeds: %v", err)
	}
	for _, r := range a {
		if r.Name != "TestSeedsLedger/run" {
			t.Errorf("seed %d: name %q, want the test's, TestSeedsLedger/run", r.Seed, r.Name)
		}
	}
	// Another test over the same seeds in the same ledger: its records
	// are its own, and the ledger merges without a conflict.
	t.Run("other", func(t *testing.T) {
		clearEnv(t)
		setFlag(t, "netsim.seeds", "1-3")
		setFlag(t, "netsim.ledger", paths[0])
		netsimtest.Seeds(t, func(t *testing.T, seed int64) { echoOverLossyLink(t, seed+100) })
	})
	merged, err := sweep.Merge(read(paths[0]))
	if err != nil || len(merged) != 6 {
		t.Errorf("two tests' seeds 1-3 in one ledger: %d records merged, %v; want 6", len(merged), err)
	}
	t.Logf("seed 1: %d frames, %v simulated, sha256 %.12s…", a[0].Frames, a[0].Sim(), a[0].SHA256)
}

// TestReproCommand: each element of the test's name becomes an anchored,
// quoted regular expression, and the command is quoted for a shell.
func TestReproCommand(t *testing.T) {
	got := netsimtest.ReproCommand("TestX/a+b_(it's)/seed=-7#01", "example.com/user/my.proto", -7)
	want := `go test -run '^TestX$/^a\+b_\(it'\''s\)$/^seed=-7$' example.com/user/my.proto -netsim.seed=-7`
	if raceEnabled() {
		want = strings.Replace(want, "go test", "go test -race", 1)
	}
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestSeedsPanicHelper panics on seed 3, when TestSeedsPanicReported runs
// it in a process of its own.
func TestSeedsPanicHelper(t *testing.T) {
	if os.Getenv(seedsHelperEnv) != "panic" {
		t.Skip("panics on purpose; TestSeedsPanicReported runs it")
	}
	netsimtest.Seeds(t, func(t *testing.T, seed int64) {
		if seed == 3 {
			panic("seed 3 panics")
		}
	})
}

// TestSeedsPanicReported: a seed whose body panics ends the test binary,
// as any panicking test does, but first logs its reproduction line, and
// the summary counts it as failed.
func TestSeedsPanicReported(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSeedsPanicHelper$", "-test.v", "-netsim.seeds=1-5")
	cmd.Env = append(hermeticEnv(), seedsHelperEnv+"=panic")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the panicking helper passed:\n%s", out)
	}
	for _, want := range []string{
		"netsim: seed 3 failed; reproduce with:",
		"-run '^TestSeedsPanicHelper$/^seed=3$'",
		"5 seed(s) from -netsim.seeds=1-5: 1 failed: 3;",
		"panic: seed 3 panics",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in the output:\n%s", want, out)
		}
	}
}

// TestSeedsCheckDeterminism: with -netsim.check-determinism each seed runs
// twice, as run=1 and run=2, and a deterministic body passes.
func TestSeedsCheckDeterminism(t *testing.T) {
	clearEnv(t)
	setFlag(t, "netsim.seeds", "1-3")
	setFlag(t, "netsim.check-determinism", "true")
	var runs []string
	netsimtest.Seeds(t, func(t *testing.T, seed int64) {
		runs = append(runs, t.Name())
		echoOverLossyLink(t, seed)
	})
	want := []string{
		"TestSeedsCheckDeterminism/seed=1/run=1", "TestSeedsCheckDeterminism/seed=1/run=2",
		"TestSeedsCheckDeterminism/seed=2/run=1", "TestSeedsCheckDeterminism/seed=2/run=2",
		"TestSeedsCheckDeterminism/seed=3/run=1", "TestSeedsCheckDeterminism/seed=3/run=2",
	}
	if !slices.Equal(runs, want) {
		t.Errorf("runs %v, want %v", runs, want)
	}
}

// nondeterministic counts the runs of TestSeedsNondeterministicHelper's
// body: each sends one byte more than the one before.
var nondeterministic int

// TestSeedsNondeterministicHelper sends a different number of bytes on
// each run of a seed, when TestSeedsNondeterminismCaught runs it.
func TestSeedsNondeterministicHelper(t *testing.T) {
	if os.Getenv(seedsHelperEnv) != "nondeterministic" {
		t.Skip("fails on purpose; TestSeedsNondeterminismCaught runs it")
	}
	netsimtest.Seeds(t, func(t *testing.T, seed int64) {
		nondeterministic++
		n, client, server := twoHosts(t, netsim.Options{Seed: seed}, netsim.LinkConfig{})
		netsimtest.Run(t, n, func(t *testing.T) {
			pc, err := server.ListenPacket("udp", ":9")
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			c, err := client.Dial("udp", "server:9")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(make([]byte, nondeterministic))
		})
	})
}

// TestSeedsNondeterminismCaught: a body whose two runs of one seed capture
// different frames fails that seed, saying so, with a reproduction line
// that checks determinism again.
func TestSeedsNondeterminismCaught(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSeedsNondeterministicHelper$", "-netsim.seeds=5-6", "-netsim.check-determinism")
	cmd.Env = append(hermeticEnv(), seedsHelperEnv+"=nondeterministic")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the nondeterministic helper passed:\n%s", out)
	}
	for _, want := range []string{
		"netsim: seed 5 is not deterministic: the first run captured 1 network(s)",
		"netsim: seed 6 is not deterministic",
		"-run '^TestSeedsNondeterministicHelper$/^seed=5$' netsim.dev/netsim/netsimtest -netsim.seed=5 -netsim.check-determinism",
		"2 seed(s) from -netsim.seeds=5-6, each run twice (-netsim.check-determinism): 2 failed: 5 6;",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in the output:\n%s", want, out)
		}
	}
	// The reproduction's flags, given to the test binary, run seed 5
	// twice and fail it again.
	cmd = exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSeedsNondeterministicHelper$/^seed=5$", "-test.v", "-netsim.seed=5", "-netsim.check-determinism")
	cmd.Env = append(hermeticEnv(), seedsHelperEnv+"=nondeterministic")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "netsim: seed 5 is not deterministic") || strings.Count(string(out), "=== RUN   TestSeedsNondeterministicHelper/seed=5/run=") != 2 {
		t.Errorf("the reproduction's flags: %v:\n%s", err, out)
	}
}

// TestSeedsParallel: a body that calls t.Parallel runs every seed, checked
// for determinism (the comparison waits for both parallel runs) and
// recorded in the ledger once each run is over.
func TestSeedsParallel(t *testing.T) {
	ledger := filepath.Join(t.TempDir(), "parallel.jsonl")
	var mu sync.Mutex
	ran := map[string]bool{}
	t.Run("seeds", func(t *testing.T) {
		clearEnv(t)
		setFlag(t, "netsim.seeds", "1-6")
		setFlag(t, "netsim.check-determinism", "true")
		setFlag(t, "netsim.ledger", ledger)
		netsimtest.Seeds(t, func(t *testing.T, seed int64) {
			t.Parallel()
			echoOverLossyLink(t, seed)
			mu.Lock()
			ran[t.Name()] = true
			mu.Unlock()
		})
	})
	if len(ran) != 12 {
		t.Errorf("%d runs, want 6 seeds x 2: %v", len(ran), ran)
	}
	f, err := os.Open(ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, _, err := sweep.Read(ledger, f)
	if err != nil || len(recs) != 6 {
		t.Fatalf("ledger: %d records, %v; want 6", len(recs), err)
	}
	for _, r := range recs {
		if !r.Pass || r.Frames == 0 || r.SHA256 == "" {
			t.Errorf("seed %d: %+v, want a pass with its capture", r.Seed, r)
		}
	}
}
