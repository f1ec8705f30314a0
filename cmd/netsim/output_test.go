//go:build unix

package main

import (
	"bytes"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// runTCP runs `netsim run tcp -q -w out` in this process and returns the
// exit status and standard error.
func runTCP(t *testing.T, out string, extra ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := mainArgs(append([]string{"run", "tcp", "-q", "-w", out}, extra...), nil, &stdout, &stderr)
	return code, stderr.String()
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func umask() fs.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return fs.FileMode(m)
}

// TestOutputRegular: a regular file, new or existing, is replaced through a
// temporary file beside it; an existing file keeps its mode, a new one gets
// 0666 less the umask; a failed run leaves the old file as it was.
func TestOutputRegular(t *testing.T) {
	want := golden(t, "tcp")
	dir := t.TempDir()

	t.Run("new", func(t *testing.T) {
		out := filepath.Join(dir, "new.pcap")
		if code, stderr := runTCP(t, out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if got, wantMode := fi.Mode(), 0o666&^umask(); got != wantMode {
			t.Errorf("mode %v, want %v (0666 less the umask)", got, wantMode)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
			t.Error("capture differs from testdata/tcp.pcap")
		}
	})

	t.Run("0600", func(t *testing.T) {
		out := filepath.Join(dir, "private.pcap")
		if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		before := inode(t, out)
		if code, stderr := runTCP(t, out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		fi, _ := os.Stat(out)
		if fi.Mode() != 0o600 {
			t.Errorf("mode %v, want -rw------- kept", fi.Mode())
		}
		if inode(t, out) == before {
			t.Error("the file was rewritten in place, not replaced by a rename")
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
			t.Error("capture differs from testdata/tcp.pcap")
		}
	})

	t.Run("failed run", func(t *testing.T) {
		out := filepath.Join(dir, "keep.pcap")
		if err := os.WriteFile(out, []byte("keep me"), 0o640); err != nil {
			t.Fatal(err)
		}
		// 100% loss: the sender's dial times out and the run fails.
		code, stderr := runTCP(t, out, "--loss", "100%")
		if code != 1 || !strings.Contains(stderr, "timed out") {
			t.Fatalf("exit %d, stderr %q; want 1 and a timeout", code, stderr)
		}
		if got, _ := os.ReadFile(out); string(got) != "keep me" {
			t.Errorf("a failed run changed the file: %q", got)
		}
	})

	if os.Geteuid() == 0 {
		t.Run("owner kept as root", func(t *testing.T) {
			out := filepath.Join(dir, "theirs.pcap")
			if err := os.WriteFile(out, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(out, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			if code, stderr := runTCP(t, out); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			fi, _ := os.Stat(out)
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 || st.Gid != 65534 {
				t.Errorf("owner %d:%d, want 65534:65534 kept", st.Uid, st.Gid)
			}
		})
	}

	wantFiles := 3 // new.pcap, private.pcap, keep.pcap
	if os.Geteuid() == 0 {
		wantFiles++ // theirs.pcap
	}
	if names := entries(t, dir); len(names) != wantFiles {
		t.Errorf("directory holds %v: a temporary file was left", names)
	}
	for _, n := range entries(t, dir) {
		if strings.HasSuffix(n, ".tmp") {
			t.Errorf("temporary file %s left behind", n)
		}
	}
}

// TestOutputSymlink: -w follows symbolic links (relative, chained, through
// a linked directory) and replaces the file at the end, leaving the links;
// a dangling link creates its target; a loop is an error.
func TestOutputSymlink(t *testing.T) {
	want := golden(t, "tcp")
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(sub, "real.pcap")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// dir/link -> sub/real.pcap; dir/chain -> link; dir/linkdir -> sub;
	// sub/up -> ../link (relative to sub, its real directory).
	must(os.Symlink("sub/real.pcap", filepath.Join(dir, "link")))
	must(os.Symlink("link", filepath.Join(dir, "chain")))
	must(os.Symlink("sub", filepath.Join(dir, "linkdir")))
	must(os.Symlink("../link", filepath.Join(sub, "up")))
	for _, name := range []string{"link", "chain", "linkdir/up"} {
		must(os.WriteFile(target, []byte("old"), 0o600))
		if code, stderr := runTCP(t, filepath.Join(dir, name)); code != 0 {
			t.Fatalf("-w %s: exit %d: %s", name, code, stderr)
		}
		if got, _ := os.ReadFile(target); !bytes.Equal(got, want) {
			t.Errorf("-w %s: the link's target does not hold the capture", name)
		}
		if fi, _ := os.Stat(target); fi.Mode() != 0o600 {
			t.Errorf("-w %s: target's mode %v, want 0600 kept", name, fi.Mode())
		}
		for _, l := range []string{"link", "chain"} {
			if fi, err := os.Lstat(filepath.Join(dir, l)); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				t.Errorf("-w %s: %s is no longer a symbolic link", name, l)
			}
		}
	}

	// A dangling link: its target is created, the link stays.
	must(os.Symlink("sub/made.pcap", filepath.Join(dir, "dangling")))
	if code, stderr := runTCP(t, filepath.Join(dir, "dangling")); code != 0 {
		t.Fatalf("-w dangling: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(sub, "made.pcap")); !bytes.Equal(got, want) {
		t.Error("-w dangling: the link's target was not created with the capture")
	}
	if fi, err := os.Lstat(filepath.Join(dir, "dangling")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("-w dangling: the link was replaced")
	}

	// A loop.
	must(os.Symlink("loop2", filepath.Join(dir, "loop1")))
	must(os.Symlink("loop1", filepath.Join(dir, "loop2")))
	code, stderr := runTCP(t, filepath.Join(dir, "loop1"))
	if code != 1 || !strings.Contains(stderr, "too many levels of symbolic links") {
		t.Errorf("-w loop1: exit %d, stderr %q", code, stderr)
	}

	for _, d := range []string{dir, sub} {
		for _, n := range entries(t, d) {
			if strings.HasSuffix(n, ".tmp") {
				t.Errorf("temporary file %s left behind", n)
			}
		}
	}
}

// TestOutputInPlace: a FIFO, /dev/null, /dev/stdout and /dev/fd/N are
// written in place and stay what they were.
func TestOutputInPlace(t *testing.T) {
	want := golden(t, "tcp")

	t.Run("fifo", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- nil
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- b
		}()
		if code, stderr := runTCP(t, fifo); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if b := <-got; !bytes.Equal(b, want) {
			t.Errorf("the FIFO's reader got %d bytes, want the %d of testdata/tcp.pcap", len(b), len(want))
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			t.Errorf("the FIFO is now %v", fi.Mode())
		}
		if names := entries(t, filepath.Dir(fifo)); len(names) != 1 {
			t.Errorf("directory holds %v, want only the FIFO", names)
		}
	})

	t.Run("dev-null", func(t *testing.T) {
		if code, stderr := runTCP(t, "/dev/null"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		fi, err := os.Lstat("/dev/null")
		if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
			t.Fatalf("/dev/null is now %v (%v)", fi.Mode(), err)
		}
	})

	t.Run("dev-stdout", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := mainArgs([]string{"run", "tcp", "-w", "/dev/stdout"}, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if !bytes.Equal(stdout.Bytes(), want) {
			t.Errorf("standard output holds %d bytes, want the capture's %d alone", stdout.Len(), len(want))
		}
		if !strings.Contains(stderr.String(), "receiver: 3 bytes") {
			t.Errorf("the demo's output should go to standard error, as with -w -: %q", stderr.String())
		}
	})

	t.Run("dev-fd", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte)
		go func() { b, _ := io.ReadAll(r); got <- b }()
		name := "/dev/fd/" + strconv.Itoa(int(w.Fd()))
		code, stderr := runTCP(t, name)
		w.Close()
		if code != 0 {
			t.Fatalf("-w %s: exit %d: %s", name, code, stderr)
		}
		if b := <-got; !bytes.Equal(b, want) {
			t.Errorf("-w %s: the pipe got %d bytes, want %d", name, len(b), len(want))
		}
		r.Close()
	})

	t.Run("socket", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sock")
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		code, stderr := runTCP(t, path)
		if code != 1 || !strings.Contains(stderr, "is a socket") {
			t.Errorf("exit %d, stderr %q; want 1 and 'is a socket'", code, stderr)
		}
		if fi, err := os.Lstat(path); err != nil || fi.Mode()&fs.ModeSocket == 0 {
			t.Error("the socket was replaced")
		}
	})
}

