package proc_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// runPy runs scripts of testdata/py (with arguments) on the book's
// network with link, and returns the capture, the output and the error.
func runPy(t testing.TB, cfg proc.Config, link netsim.LinkConfig, scripts ...[]string) ([]byte, string, []proc.Result, error) {
	t.Helper()
	py := python(t)
	var capBuf, out bytes.Buffer
	n, err := proc.DefaultNetwork(netsim.Options{Capture: &capBuf}, false, link)
	if err != nil {
		t.Fatal(err)
	}
	var procs []proc.Process
	for _, s := range scripts {
		procs = append(procs, proc.Process{Argv: append([]string{py, filepath.Join("testdata", "py", s[0])}, s[1:]...)})
	}
	cfg.Stdout, cfg.Stderr = &out, &out
	if cfg.Launcher == "" {
		cfg.Launcher = launcher(t)
	}
	res, err := proc.Run(context.Background(), n, cfg, procs...)
	return capBuf.Bytes(), out.String(), res, err
}

// TestAPI: two scripts check the shim's calls one by one (their asserts
// end them with a traceback otherwise).
func TestAPI(t *testing.T) {
	_, out, _, err := runPy(t, proc.Config{}, netsim.LinkConfig{}, []string{"api_server.py"}, []string{"api_client.py"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"api_server: accept timed out after 1.500 s\n",
		"api_server: accepted 127.0.0.1 True ('127.0.0.1', 24000)\n",
		"api_server: udp b'ping' ('127.0.0.1', ",
		"api_client: ok 0.0.0.0 True\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	t.Log(out)
}

// TestSocketServer: a request/response program with socketserver (TCP
// and UDP servers, single-threaded, handle_request with a timeout).
func TestSocketServer(t *testing.T) {
	_, out, _, err := runPy(t, proc.Config{}, netsim.LinkConfig{}, []string{"rr_server.py", "3"}, []string{"rr_client.py", "3"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := `rr_client: ['HELLO', '0', 'WORLD']
rr_client: ['HELLO', '1', 'WORLD']
rr_client: ['HELLO', '2', 'WORLD']
rr_client: b'echo dgram'
rr_server: no more requests
rr_server: served 3
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// TestLossy: time.sleep and socket timeouts under 20% loss: the client
// retries, the sender's stream arrives whole, and two runs give the same
// capture and output.
func TestLossy(t *testing.T) {
	link := netsim.LinkConfig{Loss: 0.2}
	c1, out1, _, err := runPy(t, proc.Config{}, link, []string{"lossy_server.py"}, []string{"lossy_client.py"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out1)
	}
	if !strings.Contains(out1, "lossy_server: received 300\n") || !strings.Contains(out1, "attempts 2") {
		t.Errorf("output:\n%s", out1)
	}
	if testing.Short() {
		return
	}
	c2, out2, _, err := runPy(t, proc.Config{}, link, []string{"lossy_server.py"}, []string{"lossy_client.py"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out2)
	}
	if !bytes.Equal(c1, c2) || out1 != out2 {
		t.Errorf("two runs differ:\n%s\n%s", out1, out2)
	}
	t.Log(out1)
}

// TestDaemon: a server with serve_forever, marked Daemon, is killed once
// its client has exited; the run succeeds, and its listener is closed.
func TestDaemon(t *testing.T) {
	py := python(t)
	var out bytes.Buffer
	n, err := proc.DefaultNetwork(netsim.Options{}, false, netsim.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)},
		proc.Process{Argv: []string{py, "testdata/py/forever_server.py"}, Daemon: true},
		proc.Process{Argv: []string{py, "testdata/py/forever_client.py"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if want := "forever_client: b'ONE\\n'\nforever_client: b'TWO\\n'\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	if !res[0].Reaped || res[0].ExitCode != 137 || res[1].Reaped || res[1].ExitCode != 0 {
		t.Errorf("results %+v", res)
	}
	if testing.Short() {
		return
	}
	// Without Daemon, the same run deadlocks in the server's accept.
	n, _ = proc.DefaultNetwork(netsim.Options{}, false, netsim.LinkConfig{})
	out.Reset()
	_, err = proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)},
		proc.Process{Argv: []string{py, "testdata/py/forever_server.py"}},
		proc.Process{Argv: []string{py, "testdata/py/forever_client.py"}})
	if err == nil || !strings.Contains(err.Error(), "forever_server waits in accept(fd 1000 tcp 127.0.0.1:8000)") {
		t.Errorf("error %v, want a deadlock in accept", err)
	}
}

// TestErrors: a 1 MiB sendall arrives whole (MSG_WAITALL), a reset
// connection raises ConnectionResetError, a send after it BrokenPipeError
// or ConnectionResetError as on Linux, an unreachable address an OSError
// with its errno, MSG_PEEK on UDP keeps the datagram and its sender.
func TestErrors(t *testing.T) {
	_, out, _, err := runPy(t, proc.Config{}, netsim.LinkConfig{}, []string{"errors_server.py"}, []string{"errors_client.py"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"errors_server: bulk 1048576 b'\\x00\\x01\\x02' b'\\xfd\\xfe\\xff'\n",
		"errors_client: b'done'\n",
		"errors_client: reset True\n",
		"errors_client: send: BrokenPipeError\n",
		"errors_client: connect: OSError 101\n",
		"errors_server: peek b'peekaboo' True b'peekaboo'\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestStartAt: a process with At starts that much virtual time later; one
// on another host of the pair network knows its host's name.
func TestStartAt(t *testing.T) {
	py := python(t)
	var out bytes.Buffer
	n, err := proc.DefaultNetwork(netsim.Options{}, true, netsim.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)},
		proc.Process{Name: "early", Argv: []string{py, "testdata/py/now.py"}},
		proc.Process{Name: "late", Host: proc.ServerHost, At: 1500 * time.Millisecond, Argv: []string{py, "testdata/py/now.py"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if want := "early: 0.000000\nlate: 1.500000\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}
