package scenario

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// golden reads a capture of the repository's testdata.
func expGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func expSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// expBookScenario is the expect section of the book's TCP scenario, as
// Parse would give it for a file tcp.yaml.
func expBookScenario() *Scenario {
	return &Scenario{
		File: "tcp.yaml",
		Expect: ExpectSpec{
			Pos: Pos{27, 1},
			Filters: []FilterExpect{
				{Pos: Pos{29, 7}, Filter: "tcp.flags.syn == 1", Op: "==", Count: 2},
				{Pos: Pos{30, 7}, Filter: "tcp.flags.syn == 1 && tcp.flags.ack == 0", Op: "==", Count: 1},
				{Pos: Pos{31, 7}, Filter: "tcp.len == 3", Op: "==", Count: 1},
				{Pos: Pos{32, 7}, Filter: "tcp.flags.fin == 1"}, // alone: >= 1
				{Pos: Pos{33, 7}, Filter: "udp", Op: "==", Count: 0},
				{Pos: Pos{34, 7}, Filter: "tcp", Op: ">", Count: 8},
				{Pos: Pos{35, 7}, Filter: "tcp", Op: "<", Count: 10},
				{Pos: Pos{36, 7}, Filter: "tcp", Op: "<=", Count: 9},
				{Pos: Pos{37, 7}, Filter: "tcp.flags.reset == 1", Op: "!=", Count: 1},
			},
			Received: []ReceivedExpect{
				{Pos: Pos{39, 7}, Program: "receiver", Sock: "conn", Bytes: 3},
			},
		},
	}
}

func expBookResult(t *testing.T) *Result {
	return &Result{
		Capture:  expGolden(t, "tcp.pcap"),
		Received: []SockBytes{{"receiver", "conn", 3}},
	}
}

func TestExpectMet(t *testing.T) {
	s := expBookScenario()
	r := expBookResult(t)
	s.Expect.SHA256 = expSHA(r.Capture)
	if err := s.expect(r); err != nil {
		t.Fatal(err)
	}
	// Upper-case hex is the same digest.
	s.Expect.SHA256 = strings.ToUpper(s.Expect.SHA256)
	if err := s.Verify(r); err != nil {
		t.Fatal(err)
	}
}

func TestExpectPcapng(t *testing.T) {
	s := &Scenario{File: "lossy.yaml", Expect: ExpectSpec{Filters: []FilterExpect{
		{Pos: Pos{3, 7}, Filter: "tcp.analysis.retransmission"},
		{Pos: Pos{4, 7}, Filter: "tcp.analysis.retransmission", Op: "==", Count: 2},
	}}}
	err := s.Verify(&Result{Capture: expGolden(t, "tcp-lossy.pcapng")})
	want := `lossy.yaml:4:7: expect: "tcp.analysis.retransmission" selected 3 frames (7, 10, 12), want 2`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	var u *UnmetError
	if !errors.As(err, &u) || u.Key != "filters" || u.Want != "2" || u.Got != "3" || len(u.Frames) != 3 {
		t.Fatalf("%#v", u)
	}
}

