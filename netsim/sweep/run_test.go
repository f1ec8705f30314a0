package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain makes the test binary a worker when run with
// SWEEP_TEST_WORKER=1: seed 13 panics, seed 21 exits, seeds divisible by 7
// fail, the rest pass.
func TestMain(m *testing.M) {
	if os.Getenv("SWEEP_TEST_WORKER") == "1" {
		fmt.Println("a program's own output, ignored")
		err := Serve(os.Stdin, os.Stdout, func(seed int64) Record {
			switch {
			case seed == 13:
				panic(fmt.Sprintf("unlucky seed %d", seed))
			case seed == 21:
				os.Exit(3)
			case seed == 99:
				time.Sleep(time.Minute)
			case seed%7 == 0:
				return Record{Failure: "expect: divisible by 7", Frames: int(seed), Version: "test"}
			}
			return Record{Pass: true, SHA256: fmt.Sprintf("%064x", seed), Frames: int(seed), SimNS: seed * 1000, Version: "test"}
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func testWorker() *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SWEEP_TEST_WORKER=1")
	return cmd
}

func TestRun(t *testing.T) {
	seeds, _ := ParseSeeds("1-40")
	var ledger bytes.Buffer
	var done []int64
	var mu sync.Mutex
	crashLogs := map[int64]string{}
	sum, err := Run(Config{Seeds: seeds, Jobs: 3, Worker: testWorker, Ledger: NewWriter(&ledger),
		Done: func(r Record) { done = append(done, r.Seed) },
		Crashed: func(seed int64, log []byte) {
			mu.Lock()
			defer mu.Unlock()
			crashLogs[seed] = string(log)
		}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(done)
	if !slices.Equal(done, seeds) {
		t.Fatalf("seeds done: %v", done)
	}
	var failed []int64
	for _, r := range sum.Failures {
		failed = append(failed, r.Seed)
	}
	if want := []int64{7, 13, 14, 21, 28, 35}; !slices.Equal(failed, want) || sum.Passed != 34 || sum.Failed != 6 || sum.Seeds != 40 {
		t.Fatalf("summary %+v, failed %v, want %v", sum, failed, want)
	}
	for _, r := range sum.Failures {
		switch r.Seed {
		case 13:
			if !r.Crashed || !strings.Contains(r.Failure, "panic: unlucky seed 13") {
				t.Errorf("seed 13: %+v", r)
			}
		case 21:
			if !r.Crashed || !strings.Contains(r.Failure, "exit status 3") {
				t.Errorf("seed 21: %+v", r)
			}
		default:
			if r.Crashed || r.Failure != "expect: divisible by 7" {
				t.Errorf("seed %d: %+v", r.Seed, r)
			}
		}
	}
	if len(crashLogs) != 2 || !strings.Contains(crashLogs[13], "panic: unlucky seed 13") || !strings.Contains(crashLogs[13], "goroutine ") {
		t.Errorf("crash logs: %v", crashLogs)
	}
	recs, torn, err := Read("ledger", &ledger)
	if err != nil || torn || len(recs) != 40 {
		t.Fatalf("ledger: %d records, %v, %v", len(recs), torn, err)
	}
	// A second sweep gives the same ledger, wall times aside.
	var again bytes.Buffer
	if _, err := Run(Config{Seeds: seeds, Jobs: 2, Worker: testWorker, Ledger: NewWriter(&again)}); err != nil {
		t.Fatal(err)
	}
	recs2, _, _ := Read("again", &again)
	if err := Compare("first", recs, "again", recs2); err != nil {
		t.Fatal(err)
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	seeds, _ := ParseSeeds("100-100000")
	n := 0
	sum, err := Run(Config{Seeds: seeds, Jobs: 2, Worker: testWorker, Context: ctx, Done: func(Record) {
		if n++; n == 50 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Passed+sum.Failed < 50 || sum.Passed+sum.Failed > 60 {
		t.Fatalf("interrupted sweep: %+v", sum)
	}
}

func TestRunWorkerCannotStart(t *testing.T) {
	_, err := Run(Config{Seeds: []int64{1, 2}, Worker: func() *exec.Cmd { return exec.Command("/nonexistent/netsim") }})
	if !errors.Is(err, ErrWorker) {
		t.Fatalf("err %v, want ErrWorker", err)
	}
	_, err = Run(Config{Seeds: []int64{1, 2}, Worker: func() *exec.Cmd { return exec.Command("true") }})
	if !errors.Is(err, ErrWorker) {
		t.Fatalf("a worker that exits at once: err %v, want ErrWorker", err)
	}
}

// TestRunTimeout: a seed that hangs fails after Timeout, its worker is
// stopped, and its crash log holds the worker's goroutines' stacks, with
// the call it hung in (it used to be empty: the worker was killed with no
// chance to say where it was).
func TestRunTimeout(t *testing.T) {
	start := time.Now()
	var log []byte
	sum, err := Run(Config{Seeds: []int64{99, 100, 101, 102}, Jobs: 2, Worker: testWorker, Timeout: 2 * time.Second,
		Crashed: func(seed int64, b []byte) {
			if seed == 99 {
				log = b
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log, []byte("goroutine ")) || !bytes.Contains(log, []byte("time.Sleep")) {
		t.Errorf("seed 99's crash log has no stack of the hung call:\n%s", log)
	}
	if sum.Passed != 3 || sum.Failed != 1 || !sum.Failures[0].Crashed || sum.Failures[0].Seed != 99 ||
		sum.Failures[0].Failure != "timed out: no result after 2s of wall time; worker process killed" {
		t.Fatalf("summary %+v", sum)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("the sweep took %v: the hung seed's worker was not killed", d)
	}
}

// TestRunLeaksNothing: after Run returns, its goroutines are gone, and so
// are its workers (Wait was called on each: no goroutine of exec left).
func TestRunLeaksNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	seeds, _ := ParseSeeds("1-100000")
	Run(Config{Seeds: seeds, Jobs: 3, Worker: testWorker, Context: ctx, Timeout: time.Minute, Done: func(Record) {
		if n++; n == 30 {
			cancel()
		}
	}})
	Run(Config{Seeds: []int64{1, 13, 21, 40}, Jobs: 2, Worker: testWorker, Timeout: time.Minute})
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
