package main

import (
	"fmt"
	"io"
)

// cmdRead reads a capture. Placeholder: owned by the reader work.
func cmdRead(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "netsim read: not built yet")
	return 1
}
