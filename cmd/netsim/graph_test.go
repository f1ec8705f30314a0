package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	graphLoss = "../../netsim/tsg/testdata/transfer-loss.pcapng"
	graphBook = "../../netsim/tsg/testdata/tcp.pcapng"
)

func TestGraphWrites(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "t.svg")
	code, out, errs := runRead(t, nil, "-r", graphLoss, "--graph", "tsg", "-o", svg)
	if code != 0 || out != "" || errs != "" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
	want, err := os.ReadFile("../../netsim/tsg/testdata/transfer-loss.svg")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(svg); !bytes.Equal(got, want) {
		t.Errorf("%s is not the package's golden picture", svg)
	}

	pngName := filepath.Join(dir, "t.PNG")
	if code, _, errs := runRead(t, nil, "-r", graphBook, "--graph", "tsg", "-o", pngName, "--dir", "client", "--stream", "0"); code != 0 {
		t.Fatalf("png: code %d, %s", code, errs)
	}
	f, err := os.Open(pngName)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 960 {
		t.Errorf("PNG: %v", err)
	}

	// A span of time.
	code, out, errs = runRead(t, nil, "-r", graphLoss, "--graph", "tsg", "--time", "20ms-50ms", "-o", "-")
	if code != 0 || !strings.Contains(out, "showing 20ms to 50ms") || strings.Contains(out, "frame 49,") {
		t.Errorf("--time: code %d, stderr %q, or frame 49 (at 250 ms) drawn", code, errs)
	}

	// Standard input to standard output, SVG.
	data, err := os.ReadFile(graphBook)
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = runRead(t, data, "-r", "-", "--graph", "tsg")
	if code != 0 || !strings.Contains(out, "127.0.0.1:32379 → 127.0.0.1:24000") || !strings.HasSuffix(out, "</svg>\n") {
		t.Errorf("stdout: code %d, %d bytes", code, len(out))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the output directory, want 2 (no temporary file left)", len(entries))
	}
}

// TestGraphExample: the run in read's help makes the capture the tsg tests
// draw (a fast retransmission, lost frames, a FIN resent on its timer).
func TestGraphExample(t *testing.T) {
	run, _, ok := strings.Cut(graphExample, "\n")
	args := strings.Fields(run)
	if !ok || len(args) < 3 || args[0] != "netsim" || args[len(args)-2] != "-w" {
		t.Fatalf("example %q", graphExample)
	}
	out := filepath.Join(t.TempDir(), "t.pcapng")
	args = append(args[1:len(args)-1], out, "-q")
	var stdout, stderr bytes.Buffer
	if code := mainArgs(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(graphLoss)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%q no longer makes %s", args, graphLoss)
	}
	if !strings.Contains(readUsage+graphUsage, graphExample) {
		t.Error("the example is not in read's help")
	}
}

func TestGraphBadInput(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.svg")
	if err := os.WriteFile(old, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	noTCP := "../../testdata/udp.pcap" // the book's UDP exchange
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-r", graphLoss, "--graph", "ladder2", "-o", old}, 2, `--graph "ladder2": unknown graph (known: tsg)`},
		{[]string{"-r", noTCP, "--graph", "tsg", "-o", old}, 2, "--graph tsg: no TCP stream in " + noTCP},
		{[]string{"-r", graphLoss, "--graph", "tsg", "--stream", "4", "-o", old}, 2, "--stream 4: " + graphLoss + ": no such TCP stream 4 (the capture has only tcp.stream 0)"},
		{[]string{"-r", graphLoss, "--graph", "tsg", "--stream", "-2", "-o", old}, 2, "--stream -2: not a tcp.stream index"},
		{[]string{"-r", graphLoss, "--graph", "tsg", "--dir", "up", "-o", old}, 2, `--dir "up": want auto, client or server`},
		{[]string{"-r", graphLoss, "--graph", "tsg", "-o", filepath.Join(dir, "t.jpg")}, 2, "-o " + filepath.Join(dir, "t.jpg") + ": name the picture FILE.svg or FILE.png"},
		{[]string{"-r", graphLoss, "--graph", "tsg", "-o", filepath.Join(dir, "no", "t.svg")}, 2, "-o " + filepath.Join(dir, "no", "t.svg") + ": directory " + filepath.Join(dir, "no") + " does not exist"},
		{[]string{"-r", graphLoss, "--graph", "tsg", "-Y", "tcp", "-o", old}, 2, "-Y is not used with --graph"},
		{[]string{"-r", graphLoss, "--stream", "1"}, 2, "--stream needs --graph tsg"},
		{[]string{"-r", graphLoss, "--graph", "tsg", "--time", "2s-1s", "-o", old}, 2, `--time "2s-1s": the end must come after the start`},
		{[]string{"-r", graphLoss, "--time", "1s-2s"}, 2, "--time needs --graph tsg"},
		{[]string{"-r", graphLoss, "--graph", "tsg", "--time", "-1s-2s", "-o", old}, 2, `--time "-1s-2s": a time before the capture's first frame`},
		{[]string{"-r", graphLoss, "--graph", "tsg", "--time", "5s-6s", "-o", old}, 2, `--time "5s-6s": ` + graphLoss + ": no frame of tcp.stream 0 in 5s-6s: the stream spans 10ms-480.040008ms, the capture 0s-480.040008ms"},
		{[]string{"-r", filepath.Join(dir, "missing.pcap"), "--graph", "tsg", "-o", old}, 1, "missing.pcap: no such file or directory"},
		{[]string{"-r", old, "--graph", "tsg", "-o", old}, 2, "-o " + old + ": is the capture -r reads"},
	} {
		code, out, errs := runRead(t, nil, c.args...)
		if code != c.code || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "netsim read: ") || !strings.Contains(errs, c.msg) {
			t.Errorf("%q: code %d, stdout %q, stderr %q; want code %d and %q", c.args, code, out, errs, c.code, c.msg)
		}
		if b, _ := os.ReadFile(old); string(b) != "keep me" {
			t.Fatalf("%q changed %s", c.args, old)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want old.svg only", len(entries))
	}
}
