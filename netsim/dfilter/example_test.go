package dfilter_test

import (
	"fmt"
	"log"

	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// Compile a filter once and match it against every decoded packet.
func ExampleFilter_Match() {
	f, err := dfilter.Compile("tcp.port == 24000 && tcp.payload contains 2c:37:42")
	if err != nil {
		log.Fatal(err)
	}
	r, err := pcapread.Open("testdata/linux-lo-tcp-multi.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	err = dissect.Scan(r, func(p *dissect.Packet) error {
		if f.Match(p) {
			fmt.Println(p.Number, dissect.FieldString(p, "tcp.seq"), dissect.FieldString(p, "tcp.len"))
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// 4 1 3
	// 6 4 3
	// 8 7 3
}
