package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim/capture"
)

var update = flag.Bool("update", false, "rewrite testdata/parse/bad.golden")

func ptr[T any](v T) *T { return &v }

func parseFile(t *testing.T, name string) *Scenario {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(name, src)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return s
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(gl), len(wl)) {
		g, w := "", ""
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			return fmt.Sprintf("line %d:\n got %s\nwant %s\n(context:\n%s)", i+1, g, w, strings.Join(gl[max(0, i-12):i+1], "\n"))
		}
	}
	return "no difference"
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestParseBook: the book's two files give exactly these Scenarios:
// every position, every default.
func TestParseBook(t *testing.T) {
	tcp := &Scenario{
		File:    "testdata/parse/tcp.yaml",
		Name:    "book-tcp",
		Summary: "the book's listings 4-1/4-2, one TCP connection to 127.0.0.1:24000 carries 44, 55, 66",
		Capture: CaptureSpec{Pos: Pos{4, 10}, Format: capture.PCAP, FormatSet: true, Links: []string{"localhost:lo"}},
		Hosts:   []HostSpec{{Pos: Pos{6, 5}, Name: "localhost"}},
		Programs: []ProgramSpec{
			{Pos: Pos{8, 5}, Host: "localhost", Name: "receiver", Steps: []Step{
				{Pos: Pos{11, 9}, Kind: StepListen, Addr: "127.0.0.1:24000", As: "ln"},
				{Pos: Pos{12, 9}, Kind: StepAccept, Sock: "ln", As: "conn"},
				{Pos: Pos{13, 9}, Kind: StepRecv, Sock: "conn", UntilEOF: true},
				{Pos: Pos{14, 9}, Kind: StepClose, Sock: "conn"},
				{Pos: Pos{15, 9}, Kind: StepClose, Sock: "ln"},
			}},
			{Pos: Pos{16, 5}, Host: "localhost", Name: "sender", Steps: []Step{
				{Pos: Pos{19, 9}, Kind: StepConnect, To: "127.0.0.1:24000", As: "conn"},
				{Pos: Pos{20, 9}, Kind: StepSend, Sock: "conn", Repeat: 1,
					Data: &Data{Pos: Pos{20, 21}, Hex: ptr("2c 37 42"), Bytes: []byte{44, 55, 66}}},
				{Pos: Pos{21, 9}, Kind: StepClose, Sock: "conn"},
			}},
		},
		Expect: ExpectSpec{Pos: Pos{23, 3},
			Filters: []FilterExpect{
				{Pos: Pos{24, 5}, Filter: "tcp.flags.syn == 1 && tcp.flags.ack == 0", Op: "==", Count: 1},
				{Pos: Pos{25, 5}, Filter: "tcp.len == 3", Op: "==", Count: 1},
			},
			Received: []ReceivedExpect{{Pos: Pos{27, 7}, Program: "receiver", Sock: "conn", Bytes: 3}},
		},
	}
	udp := &Scenario{
		File:    "testdata/parse/udp.yaml",
		Name:    "book-udp",
		Summary: "the book's listings 4-3/4-4, one UDP datagram 127.0.0.1:24001 -> 127.0.0.1:24000 with 44, 55, 66",
		Capture: CaptureSpec{Pos: Pos{3, 10}, Format: capture.PCAP, FormatSet: true, Links: []string{"localhost:lo"}},
		Hosts:   []HostSpec{{Pos: Pos{5, 5}, Name: "localhost"}},
		Programs: []ProgramSpec{
			{Pos: Pos{7, 5}, Host: "localhost", Name: "receiver", Steps: []Step{
				{Pos: Pos{10, 9}, Kind: StepBind, Addr: "127.0.0.1:24000", As: "udp"},
				{Pos: Pos{11, 9}, Kind: StepRecv, Sock: "udp", Datagrams: 1,
					Data: &Data{Pos: Pos{11, 35}, Hex: ptr("2c3742"), Bytes: []byte{44, 55, 66}}},
				{Pos: Pos{12, 9}, Kind: StepClose, Sock: "udp"},
			}},
			{Pos: Pos{13, 5}, Host: "localhost", Name: "sender", Steps: []Step{
				{Pos: Pos{16, 9}, Kind: StepBind, Addr: "127.0.0.1:24001", As: "udp"},
				{Pos: Pos{17, 9}, Kind: StepSend, Sock: "udp", To: "127.0.0.1:24000", Repeat: 1,
					Data: &Data{Pos: Pos{17, 42}, Hex: ptr("2c 37 42"), Bytes: []byte{44, 55, 66}}},
				{Pos: Pos{18, 9}, Kind: StepClose, Sock: "udp"},
			}},
		},
		Expect: ExpectSpec{Pos: Pos{20, 3},
			Filters:  []FilterExpect{{Pos: Pos{21, 5}, Filter: "udp.length == 11", Op: "==", Count: 1}},
			Received: []ReceivedExpect{{Pos: Pos{23, 7}, Program: "receiver", Sock: "udp", Bytes: 3}},
		},
	}
	for _, want := range []*Scenario{tcp, udp} {
		got := parseFile(t, want.File)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s", want.File, firstDiff(dump(got), dump(want)))
		}
		// What Parse returns validates, and validating again changes
		// nothing.
		again := *got
		if err := again.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", want.File, err)
		}
		if !reflect.DeepEqual(&again, want) {
			t.Errorf("%s: Validate changed the Scenario:\n%s", want.File, dump(&again))
		}
	}
}

