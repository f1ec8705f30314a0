package sim

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// A task's goroutine id names its goroutine in hang and leak reports (the
// ids of a stack dump). Every task records it as it starts. Reading it from
// a stack trace (runtime.Stack) costs a traceback and its formatting: 6.7%
// of the instructions of a run of 10,000 connections (20,000 tasks). So
// where the runtime's goroutine record can be had (getg, in assembly, on
// amd64 and arm64 without the race detector), goid reads the id from it.
// The record's layout is the runtime's own and may change with a release:
// the id's offset is found at the first call, by comparing the record's
// words with the ids the stack traces of four goroutines give, and used only
// if exactly one offset holds each one's id. Anywhere else, or if no single
// offset qualifies, goid reads the stack trace.

// goidWords is how many words of a goroutine's record are searched for its
// id: the runtime's record is larger, and its id comes well before.
const goidWords = 40

// goidOffset is the offset of the id in the runtime's goroutine record, or
// -1 when it must be read from a stack trace.
var goidOffset = sync.OnceValue(findGoidOffset)

// goid returns the calling goroutine's id.
func goid() uint64 {
	if off := goidOffset(); off >= 0 {
		return *(*uint64)(unsafe.Add(getg(), off))
	}
	return stackGoid()
}

// stackGoid returns the calling goroutine's id, as its stack trace shows it.
func stackGoid() uint64 {
	var buf [64]byte
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf[:runtime.Stack(buf[:], false)]), "goroutine "), " ")
	n, _ := strconv.ParseUint(id, 10, 64)
	return n
}

// goidCandidates returns the offsets of the calling goroutine's record
// whose word is its id (none where getg has no record to give).
func goidCandidates() []int {
	g, id := getg(), stackGoid()
	if g == nil || id == 0 {
		return nil
	}
	var offs []int
	for i := range goidWords {
		off := i * 8
		if *(*uint64)(unsafe.Add(g, off)) == id {
			offs = append(offs, off)
		}
	}
	return offs
}

// findGoidOffset returns the one offset at which the records of the calling
// goroutine and of three new ones hold their ids, or -1.
func findGoidOffset() int {
	offs := goidCandidates()
	for range 3 {
		ch := make(chan []int)
		go func() { ch <- goidCandidates() }()
		other := <-ch
		offs = slicesKeep(offs, other)
	}
	if len(offs) != 1 {
		return -1
	}
	return offs[0]
}

// slicesKeep returns the elements of a that are also in b.
func slicesKeep(a, b []int) []int {
	var out []int
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}
