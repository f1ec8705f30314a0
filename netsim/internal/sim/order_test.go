package sim

import (
	"strings"
	"sync"
	"testing"
)

// TestTagOf: a goroutine's tag keeps its stack's functions and lines and
// its creation site, not its arguments or code offsets, and ends with its
// creator's id and its own, zero-padded.
func TestTagOf(t *testing.T) {
	const trace = "goroutine 22 [running, synctest bubble 1]:\n" +
		"main.main.func1(0xc000012345, {0x1, 0x2})\n" +
		"\t/tmp/st/main.go:3 +0x3a\n" +
		"sync.(*WaitGroup).Go.func1()\n" +
		"\t/usr/local/go/src/sync/waitgroup.go:258 +0x4a\n" +
		"created by sync.(*WaitGroup).Go in goroutine 1\n" +
		"\t/usr/local/go/src/sync/waitgroup.go:238 +0x73\n"
	tag := tagOf(trace)
	hash, ids, _ := strings.Cut(tag, "|")
	if len(hash) != 16 || ids != "000000000001.000000000022" {
		t.Fatalf("tagOf = %q", tag)
	}
	// Other arguments, offsets and ids: the same stack.
	other := strings.NewReplacer("0xc000012345", "0xc000099999", "+0x3a", "+0x40", "goroutine 22", "goroutine 7", "in goroutine 1", "in goroutine 5").Replace(trace)
	if h, ids, _ := strings.Cut(tagOf(other), "|"); h != hash || ids != "000000000005.000000000007" {
		t.Errorf("tagOf(other) = %s|%s, want %s|000000000005.000000000007", h, ids, hash)
	}
	// Another line, another function, another creation site: another hash.
	for _, r := range [][2]string{{"main.go:3", "main.go:4"}, {"main.main.func1(", "main.main.func2("}, {"waitgroup.go:238", "waitgroup.go:239"}} {
		if h, _, _ := strings.Cut(tagOf(strings.Replace(trace, r[0], r[1], 1)), "|"); h == hash {
			t.Errorf("%s → %s: the same hash", r[0], r[1])
		}
	}
}

// TestCallerTag: goroutines from one go statement share the hash and
// differ by their ids; another call site has another hash.
func TestCallerTag(t *testing.T) {
	s := New(nil)
	tags := make([]string, 3)
	var wg sync.WaitGroup
	for k := range tags {
		wg.Go(func() { tags[k] = s.CallerTag() })
	}
	wg.Wait()
	hash := func(tag string) string { return strings.Split(tag, "|")[1] }
	for k := 1; k < len(tags); k++ {
		if hash(tags[k]) != hash(tags[0]) || tags[k] == tags[0] {
			t.Errorf("tags 0 and %d: %q, %q", k, tags[0], tags[k])
		}
	}
	if here := s.CallerTag(); hash(here) == hash(tags[0]) {
		t.Errorf("another call site, the same hash: %q", here)
	}
}

// BenchmarkCallerTag: the cost a socket made in test mode pays for its
// name (one stack trace of the calling goroutine).
func BenchmarkCallerTag(b *testing.B) {
	s := New(nil)
	for b.Loop() {
		s.CallerTag()
	}
}