// TestParseExample: the complete example of Reference parses, and every
// key it sets lands where it should.
func TestParseExample(t *testing.T) {
	s, err := Parse("testdata/parse/example.yaml", []byte(Example))
	if err != nil {
		t.Fatalf("the example does not parse:\n%v", err)
	}
	if s.Name != "example" || s.Seed != 7 || len(s.Hosts) != 3 || len(s.Switches) != 1 || len(s.Links) != 3 ||
		len(s.Events) != 2 || len(s.Programs) != 2 || len(s.Expect.Filters) != 3 || s.Expect.SHA256 != "" {
		t.Fatalf("example: %s", dump(s))
	}
	if want := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC); !s.Start.Equal(want) {
		t.Errorf("start %v, want %v", s.Start, want)
	}
	l := s.Links[0]
	if l.Name != "client-sw0" || l.A.Iface != "eth0" || *l.Both.Delay != 5*time.Millisecond || *l.AB.Loss != 0.01 || *l.BA.Rate != 10e6 {
		t.Errorf("links[0]: %s", dump(l))
	}
	r := s.Hosts[2]
	if !r.Forwarding || r.Name != "router" || len(r.Routes) != 0 || s.Links[2].A.Iface != "eth1" {
		t.Errorf("router: %s", dump(r))
	}
	if c := s.Hosts[0].Routes[0]; c.To != "default" || c.Via != "10.0.0.254" {
		t.Errorf("client route: %s", dump(c))
	}
	steps := s.Programs[1].Steps
	send := steps[2]
	if send.Kind != StepSend || string(send.Data.Bytes) != "GET / HTTP/1.1\r\nHost: server\r\n\r\n" || send.Sock != "conn" {
		t.Errorf("send: %s", dump(send))
	}
	if file := s.Programs[0].Steps[4]; !bytes.Equal(file.Data.Bytes, []byte("not a scenario, a data file\x00\x01")) {
		t.Errorf("file data: %q", file.Data.Bytes)
	}
	if rnd := s.Programs[0].Steps[5]; len(rnd.Data.Bytes) != 1000 || rnd.Repeat != 3 || rnd.Pause != 50*time.Millisecond {
		t.Errorf("random data: %d bytes, repeat %d", len(rnd.Data.Bytes), rnd.Repeat)
	}
}

// TestRandomData: random bytes follow from the seed and the step's place,
// and from nothing else.
func TestRandomData(t *testing.T) {
	draw := func(seed int64, prog, step int) []byte {
		d := &Data{Random: ptr(int64(64))}
		if err := d.Resolve(seed, prog, step); err != nil {
			t.Fatal(err)
		}
		return d.Bytes
	}
	a := draw(1, 0, 0)
	if !bytes.Equal(a, draw(1, 0, 0)) {
		t.Error("the same seed and place gave different bytes")
	}
	for _, b := range [][]byte{draw(2, 0, 0), draw(1, 1, 0), draw(1, 0, 1)} {
		if bytes.Equal(a, b) {
			t.Error("another seed or place gave the same bytes")
		}
	}
	// Pinned: a change of the generator changes captures.
	if got := fmt.Sprintf("%x", a[:8]); got != pinnedRandom {
		t.Errorf("random data for seed 1 starts %s, want %s", got, pinnedRandom)
	}
}

