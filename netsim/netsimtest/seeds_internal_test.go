package netsimtest

import (
	"errors"
	"strings"
	"testing"

	"netsim.dev/netsim/sweep"
)

// TestMakePlanErrors: a seed list, a seed or a shard that does not parse,
// from a flag or the environment, is an error that names where it came
// from and matches sweep's sentinels; Seeds fails the test with it.
func TestMakePlanErrors(t *testing.T) {
	for _, tc := range []struct {
		env    map[string]string
		seeds  string
		want   error
		saying string
	}{
		{env: map[string]string{EnvSeeds: "1-x"}, want: sweep.ErrSeeds, saying: "NETSIM_SEEDS=1-x"},
		{seeds: "5-1", want: sweep.ErrSeeds, saying: "-netsim.seeds=5-1"},
		{env: map[string]string{EnvSeed: "seven"}, want: sweep.ErrSeeds, saying: "NETSIM_SEED=seven"},
		{env: map[string]string{EnvShard: "4/4"}, want: sweep.ErrShard, saying: "NETSIM_SHARD=4/4"},
		{env: map[string]string{sweep.EnvBazelIndex: "1"}, want: sweep.ErrShard, saying: "TEST_TOTAL_SHARDS"},
		{env: map[string]string{sweep.EnvJobIndex: "2"}, want: sweep.ErrShard, saying: "NETSIM_SHARDS"},
	} {
		for _, name := range []string{EnvSeeds, EnvSeed, EnvShard, EnvLedger, EnvCheck, sweep.EnvBazelIndex, sweep.EnvBazelTotal, sweep.EnvBazelStatus, sweep.EnvJobIndex, sweep.EnvShards} {
			t.Setenv(name, tc.env[name])
		}
		old := *flagSeeds
		*flagSeeds = tc.seeds
		_, err := makePlan()
		*flagSeeds = old
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.saying) {
			t.Errorf("%v %q: error %v, want %v saying %q", tc.env, tc.seeds, err, tc.want, tc.saying)
		}
		t.Log(err)
	}
}

// TestCheckRuns: -netsim.check=N overrides the number of runs a test
// gives Check; a bad value is an error naming the flag.
func TestCheckRuns(t *testing.T) {
	defer func(v string) { *flagCheckRuns = v }(*flagCheckRuns)
	t.Setenv(EnvCheckRuns, "")
	if n, err := checkRuns(20); n != 20 || err != nil {
		t.Errorf("no flag: %d, %v; want 20", n, err)
	}
	*flagCheckRuns = "3"
	if n, err := checkRuns(20); n != 3 || err != nil {
		t.Errorf("-netsim.check=3: %d, %v; want 3", n, err)
	}
	*flagCheckRuns = "x"
	if _, err := checkRuns(20); err == nil || !strings.Contains(err.Error(), "-netsim.check=x") {
		t.Errorf("-netsim.check=x: %v, want an error naming the flag", err)
	}
}
