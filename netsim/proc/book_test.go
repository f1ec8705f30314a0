package proc_test

import (
	"bytes"
	"context"
	"testing"

	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// runBook runs scripts (file names in testdata/book) as processes on the
// book's one-host network and returns the capture and the output.
func runBook(t *testing.T, scripts ...[]string) ([]byte, string, error) {
	t.Helper()
	py := python(t)
	var capBuf, out bytes.Buffer
	n, err := netsim.New(netsim.Options{Capture: &capBuf, HangTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AddHost("localhost"); err != nil {
		t.Fatal(err)
	}
	var procs []proc.Process
	for _, s := range scripts {
		argv := append([]string{py, "testdata/book/" + s[0]}, s[1:]...)
		procs = append(procs, proc.Process{Argv: argv})
	}
	_, err = proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)}, procs...)
	return capBuf.Bytes(), out.String(), err
}

func TestBookTCP(t *testing.T) {
	c, out, err := runBook(t, []string{"tcp_recv.py"}, []string{"tcp_send.py"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("output:\n%s\ncapture %d bytes", out, len(c))
}