const pinnedRandom = "19c1700a5b14ad1b"

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`GET / HTTP/1.1\r\n\r\n`: "GET / HTTP/1.1\r\n\r\n",
		`\t\\\"\x2c\0\'`:         "\t\\\"\x2c\x00'",
		`\u00e9\U0001F600`:       "é😀",
		`plain`:                  "plain",
	} {
		if got, err := unescape(in); err != nil || got != want {
			t.Errorf("unescape(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`\q`, `\`, `\x2`, `\xzz`, `\uD800`} {
		if got, err := unescape(in); err == nil {
			t.Errorf("unescape(%q) = %q, want an error", in, got)
		}
	}
}

// TestParseCount: an expect filter's count is N (exactly) or "OP N".
func TestParseCount(t *testing.T) {
	for _, c := range []struct {
		in, op string
		count  int
		bad    bool
	}{
		{"1", "==", 1, false},
		{"0", "==", 0, false},
		{">= 1", ">=", 1, false},
		{">=2", ">=", 2, false},
		{" != 0 ", "!=", 0, false},
		{"< 5", "<", 5, false},
		{"<= 5", "<=", 5, false},
		{"> 5", ">", 5, false},
		{"== 7", "==", 7, false},
		{"-1", "", 0, true},
		{"= 1", "", 0, true},
		{"many", "", 0, true},
		{"", "", 0, true},
		{">= ", "", 0, true},
	} {
		op, n, err := parseCount(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("parseCount(%q) = %q %d, want an error", c.in, op, n)
			}
			continue
		}
		if err != nil || op != c.op || n != c.count {
			t.Errorf("parseCount(%q) = %q %d %v; want %q %d", c.in, op, n, err, c.op, c.count)
		}
	}
}

// TestFiltersList: the old list form is an error that shows the mapping,
// and a filter given twice is an error.
func TestFiltersList(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"hosts: [{name: a}]\nprograms: [{host: a, steps: [sleep: 1s]}]\nexpect:\n  filters:\n    - tcp.flags.fin == 1\n",
			`x.yaml:5:5: expect.filters: expected a mapping of display filter to frame count, got a sequence (a list is not taken: write "FILTER": COUNT, e.g. "tcp.flags.fin == 1": 2, or tcp.analysis.retransmission: ">= 1")`},
		{"hosts: [{name: a}]\nprograms: [{host: a, steps: [sleep: 1s]}]\nexpect:\n  filters:\n    tcp: 1\n    tcp : 2\n",
			`x.yaml:6:5: expect.filters[1]: filter "tcp" given twice (first at line 5)`},
	} {
		_, err := Parse("x.yaml", []byte(c.src))
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse: %v\nwant %s", err, c.want)
		}
	}
}

// TestErrorList: the list's text, its cap, and errors.Is/As.
func TestErrorList(t *testing.T) {
	var src strings.Builder
	src.WriteString("hosts:\n")
	for i := range 15 {
		fmt.Fprintf(&src, "  - {name: h%d, color: red}\n", i)
	}
	_, err := Parse("many.yaml", []byte(src.String()))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != MaxErrors+1 {
		t.Fatalf("%v: want an ErrorList of %d", err, MaxErrors+1)
	}
	if last := list[MaxErrors].Error(); last != "many.yaml:12:17: 5 more errors not shown" {
		t.Errorf("last line %q", last)
	}
	if !errors.Is(err, ErrInvalid) || !errors.Is(list[0], ErrInvalid) {
		t.Error("not ErrInvalid")
	}
	var one *Error
	if !errors.As(err, &one) || one.Key != "hosts[0].color" || one.Pos != (Pos{2, 16}) {
		t.Errorf("errors.As: %+v", one)
	}
	if got := (&Error{Key: "programs[0].host", Msg: "missing"}).Error(); got != "programs[0].host: missing" {
		t.Errorf("without a file or position: %q", got)
	}
}

