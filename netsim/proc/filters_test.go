package proc_test

import (
	"path/filepath"
	"slices"
	"testing"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/dfilter"
)

// bookFilters are the chapter's nine display filters (README, "Lesson
// mode").
var bookFilters = []string{
	"tcp and ip.addr==127.0.0.1 and tcp.port==24000",
	"tcp.flags.syn==1 and tcp.seq==0 and tcp.ack==0",
	"tcp.flags.syn==1 and tcp.flags.ack==1 and tcp.seq==0 and tcp.ack==1",
	"tcp.flags.syn==0 and tcp.flags.ack==1 and tcp.flags.push==0 and tcp.seq==1 and tcp.ack==1",
	"not tcp.flags.push==0",
	"tcp.flags.fin==1 and tcp.dstport==24000",
	"tcp.flags.fin==1 and tcp.srcport==24000",
	"tcp.flags.ack==1 and tcp.seq==5 and tcp.dstport==24000",
	"udp.port==24000",
}

// TestBookFilters: the nine filters select the same frames in the
// captures of the book's scripts (the golden captures) as in the Go
// demos', with netsim's filters and with tshark.
func TestBookFilters(t *testing.T) {
	for _, b := range bookRuns {
		golden := filepath.Join("testdata", b.name+".pcap")
		demo := filepath.Join("testdata", "demo-"+b.demo+".pcap")
		var want [][]int
		for _, f := range bookFilters {
			g, err := dfilter.MatchFile(golden, f)
			if err != nil {
				t.Fatal(err)
			}
			d, err := dfilter.MatchFile(demo, f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(g, d) {
				t.Errorf("%s: %q selects %v, the demo's %v", b.name, f, g, d)
			}
			want = append(want, g)
		}
		if testing.Short() {
			continue
		}
		for i, got := range tsharktest.Select(t, golden, nil, bookFilters...) {
			if !slices.Equal(got, want[i]) && !(len(got) == 0 && len(want[i]) == 0) {
				t.Errorf("%s: tshark -Y %q selects %v, netsim %v", b.name, bookFilters[i], got, want[i])
			}
		}
	}
}
