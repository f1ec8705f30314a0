package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs netsim run in-process and returns its exit status and
// output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cmdRun(args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunExplainScenario(t *testing.T) {
	code, out, errs := runCmd(t, "tcp-rto", "--explain")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"retransmission timer (RTO 200 ms)", "client calls write() with 100 bytes", "lost: link down on lan client→server"} {
		if !strings.Contains(out, want) {
			t.Errorf("netsim run tcp-rto --explain: no %q in the listing:\n%s", want, out)
		}
	}
	if strings.Contains(out, "tcp sender:") {
		t.Error("the listing shows the machine-readable sender state")
	}
	code, out, errs = runCmd(t, "tcp-rto", "--explain", "--lang", "ru")
	if code != 0 || !strings.Contains(out, "таймер повторной передачи") {
		t.Errorf("--lang ru: exit %d, stderr %q, listing:\n%s", code, errs, out)
	}
	// Without --explain the listing is as it was: no comments.
	code, out, _ = runCmd(t, "tcp-rto")
	if code != 0 || strings.Contains(out, "lost: link down") || strings.Contains(out, "calls write()") {
		t.Errorf("without --explain: exit %d, listing:\n%s", code, out)
	}
	// A pcap scenario's listing becomes pcapng to carry them.
	code, out, errs = runCmd(t, "book-tcp", "--explain")
	if code != 0 || !strings.Contains(out, "calls close()") {
		t.Errorf("book-tcp --explain: exit %d, stderr %q, listing:\n%s", code, errs, out)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "x.pcapng")
	code, _, errs = runCmd(t, "tcp-rto", "--explain", "-q", "-w", file)
	b, err := os.ReadFile(file)
	if code != 0 || err != nil || !bytes.Contains(b, []byte("retransmission timer")) || !bytes.Contains(b, []byte("tcp sender: cwnd=")) {
		t.Errorf("-w x.pcapng --explain: exit %d (%s), %v, %d bytes without the explanations", code, errs, err, len(b))
	}
}

func TestRunExplainBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tcp", "--lang", "fr"}, `netsim run: --lang "fr": en or ru`},
		{[]string{"tcp-rto", "--explain", "-F", "pcap", "-w", filepath.Join(dir, "a.pcap")}, "netsim run: --explain: explanations are pcapng comments, and this capture is pcap (use -F pcapng, or -w FILE.pcapng)"},
		{[]string{"book-tcp", "--explain", "-w", filepath.Join(dir, "b.pcapng")}, "netsim run: --explain: explanations are pcapng comments, and this capture is pcap (the scenario's file says format: pcap; use -F pcapng)"},
		{[]string{"tcp", "--explain", "-w", filepath.Join(dir, "c.pcap")}, "netsim run: --explain: explanations are pcapng comments, and this capture is pcap"},
	} {
		code, _, errs := runCmd(t, c.args...)
		if code != 2 || !strings.HasPrefix(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("netsim run %s: exit %d, %q; want 2, %q", strings.Join(c.args, " "), code, errs, c.want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) > 0 {
		t.Errorf("files left: %v", entries)
	}
}

// TestRunExplainDemo: the book's demos explain their frames with
// --explain, and by default in pcapng.
func TestRunExplainDemo(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "t.pcapng")
	code, _, errs := runCmd(t, "tcp", "-q", "-w", file)
	b, _ := os.ReadFile(file)
	if code != 0 || !bytes.Contains(b, []byte("calls connect()")) {
		t.Errorf("netsim run tcp -w t.pcapng: exit %d (%s); not explained", code, errs)
	}
	code, out, errs := runCmd(t, "tcp", "--explain", "--lang", "ru")
	if code != 0 || !strings.Contains(out, "вызывает connect()") {
		t.Errorf("tcp --explain --lang ru: exit %d (%s):\n%s", code, errs, out)
	}
	// Off on request, and for the plain listing.
	code, _, _ = runCmd(t, "tcp", "--explain=false", "-q", "-w", file)
	b, _ = os.ReadFile(file)
	if code != 0 || bytes.Contains(b, []byte("calls connect()")) {
		t.Errorf("--explain=false: exit %d, explanations written", code)
	}
	code, out, _ = runCmd(t, "tcp")
	if code != 0 || strings.Contains(out, "calls connect()") {
		t.Errorf("netsim run tcp (listing): exit %d, explained:\n%s", code, out)
	}
}

// TestCheckExplain: netsim check --explain checks that the explained
// capture repeats (a pcap scenario's in pcapng).
func TestCheckExplain(t *testing.T) {
	var plain, explained bytes.Buffer
	for _, c := range []struct {
		args []string
		out  *bytes.Buffer
	}{{[]string{"book-tcp"}, &plain}, {[]string{"book-tcp", "--explain", "--lang", "ru"}, &explained}} {
		var errb bytes.Buffer
		if code := cmdCheck(c.args, nil, c.out, &errb); code != 0 {
			t.Fatalf("netsim check %s: exit %d, %s", strings.Join(c.args, " "), code, errb.String())
		}
	}
	if !strings.HasPrefix(explained.String(), "book-tcp: 2 runs, same ") || plain.String() == explained.String() {
		t.Errorf("check --explain: %q; without: %q", explained.String(), plain.String())
	}
}
