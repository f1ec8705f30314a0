package ladder_test

import (
	"log"
	"os"

	"netsim.dev/netsim/ladder"
)

// Draw the book's TCP exchange (testdata/tcp.pcap, from `netsim run tcp`)
// in the terminal. Both ends are 127.0.0.1, so the columns are
// address:port; each arrow carries the flags and Wireshark's relative
// numbers.
func Example() {
	l, err := ladder.ReadFile("../../testdata/tcp.pcap")
	if err != nil {
		log.Fatal(err)
	}
	if err := l.WriteText(os.Stdout, ladder.Options{}); err != nil {
		log.Fatal(err)
	}
	// Output:
	//            127.0.0.1:32379                     127.0.0.1:24000
	//     time  frame   |                                   |
	// 0.000000      1   |------- [SYN] Seq=0 Len=0 -------->|
	// 0.000010      2   |<-- [SYN, ACK] Seq=0 Ack=1 Len=0 --|
	// 0.000020      3   |---- [ACK] Seq=1 Ack=1 Len=0 ----->|
	// 0.000040      4   |-- [PSH, ACK] Seq=1 Ack=1 Len=3 -->|
	// 0.000050      5   |<---- [ACK] Seq=1 Ack=4 Len=0 -----|
	// 0.000060      6   |-- [FIN, ACK] Seq=4 Ack=1 Len=0 -->|
	// 0.000070      7   |<---- [ACK] Seq=1 Ack=5 Len=0 -----|
	// 0.000090      8   |<-- [FIN, ACK] Seq=1 Ack=5 Len=0 --|
	// 0.000100      9   |---- [ACK] Seq=5 Ack=2 Len=0 ----->|
	//                   |                                   |
}

// Write a lossy run's ladder as a Mermaid sequenceDiagram with the
// network's notes: a lost frame is a message that ends in a cross.
func ExampleLadder_WriteMermaid() {
	l, err := ladder.ReadFile("../../testdata/tcp-lossy.pcapng")
	if err != nil {
		log.Fatal(err)
	}
	l.Messages = l.Messages[4:7]
	if err := l.WriteMermaid(os.Stdout, ladder.Options{Notes: true}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// sequenceDiagram
	//     participant h0 as 127.0.0.1:56143
	//     participant h1 as 127.0.0.1:24000
	//     h1->>h0: 5 · 0.000050000 · [ACK] Seq=1 Ack=4 Len=0
	//     h0-xh1: 6 · 0.000060000 · [FIN, ACK] Seq=4 Ack=1 Len=0 (lost)
	//     Note right of h0: lost: loss 30#37; on localhost:lo
	//     h0->>h1: 7 · 0.202060010 · [FIN, ACK] Seq=4 Ack=1 Len=0 (retransmission)
}
