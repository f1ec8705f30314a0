package sim

import (
	"runtime"
	"sync"
	"testing"
)

// TestGoid checks goid against the ids the stack traces give, on many
// goroutines, on both paths; and that amd64 and arm64 read it from the
// goroutine's record, unless under the race detector.
func TestGoid(t *testing.T) {
	fast := (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") && !raceEnabled
	if off := goidOffset(); (off >= 0) != fast {
		t.Errorf("offset of the goroutine id on %s (race detector %v): %d", runtime.GOARCH, raceEnabled, off)
	}
	bothGoidPaths(t, testGoid)
}

// bothGoidPaths runs test as it is and with goid reading stack traces.
func bothGoidPaths(t *testing.T, test func(t *testing.T)) {
	t.Run("record", test)
	t.Run("stack", func(t *testing.T) {
		saved := goidOffset
		goidOffset = func() int { return -1 }
		defer func() { goidOffset = saved }()
		test(t)
	})
}

func testGoid(t *testing.T) {
	var wg sync.WaitGroup
	seen := make(map[uint64]bool)
	var mu sync.Mutex
	for range 200 {
		wg.Go(func() {
			got, want := goid(), stackGoid()
			mu.Lock()
			defer mu.Unlock()
			if got != want || want == 0 {
				t.Errorf("goid() = %d, the stack trace says %d", got, want)
			}
			if seen[got] {
				t.Errorf("goid %d twice", got)
			}
			seen[got] = true
		})
	}
	wg.Wait()
}

func BenchmarkGoid(b *testing.B) {
	for b.Loop() {
		goid()
	}
}

func BenchmarkStackGoid(b *testing.B) {
	for b.Loop() {
		stackGoid()
	}
}
