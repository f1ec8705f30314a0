package sweep_test

import (
	"fmt"
	"os"
	"os/exec"

	"netsim.dev/netsim/sweep"
)

// Three machines share a sweep of seeds 1-10: each runs its shard, and
// the shards' ledgers merge into the ledger of one sweep.
func ExampleShard() {
	seeds, err := sweep.ParseSeeds("1-10")
	if err != nil {
		panic(err)
	}
	var ledgers [][]sweep.Record
	for i := range 3 {
		shard := sweep.Shard{Index: i, Count: 3}
		mine := shard.Select(seeds)
		fmt.Printf("shard %v runs %v\n", shard, mine)
		var ledger []sweep.Record
		for _, s := range mine {
			ledger = append(ledger, sweep.Record{Seed: s, Pass: s != 7, Frames: 9})
		}
		ledgers = append(ledgers, ledger)
	}
	all, err := sweep.Merge(ledgers...)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(all), "seeds; seed 7 passed:", all[6].Pass)
	// Output:
	// shard 0/3 runs [1 4 7 10]
	// shard 1/3 runs [2 5 8]
	// shard 2/3 runs [3 6 9]
	// 10 seeds; seed 7 passed: false
}

// A sweep's two sides in one program: run as a worker (here when
// SWEEP_WORKER is set) it serves seeds on its standard input and output;
// else it starts workers running its own binary, and prints the summary.
func ExampleRun() {
	if os.Getenv("SWEEP_WORKER") != "" {
		sweep.Serve(os.Stdin, os.Stdout, func(seed int64) sweep.Record {
			// Run the simulation with this seed; say what it did.
			return sweep.Record{Pass: seed%100 != 0}
		})
		return
	}
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	seeds, _ := sweep.ParseSeeds("1-1000")
	sum, err := sweep.Run(sweep.Config{
		Seeds: seeds,
		Jobs:  2,
		Worker: func() *exec.Cmd {
			cmd := exec.Command(self)
			cmd.Env = append(os.Environ(), "SWEEP_WORKER=1")
			return cmd
		},
		Ledger: sweep.NewWriter(os.Stderr),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(sum.Passed, "passed,", sum.Failed, "failed")
}
