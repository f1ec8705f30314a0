package dfilter

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/dfilter/internal/corpus"
	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

var update = flag.Bool("update", false, "regenerate testdata/corpus captures and the tshark golden files")

// extraCaptures are more captures to compare with live tshark (no golden
// files), from $NETSIM_DFILTER_CAPTURES (space-separated paths): e.g.
// captures written by netsim run.
func extraCaptures() []string { return strings.Fields(os.Getenv("NETSIM_DFILTER_CAPTURES")) }

func isExtra(c string) bool {
	for _, e := range extraCaptures() {
		if e == c {
			return true
		}
	}
	return false
}

// captures returns the corpus: the reference captures, the generated ones
// and any extra ones.
func captures(t *testing.T) []string {
	refs, _ := filepath.Glob("testdata/*.pcap")
	gen, _ := filepath.Glob("testdata/corpus/*")
	all := append(refs, gen...)
	if len(all) < 8 {
		t.Fatalf("corpus has %d captures; run go test -run TestCorpusCaptures -update", len(all))
	}
	if extra := extraCaptures(); len(extra) > 0 && haveTshark() && !testing.Short() {
		all = append(all, extra...)
	}
	return all
}

// TestCorpusCaptures checks that the committed generated captures are what
// the generator makes; -update rewrites them.
func TestCorpusCaptures(t *testing.T) {
	for _, c := range corpus.All() {
		path := filepath.Join("testdata/corpus", c.Name)
		b := c.Bytes()
		if *update {
			if err := os.MkdirAll("testdata/corpus", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(old, b) {
			t.Errorf("%s is stale or missing (%v); regenerate with go test -run TestCorpusCaptures -update", path, err)
		}
	}
}

func loadFilters(t *testing.T) []string {
	b, err := os.ReadFile("testdata/filters.txt")
	if err != nil {
		t.Fatal(err)
	}
	var fs []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			fs = append(fs, l)
		}
	}
	return fs
}

// decodeAll dissects every frame of a capture.
func decodeAll(t *testing.T, path string) []dissect.Packet {
	r, err := pcapread.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pkts []dissect.Packet
	d := dissect.New()
	d.SetMACNames(testMACNames(t), true)
	for {
		f, err := r.Next()
		if err != nil {
			break
		}
		d.SetInterfaces(r.Interfaces())
		c := f.Clone()
		var p dissect.Packet
		d.Dissect(&c, &p)
		pkts = append(pkts, p)
	}
	return pkts
}

