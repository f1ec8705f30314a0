package main

import (
	"os"
	"path/filepath"
)

// The line sent at 2.04 s is lost with the link; its retransmissions back
// off (200, 400, 800 ms, 1.6 s) while the link is down, and the next one,
// 3.2 s later at 8.5 s, is the first after the heal at 6 s: it and the 12
// lines that queued behind it arrive within 20 ms.
func Example() {
	dir, _ := os.MkdirTemp("", "partition")
	defer os.RemoveAll(dir)
	if err := run(os.Stdout, filepath.Join(dir, "partition.pcapng")); err != nil {
		panic(err)
	}
	// Output:
	// server got 20 lines of 20
	// 13 lines late: sent from 2.04s to 8.04s, arrived from 8.514s to 8.534s
	// link: 33 frames, 6 lost while down (2s to 6s)
	// capture: 33 frames, 6 TCP retransmissions, at: 2.304s 2.504s 2.904s 3.704s 5.304s 8.504s
}
