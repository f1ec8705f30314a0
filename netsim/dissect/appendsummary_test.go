package dissect

import (
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// repoCaptures returns every pcap and pcapng file of the repository (the
// module's root is two directories up).
func repoCaptures(t testing.TB) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 100 {
		t.Fatalf("found %d captures in the repository; expected its test corpora (over 100)", len(out))
	}
	return out
}

// summaryNames are the MAC names the equivalence tests use: the fixture's,
// plus names with multi-byte characters (fmt pads by runes).
func summaryNames(t testing.TB) *MACNames {
	t.Helper()
	n := fixtureNames(t)
	extra := "ff:ff:ff:ff:ff:ff\tBröadcäst\n00:00:5e\tÏANA\tIANA\n"
	if err := n.Parse(strings.NewReader(extra), "extra"); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAppendSummaryMatchesSummary checks that AppendSummary writes
// Summary's line for every frame of every capture in the repository, with
// MAC names, without any and with names turned off (-n), and that it
// formats most of them itself (else the fast path would be dead code).
func TestAppendSummaryMatchesSummary(t *testing.T) {
	names := summaryNames(t)
	var frames, fast int
	for _, path := range repoCaptures(t) {
		for mode := range 3 {
			r, err := pcapread.Open(path)
			if err != nil {
				continue // the readers' own bad-input fixtures
			}
			d := New()
			d.SetMACNames(names, mode != 2)
			if mode == 1 {
				d.SetMACNames(nil, true)
			}
			var buf []byte
			err = d.Scan(r, func(p *Packet) error {
				frames++
				if p.fastSummary() {
					fast++
				}
				want := Summary(p)
				buf = AppendSummary(buf[:0], p)
				if string(buf) != want {
					t.Errorf("%s frame %d (names mode %d, fast %v):\nAppendSummary %q\nSummary       %q", path, p.Number, mode, p.fastSummary(), buf, want)
				}
				return nil
			})
			r.Close()
			_ = err // a capture cut short: the frames before count
		}
	}
	t.Logf("%d frames, %d on the fast path", frames, fast)
	if fast*2 < frames {
		t.Errorf("only %d of %d frames took AppendSummary's own path", fast, frames)
	}
}

// TestAppendSummaryAllocs checks that AppendSummary allocates nothing for
// the frames it formats itself (DNS and HTTP among them), nor AppendField
// for common fields.
func TestAppendSummaryAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's allocations would count")
	}
	frames, err := pcapread.ReadFile("testdata/speed/realworld.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	d.SetMACNames(summaryNames(t), true)
	pkts := make([]Packet, 0, len(frames))
	for i := range frames {
		var p Packet
		d.Dissect(&frames[i], &p)
		if p.fastSummary() {
			pkts = append(pkts, p)
		}
	}
	if len(pkts)*2 < len(frames) {
		t.Fatalf("only %d of %d frames on the fast path", len(pkts), len(frames))
	}
	var dns, http int
	for i := range pkts {
		if pkts[i].DNS != nil {
			dns++
		}
		if len(pkts[i].HTTP) != 0 {
			http++
		}
	}
	if dns < 40 || http < 2 {
		t.Errorf("%d DNS and %d HTTP frames on the fast path; want the capture's 44 and 3 (but its XML one in a VLAN)", dns, http)
	}
	buf := make([]byte, 0, 1024)
	for i := range pkts {
		AppendSummary(buf, &pkts[i]) // fill the MAC name cache
	}
	i := 0
	allocs := testing.AllocsPerRun(len(pkts), func() {
		buf = AppendSummary(buf[:0], &pkts[i%len(pkts)])
		i++
	})
	if allocs != 0 {
		t.Errorf("AppendSummary allocates %.2f times a frame; want 0", allocs)
	}
	var fields []*Field
	for _, name := range []string{"frame.number", "ip.src", "tcp.seq", "eth.src", "frame.time_relative"} {
		fields = append(fields, Lookup(name))
	}
	allocs = testing.AllocsPerRun(len(pkts), func() {
		buf = buf[:0]
		for _, f := range fields {
			buf = AppendField(buf, &pkts[i%len(pkts)], f)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("AppendField allocates %.2f times a frame; want 0", allocs)
	}
}

// FuzzAppendSummary checks AppendSummary against Summary on arbitrary
// frames of every link type, two in a row on one Dissector.
func FuzzAppendSummary(f *testing.F) {
	for _, path := range []string{"testdata/linux-lo-tcp.pcap", "testdata/linklayer.pcap", "testdata/speed/realworld.pcapng"} {
		frames, err := pcapread.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for i, fr := range frames {
			if i%7 == 0 {
				f.Add(fr.Data, uint8(0), uint8(6))
			}
		}
	}
	names := summaryNames(f)
	links := []pcapread.LinkType{pcapread.LinkEthernet, pcapread.LinkNull, pcapread.LinkRaw, pcapread.LinkLoop,
		pcapread.LinkIPv4, pcapread.LinkIPv6, pcapread.LinkSLL, pcapread.LinkSLL2}
	f.Fuzz(func(t *testing.T, data []byte, link, prec uint8) {
		d := New()
		d.SetMACNames(names, link&8 == 0)
		var p Packet
		var buf []byte
		for i := 1; i <= 2; i++ {
			fr := pcapread.Frame{Number: i * 9999, Time: int64(i)*1234567891 - 2e9, Precision: int(prec % 12),
				OrigLen: len(data) + int(link>>7), LinkType: links[int(link)%len(links)], Data: data}
			d.Dissect(&fr, &p)
			want := Summary(&p)
			buf = AppendSummary(buf[:0], &p)
			if string(buf) != want {
				t.Fatalf("frame %d:\nAppendSummary %q\nSummary       %q", i, buf, want)
			}
		}
	})
}

// TestAppendFieldMatchesFieldString checks that AppendField renders every
// field of the first 200 frames of each of the repository's captures as
// FieldString does (with -short, of every fifth capture).
func TestAppendFieldMatchesFieldString(t *testing.T) {
	names := summaryNames(t)
	fields := Fields()
	var buf []byte
	for i, path := range repoCaptures(t) {
		if testing.Short() && i%5 != 0 {
			continue
		}
		r, err := pcapread.Open(path)
		if err != nil {
			continue
		}
		d := New()
		d.SetMACNames(names, true)
		bad := 0
		_ = d.Scan(r, func(p *Packet) error {
			if p.Number > 200 {
				return io.EOF
			}
			for _, f := range fields {
				want := FieldString(p, f.Name)
				buf = AppendField(buf[:0], p, f)
				if string(buf) != want && bad < 5 {
					bad++
					t.Errorf("%s frame %d, %s: AppendField %q, FieldString %q", path, p.Number, f.Name, buf, want)
				}
			}
			return nil
		})
		r.Close()
	}
}

// TestAppendDec checks appendDec and appendDigits against strconv on
// edge values and a spread of magnitudes.
func TestAppendDec(t *testing.T) {
	vals := []uint64{0, 1, 9, 10, 99, 100, 999, 1000, 65535, 1<<32 - 1, 1 << 32, 1<<32 + 1,
		9999999999, 10000000000, 12345678901234567890, 1<<64 - 1}
	for v := uint64(7); v < 1<<63; v = v*3 + 1 {
		vals = append(vals, v, v-1)
	}
	for _, v := range vals {
		s := strconv.FormatUint(v, 10)
		if got := string(appendDec([]byte("x"), v)); got != "x"+s {
			t.Errorf("appendDec(%d) = %q", v, got)
		}
		for n := 1; n <= 21; n++ {
			want := strings.Repeat("0", max(0, n-len(s))) + s
			want = want[len(want)-n:]
			if got := string(appendDigits(make([]byte, 0, n/2), v, n)); got != want {
				t.Errorf("appendDigits(%d, %d) = %q, want %q", v, n, got, want)
			}
		}
	}
}

// TestAppendFlagList checks appendFlagList against flagList for every
// combination of the twelve flag bits.
func TestAppendFlagList(t *testing.T) {
	for f := range uint16(1 << 12) {
		if got, want := string(appendFlagList([]byte("x"), f)), "x"+flagList(f); got != want {
			t.Errorf("flags %#x: %q, want %q", f, got, want)
		}
	}
}
