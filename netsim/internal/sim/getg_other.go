//go:build (!amd64 && !arm64) || race

package sim

import "unsafe"

// getg returns nil: no goroutine record on this architecture, nor under
// the race detector (goid reads the stack trace).
func getg() unsafe.Pointer { return nil }
