package proc_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"netsim.dev/internal/pythontest"
	"netsim.dev/netsim"
	"netsim.dev/netsim/proc"
)

// TestStrace runs the book's scripts and the API checks under `strace -f
// -e trace=%network` (when strace exists; CI installs it) and finds no
// network system call but AF_UNIX's in any process; and it sees the one a
// C library call makes, refused by the seccomp filter with EPERM.
func TestStrace(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 7 interpreters")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		pythontest.Missing(t, "strace")
	}
	py := python(t)
	dir := t.TempDir()
	traced := func(name string, argv ...string) proc.Process {
		out := filepath.Join(dir, name+".strace")
		return proc.Process{Name: name, Argv: append([]string{strace, "-f", "-qq", "-e", "trace=%network", "-o", out, py}, argv...)}
	}
	runs := [][]proc.Process{
		{traced("tcp_recv", "testdata/book/tcp_recv.py"), traced("tcp_send", "testdata/book/tcp_send.py")},
		{traced("udp_recv", "testdata/book/udp_recv.py"), traced("udp_send", "testdata/book/udp_send.py")},
		{traced("api_server", "testdata/py/api_server.py"), traced("api_client", "testdata/py/api_client.py")},
		{traced("libc", "testdata/py/unsupported.py", "libc")},
	}
	for _, procs := range runs {
		var out bytes.Buffer
		n, err := proc.DefaultNetwork(netsim.Options{}, false, netsim.LinkConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := proc.Run(context.Background(), n, proc.Config{Stdout: &out, Stderr: &out, Launcher: launcher(t)}, procs...); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
	}
	inet := regexp.MustCompile(`(?m)^.*AF_INET.*$|^.*\b(connect|bind|sendto|sendmsg|listen|accept4?)\(.*$`)
	for _, name := range []string{"tcp_recv", "tcp_send", "udp_recv", "udp_send", "api_server", "api_client"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".strace"))
		if err != nil {
			t.Fatal(err)
		}
		if m := inet.FindAll(b, 3); m != nil {
			t.Errorf("%s made network system calls:\n%s", name, bytes.Join(m, []byte("\n")))
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "libc.strace"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`socket\(AF_INET, SOCK_STREAM, IPPROTO_IP\) = -1 EPERM`).Match(b) {
		t.Errorf("strace did not see the refused socket(AF_INET) of libc.socket:\n%s", b)
	}
}
