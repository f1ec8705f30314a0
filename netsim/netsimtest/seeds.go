package netsimtest

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim/sweep"
)

// The flags of [Seeds]. They are registered on the command line of every
// test binary that imports netsimtest, as package testing registers its
// own (-test.run, -test.v), so `go test ./pkg -netsim.seeds=1-500` reaches
// them: go test passes a flag it does not know to the test binary. A test
// binary that does not import netsimtest rejects them ("flag provided but
// not defined"): over many packages (`go test ./...`), use the environment
// variables instead, which every binary ignores but netsimtest's.
var (
	flagSeeds  = flag.String("netsim.seeds", "", "run netsimtest.Seeds tests over these `seeds` (1-500, or 1-10,20,30-40); overrides $NETSIM_SEEDS")
	flagSeed   = flag.String("netsim.seed", "", "run netsimtest.Seeds tests over this one `seed` only, in any shard (the reproduction of a failing seed); overrides $NETSIM_SEED")
	flagShard  = flag.String("netsim.shard", "", "run only shard `I/N` (0 <= I < N) of the seeds; overrides $NETSIM_SHARD, Bazel's TEST_SHARD_INDEX/TEST_TOTAL_SHARDS and Kubernetes' JOB_COMPLETION_INDEX")
	flagLedger = flag.String("netsim.ledger", "", "append one JSON line per seed run by netsimtest.Seeds to `file` (relative to the package's directory); overrides $NETSIM_LEDGER")
)

// flagCheck is -netsim.check-determinism, a boolean flag (given alone, it
// is true) kept as text so that an absent flag defers to the environment.
var flagCheck = func() *string {
	v := new(boolText)
	flag.Var(v, "netsim.check-determinism", "run each seed of netsimtest.Seeds twice and fail it when the two runs' captures differ; overrides $NETSIM_CHECK_DETERMINISM")
	return (*string)(v)
}()

// boolText is a boolean flag's text.
type boolText string

// String returns the flag's text, "" when not given.
func (b *boolText) String() string { return string(*b) }

// Set keeps the text; makePlan parses it.
func (b *boolText) Set(s string) error { *b = boolText(s); return nil }

// IsBoolFlag makes the flag boolean: given alone, it is "true".
func (b *boolText) IsBoolFlag() bool { return true }

// Environment variables read by [Seeds] when the matching flag is not
// given. The shard also comes from the variables of the batch engines,
// as `netsim sweep` takes it: see [sweep.ShardFromEnv].
const (
	EnvSeeds  = "NETSIM_SEEDS"             // like -netsim.seeds
	EnvSeed   = "NETSIM_SEED"              // like -netsim.seed
	EnvShard  = "NETSIM_SHARD"             // like -netsim.shard
	EnvLedger = "NETSIM_LEDGER"            // like -netsim.ledger
	EnvCheck  = "NETSIM_CHECK_DETERMINISM" // like -netsim.check-determinism
)

// plan is what Seeds runs: the seeds, and where they came from.
type plan struct {
	seeds     []int64 // the whole list, before the shard
	shard     sweep.Shard
	from      string // "-netsim.seeds=1-500", "NETSIM_SEEDS=...", "the default seed 1"
	shardFrom string // "-netsim.shard=1/4", "TEST_SHARD_INDEX=1, TEST_TOTAL_SHARDS=4"
	single    bool   // -netsim.seed: one seed, no shard applied
	check     bool   // -netsim.check-determinism: each seed twice
}

// bazelStatus is Bazel's TEST_SHARD_STATUS_FILE after this process touched
// it, so that a second Seeds test of the same binary does not take the
// file for rules_go's.
var bazelStatus struct {
	sync.Mutex
	touched string
}

// lookup returns a flag's value if given, else the environment variable's,
// and says which.
func lookup(fv *string, flagName, env string) (value, from string) {
	if *fv != "" {
		return *fv, "-" + flagName + "=" + *fv
	}
	if v := os.Getenv(env); v != "" {
		return v, env + "=" + v
	}
	return "", ""
}

// makePlan reads the flags and the environment.
func makePlan() (plan, error) {
	check := false
	if v, from := lookup(flagCheck, "netsim.check-determinism", EnvCheck); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return plan{}, fmt.Errorf("%s: not true or false", from)
		}
		check = b
	}
	if v, from := lookup(flagSeed, "netsim.seed", EnvSeed); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return plan{}, fmt.Errorf("%s: %w: not a seed (an integer)", from, sweep.ErrSeeds)
		}
		return plan{seeds: []int64{n}, from: from, single: true, check: check}, nil
	}
	p := plan{seeds: []int64{1}, from: "the default seed 1", check: check}
	if v, from := lookup(flagSeeds, "netsim.seeds", EnvSeeds); v != "" {
		seeds, err := sweep.ParseSeeds(v)
		if err != nil {
			return plan{}, fmt.Errorf("%s: %w", from, err)
		}
		p.seeds, p.from = seeds, from
	}
	if v, from := lookup(flagShard, "netsim.shard", EnvShard); v != "" {
		sh, err := sweep.ParseShard(v)
		if err != nil {
			return plan{}, fmt.Errorf("%s: %w", from, err)
		}
		p.shard, p.shardFrom = sh, from
		return p, nil
	}
	sh, from, err := sweep.ShardFromEnv(os.Getenv, 0)
	if err != nil {
		return plan{}, fmt.Errorf("%w (in go test: -netsim.shard=I/N overrides the environment)", err)
	}
	if os.Getenv(sweep.EnvBazelTotal) != "" && !claimBazelShard() {
		// rules_go's go_test already runs this test function in one
		// shard only: splitting its seeds again would lose them.
		return p, nil
	}
	p.shard, p.shardFrom = sh, from
	return p, nil
}

