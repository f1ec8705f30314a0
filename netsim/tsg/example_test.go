package tsg_test

import (
	"fmt"
	"os"
	"strings"

	"netsim.dev/netsim/tsg"
)

// Draw the book's TCP exchange (captured with `netsim run tcp -w
// tcp.pcapng`): the client's SYN, its 3 bytes and its FIN, and the
// server's ACKs.
func ExampleReadFile() {
	g, err := tsg.ReadFile("testdata/tcp.pcapng", tsg.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.Title)
	for _, s := range g.Segments {
		fmt.Printf("frame %d at %d µs: seq %d to %d, SYN %v, FIN %v\n", s.Frame, s.Time/1000, s.Seq, s.End, s.SYN, s.FIN)
	}
	for _, a := range g.Acks {
		fmt.Printf("frame %d: ack %d\n", a.Frame, a.Ack)
	}
	// g.SVG(w) or g.PNG(w) draws it (testdata/tcp.svg, testdata/tcp.png).
	var svg strings.Builder
	if err := g.SVG(&svg); err != nil {
		fmt.Println(err)
	}
	fmt.Println(strings.Contains(svg.String(), "<svg"))
	// Output:
	// TCP 127.0.0.1:32379 → 127.0.0.1:24000 (tcp.stream 0)
	// frame 1 at 0 µs: seq 0 to 1, SYN true, FIN false
	// frame 4 at 40 µs: seq 1 to 4, SYN false, FIN false
	// frame 6 at 60 µs: seq 4 to 5, SYN false, FIN true
	// frame 2: ack 1
	// frame 5: ack 4
	// frame 7: ack 5
	// frame 8: ack 5
	// true
}

// Pick the stream and the direction: here the server's side of the lossy
// transfer, whose only segments are its SYN and FINs.
func ExampleRead() {
	f, err := os.Open("testdata/transfer-loss.pcapng")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	g, err := tsg.Read(f, tsg.Options{Stream: 0, Direction: tsg.Server})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.Sender, "→", g.Receiver)
	for _, s := range g.Segments {
		fmt.Printf("frame %d: seq %d, SYN %v, FIN %v, retransmission %v, lost %q\n", s.Frame, s.Seq, s.SYN, s.FIN, s.Retransmission, s.Lost)
	}
	// Output:
	// 10.0.0.2:5001 → 10.0.0.1:38900
	// frame 4: seq 0, SYN true, FIN false, retransmission false, lost ""
	// frame 51: seq 1, SYN false, FIN true, retransmission false, lost "lost: loss 5% on client-server server→client"
	// frame 52: seq 1, SYN false, FIN true, retransmission true, lost ""
}
