package readcompare

import (
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	cases := []struct {
		line string
		want Columns
	}{
		{"    1   0.000000 RadDataC_5a:fb:3f → Broadcast    ARP 64 Who has 172.21.79.100? Tell 172.21.79.97",
			Columns{"1", "0.000000", "RadDataC_5a:fb:3f", "Broadcast", "ARP", "64", "Who has 172.21.79.100? Tell 172.21.79.97"}},
		{"   12   0.5    127.0.0.1 → 127.0.0.1    TCP 66 24000 → 41234 [ACK] Seq=1 Ack=1 Win=65536 Len=0",
			Columns{"12", "0.5", "127.0.0.1", "127.0.0.1", "TCP", "66", "24000 → 41234 [ACK] Seq=1 Ack=1 Win=65536 Len=0"}},
		{"    3   0.000100              →              LLC 60 I, N(R)=0",
			Columns{"3", "0.000100", "", "", "LLC", "60", "I, N(R)=0"}},
		{"    4   0.1 fe80::1 →              IPv6 60 ",
			Columns{"4", "0.1", "fe80::1", "", "IPv6", "60", ""}},
		{"garbage", Columns{No: "garbage"}},
		{"", Columns{}},
	}
	for _, c := range cases {
		if got := ParseLine(c.line); got != c.want {
			t.Errorf("ParseLine(%q)\n got %+v\nwant %+v", c.line, got, c.want)
		}
	}
}

func TestKind(t *testing.T) {
	cases := []struct{ tshark, netsim, want string }{
		{"    1   0.000000 RadDataC_5a:fb:3f → Broadcast    ARP 64 Who has 172.21.79.100? Tell 172.21.79.97",
			"    1   0.000000 00:20:d2:5a:fb:3f → Broadcast    0x88a8 64 ",
			"Protocol: «ARP» vs «0x88a8»"},
		{"    1   0.000000 HewlettP_da:2d:79 → Broadcast    ARP 64 Who has 10.0.0.1? Tell 10.0.0.2",
			"    1   0.000000 00:0b:cd:da:2d:79 → Broadcast    ARP 64 Who has 10.0.0.1? Tell 10.0.0.2",
			"Source: «Vendor_MAC» vs «MAC»"},
		{"    5   0.1 10.0.0.1 → 10.0.0.2 TCP 66 [TCP Retransmission] 80 → 1234 [FIN, ACK] Seq=1 Ack=1 Win=5 Len=0",
			"    5   0.1 10.0.0.1 → 10.0.0.2 TCP 66 [TCP Out-Of-Order] 80 → 1234 [FIN, ACK] Seq=1 Ack=1 Win=5 Len=0",
			"Info: «[TCP Retransmission]» vs «[TCP Out-Of-Order]»"},
		{"    5   0.1 10.0.0.1 → 10.0.0.2 ICMPv6 66 Router Advertisement from 00:01:02:03:04:05",
			"    5   0.1 10.0.0.1 → 10.0.0.2 ICMPv6 66 Type=134",
			"Info: «Router Advertisement from» vs «Type=N»"},
		{"    5   0.1 10.0.0.1 → 10.0.0.2 TCP 66 80 → 1234 [ACK] Seq=1 Ack=1 Win=5 Len=0 TSval=1",
			"    5   0.1 10.0.0.1 → 10.0.0.2 TCP 66 80 → 1234 [ACK] Seq=1 Ack=1 Win=5 Len=0",
			"Info: after «Len=N»: «TSval=N» vs «(end)»"},
		{"    5   0.100 a → b X 1 y", "    5   0.1 a → b X 1 y", "Time: «N.N» vs «N.N»"},
		{"    5   0.1 a → b TCP 1 1 → 2 [ACK] Seq=1 Ack=1", "    5   0.1 a → b TCP 1 1 → 2 [ACK] Seq=1180205500 Ack=1", "Info: after «[ACK]»: «Seq=N» values differ"},
	}
	for _, c := range cases {
		if got := Kind(c.tshark, c.netsim); got != c.want {
			t.Errorf("Kind(%q, %q)\n got %s\nwant %s", c.tshark, c.netsim, got, c.want)
		}
	}
}

