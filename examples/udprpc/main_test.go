package main

import (
	"os"
	"path/filepath"
)

// The run is the same on every machine: the same losses, the same retries,
// the same capture. Two answers arrive after their request's deadline and
// are ignored by sequence number (udp.srcport == 7000 counts 7 answers for 5
// requests). The capture goes to a temporary file here.
func Example() {
	dir, _ := os.MkdirTemp("", "udprpc")
	defer os.RemoveAll(dir)
	if err := run(os.Stdout, filepath.Join(dir, "udprpc.pcapng")); err != nil {
		panic(err)
	}
	// Output:
	// alpha -> ALPHA (tries 5, 1.08004s)
	// bravo -> BRAVO (tries 1, 40.04ms)
	// charlie -> CHARLIE (tries 1, 40.04ms)
	// delta -> DELTA (tries 2, 290.08ms)
	// echo -> ECHO (tries 1, 40.04ms)
	// link: 23 frames sent, 4 lost
	// capture: 10 frames match udp.dstport == 7000
	// capture:  7 frames match udp.srcport == 7000
	// capture:  4 frames match frame.comment contains "lost"
}
