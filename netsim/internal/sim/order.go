package sim

import (
	"fmt"
	"hash/fnv"
	"runtime"
	"strconv"
	"strings"
)

// Ordering sockets made at one virtual instant (test mode).
//
// In test mode the driver gathers the Ops that goroutines submit until the
// bubble is durably blocked (synctest.Wait), then serves them by Key. The
// Key of a socket's first Op (a Dial, a Listen, a UDP socket's creation)
// decides which socket gets which ephemeral port, which SYN leaves first,
// and so the order of every later Op on it. A name numbered in the order
// the goroutines arrived ("#2") would hand that order to the Go scheduler:
// CallerTag names the calling goroutine by what it does instead.

// CallerTag returns a tag of the calling goroutine that does not depend on
// which goroutine reached netsim first, for the name of a socket it makes
// (test mode): "00000000000000000042|f3a9…|000000000012.000000000031".
//
// Its first field counts the driver's waits for the bubble to block (the
// goroutines that run between two of them share it): sockets made one
// after the other, even at one virtual instant, rank in the order they
// were made. Then, for the sockets made by goroutines that ran at the same
// time: a hash of the goroutine's stack (function names and lines of every
// frame, then the site of the go statement that created it), which
// differs between call sites; then the id of the goroutine that created it
// and its own id, which order the goroutines a go statement makes in a
// loop, and the goroutines that each of them starts (net/http's
// dialConnFor, go-redis's queuedNewConn). The runtime numbers a
// goroutine's children as it creates them while it stays on one processor
// (ids come from per-processor caches): a creator moved to another one
// between two go statements (a GC assist, a preemption) can leave ids out
// of order, which shows now and then under -race.
//
// What remains a tie, or an order the scheduler picks, is documented in
// netsim's test-mode rules: goroutines alike created by goroutines that
// were themselves created in racing order (a worker pool serving a shared
// queue), or at different times and released together, and a choice made
// under a library's own mutex.
func (s *Sim) CallerTag() string {
	return fmt.Sprintf("%020d|%s", s.test.window.Load(), tagOf(stackTrace(false, 4096)))
}

// stackTrace returns runtime.Stack's trace of the calling goroutine, or of
// every goroutine (all), in a buffer of size bytes or more.
func stackTrace(all bool, size int) string {
	buf := make([]byte, size)
	for {
		n := runtime.Stack(buf, all)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// tagOf is CallerTag for trace, one goroutine's stack trace as
// runtime.Stack prints it.
func tagOf(trace string) string {
	header, body, _ := strings.Cut(trace, "\n")
	id, _, _ := strings.Cut(strings.TrimPrefix(header, "goroutine "), " ")
	parent := ""
	h := fnv.New64a()
	for line := range strings.Lines(body) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "\t"):
			// "\t/path/file.go:123 +0x3a": the offset says nothing more.
			line, _, _ = strings.Cut(line, " +0x")
		case strings.HasPrefix(line, "created by "):
			// "created by pkg.f in goroutine 7"
			var in string
			line, in, _ = strings.Cut(line, " in goroutine ")
			parent = in
		default:
			// "pkg.(*T).m(0xc000123456, {0x1, 0x2})": the arguments are
			// addresses and values that differ from run to run.
			if i := strings.LastIndexByte(line, '('); i > 0 {
				line = line[:i]
			}
		}
		h.Write([]byte(line))
		h.Write([]byte{'\n'})
	}
	return fmt.Sprintf("%016x|%s.%s", h.Sum64(), pad(parent), pad(id))
}

// pad writes a goroutine id with leading zeros, so that ids compare as
// numbers in a Key's string.
func pad(id string) string {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return id
	}
	return fmt.Sprintf("%012d", n)
}
