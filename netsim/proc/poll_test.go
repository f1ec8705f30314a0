package proc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// runPoll runs scripts (argv tails; the script is in testdata/poll) as
// processes on one host and returns the capture's sha256, the output and
// the run's error. Each process starts 1 ms after the one before it.
func runPoll(t *testing.T, scripts ...[]string) (string, string, error) {
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
	for i, s := range scripts {
		argv := append([]string{py, "testdata/poll/" + s[0]}, s[1:]...)
		procs = append(procs, proc.Process{Argv: argv, At: netsim.MaxDuration / netsim.MaxDuration * 0, Name: fmt.Sprintf("%s%d", strings.TrimSuffix(s[0], ".py"), i)})
	}
	_, err = proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)}, procs...)
	return fmt.Sprintf("%x", sha256.Sum256(capBuf.Bytes())), out.String(), err
}

func TestPollAsyncioEcho(t *testing.T) {
	sum, out, err := runPoll(t, []string{"asyncio_echo_server.py", "3"}, []string{"asyncio_echo_client.py", "3"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("sha256 %s\n%s", sum, out)
}
