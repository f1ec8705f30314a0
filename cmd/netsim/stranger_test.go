//go:build unix

package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// publicBin copies the netsim binary to a directory every user can reach,
// for the cases run as the unprivileged uid 65534.
func publicBin(t *testing.T) string {
	t.Helper()
	dir := publicDir(t)
	bin := filepath.Join(dir, "netsim")
	b, err := os.ReadFile(netsimBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// publicDir is a t.TempDir that every user can reach (t.TempDir and its
// parent are 0700).
func publicDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tree lists every file under dir with its content's length and mode.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, rel+" "+fi.Mode().String())
		if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(path)
			out[len(out)-1] += " " + string(b)
		}
		return nil
	})
	return out
}

// TestStranger runs the CLI as a new user would, wrongly: every mistake
// gets exactly one line on stderr that names what was wrong, a non-zero
// exit status (2 for usage, 1 for a failure), and leaves every file as it
// was, nothing half-written. Cases marked nobody run as uid 65534 when the
// tests run as root (as themselves otherwise: the expectations hold for
// any user without CAP_DAC_OVERRIDE).
func TestStranger(t *testing.T) {
	bin := publicBin(t)
	d := publicDir(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// The directory the cases may not change: a file to keep, a
	// read-only directory, a directory nobody owns with a read-only file
	// in it, a Unix socket.
	must(os.WriteFile(filepath.Join(d, "keep.pcap"), []byte("keep me: a file that is not a capture"), 0o644))
	must(os.Mkdir(filepath.Join(d, "ro"), 0o555))
	own := filepath.Join(d, "own")
	must(os.Mkdir(own, 0o755))
	must(os.WriteFile(filepath.Join(own, "ro.pcap"), []byte("read-only"), 0o444))
	if os.Geteuid() == 0 {
		must(os.Chown(own, 65534, 65534))
		must(os.Chown(filepath.Join(own, "ro.pcap"), 65534, 65534))
	}
	l, err := net.Listen("unix", filepath.Join(d, "sock"))
	must(err)
	defer l.Close()
	before := tree(t, d)

	p := func(name string) string { return filepath.Join(d, name) }
	cases := []struct {
		args   []string
		code   int
		want   string
		nobody bool
	}{
		// Usage.
		{[]string{}, 2, "Usage: netsim COMMAND", false},
		{[]string{"frobnicate"}, 2, `netsim: unknown command "frobnicate"`, false},
		{[]string{"rn", "tcp"}, 2, `netsim: unknown command "rn" (did you mean "run"? 'netsim help' lists the commands)`, false},
		{[]string{"explain", "tcp"}, 2, `netsim: unknown command "explain": it is a flag: netsim run DEMO --explain`, false},
		{[]string{"ladder"}, 2, `netsim: unknown command "ladder": it is a flag: netsim read -r FILE --ladder, or netsim run DEMO --ladder`, false},
		{[]string{"graph"}, 2, `netsim: unknown command "graph": it is a flag: netsim read -r FILE --graph tsg -o FILE.svg`, false},
		{[]string{"verison"}, 2, `netsim: unknown command "verison" (did you mean "version"?`, false},
		{[]string{"help", "raed"}, 2, `netsim help: unknown command "raed" (did you mean "read"?)`, false},
		{[]string{"help", "run", "extra"}, 2, `netsim help: unexpected argument "extra" (netsim help COMMAND explains one command)`, false},
		{[]string{"help", "scenario", "x"}, 2, `netsim help: unexpected argument "x"`, false},
		{[]string{"help", "scenaro"}, 2, `netsim help: unknown command "scenaro" (did you mean "scenario"?)`, false},
		{[]string{"run", "tcp", "-w", p("keep.pcap"), "-w", p("b.pcap")}, 2, "netsim run: -w is given twice (-w " + p("keep.pcap") + ", then -w " + p("b.pcap") + "): give it once", false},
		{[]string{"run", "-w", p("keep.pcap"), "tcp", "-w", p("keep.pcap")}, 2, "netsim run: -w " + p("keep.pcap") + " is given twice: give it once", false},
		{[]string{"run", "tcp", "--seed", "1", "--seed=2", "-w", p("keep.pcap")}, 2, "netsim run: --seed is given twice (--seed 1, then --seed=2): give it once", false},
		{[]string{"run", "tcp", "-q", "-q", "-w", p("keep.pcap")}, 2, "netsim run: -q is given twice: give it once", false},
		{[]string{"check", "book-tcp", "--loss", "1%", "--loss", "2%"}, 2, "netsim check: --loss is given twice (--loss 1%, then --loss 2%): give it once", false},
		{[]string{"read", "-r", p("keep.pcap"), "-r", p("x.pcap")}, 2, "netsim read: -r is given twice (-r " + p("keep.pcap") + ", then -r " + p("x.pcap") + "): give it once", false},
		{[]string{"read", "-r", p("keep.pcap"), "-V", "-V"}, 2, "netsim read: -V is given twice: give it once", false},
		{[]string{"exec", "-w", p("keep.pcap"), "-w", p("b.pcap"), "--", "python3", "x.py"}, 2, "netsim exec: -w is given twice (-w " + p("keep.pcap") + ", then -w " + p("b.pcap") + "): give it once", false},
		{[]string{"run", "transfer", "--size", "0", "-w", p("keep.pcap")}, 2, "netsim run: --size 0: nothing to send (1 byte or more; without --size, 1MiB)", false},
		{[]string{"run", "transfer", "--size", "0KiB"}, 2, "netsim run: --size 0KiB: nothing to send", false},
		{[]string{"run", "tcp", "--sise", "1"}, 2, "netsim run: unknown flag --sise (did you mean --size?) (netsim run -h lists the flags)", false},
		{[]string{"run", "tcp", "--seed", "1e3"}, 2, `netsim run: --seed "1e3": not a whole number`, false},
		{[]string{"run", "tcp", "--lang", "-w", p("keep.pcap")}, 2, "netsim run: --lang needs a value (-w, after it, is a flag; for that value, write --lang=-w)", false},
		{[]string{"run", "tcp", "--seed", "-6", "-w", p("keep.pcap")}, 2, "netsim run: --seed needs a value (-6, after it, is a flag; for that value, write --seed=-6)", false},
		{[]string{"run", "tcp", "-i", "all", "-w", p("keep.pcap")}, 2, "netsim run: -i all: every link takes pcapng (a pcap file holds one link): use -F pcapng, or -w FILE.pcapng", false},
		{[]string{"run", "transfer", "-i", "all", "-F", "pcap"}, 2, "netsim run: -i all: every link takes pcapng", false},
		{[]string{"read", "-r", p("keep.pcap"), "--manuf", ""}, 2, `netsim read: --manuf "": empty file name`, false},
		{[]string{"read", "-r", p("keep.pcap"), "--tls-keylog", ""}, 2, `netsim read: --tls-keylog "": empty file name`, false},
		{[]string{"read", "-r", p("keep.pcap"), "-c", "1e3"}, 2, `netsim read: -c "1e3": not a whole number (try 'netsim read -h')`, false},
		{[]string{"read", "-r", p("keep.pcap"), "-Y"}, 2, "netsim read: -Y needs a value (try 'netsim read -h')", false},
		{[]string{"read", "-r", p("keep.pcap"), "--ladr"}, 2, "netsim read: unknown flag --ladr (did you mean --ladder?) (try 'netsim read -h')", false},
		{[]string{"read", "-r", "-Y", "tcp"}, 2, "netsim read: -r needs a value (-Y, after it, is a flag; for that value, write -r=-Y)", false},
		{[]string{"exec", "--dealy", "1ms", "--", "python3"}, 2, "netsim exec: unknown flag --dealy (did you mean --delay?)", false},
		{[]string{"exec", "-w", p("keep.pcap"), "--", "no-such-program", "x"}, 127, "netsim exec: process no-such-program: no-such-program: not found in $PATH", false},
		{[]string{"exec", "--", "a:", "python3", "-c", "pass", "--", "b:", p("missing.py")}, 127, "netsim exec: process b: " + p("missing.py") + ": not found", false},
		{[]string{"exec", "--", p("ro")}, 126, "netsim exec: process ro: " + p("ro") + ": is a directory", false},
		{[]string{"help", "nope"}, 2, `netsim help: unknown command "nope"`, false},
		{[]string{"list", "x"}, 2, `netsim list: unexpected argument "x"`, false},
		{[]string{"version", "x"}, 2, `netsim version: unexpected argument "x"`, false},
		{[]string{"run"}, 2, "netsim run: name a demo", false},
		{[]string{"run", ""}, 2, "netsim run: name a demo", false},
		{[]string{"run", "nope"}, 2, `netsim run: unknown demo or scenario "nope" (demos: tcp, tcp-multi, transfer, udp; scenarios: `, false},
		{[]string{"run", "tcp", "--bogus"}, 2, "netsim run: unknown flag --bogus", false},
		{[]string{"run", "tcp", "extra"}, 2, `netsim run: unexpected argument "extra"`, false},
		{[]string{"run", "tcp", "-w"}, 2, "netsim run: -w needs a value", false},
		{[]string{"run", "tcp", "-w", ""}, 2, `netsim run: -w "": empty`, false},
		{[]string{"run", "tcp", "-F", ""}, 2, `netsim run: -F "": empty`, false},
		{[]string{"run", "tcp", "-i", ""}, 2, `netsim run: -i "": empty`, false},
		{[]string{"run", "tcp", "-F", "json"}, 2, `netsim run: -F "json": pcap or pcapng`, false},
		{[]string{"run", "tcp", "-6"}, 2, "netsim run: -6 is not used by demo tcp (only by: transfer)", false},
		{[]string{"run", "tcp", "--size", "5MiB"}, 2, "netsim run: --size is not used by demo tcp (only by: transfer)", false},
		{[]string{"run", "transfer", "--port", "80"}, 2, "netsim run: --port is not used by demo transfer (only by: tcp, tcp-multi, udp)", false},
		{[]string{"run", "tcp", "--payload", ""}, 2, `netsim run: --payload "": empty`, false},
		{[]string{"run", "tcp", "--port", "0"}, 2, "netsim run: --port 0: out of range 1-65535", false},
		{[]string{"run", "tcp", "--seed", "99999999999999999999"}, 2, `netsim run: --seed "99999999999999999999": value out of range`, false},
		{[]string{"run", "tcp-multi", "--writes", "99999999999999999999"}, 2, `netsim run: --writes "99999999999999999999": value out of range`, false},
		{[]string{"run", "tcp-multi", "--writes", "1001"}, 2, "netsim run: --writes 1001: out of range 1-1000", false},
		{[]string{"run", "transfer", "--size", "1000000000000000"}, 2, `netsim run: --size "1000000000000000": too large (at most 1TiB)`, false},
		{[]string{"run", "transfer", "--size", ""}, 2, `netsim run: --size "": `, false},
		{[]string{"run", "transfer", "--conns", "20000000"}, 2, "netsim run: --conns 20000000: out of range 1-12483072", false},
		{[]string{"run", "transfer", "--conns", "-5"}, 2, "netsim run: --conns -5: out of range 1-12483072", false},
		{[]string{"run", "transfer", "--hops", "0"}, 2, "netsim run: --hops 0: out of range 1-200", false},
		{[]string{"run", "tcp", "--delay", "10"}, 2, `netsim run: --delay "10": missing unit, e.g. 10ms`, false},
		{[]string{"run", "tcp", "--loss", "200%"}, 2, `netsim run: --loss "200%": `, false},
		{[]string{"run", "tcp", "--partition", "3s-1s"}, 2, `netsim run: --partition "3s-1s": `, false},
		// Scenarios.
		{[]string{"run", "book-tcp", "--port", "80"}, 2, "netsim run: --port is not used by scenarios (only by demos: tcp, tcp-multi, udp)", false},
		{[]string{"run", "book-tcp", "--partition", "3s-1s"}, 2, `netsim run: --partition "3s-1s": `, false},
		{[]string{"run", "tcp", "--no-expect"}, 2, "netsim run: --no-expect is not used by demo tcp (only by scenarios)", false},
		{[]string{"check"}, 2, "netsim check: name a scenario: netsim check FILE.yaml|NAME, where NAME is one of " + shippedNames() + " ('netsim list' says what each does)", false},
		{[]string{"check", "tcp"}, 2, "netsim check: tcp is a demo; check takes a scenario", false},
		{[]string{"check", "book-tcp", "-w", p("keep.pcap")}, 2, "netsim check: -w is not used by check, which writes nothing", false},
		{[]string{"show"}, 2, "netsim show: name a scenario: netsim show NAME, where NAME is one of " + shippedNames(), false},
		{[]string{"show", "nope"}, 2, `netsim show: unknown scenario "nope" (scenarios: ` + shippedNames() + ")", false},
		{[]string{"read"}, 2, "netsim read: -r FILE is required", false},
		{[]string{"read", "-r", ""}, 2, `netsim read: -r "": empty file name`, false},
		{[]string{"read", "-c", "-1", "-r", p("keep.pcap")}, 2, "netsim read: -c -1: not a frame count", false},
		{[]string{"read", "-Y", "tcp.port==", "-r", p("keep.pcap")}, 2, "netsim read: bad display filter", false},
		{[]string{"read", "-T", "fields", "-r", p("keep.pcap")}, 2, "netsim read: -T fields needs at least one -e FIELD", false},
		{[]string{"read", "-T", "fields", "-e", "tcp.nope", "-r", p("keep.pcap")}, 2, `netsim read: -e tcp.nope: "tcp.nope" is not a valid protocol or protocol field`, false},
		// Failures: bad output, bad input.
		{[]string{"run", "tcp", "-w", d}, 1, "netsim run: -w " + d + ": is a directory", false},
		{[]string{"run", "tcp", "-w", p("missing/x.pcap")}, 1, "netsim run: -w " + p("missing/x.pcap") + ": directory " + p("missing") + " does not exist", false},
		{[]string{"run", "tcp", "-w", p("keep.pcap/x.pcap")}, 1, "netsim run: -w " + p("keep.pcap/x.pcap") + ": not a directory", false},
		{[]string{"run", "tcp", "-w", p("ro/x.pcap")}, 1, "netsim run: -w " + p("ro/x.pcap") + ": cannot create a file in " + p("ro") + " (a file is replaced through a temporary file beside it): permission denied", true},
		{[]string{"run", "tcp", "-w", p("own/ro.pcap")}, 1, "netsim run: -w " + p("own/ro.pcap") + ": permission denied (the file is not writable)", true},
		{[]string{"run", "tcp", "-w", p("sock")}, 1, "netsim run: -w " + p("sock") + ": is a socket", false},
		{[]string{"run", "tcp", "-w", "/dev/fd/99"}, 1, "netsim run: -w /dev/fd/99: file descriptor 99: bad file descriptor", false},
		{[]string{"run", "tcp", "-w", "/dev/stdin"}, 1, "netsim run: -w /dev/stdin: file descriptor 0 is open only for reading", false},
		{[]string{"run", "tcp", "-w", "/dev/full"}, 1, "netsim run: -w /dev/full: no space left on device; the run stopped after 9 frames", false},
		{[]string{"run", "tcp", "-i", "nope", "-w", p("keep.pcap")}, 1, `netsim run: tcp: netsim: no link called "nope" to capture (links: localhost:lo)`, false},
		{[]string{"run", "tcp", "--loss", "100%", "-w", p("keep.pcap")}, 1, "netsim run: tcp: sender: dial tcp 127.0.0.1:24000: connect: connection timed out", false},
		{[]string{"run", "udp", "--loss", "100%", "-w", p("keep.pcap")}, 1, "netsim run: udp: netsim: deadlock at 60µs: every task is blocked", false},
		{[]string{"run", p("missing.yaml")}, 1, "netsim run: " + p("missing.yaml") + ": no such file or directory", false},
		{[]string{"run", "book-tcp", "-w", d}, 1, "netsim run: -w " + d + ": is a directory", false},
		{[]string{"run", "book-tcp", "--loss", "100%", "-w", p("keep.pcap")}, 1, "program sender, step 1 (connect): dial tcp 127.0.0.1:24000: connect: connection timed out", false},
		{[]string{"check", p("missing.yaml")}, 1, "netsim check: " + p("missing.yaml") + ": no such file or directory", false},
		{[]string{"read", "-r", p("missing.pcap")}, 1, "netsim read: open " + p("missing.pcap") + ": no such file or directory", false},
		{[]string{"read", "-r", p("keep.pcap")}, 1, "netsim read: " + p("keep.pcap") + ": offset 0: not a pcap or pcapng file", false},
		{[]string{"read", "-r", d}, 1, "netsim read: " + d + ": is a directory", false},
	}
	for _, c := range cases {
		name := "netsim " + strings.Join(c.args, " ")
		cmd := exec.Command(bin, c.args...)
		cmd.Dir = d
		if c.nobody && os.Geteuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		msg := stderr.String()
		if code != c.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", name, code, c.code, msg)
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: stderr %q should say %q", name, msg, c.want)
		}
		if len(c.args) > 0 && strings.Count(msg, "\n") != 1 {
			t.Errorf("%s: %d lines on stderr, want one: %q", name, strings.Count(msg, "\n"), msg)
		}
		if after := tree(t, d); !slices.Equal(after, before) {
			t.Fatalf("%s changed the files:\n%s\nwere:\n%s", name, strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
		if testing.Verbose() {
			t.Logf("| `%s` | %d | `%s` |", name, code, strings.TrimSpace(msg))
		}
	}
}
