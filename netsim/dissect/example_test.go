package dissect_test

import (
	"fmt"
	"io"
	"log"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// Print tshark's one-line summary of every frame of a capture.
func ExampleSummary() {
	r, err := pcapread.Open("testdata/linux-lo-tcp.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	err = dissect.Scan(r, func(p *dissect.Packet) error {
		if p.Number <= 2 {
			fmt.Println(dissect.Summary(p))
		}
		return nil
	})
	if err != nil && err != io.EOF {
		log.Fatal(err)
	}
	// Output:
	//     1   0.000000    127.0.0.1 → 127.0.0.1    TCP 74 53410 → 24000 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=1853576331 TSecr=0 WS=1024
	//     2   0.000026    127.0.0.1 → 127.0.0.1    TCP 74 24000 → 53410 [SYN, ACK] Seq=0 Ack=1 Win=65483 Len=0 MSS=65495 SACK_PERM TSval=1715335425 TSecr=1853576331 WS=1024
}

// Read tcp.seq, tcp.ack and the payload as tshark -T fields prints them.
func ExampleFieldString() {
	r, err := pcapread.Open("testdata/linux-lo-tcp.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	_ = dissect.Scan(r, func(p *dissect.Packet) error {
		if p.TCP.Len > 0 {
			fmt.Println(dissect.FieldString(p, "tcp.seq"), dissect.FieldString(p, "tcp.ack"), dissect.FieldString(p, "tcp.payload"))
		}
		return nil
	})
	// Output: 1 1 2c3742
}
