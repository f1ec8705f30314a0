package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadLadder: netsim read --ladder prints the package's text ladder;
// -o FILE writes SVG or Mermaid by its extension or --ladder=FORMAT; -Y
// draws only the frames the filter selects.
func TestReadLadder(t *testing.T) {
	capture := "../../testdata/tcp.pcap"
	var stdout, stderr bytes.Buffer
	if code := mainArgs([]string{"read", "-r", capture, "--ladder"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want, err := os.ReadFile("../../netsim/ladder/testdata/tcp.txt")
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != string(want) {
		t.Errorf("netsim read --ladder:\n%s\nwant (netsim/ladder/testdata/tcp.txt):\n%s", stdout.String(), want)
	}

	dir := t.TempDir()
	for _, c := range []struct {
		args   []string
		file   string
		prefix string
	}{
		{[]string{"--ladder", "-o"}, "a.svg", "<svg "},
		{[]string{"--ladder", "-o"}, "a.mmd", "sequenceDiagram\n"},
		{[]string{"--ladder=mermaid", "-o"}, "b.txt", "sequenceDiagram\n"},
		{[]string{"--ladder=svg", "-o"}, "b.out", "<svg "},
		{[]string{"--ladder", "-o"}, "a.txt", "           127.0.0.1:32379"},
	} {
		stdout.Reset()
		path := filepath.Join(dir, c.file)
		args := append([]string{"read", "-r", capture}, append(c.args, path)...)
		if code := mainArgs(args, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		got, err := os.ReadFile(path)
		if err != nil || !strings.HasPrefix(string(got), c.prefix) || stdout.Len() != 0 {
			t.Errorf("%v: %v, file starts %.40q, want %q; stdout %q", args, err, got, c.prefix, stdout.String())
		}
	}

	stdout.Reset()
	if code := mainArgs([]string{"read", "-r", "../../testdata/tcp-lossy.pcapng", "--ladder", "--ladder-notes", "-Y", "tcp.flags.fin == 1"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if n := strings.Count(out, "[FIN, ACK]"); n != 5 || strings.Contains(out, "[SYN]") {
		t.Errorf("-Y 'tcp.flags.fin == 1': %d FIN arrows, want 5 and nothing else:\n%s", n, out)
	}
	if !strings.Contains(out, "--X ") || !strings.Contains(out, "lost: loss 30% on localhost:lo") {
		t.Errorf("--ladder-notes: no lost arrow or note:\n%s", out)
	}
	// The dissector saw every frame: the numbers stay relative.
	if !strings.Contains(out, "[FIN, ACK] Seq=4 Ack=1 Len=0") {
		t.Errorf("relative numbers lost under -Y:\n%s", out)
	}
}

// TestRunLadder: netsim run --ladder prints the ladder instead of the
// listing, lost frames included; -o writes it to a file next to -w's
// capture.
func TestRunLadder(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := mainArgs([]string{"run", "tcp", "--loss", "20%", "--seed", "72", "--ladder", "--ladder-notes"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "127.0.0.1:24000") || !strings.Contains(out, "|-- [SYN] Seq=0 Len=0") && !strings.Contains(out, "[SYN] Seq=0 Len=0 ---") {
		t.Errorf("no ladder:\n%s", out)
	}
	if strings.Contains(out, "TCP 74") {
		t.Errorf("the listing was printed too:\n%s", out)
	}
	if !strings.Contains(out, "|-- [SYN] Seq=0 Len=0 --X ") || !strings.Contains(out, "X: lost") || !strings.Contains(out, "lost: loss 20%") {
		t.Errorf("--loss 20%% --seed 72 shows no lost frame:\n%s", out)
	}

	dir := t.TempDir()
	svg, capture := filepath.Join(dir, "rto.svg"), filepath.Join(dir, "rto.pcapng")
	stdout.Reset()
	if code := mainArgs([]string{"run", "tcp-rto", "-q", "-w", capture, "--ladder", "-o", svg}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got, err := os.ReadFile(svg)
	if err != nil || !bytes.HasPrefix(got, []byte("<svg ")) || !bytes.Contains(got, []byte("(lost)")) {
		t.Errorf("tcp-rto's SVG: %v, %.60q", err, got)
	}
	if fi, err := os.Stat(capture); err != nil || fi.Size() == 0 {
		t.Errorf("the capture: %v", err)
	}
}

// TestLadderBadInput: each mistake gets one line naming the flag, exit 2,
// and leaves no file.
func TestLadderBadInput(t *testing.T) {
	dir := t.TempDir()
	capture := "../../testdata/tcp.pcap"
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"read", "-r", capture, "--ladder=png", "-o", filepath.Join(dir, "x.png")}, 2, `--ladder=png: unknown format (text, svg or mermaid)`},
		{[]string{"read", "-r", capture, "--ladder", "svg"}, 2, "--ladder svg: write --ladder=svg"},
		{[]string{"read", "-r", capture, "--ladder", "-o", filepath.Join(dir, "missing", "x.svg")}, 2, "-o " + filepath.Join(dir, "missing", "x.svg") + ": directory"},
		{[]string{"read", "-r", capture, "--ladder", "-o", dir}, 2, "-o " + dir + ": is a directory"},
		{[]string{"read", "-r", capture, "--ladder", "-o", ""}, 2, `-o "": empty file name`},
		{[]string{"read", "-r", capture, "--ladder", "--graph", "tsg", "-o", filepath.Join(dir, "x.svg")}, 2, "--ladder and --graph"},
		{[]string{"read", "-r", capture, "--ladder", "-V"}, 2, "-V is not used with --ladder"},
		{[]string{"read", "-r", capture, "--ladder-notes"}, 2, "--ladder-notes needs --ladder"},
		{[]string{"read", "-r", capture, "--ladder", "--ladder-width", "5"}, 2, "--ladder-width 5: too narrow"},
		{[]string{"read", "-r", capture, "-o", filepath.Join(dir, "x.txt")}, 2, "-o needs --ladder or --graph"},
		{[]string{"read", "-r", filepath.Join(dir, "none.pcap"), "--ladder", "-o", filepath.Join(dir, "y.svg")}, 1, "no such file"},
		{[]string{"read", "-r", capture, "--ladder", "-Y", "tcp.flgs", "-o", filepath.Join(dir, "y.svg")}, 2, "bad display filter"},
		{[]string{"run", "tcp", "--ladder=html", "-o", filepath.Join(dir, "x.html")}, 2, "--ladder=html: unknown format"},
		{[]string{"run", "tcp", "-w", "-", "--ladder"}, 2, "--ladder: standard output takes the capture (-w -)"},
		{[]string{"run", "tcp", "-o", filepath.Join(dir, "x.txt")}, 2, "-o needs --ladder"},
		{[]string{"run", "tcp", "--ladder", "-o", dir}, 2, "-o " + dir + ": is a directory"},
		{[]string{"run", "tcp", "--ladder=svg", "-o", filepath.Join(dir, "x.png")}, 2, "-o " + filepath.Join(dir, "x.png") + ": a ladder is text, svg or mermaid (FILE.txt, FILE.svg, FILE.mmd)"},
		{[]string{"read", "-r", capture, "--ladder", "-o", filepath.Join(dir, "x.png")}, 2, ": a ladder is text, svg or mermaid"},
		{[]string{"run", "tcp", "--ladder=mermaid", "-o", filepath.Join(dir, "x.svg")}, 2, "-o " + filepath.Join(dir, "x.svg") + ": the name says svg, --ladder=mermaid says mermaid (name it FILE.mmd, or leave the format to the name)"},
		{[]string{"read", "-r", capture, "--ladder=text", "-o", filepath.Join(dir, "x.mmd")}, 2, ": the name says mermaid, --ladder=text says text (name it FILE.txt"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := mainArgs(c.args, nil, &stdout, &stderr)
		msg := stderr.String()
		if code != c.code || !strings.Contains(msg, c.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("netsim %s: exit %d, stderr %q; want exit %d and one line with %q", strings.Join(c.args, " "), code, msg, c.code, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("failed commands left files behind: %v", names)
	}
}

// TestLadderWriteFails: a ladder that cannot be written out (a full
// device) gets one line and exit 1.
func TestLadderWriteFails(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	var stdout, stderr bytes.Buffer
	code := mainArgs([]string{"read", "-r", "../../testdata/tcp.pcap", "--ladder=svg", "-o", "/dev/full"}, nil, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "-o /dev/full") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestRunLadderUnmet: a scenario that misses an expectation still draws
// its ladder (the evidence), then says which expectation, exit 1.
func TestRunLadderUnmet(t *testing.T) {
	const yaml = `
seed: 1
hosts: [{name: client}, {name: server}]
links:
  - a: {host: client, addrs: [10.0.0.1/24]}
    b: {host: server, addrs: [10.0.0.2/24]}
programs:
  - host: server
    steps: [listen: ":8000", accept: ln, recv: {until_eof: true}]
  - host: client
    steps: [connect: "server:8000", send: {text: "hi"}, close: conn]
expect:
  received: [{program: server, sock: conn, bytes: 3}]
`
	var stdout, stderr bytes.Buffer
	code := mainArgs([]string{"run", "-", "-q", "--ladder"}, strings.NewReader(yaml), &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "received 2 bytes, want 3") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "[PSH, ACK] Seq=1 Ack=1 Len=2") || strings.Contains(stdout.String(), "TCP 68") {
		t.Errorf("no ladder, or the listing too:\n%s", stdout.String())
	}
}