// claimBazelShard decides whether netsimtest splits the seeds over Bazel's
// shards, and if so touches TEST_SHARD_STATUS_FILE to tell Bazel that the
// test honours them. rules_go's go_test shards the test functions itself
// (round robin over the shards) and touches the file before any test runs:
// if it exists and this process did not make it, the test function already
// runs in one shard only and all its seeds must run there.
func claimBazelShard() bool {
	status := os.Getenv(sweep.EnvBazelStatus)
	if status == "" {
		return true
	}
	bazelStatus.Lock()
	defer bazelStatus.Unlock()
	if bazelStatus.touched == status {
		return true
	}
	if _, err := os.Stat(status); err == nil {
		return false
	}
	err := sweep.TouchShardStatus(os.Getenv, func(name string) error { return os.WriteFile(name, nil, 0o644) })
	if err == nil {
		bazelStatus.touched = status
	}
	return true
}

// Seeds runs body as a subtest named "seed=N" for each seed selected by
// the flags or environment variables, so one test explores many runs of
// the network:
//
//	func TestUpload(t *testing.T) {
//		netsimtest.Seeds(t, func(t *testing.T, seed int64) {
//			n := netsimtest.New(t, netsim.Options{Seed: seed})
//			... build the network, then netsimtest.Run(t, n, ...)
//		})
//	}
//
// The seeds:
//   - -netsim.seeds=1-500 (or $NETSIM_SEEDS): the seeds, as [sweep.ParseSeeds]
//     reads them; without either, the one seed 1, so a plain go test runs
//     the test once, as it did before it had seeds.
//   - -netsim.seed=137 (or $NETSIM_SEED): that seed only, whatever the
//     range and the shard: this is how a failing seed is reproduced.
//   - -netsim.shard=I/N (or $NETSIM_SHARD): shard I of N of the seeds, as
//     [sweep.Shard] splits them (the split of `netsim sweep --shard`); else
//     Bazel's TEST_SHARD_INDEX and TEST_TOTAL_SHARDS (touching
//     TEST_SHARD_STATUS_FILE), unless rules_go's go_test already shards the
//     test functions; else Kubernetes' JOB_COMPLETION_INDEX of an Indexed
//     Job, with the Job's completions in $NETSIM_SHARDS.
//   - -netsim.check-determinism (or $NETSIM_CHECK_DETERMINISM=1): each
//     seed runs twice, as subtests run=1 and run=2, and fails when the
//     captures of the networks [New] made differ between the two (madsim's
//     MADSIM_TEST_CHECK_DETERMINISM; `netsim sweep --check-determinism`).
//   - -netsim.ledger=F (or $NETSIM_LEDGER): a JSON line per seed appended
//     to F, a ledger of `netsim sweep`'s format ([sweep.Record], named
//     by the test), which `netsim sweep --merge` and --compare read; a
//     relative F is relative to the package's directory, where go test
//     runs the test binary.
//
// A failing seed's subtest logs the command that reproduces it, e.g.
//
//	go test -run '^TestUpload$/^seed=137$' example.com/user/myproto -netsim.seed=137
//
// and when all seeds have run, t's log lists the failing seeds. body may
// call t.Parallel. Seeds calls t.Run, so it must not be called inside
// [Run]'s bubble; a bad flag or variable fails t with an error
// matching [sweep.ErrSeeds] or [sweep.ErrShard].
func Seeds(t *testing.T, body func(t *testing.T, seed int64)) {
	t.Helper()
	p, err := makePlan()
	if err != nil {
		t.Fatal(err)
	}
	seeds := p.seeds
	if !p.single {
		seeds = p.shard.Select(seeds)
	}
	pkg := callerPackage()
	led, err := openLedger()
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var failed []int64
	var firstRepro string
	t.Cleanup(func() { // after every subtest, parallel ones included
		mu.Lock()
		defer mu.Unlock()
		if led != nil {
			if err := led.Close(); err != nil {
				t.Errorf("netsim: ledger: %v", err)
			}
		}
		what := fmt.Sprintf("%d seed(s) from %s", len(seeds), p.from)
		if p.shard.Count > 1 && !p.single {
			what += fmt.Sprintf(" (%d in all), shard %v from %s", len(p.seeds), p.shard, p.shardFrom)
		}
		if p.check {
			what += ", each run twice (-netsim.check-determinism)"
		}
		if len(failed) == 0 {
			t.Logf("netsim: %s: all passed", what)
			return
		}
		list := make([]string, len(failed))
		for i, s := range failed {
			list[i] = strconv.FormatInt(s, 10)
		}
		t.Logf("netsim: %s: %d failed: %s; the first reproduces with\n\t%s", what, len(failed), strings.Join(list, " "), firstRepro)
	})

	for _, seed := range seeds {
		t.Run("seed="+strconv.FormatInt(seed, 10), func(t *testing.T) {
			start := time.Now()
			returned := false // body returned (not a panic, FailNow or SkipNow)
			run := new(seedRun)
			if led != nil || p.check {
				seedRuns.Store(t, run)
			}
			t.Cleanup(func() { // registered first: runs last, after New's capture
				repro := ReproCommand(t.Name(), pkg, seed)
				if p.check {
					repro += " -netsim.check-determinism"
				}
				// A body that panicked neither returned nor failed t
				// yet (testing marks it failed after the cleanups).
				failedNow := t.Failed() || (!returned && !t.Skipped())
				if failedNow {
					t.Logf("netsim: seed %d failed; reproduce with:\n\t%s", seed, repro)
				}
				mu.Lock()
				if failedNow {
					if len(failed) == 0 {
						firstRepro = repro
					}
					failed = append(failed, seed)
				}
				mu.Unlock()
				seedRuns.Delete(t)
				if led != nil {
					if err := led.add(t.Name(), seed, failedNow, run, time.Since(start)); err != nil {
						t.Errorf("netsim: ledger: %v", err)
					}
				}
			})
			if p.check {
				checkDeterminism(t, seed, run, body)
			} else {
				body(t, seed)
			}
			returned = true
		})
	}
}

