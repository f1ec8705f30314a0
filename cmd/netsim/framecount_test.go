package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// readFrames counts the frames of a capture the way a reader does.
func readFrames(t *testing.T, b []byte) int {
	t.Helper()
	r, err := pcapread.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		n++
	}
	return n
}

// TestFrameCounter: the counter finds a capture's frames whether the
// stream comes whole or a byte at a time, pcap and pcapng; a stream it
// cannot follow, or one cut short, counts -1.
func TestFrameCounter(t *testing.T) {
	for _, name := range []string{"tcp.pcap", "transfer.pcap", "tcp-lossy.pcapng", "transfer-hops.pcapng"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		want := readFrames(t, b)
		var whole bytes.Buffer
		c := &frameCounter{w: &whole}
		c.Write(b)
		if got := c.Frames(); got != want || !bytes.Equal(whole.Bytes(), b) {
			t.Errorf("%s whole: %d frames, want %d (bytes passed on: %v)", name, got, want, bytes.Equal(whole.Bytes(), b))
		}
		c = &frameCounter{w: new(bytes.Buffer)}
		for i := range b {
			c.Write(b[i : i+1])
		}
		if got := c.Frames(); got != want {
			t.Errorf("%s byte by byte: %d frames, want %d", name, got, want)
		}
		c = &frameCounter{w: new(bytes.Buffer)}
		c.Write(b[:len(b)-3])
		if got := c.Frames(); got != -1 {
			t.Errorf("%s cut short: %d frames, want -1", name, got)
		}
	}
	c := &frameCounter{w: new(bytes.Buffer)}
	c.Write([]byte("not a capture, no, not at all"))
	if got := c.Frames(); got != -1 {
		t.Errorf("text: %d frames, want -1", got)
	}
}

// twoClients has three hosts on a switch and captures only the server's
// link: the network carries more frames than the capture holds.
const twoClients = `name: twoclients
seed: 5
hosts: [{name: c1}, {name: c2}, {name: server}]
switches: [{name: sw}]
links:
  - {a: {host: c1, addrs: [10.0.0.1/24]}, b: {switch: sw}}
  - {a: {host: c2, addrs: [10.0.0.3/24]}, b: {switch: sw}}
  - {a: {host: server, addrs: [10.0.0.2/24]}, b: {switch: sw}}
capture: {links: [server-sw]}
programs:
  - name: server
    host: server
    steps:
      - listen: ":7000"
      - accept: ln
      - accept: ln
      - recv: {sock: conn, text: "one"}
      - close: conn
  - name: c1
    host: c1
    steps:
      - connect: "server:7000"
      - send: {text: "one"}
      - close: conn
  - name: c2
    host: c2
    steps:
      - connect: "server:7000"
      - close: conn
`

// TestSummaryCountsCapturedFrames: when the capture holds only some links,
// the summary says how many frames it holds besides the network's count
// (it said the network's alone, which is not what the file holds).
func TestSummaryCountsCapturedFrames(t *testing.T) {
	dir := t.TempDir()
	file := writeScenario(t, dir, "two.yaml", twoClients)
	out := filepath.Join(dir, "two.pcapng")
	code, _, stderr := cli("", "run", file, "-w", out)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	n := readFrames(t, b)
	if want := "frame(s) on the network, " + strconv.Itoa(n) + " captured,"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q should say %q", stderr, want)
	}
	// Without -w the listing is the capture: the same count.
	code, _, stderr = cli("", "run", file)
	if code != 0 || !strings.Contains(stderr, " "+strconv.Itoa(n)+" captured,") {
		t.Errorf("run without -w: exit %d, stderr %q should say %d captured", code, stderr, n)
	}
	// Every link captured: one count.
	code, _, stderr = cli("", "run", file, "-i", "all", "-w", filepath.Join(dir, "all.pcapng"))
	if code != 0 || strings.Contains(stderr, "captured,") || !strings.Contains(stderr, "frame(s) over") {
		t.Errorf("run -i all: exit %d, stderr %q should give one count", code, stderr)
	}
}
