package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"netsim.dev/internal/pythontest"
	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/dfilter"
)

// execCmd runs the built netsim exec with args in dir and returns its
// stdout, stderr and exit status.
func execCmd(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(netsimBin, append([]string{"exec"}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// TestExecBook: `netsim exec` runs the book's scripts (examples/book) and
// writes the golden captures: UDP is `netsim run udp`'s byte for byte, TCP
// netsim/proc's golden (the demo's frames, the last two 20 µs later).
func TestExecBook(t *testing.T) {
	py := pythontest.Python(t)
	book, _ := filepath.Abs(filepath.Join("..", "..", "examples", "book"))
	dir := t.TempDir()
	for _, c := range []struct{ recv, send, golden string }{
		{"udp_recv.py", "udp_send.py", filepath.Join("..", "..", "testdata", "udp.pcap")},
		{"tcp_recv.py", "tcp_send.py", filepath.Join("..", "..", "netsim", "proc", "testdata", "book-tcp.pcap")},
	} {
		out := filepath.Join(dir, c.recv+".pcap")
		stdout, stderr, code := execCmd(t, book, "-w", out, "--", py, c.recv, "--", py, c.send)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		if !strings.HasSuffix(stdout, ": b',7B'\n") || !strings.Contains(stderr, "netsim: exec: ") {
			t.Errorf("stdout %q stderr %q", stdout, stderr)
		}
		got, _ := os.ReadFile(out)
		want, err := os.ReadFile(c.golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the capture is not %s", c.recv, c.golden)
		}
	}
}

// TestExecFailures: usage errors exit 2 and name the problem; a program's
// failure gives its exit status; a deadlock exits 1 naming the process and
// its call, and leaves -w's file as it was.
func TestExecFailures(t *testing.T) {
	py := pythontest.Python(t)
	book, _ := filepath.Abs(filepath.Join("..", "..", "examples", "book"))
	target := filepath.Join(t.TempDir(), "old.pcap")
	os.WriteFile(target, []byte("old"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, 2, "netsim exec: no program: netsim exec [flags] -- PROGRAM"},
		{[]string{"python3"}, 2, `netsim exec: unexpected argument "python3": the programs come after --`},
		{[]string{"--", "x@nohost:", "python3"}, 2, `netsim exec: no such host "nohost" (hosts: client, server)`},
		{[]string{"--", "+1parsec:", "python3"}, 2, `start time "1parsec"`},
		{[]string{"--loss", "200%", "--", "python3"}, 2, "--loss"},
		{[]string{"--daemon", "a", "--", "a:", "python3"}, 2, "--daemon names every process"},
		{[]string{"--", py, "-c", "import sys; sys.exit(7)"}, 7, "netsim exec: process python3 exited with status 7"},
		{[]string{"-w", target, "--", py, "tcp_recv.py"}, 1, "netsim exec: deadlock at 20µs: tcp_recv waits in accept(fd 1000 tcp 127.0.0.1:24000)"},
	} {
		stdout, stderr, code := execCmd(t, book, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, want %d; stderr %q, want %q (stdout %q)", c.args, code, c.code, stderr, c.want, stdout)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("the failed run changed -w's file: %q", b)
	}
}

// TestExecNet: --net takes a scenario file without programs; processes
// named on its hosts talk across its link by host name.
func TestExecNet(t *testing.T) {
	py := pythontest.Python(t)
	dir := t.TempDir()
	net := filepath.Join(dir, "pair.yaml")
	os.WriteFile(net, []byte(`hosts: [{name: a}, {name: b}]
links: [{name: ab, a: {host: a, addrs: [10.1.0.1/24]}, b: {host: b, addrs: [10.1.0.2/24]}}]
capture: {format: pcapng}
`), 0o644)
	srv := `import socket
s = socket.create_server(("", 7000)); c, a = s.accept(); print("from", a, c.recv(10))`
	cli := `import socket, time
time.sleep(0.5)
c = socket.create_connection(("a", 7000)); c.sendall(b"hi"); print(socket.gethostname(), time.time() - 946684800)`
	out := filepath.Join(dir, "pair.pcapng")
	stdout, stderr, code := execCmd(t, dir, "--net", net, "-w", out, "--", "srv@a:", py, "-c", srv, "--", "@b:", py, "-c", cli)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"python3: b 0.5", "srv: from ('10.1.0.2', "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout %q lacks %q", stdout, want)
		}
	}
}

// TestREADMEExec runs README's `netsim exec` transcript (the block that
// starts with `$ cd examples/book`) in a copy of examples/book, and the
// filter loop after it, with the python3 on PATH.
func TestREADMEExec(t *testing.T) {
	pythontest.Python(t)
	readme := readmeText(t)
	i := strings.Index(readme, "```sh\n$ cd examples/book\n")
	if i < 0 {
		t.Fatal("README.md: no `$ cd examples/book` block")
	}
	line := strings.Count(readme[:i], "\n") + 2
	block := readme[i+len("```sh\n"):]
	block = block[:strings.Index(block, "```")]
	dir := t.TempDir()
	scripts, _ := filepath.Glob(filepath.Join("..", "..", "examples", "book", "*.py"))
	for _, s := range scripts {
		b, _ := os.ReadFile(s)
		os.WriteFile(filepath.Join(dir, filepath.Base(s)), b, 0o644)
	}
	var ts []transcript
	for _, tr := range transcripts(block) {
		if !strings.HasPrefix(tr.cmd, "cd ") {
			tr.line += line - 1
			ts = append(ts, tr)
		}
	}
	if len(ts) < 4 {
		t.Fatalf("README.md:%d: %d commands", line, len(ts))
	}
	runTranscripts(t, "README.md", dir, ts)

	loop := readme[strings.Index(readme, "```sh\nfor f in 'tcp and")+len("```sh\n"):]
	loop = loop[:strings.Index(loop, "```")]
	cmd := exec.Command("sh", "-c", loop)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(netsimBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the filter loop: %v\n%s", err, out)
	}
	// Frames per filter: book.pcap's, then udp.pcap's, as README says.
	var counts []int
	for _, part := range strings.Split(string(out), "== ")[1:] {
		counts = append(counts, strings.Count(part, "\n")-1)
	}
	if want := []int{9, 1, 1, 1, 2, 1, 1, 1, 1}; !slices.Equal(counts, want) {
		t.Errorf("the nine filters select %v frames (book.pcap and udp.pcap together), want %v\n%s", counts, want, out)
	}
}

// TestExecNetDeadlock: on a scenario's network too, a deadlock names the
// process and its call.
func TestExecNetDeadlock(t *testing.T) {
	py := pythontest.Python(t)
	book, _ := filepath.Abs(filepath.Join("..", "..", "examples", "book"))
	_, stderr, code := execCmd(t, book, "--net", "book-udp", "--no-expect", "--", py, "tcp_recv.py")
	if want := "tcp_recv waits in accept(fd 1000 tcp 127.0.0.1:24000)"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q, want 1 and %q", code, stderr, want)
	}
}

// TestExecDaemon: --daemon names a server that never ends; the two-host
// network's names resolve.
func TestExecDaemon(t *testing.T) {
	py := pythontest.Python(t)
	dir := t.TempDir()
	srv := `import socketserver
class H(socketserver.BaseRequestHandler):
    def handle(self): self.request.sendall(self.request.recv(10)[::-1])
socketserver.TCPServer(("", 80), H).serve_forever()`
	cli := `import socket
c = socket.create_connection(("server", 80)); c.sendall(b"abc"); print(c.recv(10), c.getpeername())`
	args := []string{"--", "web@server:", py, "-c", srv, "--", "@client:", py, "-c", cli}
	stdout, stderr, code := execCmd(t, dir, append([]string{"-w", "/dev/null", "--daemon", "web"}, args...)...)
	if code != 0 || stdout != "python3: b'cba' ('10.0.0.2', 80)\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, stderr, code := execCmd(t, dir, append([]string{"--daemon", "nope"}, args...)...); code != 2 || !strings.Contains(stderr, "--daemon nope: no such process (processes: web, python3)") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestExecSignal: SIGINT while a process blocks outside netsim ends the
// run at once with status 130, kills the process, and writes the frames so
// far (the receiver's had none: a valid empty capture).
func TestExecSignal(t *testing.T) {
	py := pythontest.Python(t)
	dir := t.TempDir()
	block := `import os, socket
s = socket.create_server(("127.0.0.1", 5000))
print("ready", flush=True)
r, w = os.pipe(); os.read(r, 1)`
	cmd := exec.Command(netsimBin, "exec", "-w", "X.pcap", "--", py, "-c", block)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "python3: ready\n" {
		t.Fatalf("stdout %q", line)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("%v, want exit status 130; stderr %q", err, stderr.String())
	}
	if want := "netsim exec: interrupted after 0 frames; wrote X.pcap (partial)\n"; !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	if n := countFrames(t, filepath.Join(dir, "X.pcap")); n != 0 {
		t.Errorf("%d frames", n)
	}
}

// TestExecBookFilters: the chapter's nine filters select the same frames
// in the captures of the book's scripts (netsim/proc's golden captures,
// which `netsim exec` writes: TestExecBook) as in the Go demos', with
// netsim's filters and with tshark.
func TestExecBookFilters(t *testing.T) {
	for _, c := range []struct{ exec, demo string }{
		{"book-tcp", "tcp"}, {"book-tcp-multi", "tcp-multi"}, {"book-udp", "udp"},
	} {
		golden := filepath.Join("..", "..", "netsim", "proc", "testdata", c.exec+".pcap")
		demo := filepath.Join("..", "..", "testdata", c.demo+".pcap")
		var want [][]int
		for _, f := range bookChapterFilters {
			g, err := dfilter.MatchFile(golden, f)
			if err != nil {
				t.Fatal(err)
			}
			d, err := dfilter.MatchFile(demo, f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(g, d) {
				t.Errorf("%s: %q selects %v, the demo's %v", c.exec, f, g, d)
			}
			want = append(want, g)
		}
		if testing.Short() {
			continue
		}
		for i, got := range tsharktest.Select(t, golden, nil, bookChapterFilters...) {
			if !slices.Equal(got, want[i]) && len(got)+len(want[i]) > 0 {
				t.Errorf("%s: tshark -Y %q selects %v, netsim %v", c.exec, bookChapterFilters[i], got, want[i])
			}
		}
	}
}

// TestExecNetDeadlockBoth: a scenario's program and a process both wait:
// the report names both.
func TestExecNetDeadlockBoth(t *testing.T) {
	py := pythontest.Python(t)
	dir := t.TempDir()
	net := filepath.Join(dir, "wait.yaml")
	os.WriteFile(net, []byte(`hosts: [{name: h}]
programs:
  - name: waiter
    host: h
    steps:
      - listen: {addr: 127.0.0.1:9000, as: ln}
      - accept: {sock: ln}
`), 0o644)
	_, stderr, code := execCmd(t, dir, "--net", net, "--", "p:", py, "-c", "import socket; socket.create_server(('127.0.0.1', 9001)).accept()")
	for _, want := range []string{"p waits in accept(fd 1000 tcp 127.0.0.1:9001)", "; waiter waits in accept at " + net + ":7:9"} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q, want 1 and %q", code, stderr, want)
		}
	}
}
