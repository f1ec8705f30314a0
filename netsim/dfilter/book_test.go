package dfilter

import (
	"fmt"
	"slices"
	"testing"

	"netsim.dev/internal/bookfilters"
)

// bookFilters are the display filters of the book's chapter.
var bookFilters = bookfilters.Filters

// TestBookFilters checks that each of the book's filters selects, on the
// reference captures, exactly the frames the book names.
func TestBookFilters(t *testing.T) {
	want := map[string][][]int{
		// file:          tcp (8 frames)   tcp-multi (12)   udp (1)
		bookFilters[0]: {{1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, nil},
		bookFilters[1]: {{1}, {1}, nil},
		bookFilters[2]: {{2}, {2}, nil},
		// The client's handshake ACK (3) and, in the multi capture, only
		// it: the server's ACKs have seq 1 but ack 4, 7, 10.
		bookFilters[3]: {{3}, {3}, nil},
		// On the UDP capture "tcp.flags.push==0" is false (no field), so
		// its negation is true: tshark also shows the datagram.
		bookFilters[4]: {{4}, {4, 6, 8}, {1}},
		bookFilters[5]: {{6}, {10}, nil},
		bookFilters[6]: {{7}, {11}, nil},
		bookFilters[7]: {{8}, nil, nil},
		bookFilters[8]: {nil, nil, {1}},
	}
	files := []string{"testdata/linux-lo-tcp.pcap", "testdata/linux-lo-tcp-multi.pcap", "testdata/linux-lo-udp.pcap"}
	for _, expr := range bookFilters {
		for i, file := range files {
			got, err := MatchFile(file, expr)
			if err != nil {
				t.Fatal(err)
			}
			if w := want[expr][i]; !slices.Equal(got, w) {
				t.Errorf("%s: %q matched %v, want %v", file, expr, got, w)
			}
		}
	}
}

func ExampleCompile() {
	f, err := Compile("tcp.flags.syn==1 and tcp.ack==0")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f)
	_, err = Compile("tcp.flgs==1")
	fmt.Println(err)
	// Output:
	// tcp.flags.syn==1 and tcp.ack==0
	// "tcp.flgs" is not a valid protocol or protocol field (column 1)
}

func ExampleCountFile() {
	n, err := CountFile("testdata/linux-lo-tcp.pcap", "tcp.flags.fin==1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, "FIN segments")
	// Output: 2 FIN segments
}

func ExampleExpectCount() {
	err := ExpectCount("testdata/linux-lo-tcp.pcap", "tcp.len>0", 2)
	fmt.Println(err)
	// Output: testdata/linux-lo-tcp.pcap: filter "tcp.len>0" matches 1 frames [4], want 2
}