func TestExpectUnmet(t *testing.T) {
	full := expSHA(expGolden(t, "tcp.pcap"))
	wrong := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name   string
		change func(s *Scenario, r *Result)
		want   string
	}{
		{"filter", func(s *Scenario, r *Result) {
			s.Expect.Filters[2] = FilterExpect{Pos: Pos{31, 7}, Filter: "tcp.analysis.retransmission"}
		}, `tcp.yaml:31:7: expect: "tcp.analysis.retransmission" selected 0 frames, want >= 1`},
		{"filter count", func(s *Scenario, r *Result) {
			s.Expect.Filters[2].Count = 2
		}, `tcp.yaml:31:7: expect: "tcp.len == 3" selected 1 frame (4), want 2`},
		{"filter ne", func(s *Scenario, r *Result) {
			s.Expect.Filters[8] = FilterExpect{Pos: Pos{37, 7}, Filter: "tcp.flags.syn == 1", Op: "!=", Count: 2}
		}, `tcp.yaml:37:7: expect: "tcp.flags.syn == 1" selected 2 frames (1, 2), want != 2`},
		{"received", func(s *Scenario, r *Result) {
			r.Received[0].Bytes = 2
		}, `tcp.yaml:39:7: expect: receiver's conn received 2 bytes, want 3`},
		{"received missing", func(s *Scenario, r *Result) {
			r.Received = nil
		}, `tcp.yaml:39:7: expect: receiver's conn received 0 bytes, want 3`},
		{"sha256", func(s *Scenario, r *Result) {
			s.Expect.SHA256 = wrong
		}, `tcp.yaml:27:1: expect: capture sha256 ` + full + `, want ` + wrong},
		{"file order", func(s *Scenario, r *Result) {
			// received (line 39) and the filter at line 33 fail: line 33 first.
			r.Received[0].Bytes = 2
			s.Expect.Filters[4].Count = 5
		}, `tcp.yaml:33:7: expect: "udp" selected 0 frames, want 5`},
		{"file order received first", func(s *Scenario, r *Result) {
			s.Expect.Received[0].Pos = Pos{28, 7}
			r.Received[0].Bytes = 2
			s.Expect.Filters[4].Count = 5
		}, `tcp.yaml:28:7: expect: receiver's conn received 2 bytes, want 3`},
		{"sha256 last", func(s *Scenario, r *Result) {
			s.Expect.SHA256 = wrong
			s.Expect.Filters[8].Count = 0
		}, `tcp.yaml:37:7: expect: "tcp.flags.reset == 1" selected 0 frames, want != 0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, r := expBookScenario(), expBookResult(t)
			tc.change(s, r)
			err := s.expect(r)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got  %v\nwant %s", err, tc.want)
			}
			if !errors.Is(err, ErrUnmet) {
				t.Errorf("%v does not match ErrUnmet", err)
			}
			var u *UnmetError
			if !errors.As(err, &u) || u.File != "tcp.yaml" {
				t.Errorf("not an *UnmetError with its file: %#v", err)
			}
		})
	}
}

func TestExpectBad(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(s *Scenario, r *Result)
		want   string
	}{
		{"bad filter", func(s *Scenario, r *Result) {
			s.Expect.Filters[1].Filter = "tcp.flags.syn =="
		}, `tcp.yaml:30:7: expect: bad display filter "tcp.flags.syn ==": `},
		{"bad op", func(s *Scenario, r *Result) {
			s.Expect.Filters[1].Op = "=~"
		}, `tcp.yaml:30:7: expect: "tcp.flags.syn == 1 && tcp.flags.ack == 0": operator "=~" is not one of == != < <= > >=`},
		{"negative", func(s *Scenario, r *Result) {
			s.Expect.Filters[1].Count = -1
		}, `tcp.yaml:30:7: expect: "tcp.flags.syn == 1 && tcp.flags.ack == 0": count -1 is negative`},
		{"no capture", func(s *Scenario, r *Result) {
			r.Capture = nil
		}, `tcp.yaml:29:7: expect: filters: the run kept no capture to count frames in`},
		{"not a capture", func(s *Scenario, r *Result) {
			r.Capture = []byte("hello, world, this is not a capture")
		}, `tcp.yaml:29:7: expect: reading the capture: `},
		{"cut short", func(s *Scenario, r *Result) {
			r.Capture = r.Capture[:len(r.Capture)-10]
		}, `tcp.yaml:29:7: expect: reading the capture: `},
		{"bad sha256", func(s *Scenario, r *Result) {
			s.Expect.SHA256 = "abc"
		}, `tcp.yaml:27:1: expect: sha256 "abc" is not a sha256 in hex (64 hex digits)`},
		{"sha256 no capture", func(s *Scenario, r *Result) {
			s.Expect.Filters = nil
			s.Expect.SHA256 = strings.Repeat("0", 64)
			r.Capture = nil
		}, `tcp.yaml:27:1: expect: sha256: the run kept no capture to hash`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, r := expBookScenario(), expBookResult(t)
			tc.change(s, r)
			err := s.expect(r)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got  %v\nwant %s...", err, tc.want)
			}
			if errors.Is(err, ErrUnmet) {
				t.Errorf("%v matches ErrUnmet", err)
			}
			t.Log(err)
		})
	}
}

func TestExpectNothing(t *testing.T) {
	// No expectations: nothing is read, a nil Result is fine.
	s := &Scenario{File: "x.yaml"}
	if err := s.Verify(nil); err != nil {
		t.Fatal(err)
	}
	// An empty capture (a run that captured no link still writes the
	// header) selects no frame.
	s.Expect.Filters = []FilterExpect{{Filter: "frame", Op: "==", Count: 0}}
	hdr := expGolden(t, "tcp.pcap")[:24]
	if err := s.Verify(&Result{Capture: hdr}); err != nil {
		t.Fatal(err)
	}
	s.Expect.Filters[0].Op = ">"
	err := s.Verify(&Result{Capture: hdr})
	if want := `x.yaml: expect: "frame" selected 0 frames, want > 0`; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestExpectUnmetPlace(t *testing.T) {
	for _, tc := range []struct {
		file string
		pos  Pos
		want string
	}{
		{"", Pos{}, `expect: a received 1 bytes, want 2`},
		{"", Pos{3, 4}, `3:4: expect: a received 1 bytes, want 2`},
		{"f.yaml", Pos{}, `f.yaml: expect: a received 1 bytes, want 2`},
		{"f.yaml", Pos{3, 4}, `f.yaml:3:4: expect: a received 1 bytes, want 2`},
	} {
		e := &UnmetError{File: tc.file, Pos: tc.pos, Key: "received", What: "a", Want: "2", Got: "1"}
		if e.Error() != tc.want {
			t.Errorf("got %q, want %q", e.Error(), tc.want)
		}
	}
}

func TestExpectCompareCount(t *testing.T) {
	for _, tc := range []struct {
		got  int
		op   string
		want int
		ok   bool
	}{
		{1, "==", 1, true}, {2, "==", 1, false},
		{1, "!=", 1, false}, {2, "!=", 1, true},
		{0, "<", 1, true}, {1, "<", 1, false},
		{1, "<=", 1, true}, {2, "<=", 1, false},
		{2, ">", 1, true}, {1, ">", 1, false},
		{1, ">=", 1, true}, {0, ">=", 1, false},
		{1, "=", 1, false},
	} {
		if ok := expectCompareCount(tc.got, tc.op, tc.want); ok != tc.ok {
			t.Errorf("%d %s %d = %v, want %v", tc.got, tc.op, tc.want, ok, tc.ok)
		}
	}
}

func TestExpectNeedCapture(t *testing.T) {
	for _, tc := range []struct {
		e    ExpectSpec
		want bool
	}{
		{ExpectSpec{}, false},
		{ExpectSpec{Received: []ReceivedExpect{{Program: "p", Sock: "s", Bytes: 1}}}, false},
		{ExpectSpec{Filters: []FilterExpect{{Filter: "tcp"}}}, true},
		{ExpectSpec{SHA256: strings.Repeat("0", 64)}, true},
	} {
		if got := tc.e.needCapture(); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.e, got, tc.want)
		}
	}
}
