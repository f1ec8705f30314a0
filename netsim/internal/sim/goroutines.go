package sim

import (
	"runtime"
	"strings"
)

// Stacks returns every goroutine's state and stack, from a stack dump of
// them all (for package netsimtest's reports).
func Stacks() []Goroutine { return stacks() }

// BubbleOf returns the synctest bubble named in a goroutine's state
// ("chan receive (durable), synctest bubble 3" gives "3"), or "".
func BubbleOf(state string) string { return bubbleOf(state) }

// Current returns the calling goroutine's id and its synctest bubble (""
// outside one), from its stack trace's header.
func Current() (id, bubble string) {
	var buf [256]byte
	header, _, _ := strings.Cut(string(buf[:runtime.Stack(buf[:], false)]), "\n")
	id, state, _ := strings.Cut(strings.TrimPrefix(header, "goroutine "), " ")
	return id, bubbleOf(state)
}

// SynctestOwn reports whether a goroutine whose stack is stack is one of
// testing/synctest's own, waiting for the test to end.
func SynctestOwn(stack string) bool { return synctestOwn(stack) }
