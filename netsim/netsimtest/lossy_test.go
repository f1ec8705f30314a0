package netsimtest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/netsimtest"
)

// TestHTTPLossyRetransmissions: stock net/http under 5% loss and 50 ms
// delay each way (TestHTTPLossy's scenario and seed) succeeds because TCP
// retransmits what the link lost: the link reports losses, and the capture
// shows the retransmissions, counted by package dfilter and by tshark.
func TestHTTPLossyRetransmissions(t *testing.T) {
	var pcap bytes.Buffer
	link := netsim.LinkConfig{Delay: 50 * time.Millisecond, Loss: 0.05}
	n, client, server := twoHosts(t, netsim.Options{Seed: 3, Capture: &pcap, CaptureFormat: capture.PCAPNG}, link)
	var out string
	netsimtest.Run(t, n, func(t *testing.T) { out = httpScenario(t, client, server) })
	ab, ba := n.Link("client-server").Stats()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out, "200 hello"); got != 7 {
		t.Errorf("under loss the clients got %d answers, want 7:\n%s", got, out)
	}
	path := filepath.Join(t.TempDir(), "http-lossy.pcapng")
	if err := os.WriteFile(path, pcap.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	lost := ab.Lost + ba.Lost
	retrans, err := dfilter.CountFile(path, "tcp.analysis.retransmission")
	if err != nil {
		t.Fatal(err)
	}
	frames, err := dfilter.CountFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d frames, %d lost by the link (%d client→server, %d server→client), %d TCP retransmissions", frames, lost, ab.Lost, ba.Lost, retrans)
	if lost == 0 {
		t.Fatal("the link lost nothing: the test proves nothing")
	}
	if retrans == 0 {
		t.Error("the link lost frames but the capture shows no TCP retransmission")
	}
	// Every lost frame is in the capture, with a comment saying so (pcapng).
	if err := dfilter.ExpectCount(path, `frame.comment contains "lost"`, lost); err != nil {
		t.Error(err)
	}

	// tshark, which no one here wrote, sees the same retransmissions.
	tsharktest.Path(t)
	rows := tsharktest.Fields(t, path, "tcp.analysis.retransmission", "frame.number", "tcp.stream", "tcp.seq", "tcp.len")
	if len(rows) != retrans {
		t.Errorf("tshark finds %d retransmissions, dfilter %d", len(rows), retrans)
	}
	for _, r := range rows {
		t.Logf("retransmission: frame %s stream %s seq %s len %s", r[0], r[1], r[2], r[3])
	}
}
