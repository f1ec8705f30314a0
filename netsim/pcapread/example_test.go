package pcapread_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"netsim.dev/netsim/pcapread"
)

// Stream a capture's frames one at a time: the interfaces a pcapng file
// names (a link's name, here the host localhost's loopback), each frame's
// time, length and the network's note on the frames it lost (testdata/tcp-lossy.pcapng, from `netsim run tcp --loss`).
func Example() {
	r, err := pcapread.Open("../../testdata/tcp-lossy.pcapng")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for {
		f, err := r.Next() // f.Data is reused by the next call: Clone to keep it
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // a *pcapread.FormatError names the file offset
		}
		ifc := r.Interfaces()[f.Interface]
		fmt.Printf("%d %s %s %d bytes %q\n", f.Number, time.Unix(0, f.Time).UTC().Format("15:04:05.000000"), ifc.Name, len(f.Data), f.Comments)
	}
	fmt.Println(r.Format())
	// Output:
	// 1 00:00:00.000000 localhost:lo 74 bytes []
	// 2 00:00:00.000010 localhost:lo 74 bytes []
	// 3 00:00:00.000020 localhost:lo 66 bytes []
	// 4 00:00:00.000040 localhost:lo 69 bytes []
	// 5 00:00:00.000050 localhost:lo 66 bytes []
	// 6 00:00:00.000060 localhost:lo 66 bytes ["lost: loss 30% on localhost:lo"]
	// 7 00:00:00.202060 localhost:lo 66 bytes []
	// 8 00:00:00.202070 localhost:lo 66 bytes []
	// 9 00:00:00.202090 localhost:lo 66 bytes ["lost: loss 30% on localhost:lo"]
	// 10 00:00:00.404090 localhost:lo 66 bytes []
	// 11 00:00:00.404100 localhost:lo 66 bytes ["lost: loss 30% on localhost:lo"]
	// 12 00:00:00.604090 localhost:lo 66 bytes []
	// 13 00:00:00.604100 localhost:lo 66 bytes []
	// pcapng
}

// A file that is not a capture, or is cut short, fails with a
// *FormatError giving the offset of the bad header or record.
func ExampleFormatError() {
	_, err := pcapread.ReadFile("example_test.go")
	var fe *pcapread.FormatError
	if errors.As(err, &fe) {
		fmt.Println("offset", fe.Offset, "-", fe.Msg)
	}
	// Output:
	// offset 0 - not a pcap or pcapng file (magic number 0x7061636b)
}