func TestCompare(t *testing.T) {
	ts := &Output{
		Lines: []string{
			"    1   0.000000 10.0.0.1 → 10.0.0.2 TCP 60 1 → 2 [SYN] Seq=0 Win=5 Len=0",
			"    2   0.000001 10.0.0.2 → 10.0.0.1 TCP 60 2 → 1 [RST, ACK] Seq=1 Ack=1 Win=0 Len=0 [Malformed Packet]",
			"    3   0.000002 10.0.0.2 → 10.0.0.1 DNS 60 Standard query",
		},
		Selections: []Selection{{Valid: true, Frames: []int{1, 2}}, {Valid: true, Frames: []int{3}}, {Valid: false}},
	}
	ns := &Output{
		Lines:      ts.Lines[:2],
		Selections: []Selection{{Valid: true, Frames: []int{1, 2}}, {Valid: false}, {Valid: true}},
	}
	r := Compare("x.pcap", "EN10MB", ts, ns, []string{"tcp", "dns", "bogus"})
	if r.Frames != 3 || r.Equal != 2 || r.Malformed != 1 || r.EqualMalformed != 1 || r.InScope != 2 || r.EqualInScope != 1 {
		t.Errorf("counts: %+v", r)
	}
	if len(r.Mismatches) != 1 || r.Mismatches[0].Kind != "netsim printed no line" || r.Mismatches[0].Proto != "DNS" {
		t.Errorf("mismatches: %+v", r.Mismatches)
	}
	if len(r.Filters) != 2 || !r.Filters[0].Agree || r.Filters[1].Agree || !r.Filters[1].Rejected {
		t.Errorf("filters: %+v", r.Filters)
	}
	s := Summarize("", []*FileResult{r})
	if s.Lines != (Ratio{2, 3}) || s.NotMalformed != (Ratio{1, 2}) || s.CleanFiles != (Ratio{}) || s.Pairs != (Ratio{1, 2}) {
		t.Errorf("summary: %+v", s)
	}
	if len(s.Rejected) != 1 || s.Rejected[0] != "dns" {
		t.Errorf("rejected: %v", s.Rejected)
	}
	var sb strings.Builder
	(&Report{Groups: []*Summary{s}, Results: []*FileResult{r}}).WriteText(&sb, 5, 5)
	for _, want := range []string{"summary lines equal:          2/3 (66.67%)", "dns", "REJECTED by netsim", "netsim printed no line"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, sb.String())
		}
	}
}

func TestFirstDiff(t *testing.T) {
	cases := []struct {
		a, b []int
		want int
	}{
		{nil, nil, 0}, {[]int{1, 2}, []int{1, 2}, 0}, {[]int{1, 3}, []int{1, 2}, 2}, {[]int{1}, []int{1, 5}, 5}, {[]int{4}, nil, 4},
	}
	for _, c := range cases {
		if got := firstDiff(c.a, c.b); got != c.want {
			t.Errorf("firstDiff(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestParseSelections(t *testing.T) {
	got, err := parseSelections("1,2\n\nERR\n", 3)
	if err != nil || !got[0].Valid || len(got[0].Frames) != 2 || !got[1].Valid || got[1].Frames != nil || got[2].Valid {
		t.Errorf("parseSelections: %+v, %v", got, err)
	}
	if _, err := parseSelections("1\n", 2); err == nil {
		t.Error("parseSelections accepted 1 line for 2 filters")
	}
	if _, err := parseSelections("x\n", 1); err == nil {
		t.Error("parseSelections accepted a non-number")
	}
}

// FuzzKind: any pair of lines yields a signature, never a panic.
func FuzzKind(f *testing.F) {
	f.Add("    1   0.000000 a → b ARP 64 Who has", "    1   0.000000 a → b 0x88a8 64 ")
	f.Add("→", "")
	f.Add(" → [", "x → y z 1 [a b")
	f.Fuzz(func(t *testing.T, a, b string) {
		_ = ParseLine(a)
		if k := Kind(a, b); k == "" {
			t.Errorf("Kind(%q, %q) is empty", a, b)
		}
	})
}