// TestValidate: a Scenario built in Go gets the checks and the defaults.
func TestValidate(t *testing.T) {
	s := &Scenario{
		Hosts: []HostSpec{{Name: "a"}, {Name: "b"}},
		Links: []LinkSpec{{A: EndSpec{Host: "a", Addrs: []string{"10.0.0.1/24"}}, B: EndSpec{Host: "b", Addrs: []string{"10.0.0.2/24"}},
			Both: ImpairSpec{Loss: ptr(0.5), LossBurst: ptr(0.0)}}},
		Programs: []ProgramSpec{
			{Host: "a", Steps: []Step{{Kind: StepListen, Addr: ":80"}, {Kind: StepAccept}, {Kind: StepRecv, UntilEOF: true}}},
			{Host: "b", Steps: []Step{{Kind: StepConnect, To: "a:80"}, {Kind: StepSend, Data: &Data{Text: ptr("hi")}}, {Kind: StepClose}}},
		},
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Name != "scenario" || s.Links[0].Name != "a-b" || s.Links[0].B.Iface != "eth0" || s.Programs[1].Name != "b" ||
		s.Programs[0].Steps[1].Sock != "ln" || s.Programs[0].Steps[1].As != "conn" || s.Programs[1].Steps[2].Sock != "conn" ||
		string(s.Programs[1].Steps[1].Data.Bytes) != "hi" || s.Capture.Format != capture.PCAPNG {
		t.Errorf("defaults: %s", dump(s))
	}
	// Program names: the host's, then HOST#2, HOST#3, around a name given.
	names := &Scenario{Hosts: []HostSpec{{Name: "a"}}}
	for _, n := range []string{"", "a#2", "", ""} {
		names.Programs = append(names.Programs, ProgramSpec{Host: "a", Name: n, Steps: []Step{{Kind: StepSleep}}})
	}
	if err := names.Validate(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range names.Programs {
		got = append(got, g.Name)
	}
	if want := []string{"a", "a#2", "a#3", "a#4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("program names %q, want %q", got, want)
	}
	bad := &Scenario{
		File:  "go",
		Hosts: []HostSpec{{Name: "a"}},
		Programs: []ProgramSpec{{Host: "a", Steps: []Step{
			{Kind: StepSend, Data: &Data{Text: ptr("x")}},
			{Kind: StepSleep, For: time.Second, Sock: "x"},
			{Kind: StepConnect, To: "b:80"},
		}}},
		Expect: ExpectSpec{Filters: []FilterExpect{{Filter: "tcp.port ==", Op: "=", Count: 1}}},
	}
	err := bad.Validate()
	want := strings.Join([]string{
		`go: programs[0].steps[0].send.sock: no open socket for send to act on (a TCP connection or a UDP socket); open one first`,
		`go: programs[0].steps[1].sleep.sock: not a key of sleep; sleep takes for`,
		`go: programs[0].steps[2].connect.to: "b:80": no host "b"`,
		`go: expect.filters[0]: op "=": want one of == != < <= > >=`,
	}, "\n")
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Validate:\n%v\nwant it to start\n%s", err, want)
	}
}

// badCases are files with mistakes; testdata/parse/bad.golden holds what
// Parse says of each (go test -run TestParseBad -update rewrites it).
var badCases = []struct{ name, src string }{
	{"empty", ""},
	{"comments only", "# nothing\n"},
	{"not a mapping", "- a\n- b\n"},
	{"syntax", "hosts:\n  - name: a\n   bad: indent\n"},
	{"syntax 2", "name: a\nhosts:\n  - name: b\n  - name: c: d\n"},
	{"syntax 3", "name: a\nsummary: 'open\nhosts: []\n"},
	{"tab", "hosts:\n\t- name: a\n"},
	{"two documents", "name: a\n---\nname: b\n"},
	{"alias", "hosts:\n  - &h {name: a}\n  - *h\n"},
	{"unknown key", "nmae: x\n"},
	{"unknown key far", "hosts:\n  - name: a\n    forwarding: true\n    colour: red\n"},
	{"duplicate key", "name: a\nname: b\n"},
	{"wrong type", "hosts:\n  - name: [a, b]\n"},
	{"wrong type seq", "hosts: {name: a}\n"},
	{"wrong type int", "seed: ten\n"},
	{"int out of range", "seed: 99999999999999999999\n"},
	{"null", "hosts:\n  - name:\n"},
	{"bool", "hosts:\n  - {name: a, forwarding: yes}\n"},
	{"start", "start: yesterday\n"},
	{"start range", "start: 1900-01-01T00:00:00Z\nhosts: [{name: a}]\nprograms: [{host: a, steps: [sleep: 1s]}]\n"},
	{"format", "capture: {format: pcapng2}\n"},
	{"snap_len", "capture: {snap_len: 0}\n"},
	{"pcap two links", "capture: {format: pcap, links: [ab, a:lo]}\nhosts: [{name: a}, {name: b}]\nlinks: [{name: ab, a: {host: a, addrs: [10.0.0.1/24]}, b: {host: b, addrs: [10.0.0.2/24]}}]\nprograms: [{host: a, steps: [sleep: 1s]}]\n"},
	{"no programs", "hosts: [{name: a}]\n"},
	{"step two kinds", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - {send: {text: a}, recv: {bytes: 1}}\n"},
	{"step field beside kind", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - send: {text: a}\n        repeat: 3\n"},
	{"step empty", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - {}\n"},
	{"step scalar", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - close\n"},
	{"step unknown", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - sned: {text: a}\n"},
	{"step key of another kind", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - connect: {to: 10.0.0.1:80, until_eof: true}\n"},
	{"recv random", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - connect: a:80\n      - recv: {random: 10}\n"},
	{"data total", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - connect: a:80\n      - send: {random: 64MiB}\n      - send: {random: 64MiB}\n      - send: {random: 64MiB}\n      - send: {random: 64MiB}\n      - send: {random: 1}\n"},
	{"send over 1 GiB", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - connect: a:80\n      - send: {random: 64MiB, repeat: 17}\n"},
	{"step no shorthand", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - send: hello\n"},
	{"two data keys", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - send: {text: a, hex: 00}\n"},
	{"bad hex", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - bind: :53\n      - send: {to: 10.0.0.1:53, hex: 2c 3g}\n"},
	{"odd hex", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - bind: :53\n      - send: {to: 10.0.0.1:53, hex: 2c3}\n"},
	{"bad escape", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - bind: :53\n      - send: {to: 10.0.0.1:53, text: a\\qb}\n"},
	{"missing file", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - bind: :53\n      - send: {to: 10.0.0.1:53, file: nothere.bin}\n"},
	{"random too big", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - bind: :53\n      - send: {to: 10.0.0.1:53, random: 1GiB}\n"},
	{"repeat too big", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - bind: :53\n      - send: {to: 10.0.0.1:53, text: a, repeat: 10000000}\n"},
	{"duration", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - sleep: 10\n      - sleep: soon\n      - sleep: -1s\n"},
	{"sleep missing", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - sleep: {}\n"},
	{"probability", "hosts: [{name: a}, {name: b}]\nlinks:\n  - {a: {host: a}, b: {host: b}, both: {loss: 2, dup: 150%, rate: fast, mtu: 100}}\n"},
	{"link config", "hosts: [{name: a}, {name: b}]\nlinks:\n  - {a: {host: a}, b: {host: b}, ab: {mtu: 100}, both: {loss: 90%, loss_burst: 2}}\n"},
	{"link config ab", "hosts: [{name: a}, {name: b}]\nlinks:\n  - {a: {host: a}, b: {host: b}, ab: {mtu: 100}}\nprograms: [{host: a, steps: [sleep: 1s]}]\n"},
	{"references", "hosts: [{name: client}, {name: server}]\nswitches: [{name: sw0}]\nlinks:\n  - {a: {host: clinet}, b: {switch: sw1}}\nprograms:\n  - host: servr\n    steps:\n      - connect: sever:80\n"},
	{"duplicate names", "hosts: [{name: a}, {name: a}]\nswitches: [{name: a}]\nprograms:\n  - {host: a, name: p, steps: [sleep: 1s]}\n  - {host: a, name: p, steps: [sleep: 1s]}\n"},
	{"bad names", "hosts: [{name: \"a b\"}, {name: 10.0.0.1}, {name: x:y}]\n"},
	{"addresses", "hosts: [{name: a}, {name: b}]\nlinks:\n  - a: {host: a, addrs: [10.0.0.1, 10.0.0.300/24, 224.0.0.1/4]}\n    b: {host: b, addrs: [10.0.0.2/24, 10.0.0.2/24]}\nprograms: [{host: a, steps: [sleep: 1s]}]\n"},
	{"end both", "hosts: [{name: a}]\nswitches: [{name: s}]\nlinks:\n  - {a: {host: a, switch: s}, b: {}}\nprograms: [{host: a, steps: [sleep: 1s]}]\n"},
	{"iface", "hosts: [{name: a}, {name: b}]\nlinks:\n  - {name: l1, a: {host: a, iface: lo}, b: {host: b}}\n  - {name: l2, a: {host: a, iface: eth0}, b: {host: b, iface: eth0}}\nprograms: [{host: a, steps: [sleep: 1s]}]\n"},
	{"routes", "hosts:\n  - name: a\n    routes: [{to: 10.1.0.0/16}, {to: nowhere, via: 10.0.0.1}, {to: default6, via: 10.0.0.1}, {to: default, via: gw}]\nprograms: [{host: a, steps: [sleep: 1s]}]\n"},
	{"capture links", "hosts: [{name: a}]\ncapture: {links: [a:lo, b:lo, a:lo]}\nprograms: [{host: a, steps: [sleep: 1s]}]\n"},
	{"events", "hosts: [{name: a}, {name: b}]\nlinks: [{name: lan, a: {host: a}, b: {host: b}}]\nevents:\n  - {at: 1s, link: lna, both: {down: true}}\n  - {at: 2s, link: lan}\n  - {at: 3s, link: lan, ba: {loss: 90%}, both: {loss_burst: 2}}\nprograms: [{host: a, steps: [sleep: 1s]}]\n"},
	{"sockets", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - accept: {}\n      - listen: {addr: \":80\", as: s}\n      - connect: {to: 127.0.0.1:80, as: s}\n      - send: {sock: s, text: hi}\n      - close: s\n      - recv: {sock: s, bytes: 1}\n      - send: {sock: nope, text: x}\n"},
	{"socket kinds", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - bind: 127.0.0.1:53\n      - listen: 127.0.0.1:80\n      - shutdown: udp\n      - accept: udp\n      - recv: {sock: udp, until_eof: true}\n      - set: {sock: udp, no_delay: true}\n      - send: {sock: ln, text: a}\n"},
	{"recv", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - connect: 127.0.0.1:80\n      - recv: {}\n      - recv: {bytes: 2, until_eof: true}\n      - recv: {bytes: 2, text: abc}\n      - recv: {datagrams: 2}\n"},
	{"addresses in steps", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - listen: {}\n      - listen: 80\n      - listen: a:80\n      - connect: 10.0.0.1\n      - connect: 10.0.0.1:0\n      - connect: :80\n      - connect: {to: 10.0.0.1:99999}\n"},
	{"set tls", "hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n      - connect: 127.0.0.1:80\n      - set: {}\n      - set: {keep_alive: 10ms, ttl: 1}\n      - tls: {role: middle}\n      - tls: {}\n"},
	{"expect types", "hosts: [{name: a}]\nprograms:\n  - {host: a, steps: [connect: 127.0.0.1:80]}\nexpect:\n  filters:\n    \"\": 1\n    [a]: 1\n    tcp: x\n  received:\n    - {program: a, bytes: x}\n"},
	{"expect", "hosts: [{name: a}]\nprograms:\n  - {host: a, steps: [connect: 127.0.0.1:80]}\nexpect:\n  filters:\n    tcp.port = 3: 1\n    \"  tcp.flags.syn == 1 && tcp.bogus == 1\": 1\n  received:\n    - {program: b, sock: conn, bytes: 1}\n    - {program: a, sock: con, bytes: 1}\n    - {program: a, bytes: 1}\n  sha256: abc\n"},
	{"filter column", "hosts: [{name: a}]\nprograms: [{host: a, steps: [sleep: 1s]}]\nexpect:\n  filters: {\"tcp.port == 80 && (tcp.flags.syn == 1\": 1, tcp.port == 80 &&& tcp.len > 1: 1}\n"},
	{"program", "hosts: [{name: a}]\nprograms:\n  - {name: x}\n  - {host: a, steps: []}\n  - {host: a, start: later, steps: [sleep: 1s]}\n"},
	{"program refs", "hosts: [{name: a}]\nprograms:\n  - {name: x}\n  - {host: a, steps: []}\n"},
	{"key not a string", "? [a]\n: b\n"},
	{"merge key", "base: &b {name: a}\nhosts:\n  - <<: *b\n"},
	{"too many errors", "hosts:\n" + strings.Repeat("  - {name: a, x: 1}\n", 20)},
}

func runBad(name, src string) string {
	s, err := Parse(name, []byte(src))
	switch {
	case err == nil:
		return "(no error) " + dump(s)
	case !errors.Is(err, ErrInvalid):
		return "(not ErrInvalid) " + err.Error()
	}
	return err.Error()
}

func TestParseBad(t *testing.T) {
	var out bytes.Buffer
	for _, c := range badCases {
		fmt.Fprintf(&out, "== %s\n%s\n", c.name, runBad("testdata/parse/bad.yaml", c.src))
	}
	golden := filepath.Join("testdata", "parse", "bad.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("line %d differs from %s (go test -run TestParseBad -update rewrites it):\n got %s\nwant %s", i+1, golden, g, w)
				break
			}
		}
	}
	// Every case fails, and every line has a position inside the file.
	for _, c := range badCases {
		_, err := Parse("bad.yaml", []byte(c.src))
		var list ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%s: %v, want an ErrorList", c.name, err)
			continue
		}
		checkPositions(t, c.src, list)
	}
}

// checkPositions checks that every error is at a line:column inside src
// (an empty file's errors at 1:1).
func checkPositions(t *testing.T, src string, list ErrorList) {
	t.Helper()
	var lines []string
	start := 0
	for _, end := range lineEnds([]byte(src)) {
		lines = append(lines, strings.TrimRight(src[start:end], "\r\n\u0085\u2028\u2029"))
		start = end
	}
	for _, e := range list {
		if e.Pos.Line < 1 || e.Pos.Col < 1 {
			t.Errorf("%q: %v: no position", src, e)
			continue
		}
		if e.Pos == (Pos{1, 1}) {
			continue
		}
		if e.Pos.Line > len(lines) || e.Pos.Col > len([]rune(lines[e.Pos.Line-1]))+1 {
			t.Errorf("%q: %v: position outside the file", src, e)
		}
	}
}

// TestLimits: big files, deep nesting and alias bombs are refused quickly.
func TestLimits(t *testing.T) {
	big := make([]byte, MaxFileSize+1)
	for i := range big {
		big[i] = '#'
	}
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	for _, c := range []struct {
		name, src, want string
	}{
		{"big", string(big), "f:1:1: the file is 4194305 bytes, more than a scenario may be (4194304, 4 MiB)"},
		{"deep flow", strings.Repeat("[", 20000), "f:1:1: YAML: exceeded max depth of 10000"}, // a line too long to search for the column
		{"deep", "hosts:\n" + strings.Repeat("  ", 0) + "  - " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n", "f:2:"},
		{"bomb", bomb, "f:2:8: an alias (*a): scenario files take no aliases; write the value out"},
	} {
		start := time.Now()
		_, err := Parse("f", []byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %.200v, want %s...", c.name, err, c.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: %v", c.name, d)
		}
	}
}

// TestBigFiles: files near the size limit, full of mistakes or of steps,
// parse in time linear in their size (a file of 4 MiB in a few seconds,
// not hours: suggestions, socket defaults and interface names are not
// quadratic).
func TestBigFiles(t *testing.T) {
	size := 4 << 20
	if testing.Short() {
		size = 1 << 20
	}
	var b strings.Builder
	b.WriteString("hosts:\n")
	for i := 0; b.Len() < size*3/8; i++ {
		fmt.Fprintf(&b, "  - name: host%d\n", i)
	}
	b.WriteString("links:\n")
	for i := 0; b.Len() < size-100; i++ {
		fmt.Fprintf(&b, "  - {a: {host: hsot%d}, b: {host: host%d}}\n", i, i)
	}
	mistakes := b.String()
	b.Reset()
	b.WriteString("hosts: [{name: a}]\nprograms:\n  - host: a\n    steps:\n")
	for b.Len() < size-100 {
		b.WriteString("      - connect: {to: 10.0.0.1:80}\n      - accept: {expect_error: x}\n")
	}
	steps := b.String()
	for _, c := range []struct{ name, src, want string }{
		{"mistakes", mistakes, "links[0].a.host: no host \"hsot0\""},
		{"steps", steps, "no open socket for accept to act on"},
	} {
		start := time.Now()
		_, err := Parse("big.yaml", []byte(c.src))
		d := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "more errors not shown") {
			t.Errorf("%s: %.300v", c.name, err)
		}
		t.Logf("%s: %d bytes in %v", c.name, len(c.src), d)
		if d > 30*time.Second {
			t.Errorf("%s: %d bytes took %v", c.name, len(c.src), d)
		}
	}
}