// TestOutputAsProcess runs the binary with -w /dev/stdout into a pipe, as
// root and (when the tests run as root) as the unprivileged uid 65534,
// which cannot create files in /dev nor in a directory it does not own.
func TestOutputAsProcess(t *testing.T) {
	want := golden(t, "tcp")
	type user struct {
		name string
		cred *syscall.Credential
	}
	users := []user{{"self", nil}}
	if os.Geteuid() == 0 {
		users = append(users, user{"nobody", &syscall.Credential{Uid: 65534, Gid: 65534}})
	}
	for _, u := range users {
		t.Run(u.name, func(t *testing.T) {
			bin, dir := netsimBin, t.TempDir()
			readonly := filepath.Join(dir, "readonly")
			own := filepath.Join(dir, "own")
			for _, d := range []string{readonly, own} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if u.cred != nil {
				// nobody needs to reach the binary and the directories.
				bin = filepath.Join(dir, "netsim")
				b, err := os.ReadFile(netsimBin)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(bin, b, 0o755); err != nil {
					t.Fatal(err)
				}
				// t.TempDir's directory and its parent are 0700.
				for _, d := range []string{dir, filepath.Dir(dir)} {
					if err := os.Chmod(d, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Chown(own, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			}
			run := func(args ...string) (int, []byte, string) {
				cmd := exec.Command(bin, args...)
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: u.cred}
				cmd.Dir = own
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				return code, stdout.Bytes(), stderr.String()
			}
			for _, name := range []string{"/dev/stdout", "/proc/self/fd/1", "-"} {
				code, out, stderr := run("run", "tcp", "-w", name)
				if code != 0 || !bytes.Equal(out, want) {
					t.Errorf("-w %s: exit %d, %d bytes on standard output (want 0 and %d); stderr %q", name, code, len(out), len(want), stderr)
				}
			}
			if code, _, stderr := run("run", "tcp", "-q", "-w", "/dev/null"); code != 0 {
				t.Errorf("-w /dev/null: exit %d: %s", code, stderr)
			}
			if fi, err := os.Lstat("/dev/null"); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
				t.Fatalf("/dev/null is now %v", fi.Mode())
			}
			if code, _, stderr := run("run", "tcp", "-q", "-w", "new.pcap"); code != 0 {
				t.Errorf("-w new.pcap: exit %d: %s", code, stderr)
			} else if got, _ := os.ReadFile(filepath.Join(own, "new.pcap")); !bytes.Equal(got, want) {
				t.Error("-w new.pcap: wrong capture")
			}
			if u.cred != nil {
				code, _, stderr := run("run", "tcp", "-q", "-w", filepath.Join(readonly, "x.pcap"))
				if code != 1 || !strings.Contains(stderr, "permission denied") || strings.Count(stderr, "\n") != 1 {
					t.Errorf("-w in a read-only directory: exit %d, stderr %q; want 1 and one line saying permission denied", code, stderr)
				}
				if names := entries(t, readonly); len(names) != 0 {
					t.Errorf("the read-only directory now holds %v", names)
				}
			}
			if names := entries(t, own); len(names) != 1 {
				t.Errorf("working directory holds %v, want only new.pcap", names)
			}
		})
	}
}

// TestOutputIsInput: an output flag that names the file another flag reads
// or writes (the same name, a symbolic or a hard link to it) is refused
// before anything is opened, and the file stays as it was: `read -r F
// --ladder -o F` used to replace the capture with its own ladder, `run -w
// F --ladder -o F` the capture with the ladder.
func TestOutputIsInput(t *testing.T) {
	want := golden(t, "tcp")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	p := func(name string) string { return filepath.Join(dir, name) }
	if err := os.WriteFile(in, want, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("in.pcap", p("sym.svg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(in, p("hard.txt")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"read", "-r", in, "--ladder", "-o", in}, "netsim read: -o " + in + ": is the capture -r reads (" + in + "); write the picture to another file"},
		{[]string{"read", "-r", in, "--ladder=svg", "-o", p("sym.svg")}, "netsim read: -o " + p("sym.svg") + ": is the capture -r reads"},
		{[]string{"read", "-r", in, "--ladder", "-o", p("hard.txt")}, "netsim read: -o " + p("hard.txt") + ": is the capture -r reads"},
		{[]string{"read", "-r", in, "--graph", "tsg", "-o", p("sym.svg")}, "netsim read: -o " + p("sym.svg") + ": is the capture -r reads"},
		{[]string{"run", "tcp", "-w", in, "--ladder", "-o", p("sym.svg")}, "netsim run: -o " + p("sym.svg") + ": is the file -w writes the capture to (" + in + "); give the ladder another name"},
		{[]string{"run", "tcp", "-w", p("new.pcap"), "--ladder", "-o", p("./new.pcap")}, "netsim run: -o " + p("./new.pcap") + ": is the file -w writes the capture to"},
	}
	// A scenario file, and a key log, are inputs too.
	var yaml bytes.Buffer
	if code := mainArgs([]string{"show", "book-tcp"}, nil, &yaml, io.Discard); code != 0 {
		t.Fatal("netsim show book-tcp failed")
	}
	scen := p("my.yaml")
	if err := os.WriteFile(scen, yaml.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, []struct {
		args []string
		want string
	}{
		{[]string{"run", scen, "-w", scen}, "netsim run: -w " + scen + ": is the scenario file being run (" + scen + "); write to another file"},
		{[]string{"run", scen, "-w", p("x.pcap"), "--ladder", "-o", p("./my.yaml")}, "netsim run: -o " + p("./my.yaml") + ": is the scenario file being run"},
		{[]string{"exec", "--no-sandbox", "--net", scen, "-w", scen, "--", "python3", "-c", "pass"}, "netsim exec: -w " + scen + ": is the scenario file --net reads (" + scen + "); write the capture to another file"},
		{[]string{"read", "-r", in, "--tls-keylog", scen, "--ladder", "-o", scen}, "netsim read: -o " + scen + ": is the file --tls-keylog reads (" + scen + "); write the picture to another file"},
	}...)
	before := entries(t, dir)
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := mainArgs(c.args, nil, &stdout, &stderr)
		name := strings.Join(c.args, " ")
		if code != 2 || !strings.HasPrefix(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line %q", name, code, stderr.String(), c.want)
		}
		if b, err := os.ReadFile(in); err != nil || !bytes.Equal(b, want) {
			t.Fatalf("%s: the capture changed (%v)", name, err)
		}
		if b, err := os.ReadFile(scen); err != nil || !bytes.Equal(b, yaml.Bytes()) {
			t.Fatalf("%s: the scenario file changed (%v)", name, err)
		}
		if after := entries(t, dir); strings.Join(after, " ") != strings.Join(before, " ") {
			t.Fatalf("%s: the directory holds %v, was %v", name, after, before)
		}
	}
	// Different files, and devices, stay allowed.
	var stdout, stderr bytes.Buffer
	if code := mainArgs([]string{"read", "-r", in, "--ladder", "-o", p("in.txt")}, nil, &stdout, &stderr); code != 0 {
		t.Errorf("read --ladder -o in.txt: exit %d: %s", code, stderr.String())
	}
	if code := mainArgs([]string{"run", "tcp", "-q", "-w", "/dev/null", "--ladder", "-o", "/dev/null"}, nil, &stdout, &stderr); code != 0 {
		t.Errorf("run -w /dev/null --ladder -o /dev/null: exit %d: %s", code, stderr.String())
	}
}

var stoppedLine = regexp.MustCompile(`^netsim run: -w (\S+): (.+); the run stopped after ([0-9]+) frames\n$`)

// TestOutputWriteFails: when the capture cannot be written (/dev/full, a
// FIFO whose reader has gone), the run stops there, with one line saying
// why, exit status 1, instead of simulating the rest (64 MiB: some 47,000
// frames) for nothing and saying so at the end.
func TestOutputWriteFails(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		// The reader reads the header and a few frames, and goes.
		f, err := os.Open(fifo)
		if err != nil {
			return
		}
		io.ReadFull(f, make([]byte, 1000))
		f.Close()
	}()
	for _, c := range []struct{ out, why string }{
		{"/dev/full", "no space left on device"},
		{fifo, "broken pipe"},
	} {
		var stdout, stderr bytes.Buffer
		code := mainArgs([]string{"run", "transfer", "-q", "--size", "64MiB", "-w", c.out}, nil, &stdout, &stderr)
		m := stoppedLine.FindStringSubmatch(stderr.String())
		if code != 1 || m == nil || m[1] != c.out || m[2] != c.why {
			t.Errorf("-w %s: exit %d, stderr %q; want 1 and one line saying %q, the run stopped", c.out, code, stderr.String(), c.why)
			continue
		}
		if n, _ := strconv.Atoi(m[3]); n > 5000 {
			t.Errorf("-w %s: the run went on to frame %d after the capture failed", c.out, n)
		}
	}
}

// TestStdoutFull: a command that only prints (help, list, version) exits 1
// with one line when standard output cannot take it, as those that write
// captures and listings do; it exited 0 having printed nothing.
func TestStdoutFull(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	for _, args := range [][]string{{"help"}, {"-h"}, {"help", "run"}, {"help", "scenario"}, {"list"}, {"version"}, {"run", "-h"}, {"read", "-h"}} {
		cmd := exec.Command(netsimBin, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = full, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if want := "netsim: standard output: no space left on device\n"; code != 1 || stderr.String() != want {
			t.Errorf("netsim %v > /dev/full: exit %d, stderr %q; want 1, %q", args, code, stderr.String(), want)
		}
	}
}