// testMACNames returns the MAC names tshark uses here when it runs (the
// installed manuf and wka files), else those of the fixture in
// netsim/dissect/testdata, which name the addresses of the corpus as they
// do.
func testMACNames(t *testing.T) *dissect.MACNames {
	t.Helper()
	if haveTshark() && !testing.Short() {
		if n := dissect.SystemMACNames(); n != nil {
			return n
		}
	}
	n, err := dissect.LoadMACNames("../dissect/testdata/manuf")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ourResults evaluates each filter: "ERR" or the matching frame numbers.
func ourResults(pkts []dissect.Packet, filters []string) []string {
	res := make([]string, len(filters))
	for i, expr := range filters {
		f, err := Compile(expr)
		if err != nil {
			res[i] = "ERR"
			continue
		}
		var nums []string
		for j := range pkts {
			if f.Match(&pkts[j]) {
				nums = append(nums, strconv.Itoa(pkts[j].Number))
			}
		}
		res[i] = strings.Join(nums, ",")
	}
	return res
}

// tsharkResults evaluates every filter in one tshark pass
// (tsharktest.SelectOrErr): for each, "ERR" or the matching frame numbers,
// comma-separated.
func tsharkResults(t *testing.T, path string, filters []string) []string {
	frames, valid := tsharktest.SelectOrErr(t, path, nil, filters...)
	res := make([]string, len(filters))
	for i, nums := range frames {
		if !valid[i] {
			res[i] = "ERR"
			continue
		}
		s := make([]string, len(nums))
		for j, n := range nums {
			s[j] = strconv.Itoa(n)
		}
		res[i] = strings.Join(s, ",")
	}
	return res
}

func goldenPath(capture, kind string) string {
	return filepath.Join("testdata/golden", filepath.Base(capture)+"."+kind)
}

func readGolden(t *testing.T, capture, kind string) []string {
	b, err := os.ReadFile(goldenPath(capture, kind))
	if err != nil {
		t.Fatalf("%v (regenerate with go test -run TestDifferential -update)", err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// readGoldenOr is readGolden, except that an extra capture has no golden
// file and gets def.
func readGoldenOr(t *testing.T, capture, kind string, def []string) []string {
	if isExtra(capture) {
		return def
	}
	return readGolden(t, capture, kind)
}

func writeGolden(t *testing.T, capture, kind string, lines []string) {
	if err := os.MkdirAll("testdata/golden", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenPath(capture, kind), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDifferential compares, for every (capture, filter) pair, the frames
// our engine selects with tshark's. Expectations recorded from tshark are
// in testdata/golden; when tshark is installed they are re-verified live.
func TestDifferential(t *testing.T) {
	t.Parallel()
	filters := loadFilters(t)
	live := liveMode(t)
	var mu sync.Mutex
	pairs, agree := 0, 0
	caps := captures(t)
	t.Run("captures", func(t *testing.T) {
		for _, c := range caps {
			t.Run(filepath.Base(c), func(t *testing.T) {
				t.Parallel()
				pkts := decodeAll(t, c)
				ours := ourResults(pkts, filters)
				var want []string
				if live {
					want = tsharkResults(t, c, filters)
					if isExtra(c) {
						// compared live only
					} else if *update {
						writeGolden(t, c, "filters", want)
					}
					if g := readGoldenOr(t, c, "filters", want); strings.Join(g, "\n") != strings.Join(want, "\n") {
						t.Errorf("%s: golden filter results differ from live tshark; run with -update", c)
					}
				} else {
					want = readGolden(t, c, "filters")
				}
				p, a := 0, 0
				for i, f := range filters {
					p++
					if ours[i] == want[i] {
						a++
						continue
					}
					t.Errorf("%s: filter %q: ours %q, tshark %q", filepath.Base(c), f, ours[i], want[i])
				}
				mu.Lock()
				pairs, agree = pairs+p, agree+a
				mu.Unlock()
			})
		}
	})
	t.Logf("%d captures × %d filters: %d of %d pairs agree (live tshark: %v)", len(caps), len(filters), agree, pairs, live)
}

// liveMode reports whether to run tshark; without it the tests compare
// with the tshark output recorded in testdata/golden, and say so.
func liveMode(t *testing.T) bool {
	live := !testing.Short() && (*update || haveTshark())
	if !live {
		t.Log("tshark not run (not installed, or -short): comparing with the tshark output recorded in testdata/golden; set NETSIM_REQUIRE_TSHARK=1 to require tshark")
	}
	return live
}

func haveTshark() bool {
	if os.Getenv("NETSIM_REQUIRE_TSHARK") == "1" {
		return true
	}
	_, err := lookTshark()
	return err == nil
}

// TestSummaryLines compares our one-line summaries with tshark's default
// output, character for character.
func TestSummaryLines(t *testing.T) {
	t.Parallel()
	live := liveMode(t)
	var mu sync.Mutex
	total, same := 0, 0
	caps := captures(t)
	t.Run("captures", func(t *testing.T) {
		for _, c := range caps {
			t.Run(filepath.Base(c), func(t *testing.T) {
				t.Parallel()
				var want []string
				if live {
					out := tsharktest.Run(t, "-r", c)
					want = strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
					if *update && !isExtra(c) {
						writeGolden(t, c, "summary", want)
					}
				} else {
					want = readGolden(t, c, "summary")
				}
				pkts := decodeAll(t, c)
				if len(pkts) != len(want) {
					t.Errorf("%s: %d frames, tshark printed %d lines", c, len(pkts), len(want))
					return
				}
				n, k := 0, 0
				for i := range pkts {
					n++
					got := dissect.Summary(&pkts[i])
					if got == want[i] {
						k++
						continue
					}
					t.Errorf("%s frame %d:\n ours:   %s\n tshark: %s", filepath.Base(c), i+1, got, want[i])
				}
				mu.Lock()
				total, same = total+n, same+k
				mu.Unlock()
			})
		}
	})
	t.Logf("%d of %d summary lines equal tshark's", same, total)
}

// fieldsChecked are compared value for value with tshark -T fields.
var fieldsChecked = []string{
	"frame.number", "frame.len", "frame.cap_len", "frame.time_relative", "frame.time_delta", "frame.interface_id", "frame.protocols",
	"eth.src", "eth.dst", "eth.addr", "eth.type", "ip.src", "ip.dst", "ip.addr", "ip.proto", "ip.ttl", "ip.len", "ip.id", "ip.flags",
	"ip.flags.df", "ip.flags.mf", "ip.frag_offset", "ip.hdr_len", "ip.checksum", "ipv6.src", "ipv6.dst", "ipv6.addr", "ipv6.nxt", "ipv6.hlim", "ipv6.plen", "ipv6.flow", "ipv6.tclass",
	"tcp.srcport", "tcp.dstport", "tcp.port", "tcp.stream", "tcp.len", "tcp.seq", "tcp.seq_raw", "tcp.ack", "tcp.ack_raw", "tcp.nxtseq", "tcp.hdr_len",
	"tcp.flags", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.flags.push", "tcp.flags.urg", "tcp.flags.ece", "tcp.flags.cwr", "tcp.flags.str",
	"tcp.window_size_value", "tcp.window_size", "tcp.window_size_scalefactor", "tcp.checksum", "tcp.urgent_pointer", "tcp.payload", "tcp.options.mss_val", "tcp.options.wscale.shift",
	"tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr", "tcp.analysis.duplicate_ack_num", "tcp.analysis.duplicate_ack_frame", "tcp.analysis.acks_frame",
	"udp.srcport", "udp.dstport", "udp.port", "udp.length", "udp.stream", "udp.payload", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.proto_ipv4",
	"icmp.type", "icmp.code", "icmp.ident", "icmp.seq", "icmp.seq_le", "icmpv6.type", "icmpv6.code", "icmpv6.echo.identifier", "icmpv6.echo.sequence_number", "data.data", "data.len",
	"sll.pkttype", "sll.etype", "null.family", "frame.interface_name", "frame.comment",
}

// TestFieldValues compares -T fields output for many fields with tshark's.
func TestFieldValues(t *testing.T) {
	t.Parallel()
	live := liveMode(t)
	var mu sync.Mutex
	cells, same := 0, 0
	caps := captures(t)
	t.Run("captures", func(t *testing.T) {
		for _, c := range caps {
			t.Run(filepath.Base(c), func(t *testing.T) {
				t.Parallel()
				var want []string
				if live {
					args := []string{"-r", c, "-T", "fields"}
					for _, f := range fieldsChecked {
						args = append(args, "-e", f)
					}
					out := tsharktest.Run(t, args...)
					want = strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
					if *update && !isExtra(c) {
						writeGolden(t, c, "fields", want)
					}
				} else {
					want = readGolden(t, c, "fields")
				}
				pkts := decodeAll(t, c)
				n, k := 0, 0
				for i := range pkts {
					if i >= len(want) {
						break
					}
					w := strings.Split(want[i], "\t")
					for j, f := range fieldsChecked {
						n++
						got := dissect.FieldString(&pkts[i], f)
						if j < len(w) && got == w[j] {
							k++
							continue
						}
						if j < len(w) {
							t.Errorf("%s frame %d %s: ours %q, tshark %q", filepath.Base(c), i+1, f, got, w[j])
						}
					}
				}
				mu.Lock()
				cells, same = cells+n, same+k
				mu.Unlock()
			})
		}
	})
	t.Logf("%d of %d field values equal tshark's", same, cells)
}
