package dissect

import (
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/pcapread"
)

var update = flag.Bool("update", false, "rewrite the goldens from tshark: testdata/linklayer.summary and .fields, testdata/app/*.summary")

func fixtureNames(t testing.TB) *MACNames {
	t.Helper()
	n, err := LoadMACNames("testdata/manuf")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMACNamesFixture resolves addresses with the fixture's entries as
// Wireshark 4.0 does with the same entries in its files.
func TestMACNamesFixture(t *testing.T) {
	n := fixtureNames(t)
	for _, c := range []struct{ mac, name, vendor string }{
		{"00:1b:21:01:02:03", "IntelCor_01:02:03", "Intel Corporate"},
		{"01:1b:21:01:02:03", "IntelCor_01:02:03", ""}, // group bit: the unicast vendor
		{"3c:d9:2b:da:2d:79", "HewlettP_da:2d:79", "Hewlett Packard"},
		{"00:19:06:ea:b8:85", "Cisco_ea:b8:85", "Cisco Systems, Inc"}, // '-' separators
		{"00:20:d2:5a:fb:3f", "RadDataC_5a:fb:3f", "Rad Data Communications, Ltd."},
		{"00:55:da:01:02:03", "ShinkoTe_01:02:03", "IEEE Registration Authority"}, // /28
		{"00:55:da:11:02:03", "ShinkoTe_11:02:03", "IEEE Registration Authority"}, // masked to 27 bits
		{"00:1b:c5:00:10:ab", "OpenRBco_ab", "IEEE Registration Authority"},       // /36
		{"00:1b:c5:00:20:ab", "IEEERegi_00:20:ab", "IEEE Registration Authority"},
		{"ff:ff:ff:ff:ff:ff", "Broadcast", ""},
		{"01:00:5e:00:00:01", "IPv4mcast_01", ""},
		{"01:00:5e:7f:ff:fa", "IPv4mcast_7f:ff:fa", ""},
		{"33:33:00:00:00:01", "IPv6mcast_01", ""},
		{"33:33:00:00:00:fb", "IPv6mcast_fb", ""},
		{"33:33:ff:aa:bb:cc", "IPv6mcast_ff:aa:bb:cc", ""},
		{"01:80:c2:00:00:00", "Spanning-tree-(for-bridges)_00", ""},
		{"02:01:00:01:00:00", "MS-NLB-PhysServer-01_01:00:00", ""},
		{"02:25:14:2a:56:e5", "MS-NLB-PhysServer-32_05:14:2a:56:e5", ""},
		{"01:00:0c:cc:cc:cc", "CDP/VTP/DTP/PAgP/UDLD", ""},
		{"00:00:00:00:00:00", "00:00:00_00:00:00", "Officially Xerox, but 0:0:0:0:0:0 is more common"},
		{"12:34:56:78:9a:bc", "12:34:56:78:9a:bc", ""},
	} {
		mac := parseMAC(t, c.mac)
		if got := n.Name(mac); got != c.name {
			t.Errorf("Name(%s) = %q, want %q", c.mac, got, c.name)
		}
		if got := n.Vendor(mac); got != c.vendor {
			t.Errorf("Vendor(%s) = %q, want %q", c.mac, got, c.vendor)
		}
	}
	// Lines Wireshark skips add nothing.
	for _, s := range []string{"not-an-address", "TooShort", "BadMask", "Junk"} {
		if strings.Contains(n.Name(parseMAC(t, "00:1b:21:00:00:00")), s) {
			t.Errorf("skipped line %q was used", s)
		}
	}
	var none *MACNames
	if got := none.Name(parseMAC(t, "ff:ff:ff:ff:ff:ff")); got != "ff:ff:ff:ff:ff:ff" {
		t.Errorf("nil MACNames: %q", got)
	}
}

func parseMAC(t testing.TB, s string) []byte {
	t.Helper()
	a, mask, ok := parseMACPrefix(s)
	if !ok || mask != 48 {
		t.Fatalf("bad MAC %q", s)
	}
	return a[:]
}

func TestParseMACPrefix(t *testing.T) {
	for _, c := range []struct {
		in   string
		mask int
		ok   bool
		addr string
	}{
		{"00:1B:21", 0, true, "00:1b:21:00:00:00"},
		{"0:1b:2", 0, true, "00:1b:02:00:00:00"},
		{"00-1b-21-01-02-03", 48, true, "00:1b:21:01:02:03"},
		{"00.1b.21.01.02.03", 48, true, "00:1b:21:01:02:03"},
		{"00:1B:C5:00:1F:FF/36", 36, true, "00:1b:c5:00:10:00"},
		{"01-00-5E/25", 25, true, "01:00:5e:00:00:00"},
		{"0x1:2:3", 0, true, "01:02:03:00:00:00"},
		{"00:1b", 0, false, ""},
		{"00:1b:21:01", 0, false, ""},
		{"00:1b-21", 0, false, ""},
		{"100:1b:21", 0, false, ""},
		{"00:1b:21/0", 0, false, ""},
		{"00:1b:21/48", 0, false, ""},
		{"00:1b:21/x", 0, false, ""},
		{"00:1b:21/24x", 0, false, ""},
		{"00:1b:21:", 0, false, ""},
		{"", 0, false, ""},
		{"zz:1b:21", 0, false, ""},
	} {
		a, mask, ok := parseMACPrefix(c.in)
		if ok != c.ok || (ok && (mask != c.mask || macString(a[:]) != c.addr)) {
			t.Errorf("parseMACPrefix(%q) = %s /%d %v, want %s /%d %v", c.in, macString(a[:]), mask, ok, c.addr, c.mask, c.ok)
		}
	}
}

func TestLoadMACNamesErrors(t *testing.T) {
	_, err := LoadMACNames(filepath.Join(t.TempDir(), "none"))
	if err == nil || !strings.Contains(err.Error(), "no MAC name file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadMACNames(t.TempDir()); err == nil {
		t.Error("a directory: no error")
	}
}

// FuzzMACNames parses arbitrary manuf files and resolves addresses with
// them: nothing may panic, every name fits Wireshark's 63 bytes.
func FuzzMACNames(f *testing.F) {
	data, err := os.ReadFile("testdata/manuf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, []byte{0, 0x1b, 0x21, 1, 2, 3})
	f.Add([]byte("FF-FF-FF-FF-FF-FF\tBroadcast\n01-00-5E/25\t\tIPv4mcast\r\n"), []byte{1, 0, 0x5e, 1, 2, 3})
	f.Add([]byte("0x1:2:3/7 a b\n#\n\t\t\n"), []byte{1, 2, 3, 4, 5, 6})
	f.Fuzz(func(t *testing.T, file, mac []byte) {
		n := NewMACNames()
		if err := n.Parse(strings.NewReader(string(file)), "fuzz"); err != nil {
			t.Fatal(err)
		}
		if name := n.Name(mac); len(name) > maxResolved && len(mac) == 6 {
			t.Errorf("name %q longer than %d bytes", name, maxResolved)
		}
		_ = n.Vendor(mac)
	})
}

// linkLayerFields are compared with tshark on testdata/linklayer.pcap.
var linkLayerFields = strings.Fields(`frame.protocols eth.src_resolved eth.dst_resolved eth.addr_resolved eth.src.oui
	eth.src.oui_resolved eth.ig eth.lg vlan.id vlan.priority vlan.dei vlan.etype ieee8021ad.id ieee8021ad.priority
	ieee8021ad.dei arp.opcode icmp.type icmp.code icmpv6.type icmpv6.code ipv6.nxt ipv6.hopopts.nxt ipv6.hopopts.len_oct
	ipv6.routing.type ipv6.routing.segleft ipv6.routing.nxt ipv6.routing.len ipv6.routing.src.addr ipv6.routing.srh.addr
	ipv6.routing.srh.last_entry ipv6.dstopts.nxt ipv6.dstopts.len`)

// TestLinkLayerMatchesTshark reads testdata/linklayer.pcap (frames built
// for this test: VLAN, QinQ and 802.1ad tags, unknown EtherTypes, ARP
// probes, announcements, duplicates and bad sizes, ICMP and ICMPv6 types
// and codes, IPv6 extension headers, bogus IP versions, and source MACs
// of every kind of name) and compares its summary lines and fields with
// tshark's: live with the machine's Wireshark files when tshark is here
// (CI), else with tshark's output recorded in testdata and the fixture's
// names, which cover the capture's addresses.
func TestLinkLayerMatchesTshark(t *testing.T) {
	const capture = "testdata/linklayer.pcap"
	live := !testing.Short() || *update
	var wantSum, wantFields []string
	names := fixtureNames(t)
	if live {
		tsharktest.Path(t)
		names = SystemMACNames()
		if names == nil {
			t.Fatal("tshark is installed but netsim finds no Wireshark manuf file (SystemMACNamePaths)")
		}
		wantSum = strings.Split(strings.TrimSuffix(tsharktest.Run(t, "-r", capture), "\n"), "\n")
		wantFields = tsharkFields(t, capture, linkLayerFields...)
		if *update {
			writeLines(t, "testdata/linklayer.summary", wantSum)
			writeLines(t, "testdata/linklayer.fields", wantFields)
		}
	} else {
		wantSum, wantFields = readLines(t, "testdata/linklayer.summary"), readLines(t, "testdata/linklayer.fields")
	}
	frames, err := pcapread.ReadFile(capture)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != len(wantSum) || len(frames) != len(wantFields) {
		t.Fatalf("%d frames, tshark %d lines and %d rows", len(frames), len(wantSum), len(wantFields))
	}
	d := New()
	d.SetMACNames(names, true)
	var p Packet
	for i := range frames {
		d.Dissect(&frames[i], &p)
		if got := Summary(&p); got != wantSum[i] {
			t.Errorf("frame %d summary:\n ours:   %s\n tshark: %s", i+1, got, wantSum[i])
		}
		var row []string
		for _, f := range linkLayerFields {
			row = append(row, FieldString(&p, f))
		}
		if got := strings.Join(row, "\t"); got != wantFields[i] {
			t.Errorf("frame %d fields (%s):\n ours:   %q\n tshark: %q", i+1, strings.Join(linkLayerFields, " "), got, wantFields[i])
		}
	}
}

// tsharkFields runs tshark -T fields with its default name resolution
// (tsharktest.Fields turns it off) and returns its lines.
func tsharkFields(t *testing.T, file string, fields ...string) []string {
	t.Helper()
	args := []string{"-r", file, "-T", "fields"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	return strings.Split(strings.TrimSuffix(tsharktest.Run(t, args...), "\n"), "\n")
}

// TestMACNamesMatchTshark resolves a range of addresses with the machine's
// Wireshark files, as tshark does: vendors (with the group bit set too),
// /28 and /36 blocks, well-known addresses and ranges of every length.
func TestMACNamesMatchTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark")
	}
	tsharktest.Path(t)
	names := SystemMACNames()
	if names == nil {
		t.Fatal("tshark is installed but netsim finds no Wireshark manuf file (SystemMACNamePaths)")
	}
	macs := []string{"00:1b:21:01:02:03", "01:1b:21:01:02:03", "03:d9:2b:00:00:01", "00:55:da:11:02:03", "00:1b:c5:00:20:ab",
		"01:00:5e:80:00:01", "33:33:00:01:00:02", "01:80:c2:00:00:0e", "02:01:12:34:56:78", "02:20:00:00:00:01",
		"00:00:0c:07:ac:01", "00:00:5e:00:01:02", "01:00:0c:cc:cc:cd", "00:e0:2b:00:00:02", "09:00:2b:00:00:0f",
		"ab:00:00:01:00:00", "cf:00:00:00:00:00", "00:00:00:12:34:56", "02:00:00:00:00:0a", "08:00:27:46:e8:84"}
	var pcap []byte
	pcap = binary.LittleEndian.AppendUint32(pcap, 0xa1b2c3d4)
	pcap = append(pcap, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0)
	for i, m := range macs {
		fr := append(append(parseMAC(t, "00:00:00:00:00:01"), parseMAC(t, m)...), 0x12, 0x34)
		fr = append(fr, make([]byte, 46)...)
		for _, v := range []uint32{1, uint32(i), uint32(len(fr)), uint32(len(fr))} {
			pcap = binary.LittleEndian.AppendUint32(pcap, v)
		}
		pcap = append(pcap, fr...)
	}
	file := filepath.Join(t.TempDir(), "macs.pcap")
	if err := os.WriteFile(file, pcap, 0o644); err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, l := range tsharkFields(t, file, "eth.src", "eth.src_resolved", "eth.src.oui_resolved") {
		rows = append(rows, strings.Split(l, "\t"))
	}
	if len(rows) != len(macs) {
		t.Fatalf("tshark printed %d rows for %d frames", len(rows), len(macs))
	}
	for i, m := range macs {
		mac := parseMAC(t, m)
		if got, want := names.Name(mac), rows[i][1]; got != want {
			t.Errorf("%s: ours %q, tshark %q", m, got, want)
		}
		if got, want := names.Vendor(mac), rows[i][2]; got != want {
			t.Errorf("%s vendor: ours %q, tshark %q", m, got, want)
		}
	}
}

// TestLinkLayerTruncatedNeverPanics decodes every prefix of every frame of
// testdata/linklayer.pcap (a VLAN tag of one byte, an extension header
// cut in two, ...) with MAC names, and renders everything.
func TestLinkLayerTruncatedNeverPanics(t *testing.T) {
	frames, err := pcapread.ReadFile("testdata/linklayer.pcap")
	if err != nil {
		t.Fatal(err)
	}
	names := fixtureNames(t)
	var sb strings.Builder
	for _, f := range frames {
		for n := 0; n <= len(f.Data); n++ {
			g := f
			g.Data = f.Data[:n]
			d := New()
			d.SetMACNames(names, n%2 == 0)
			var p Packet
			d.Dissect(&g, &p)
			sb.Reset()
			sb.WriteString(Summary(&p))
			if err := Tree(&sb, &p); err != nil {
				t.Fatal(err)
			}
			for _, fld := range Fields() {
				sb.WriteString(FieldString(&p, fld.Name))
			}
		}
	}
}
