package dfilter

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// tsharkLua evaluates all filters in one tshark pass: one tap listener per
// filter records the frames it sees.
const tsharkLua = `
local filters = {}
for line in io.lines(os.getenv("DF_FILTERS")) do filters[#filters+1] = line end
local out = io.open(os.getenv("DF_OUT"), "w")
local hits = {}
for i, f in ipairs(filters) do
  local ok, l = pcall(Listener.new, nil, f)
  if ok then
    hits[i] = {}
    l.packet = function(pinfo) table.insert(hits[i], pinfo.number) end
  end
end
local t = Listener.new(nil, nil)
function t.draw()
  for i = 1, #filters do
    if hits[i] then out:write(table.concat(hits[i], ","), "\n") else out:write("ERR\n") end
  end
  out:close()
end
`

func tsharkResults(t *testing.T, path string, filters []string) []string {
	dir := t.TempDir()
	lua := filepath.Join(dir, "filters.lua")
	in := filepath.Join(dir, "filters.txt")
	out := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(lua, []byte(tsharkLua), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, []byte(strings.Join(filters, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := tsharktest.Command(t, "-q", "-X", "lua_script:"+lua, "-r", path)
	cmd.Env = append(os.Environ(), "DF_FILTERS="+in, "DF_OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tshark on %s: %v\n%s", path, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != len(filters) {
		t.Fatalf("tshark Lua gave %d results for %d filters", len(lines), len(filters))
	}
	return lines
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
	filters := loadFilters(t)
	live := liveMode(t)
	pairs, agree := 0, 0
	for _, c := range captures(t) {
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
		for i, f := range filters {
			pairs++
			if ours[i] == want[i] {
				agree++
				continue
			}
			t.Errorf("%s: filter %q: ours %q, tshark %q", filepath.Base(c), f, ours[i], want[i])
		}
	}
	t.Logf("%d captures × %d filters: %d of %d pairs agree (live tshark: %v)", len(captures(t)), len(filters), agree, pairs, live)
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
	live := liveMode(t)
	total, same := 0, 0
	for _, c := range captures(t) {
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
			continue
		}
		for i := range pkts {
			total++
			got := dissect.Summary(&pkts[i])
			if got == want[i] {
				same++
				continue
			}
			t.Errorf("%s frame %d:\n ours:   %s\n tshark: %s", filepath.Base(c), i+1, got, want[i])
		}
	}
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
	live := liveMode(t)
	cells, same := 0, 0
	for _, c := range captures(t) {
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
		for i := range pkts {
			if i >= len(want) {
				break
			}
			w := strings.Split(want[i], "\t")
			for j, f := range fieldsChecked {
				cells++
				got := dissect.FieldString(&pkts[i], f)
				if j < len(w) && got == w[j] {
					same++
					continue
				}
				if j < len(w) {
					t.Errorf("%s frame %d %s: ours %q, tshark %q", filepath.Base(c), i+1, f, got, w[j])
				}
			}
		}
	}
	t.Logf("%d of %d field values equal tshark's", same, cells)
}
