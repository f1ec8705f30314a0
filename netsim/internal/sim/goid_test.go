package sim

import (
	"runtime"
	"sync"
	"testing"
)

// TestGoid checks goid against the ids the stack traces give, on many
// goroutines, and that amd64 and arm64 read it from the goroutine's record.
func TestGoid(t *testing.T) {
	if off := goidOffset(); off < 0 && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		t.Errorf("no offset of the goroutine id found on %s: goid reads stack traces", runtime.GOARCH)
	}
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
