package scenario_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/scenario"
)

// data returns send/recv data with its bytes resolved, as Parse gives it.
func data(b ...byte) *scenario.Data { return &scenario.Data{Bytes: b} }

func ptr[T any](v T) *T { return &v }

// book returns the book's setting: one host, the capture on its loopback.
func book(name string, programs ...scenario.ProgramSpec) *scenario.Scenario {
	return &scenario.Scenario{
		File:     name + ".yaml",
		Name:     name,
		Capture:  scenario.CaptureSpec{Format: capture.PCAP, FormatSet: true, Links: []string{"localhost:lo"}},
		Hosts:    []scenario.HostSpec{{Name: "localhost"}},
		Programs: programs,
	}
}

func prog(name, host string, steps ...scenario.Step) scenario.ProgramSpec {
	for i := range steps {
		steps[i].Pos = scenario.Pos{Line: 10 + i, Col: 9}
	}
	return scenario.ProgramSpec{Name: name, Host: host, Steps: steps}
}

// bookTCP is the book's tcp demo (writes 1) and tcp-multi (writes 3, 50 ms
// apart, then 50 ms more before the close, as demo/book.go does).
func bookTCP(writes int) *scenario.Scenario {
	send := []scenario.Step{
		{Kind: scenario.StepConnect, To: "127.0.0.1:24000"},
		{Kind: scenario.StepSend, Data: data(0x2c, 0x37, 0x42)},
	}
	if writes > 1 {
		send[1].Repeat, send[1].Pause = writes, 50*time.Millisecond
		send = append(send, scenario.Step{Kind: scenario.StepSleep, For: 50 * time.Millisecond})
	}
	send = append(send, scenario.Step{Kind: scenario.StepClose})
	return book("book-tcp",
		prog("receiver", "localhost",
			scenario.Step{Kind: scenario.StepListen, Addr: "127.0.0.1:24000", As: "ln"},
			scenario.Step{Kind: scenario.StepAccept, Sock: "ln", As: "conn"},
			scenario.Step{Kind: scenario.StepRecv, Sock: "conn", UntilEOF: true},
			scenario.Step{Kind: scenario.StepClose, Sock: "conn"},
			scenario.Step{Kind: scenario.StepClose, Sock: "ln"},
		),
		prog("sender", "localhost", send...),
	)
}

// bookUDP is the book's udp demo.
func bookUDP() *scenario.Scenario {
	return book("book-udp",
		prog("receiver", "localhost",
			scenario.Step{Kind: scenario.StepBind, Addr: "127.0.0.1:24000"},
			scenario.Step{Kind: scenario.StepRecv},
			scenario.Step{Kind: scenario.StepClose},
		),
		prog("sender", "localhost",
			scenario.Step{Kind: scenario.StepBind, Addr: "127.0.0.1:24001"},
			scenario.Step{Kind: scenario.StepSend, To: "127.0.0.1:24000", Data: data(0x2c, 0x37, 0x42)},
			scenario.Step{Kind: scenario.StepClose},
		),
	)
}

// TestBookGoldensGo: the book's scenarios built in Go (not validated: the
// runner's own defaults) give the golden captures, byte for byte.
func TestBookGoldensGo(t *testing.T) {
	for _, c := range []struct {
		golden string
		s      *scenario.Scenario
		out    string
	}{
		{"tcp.pcap", bookTCP(1), "receiver: conn: received 3 bytes from 127.0.0.1:"},
		{"tcp-multi.pcap", bookTCP(3), "receiver: conn: received 9 bytes from 127.0.0.1:"},
		{"udp.pcap", bookUDP(), "receiver: udp: received 3 bytes from 127.0.0.1:24001: 2c 37 42 (b',7B')"},
	} {
		t.Run(c.golden, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("..", "..", "testdata", c.golden))
			if err != nil {
				t.Fatal(err)
			}
			res, got, out, err := run(t, c.s, scenario.RunOptions{})
			if err != nil {
				t.Fatalf("Run: %v\noutput:\n%s", err, out)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("capture (%d bytes) differs from %s (%d bytes)\noutput:\n%s", len(got), c.golden, len(want), out)
			}
			if !strings.Contains(out, c.out) {
				t.Errorf("output lacks %q:\n%s", c.out, out)
			}
			if len(res.Received) != 1 || res.Received[0].Program != "receiver" || res.Received[0].Bytes == 0 {
				t.Errorf("Received = %+v; want one receiver socket", res.Received)
			}
		})
	}
}

