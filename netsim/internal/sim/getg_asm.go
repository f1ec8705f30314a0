//go:build (amd64 || arm64) && !race

package sim

import "unsafe"

// getg returns the calling goroutine's runtime record.
func getg() unsafe.Pointer
