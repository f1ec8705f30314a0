package main

import (
	"fmt"
	"io"
)

// cmdRun runs a demo. Placeholder until the simulator core lands.
func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "netsim run: not built yet")
	return 1
}

// cmdList names the demos.
func cmdList(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return 0
}
