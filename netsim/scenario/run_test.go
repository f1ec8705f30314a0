package scenario_test

import (
	"bytes"
	"errors"
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

// run runs s and returns the capture and the output.
func run(t *testing.T, s *scenario.Scenario, o scenario.RunOptions) (*scenario.Result, []byte, string, error) {
	t.Helper()
	var capt, out bytes.Buffer
	o.Capture, o.Out = &capt, &out
	res, err := s.Run(o)
	return res, capt.Bytes(), out.String(), err
}

// TestBookGoldens is the acceptance test: scenarios that do what the
// book's demos do give their golden captures, byte for byte.
func TestBookGoldens(t *testing.T) {
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

// TestStepError: a step that fails stops its program and the run, with a
// one-line message naming the file, the place, the program and the step.
func TestStepError(t *testing.T) {
	s := book("refused",
		prog("client", "localhost",
			scenario.Step{Kind: scenario.StepConnect, To: "127.0.0.1:80"},
			scenario.Step{Kind: scenario.StepPrint, Text: "not reached"},
		),
	)
	_, _, out, err := run(t, s, scenario.RunOptions{})
	var se *scenario.StepError
	if !errors.As(err, &se) {
		t.Fatalf("Run: %v; want a *StepError", err)
	}
	const want = "refused.yaml:10:9: program client, step 1 (connect): "
	if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, "connection refused") || strings.Contains(msg, "\n") {
		t.Errorf("message %q; want one line starting %q, saying connection refused", msg, want)
	}
	if se.Program != "client" || se.Index != 1 || se.Step.Kind != scenario.StepConnect {
		t.Errorf("StepError = %+v", se)
	}
	if strings.Contains(out, "not reached") {
		t.Errorf("the program went on after its failed step:\n%s", out)
	}
}

// TestExpectError: a step that must fail fails, and its program goes on;
// one that does not fail is a failure.
func TestExpectError(t *testing.T) {
	s := book("refused",
		prog("client", "localhost",
			scenario.Step{Kind: scenario.StepConnect, To: "127.0.0.1:80", ExpectError: "connection refused"},
			scenario.Step{Kind: scenario.StepPrint, Text: "went on"},
		),
	)
	_, capt, out, err := run(t, s, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(out, "client: connect failed as expected: ") || !strings.Contains(out, "client: went on\n") {
		t.Errorf("output:\n%s", out)
	}
	if len(capt) == 0 {
		t.Error("no capture")
	}

	s.Programs[0].Steps[0].ExpectError = "timeout"
	_, _, _, err = run(t, s, scenario.RunOptions{})
	if err == nil || !strings.Contains(err.Error(), `want an error containing "timeout"`) {
		t.Errorf("Run with the wrong expected error: %v", err)
	}
}