// checkDeterminism runs body twice for seed, as subtests run=1 and run=2,
// and fails t when the captures of the networks [New] made in the two
// runs differ. The first run's captures go to run, for the ledger.
func checkDeterminism(t *testing.T, seed int64, run *seedRun, body func(t *testing.T, seed int64)) {
	runs := [2]*seedRun{run, new(seedRun)}
	// A cleanup, so that it compares after both runs even when body
	// calls t.Parallel (then t.Run returns before the run).
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		a, b := runs[0].summary(), runs[1].summary()
		switch {
		case a.captures == 0:
			t.Errorf("netsim: -netsim.check-determinism: seed %d made no network with netsimtest.New: nothing to compare", seed)
		case a != b:
			t.Errorf("netsim: seed %d is not deterministic: the first run captured %d network(s), %d frames, sha256 %.16s…; the second %d, %d, %.16s…",
				seed, a.captures, a.frames, a.sha256, b.captures, b.frames, b.sha256)
		}
	})
	for i, r := range runs {
		t.Run("run="+strconv.Itoa(i+1), func(t *testing.T) {
			seedRuns.Store(t, r)
			t.Cleanup(func() { seedRuns.Delete(t) })
			body(t, seed)
		})
	}
}

// ReproCommand returns the go test command line that runs the subtest
// named test (t.Name() of a seed's subtest, "TestX/seed=137") of package
// pkg (an import path, or "." for the current directory) with that seed
// alone, as [Seeds] logs it for a failing seed. Each element of the name
// becomes an anchored, quoted regular expression of -run (without the
// "#01" that testing adds to a repeated name).
func ReproCommand(test, pkg string, seed int64) string {
	parts := strings.Split(test, "/")
	for i, p := range parts {
		// testing makes a repeated subtest name unique with "#01";
		// -run matches the name as given to t.Run.
		p = dedupSuffix.ReplaceAllString(p, "")
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := "go test"
	if raceEnabled {
		cmd += " -race"
	}
	return fmt.Sprintf("%s -run %s %s -netsim.seed=%d", cmd, shellQuote(strings.Join(parts, "/")), shellQuote(pkg), seed)
}

// dedupSuffix is the suffix testing adds to a repeated subtest name.
var dedupSuffix = regexp.MustCompile(`#[0-9]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// callerPackage returns the import path of the package whose test called
// Seeds (its external test package, pkg_test, is pkg's), or "." when it
// cannot be told (package main, whose functions are named main.F).
func callerPackage() string {
	pc, _, _, ok := runtime.Caller(2)
	if !ok {
		return "."
	}
	f := runtime.FuncForPC(pc)
	if f == nil {
		return "."
	}
	name := f.Name() // example.com/user/myproto_test.TestX.func1
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return "."
	}
	pkg := name[:slash+1+dot]
	pkg = strings.ReplaceAll(pkg, "%2e", ".") // the last element's dots are escaped
	pkg = strings.TrimSuffix(pkg, "_test")
	if pkg == "main" {
		return "."
	}
	return pkg
}
