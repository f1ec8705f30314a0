package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const refTCP = "../../netsim/dfilter/testdata/linux-lo-tcp.pcap"

func runRead(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cmdRead(args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestReadSummaryMatchesTshark(t *testing.T) {
	code, out, errs := runRead(t, nil, "-r", refTCP)
	want, err := os.ReadFile("../../netsim/dfilter/testdata/linux-lo-tcp.txt")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || out != string(want) {
		t.Errorf("code %d, stderr %q, output:\n%s\nwant:\n%s", code, errs, out, want)
	}
}

func TestReadFilterFieldsStdin(t *testing.T) {
	data, err := os.ReadFile(refTCP)
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := runRead(t, data, "-r", "-", "-Y", "tcp.flags.fin==1", "-T", "fields", "-e", "frame.number", "-e", "tcp.seq", "-e", "tcp.ack")
	if code != 0 || out != "6\t4\t1\n7\t1\t5\n" {
		t.Errorf("code %d, output %q", code, out)
	}
}

func TestReadHexAndCount(t *testing.T) {
	code, out, _ := runRead(t, nil, "-r", refTCP, "-Y", "tcp.len>0", "-x")
	if code != 0 || !strings.Contains(out, "2c 37 42") {
		t.Errorf("code %d, hex dump lacks the data bytes:\n%s", code, out)
	}
	code, out, _ = runRead(t, nil, "-r", refTCP, "-c", "3")
	if code != 0 || strings.Count(out, "\n") != 3 {
		t.Errorf("-c 3: code %d, %d lines", code, strings.Count(out, "\n"))
	}
	code, out, _ = runRead(t, nil, "-r", refTCP, "-V", "-Y", "frame.number==4")
	if code != 0 || !strings.Contains(out, "Push: Set") {
		t.Errorf("-V: code %d, output:\n%s", code, out)
	}
}

func TestReadErrors(t *testing.T) {
	code, _, errs := runRead(t, nil, "-r", refTCP, "-Y", "tcp.flgs==1")
	if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, `"tcp.flgs" is not a valid protocol or protocol field`) {
		t.Errorf("bad filter: code %d, stderr %q", code, errs)
	}
	code, _, errs = runRead(t, nil, "-r", "/nonexistent.pcap")
	if code != 1 || strings.Count(errs, "\n") != 1 {
		t.Errorf("missing file: code %d, stderr %q", code, errs)
	}
	code, _, errs = runRead(t, []byte("not a capture at all"), "-r", "-")
	if code != 1 || strings.Count(errs, "\n") != 1 {
		t.Errorf("garbage: code %d, stderr %q", code, errs)
	}
	code, out, _ := runRead(t, nil, "-h")
	if code != 0 || !strings.Contains(out, "Example") {
		t.Errorf("-h: code %d, output %q", code, out)
	}
	code, _, _ = runRead(t, nil)
	if code != 2 {
		t.Errorf("no -r: code %d, want 2", code)
	}
}

// TestReadManufEnv: $NETSIM_MANUF naming a file that is not there, or a
// directory, is an error, as --manuf FILE is; it was ignored silently
// (addresses then print as hex, or by the system's files).
func TestReadManufEnv(t *testing.T) {
	dir := t.TempDir()
	for _, env := range []string{filepath.Join(dir, "missing"), dir} {
		t.Setenv("NETSIM_MANUF", env)
		var stdout, stderr bytes.Buffer
		code := mainArgs([]string{"read", "-r", "../../testdata/tcp.pcap"}, nil, &stdout, &stderr)
		if want := "netsim read: $NETSIM_MANUF " + env + ": "; code != 2 || !strings.HasPrefix(stderr.String(), want) || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
			t.Errorf("NETSIM_MANUF=%s: exit %d, stdout %d bytes, stderr %q; want 2 and one line %q...", env, code, stdout.Len(), stderr.String(), want)
		}
	}
}
