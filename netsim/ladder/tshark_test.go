package ladder

import (
	"fmt"
	"testing"

	"netsim.dev/internal/tsharktest"
)

// TestAgainstTshark: every TCP arrow of the golden captures carries
// tshark's relative tcp.seq, tcp.ack and tcp.len, and the lost arrows are
// exactly the frames whose comment tshark reads as lost. (Skipped without
// tshark, failed under NETSIM_REQUIRE_TSHARK=1; -short: two captures.)
func TestAgainstTshark(t *testing.T) {
	checked := 0
	for _, g := range goldens {
		if testing.Short() && g.name != "tcp" && g.name != "tcp-lossy" {
			continue
		}
		l, err := ReadFile(g.capture)
		if err != nil {
			t.Fatal(err)
		}
		byFrame := map[string]*Message{}
		for i := range l.Messages {
			byFrame[fmt.Sprint(l.Messages[i].Frame)] = &l.Messages[i]
		}
		rows := tsharktest.Fields(t, g.capture, "tcp", "frame.number", "tcp.seq", "tcp.ack", "tcp.len", "tcp.flags.ack")
		for _, r := range rows {
			m := byFrame[r[0]]
			if m == nil || m.TCP == nil {
				t.Errorf("%s: frame %s: no TCP arrow", g.name, r[0])
				continue
			}
			ack := "0"
			if r[4] == "1" || r[4] == "True" {
				ack = r[2]
			}
			got := fmt.Sprintf("%d %d %d", m.TCP.Seq, m.TCP.Ack, m.TCP.Len)
			if m.TCP.Flags&0x10 == 0 {
				got = fmt.Sprintf("%d 0 %d", m.TCP.Seq, m.TCP.Len)
			}
			if want := r[1] + " " + ack + " " + r[3]; got != want {
				t.Errorf("%s: frame %s: seq ack len %s, tshark %s", g.name, r[0], got, want)
			}
			checked++
		}
		lost := tsharktest.Fields(t, g.capture, `frame.comment contains "lost" or frame.comment contains "dropped"`, "frame.number")
		n := 0
		for _, m := range l.Messages {
			if m.Lost {
				n++
			}
		}
		if n != len(lost) {
			t.Errorf("%s: %d lost arrows, tshark finds %d lost frames", g.name, n, len(lost))
		}
		for _, r := range lost {
			if m := byFrame[r[0]]; m == nil || !m.Lost {
				t.Errorf("%s: frame %s is lost to tshark, not drawn lost", g.name, r[0])
			}
		}
	}
	if checked < 100 && !testing.Short() || checked < 20 {
		t.Errorf("only %d TCP frames checked", checked)
	}
	t.Logf("%d TCP arrows agree with tshark", checked)
}