// TestBuildErrors: what cannot be built fails before the run, naming the
// place.
func TestBuildErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(s *scenario.Scenario)
		want   string
	}{
		{"program host", func(s *scenario.Scenario) {
			s.Programs[0].Host, s.Programs[0].Pos = "nowhere", scenario.Pos{Line: 5, Col: 5}
		}, `bad.yaml:5:5: program 1: no host "nowhere"`},
		{"event link", func(s *scenario.Scenario) {
			s.Events = []scenario.EventSpec{{Pos: scenario.Pos{Line: 7, Col: 5}, At: time.Second, Link: "lan"}}
		}, `bad.yaml:7:5: event at 1s: no link "lan"`},
		{"event config", func(s *scenario.Scenario) {
			s.Events = []scenario.EventSpec{{Pos: scenario.Pos{Line: 7, Col: 5}, At: time.Second, Link: "localhost:lo", Both: scenario.ImpairSpec{Loss: ptr(1.5)}}}
		}, `bad.yaml:7:5: event at 1s on link "localhost:lo": LinkConfig.Loss: 1.5 is not between 0 and 1`},
		{"loopback", func(s *scenario.Scenario) {
			s.Hosts[0].Loopback = &scenario.ImpairSpec{Pos: scenario.Pos{Line: 3, Col: 7}, Dup: ptr(-1.0)}
		}, `bad.yaml:3:7: host "localhost": loopback: `},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := bookTCP(1)
			s.File = "bad.yaml"
			c.change(s)
			res, _, _, err := run(t, s, scenario.RunOptions{})
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Run: %v\nwant %s...", err, c.want)
			}
			if res != nil {
				t.Errorf("Result %+v from a scenario that was not built", res)
			}
		})
	}
}

// TestProgramNamesGo: programs built in Go without names take their
// host's, then HOST#2, HOST#3.
func TestProgramNamesGo(t *testing.T) {
	s := book("names",
		prog("", "localhost", scenario.Step{Kind: scenario.StepPrint, Text: "one"}),
		prog("", "localhost", scenario.Step{Kind: scenario.StepPrint, Text: "two"}),
		prog("", "localhost", scenario.Step{Kind: scenario.StepPrint, Text: "three"}),
	)
	_, _, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "localhost: one\nlocalhost#2: two\nlocalhost#3: three\n"; out != want {
		t.Errorf("output %q; want %q", out, want)
	}
}

// TestSetWrongKindGo: a socket option the socket has not (keep-alive on
// UDP; Validate would have said so) fails the step.
func TestSetWrongKindGo(t *testing.T) {
	s := book("set",
		prog("p", "localhost",
			scenario.Step{Kind: scenario.StepBind, Addr: ":53"},
			scenario.Step{Kind: scenario.StepSet, KeepAlive: ptr(time.Second)},
		),
	)
	_, _, _, err := run(t, s, scenario.RunOptions{})
	if want := "set.yaml:11:9: program p, step 2 (set): set on a UDP socket needs SetKeepAlive, which this netsim has not"; err == nil || err.Error() != want {
		t.Errorf("Run: %v\nwant %s", err, want)
	}
}

// TestEveryStepNoPanicGo runs every kind of step with zero and odd
// values (as a Scenario built in Go without Validate may have them),
// alone and after each kind of socket is opened: each run ends with an
// error or without, never a panic or a leak.
func TestEveryStepNoPanicGo(t *testing.T) {
	kinds := []scenario.StepKind{
		scenario.StepListen, scenario.StepAccept, scenario.StepConnect, scenario.StepBind,
		scenario.StepSend, scenario.StepRecv, scenario.StepSleep, scenario.StepShutdown,
		scenario.StepClose, scenario.StepAbort, scenario.StepSet, scenario.StepTLS,
		scenario.StepPrint, "bogus",
	}
	odd := scenario.Step{
		Sock: "nope", Addr: "x", To: "nowhere:1", From: ":bad", Backlog: -1,
		Timeout: -time.Second, Repeat: -3, Pause: -time.Second, Bytes: -5, Datagrams: -2,
		For: -time.Second, NoDelay: ptr(true), ReadBuffer: ptr(-1), WriteBuffer: ptr(0),
		KeepAlive: ptr(-time.Second), TTL: ptr(1000), Role: "both", Data: &scenario.Data{},
	}
	openers := [][]scenario.Step{
		nil,
		{{Kind: scenario.StepListen, Addr: ":80"}},
		{{Kind: scenario.StepListen, Addr: ":80"}, {Kind: scenario.StepConnect, To: "127.0.0.1:80"}},
		{{Kind: scenario.StepBind, Addr: ":53"}},
	}
	runs := 0
	for _, open := range openers {
		for _, k := range kinds {
			for _, st := range []scenario.Step{{Kind: k}, func() scenario.Step { s := odd; s.Kind = k; return s }()} {
				steps := append(append([]scenario.Step(nil), open...), st)
				s := book("sweep", prog("p", "localhost", steps...))
				_, _, _, err := run(t, s, scenario.RunOptions{})
				runs++
				if err != nil && strings.Contains(err.Error(), "panic") {
					t.Errorf("%v after %d opening steps: %v", k, len(open), err)
				}
			}
		}
	}
	t.Logf("%d runs", runs)
}
