package proc_test

import (
	"context"
	"fmt"
	"os"

	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// The book's UDP exchange, its two Python scripts run unmodified over the
// book's network: the capture is `netsim run udp`'s, byte for byte. A
// program using the Go API calls proc.Launch first in main and gives its
// own executable as the launcher, which installs the seccomp filter.
func Example() {
	n, err := proc.DefaultNetwork(netsim.Options{Capture: new(countWriter)}, false, netsim.LinkConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	exe, _ := os.Executable() // its TestMain (or main) calls proc.Launch
	res, err := proc.Run(context.Background(), n, proc.Config{Stdout: os.Stdout, Launcher: exe},
		proc.Process{Argv: []string{"python3", "testdata/book/udp_recv.py"}},
		proc.Process{Argv: []string{"python3", "testdata/book/udp_send.py"}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Println(r.Name, "exited with", r.ExitCode)
	}
	fmt.Println(n.Stats().Frames, "frame")
	// It prints (not checked here: python3 may be missing; TestBookGolden
	// checks the same run):
	//
	//	udp_recv: b',7B'
	//	udp_recv exited with 0
	//	udp_send exited with 0
	//	1 frame
}

type countWriter struct{}

func (countWriter) Write(b []byte) (int, error) { return len(b), nil }
