package main

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bookTCP is the book's TCP exchange as a scenario file: its capture is
// testdata/tcp.pcap, the tcp demo's. Its expectations hold for that
// capture.
const bookTCP = `name: book-tcp
summary: one TCP connection to 127.0.0.1:24000 carries 44, 55, 66
seed: 0
capture: {format: pcap, links: [localhost:lo]}
hosts:
  - name: localhost
programs:
  - name: receiver
    host: localhost
    steps:
      - listen: {addr: 127.0.0.1:24000, as: ln}
      - accept: {sock: ln, as: conn}
      - recv: {sock: conn, until_eof: true}
      - close: conn
      - close: ln
  - name: sender
    host: localhost
    steps:
      - connect: {to: 127.0.0.1:24000}
      - send: {hex: 2c 37 42}
      - close: {}
expect:
  filters:
    "tcp.flags.syn == 1 && tcp.flags.ack == 0": 1
    "tcp.len == 3": 1
  received:
    - {program: receiver, sock: conn, bytes: 3}
`

// bookTCPUnmet is bookTCP expecting 4 bytes: the run does not meet it.
// The expectation is on line 27, its mapping at column 7.
var bookTCPUnmet = strings.Replace(bookTCP, "bytes: 3}", "bytes: 4}", 1)

// udpLost is one UDP datagram over a host's loopback, which the receiver
// does not read (so that no step waits for it), and the expectation that
// the network lost no frame (line 19): --loss 100% makes it fail while
// every step succeeds.
const udpLost = `capture: {format: pcapng}
hosts:
  - name: a
programs:
  - name: server
    host: a
    steps:
      - bind: {addr: 127.0.0.1:53}
      - sleep: 100ms
      - close: {}
  - name: client
    host: a
    steps:
      - bind: {addr: 127.0.0.1:5353}
      - send: {to: 127.0.0.1:53, text: hello}
expect:
  filters:
    udp: 1
    "frame.comment contains \"lost\"": 0
`

// writeScenario writes src to dir/name and returns the path.
func writeScenario(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cli runs netsim's main in this process with stdin.
func cli(stdin string, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = mainArgs(args, strings.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

// TestScenarioRunFile: a scenario file run with -w gives the golden
// capture of the demo it reproduces; so does a shipped one by name, and
// the file read from standard input by the real binary.
func TestScenarioRunFile(t *testing.T) {
	dir := t.TempDir()
	want := golden(t, "tcp")
	file := writeScenario(t, dir, "book.yaml", bookTCP)
	out := filepath.Join(dir, "out.pcap")
	code, stdout, stderr := cli("", "run", file, "-w", out)
	if code != 0 {
		t.Fatalf("run %s: exit %d: %s", file, code, stderr)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Errorf("run %s: sha256 %s, golden %s", file, sha(got), sha(want))
	}
	if !strings.Contains(stderr, "9 frame(s)") || !strings.Contains(stderr, "3 expectation(s) met") {
		t.Errorf("stderr should count the frames and expectations: %q", stderr)
	}
	if !strings.Contains(stdout, "receiver: conn: received 3 bytes") || strings.Contains(stdout, "TCP 74") {
		t.Errorf("stdout %q: what the programs print, and no listing", stdout)
	}
	if es := entries(t, dir); !slices.Equal(es, []string{"book.yaml", "out.pcap"}) {
		t.Errorf("the directory holds %v", es)
	}

	// Without -w, the frames are listed as tshark lists them.
	code, stdout, stderr = cli("", "run", file)
	if n := strings.Count(stdout, "127.0.0.1 → 127.0.0.1    TCP "); code != 0 || n != 9 {
		t.Errorf("run %s: exit %d, %d frames listed, stderr %q", file, code, n, stderr)
	}
	// -q: nothing but errors.
	code, stdout, stderr = cli("", "run", file, "-q")
	if code != 0 || stdout != "" || stderr != "" {
		t.Errorf("run %s -q: exit %d, stdout %q, stderr %q", file, code, stdout, stderr)
	}

	// Standard input, through a real pipe, capture to standard output.
	cmd := exec.Command(netsimBin, "run", "-", "-w", "-")
	cmd.Stdin = strings.NewReader(bookTCP)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("run - -w -: %v: %s", err, errb.String())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("run - -w -: sha256 %s, golden %s", sha(got), sha(want))
	}

	// The shipped book-tcp by name, and a file path without a .yaml
	// suffix.
	noext := writeScenario(t, dir, "tcp", bookTCP)
	for _, args := range [][]string{{"run", "book-tcp", "-q", "-w", out}, {"run", noext, "-q", "-w", out}} {
		os.Remove(out)
		if code, _, stderr := cli("", args...); code != 0 {
			t.Errorf("netsim %s: exit %d: %s", strings.Join(args, " "), code, stderr)
			continue
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
			t.Errorf("netsim %s: sha256 %s, golden %s", strings.Join(args, " "), sha(got), sha(want))
		}
	}
}

// TestScenarioNameIsDemo: a file called like a demo does not hide it:
// `netsim run tcp` in a directory holding a file tcp runs the demo, and
// ./tcp the file; a file whose name is no demo's runs by its name.
func TestScenarioNameIsDemo(t *testing.T) {
	dir := t.TempDir()
	writeScenario(t, dir, "tcp", "not: [a scenario")
	writeScenario(t, dir, "mine", bookTCP)
	for _, c := range []struct {
		arg  string
		code int
	}{{"tcp", 0}, {"mine", 0}, {"./tcp", 2}} {
		cmd := exec.Command(netsimBin, "run", c.arg, "-q", "-w", "-")
		cmd.Dir = dir
		got, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != c.code || (code == 0 && !bytes.Equal(got, golden(t, "tcp"))) {
			t.Errorf("run %s beside a file tcp: exit %d, want %d; sha256 %s", c.arg, code, c.code, sha(got))
		}
	}
}

// TestScenarioParseErrors: a file with mistakes gets every one on a line
// of its own as FILE:LINE:COL:, exit 2, and the output file as it was.
func TestScenarioParseErrors(t *testing.T) {
	dir := t.TempDir()
	file := writeScenario(t, dir, "bad.yaml", `hosts:
  - name: a
    colour: blue
programs:
  - host: a
    steps:
      - listen: {addr: 127.0.0.1:80, backlog: many}
`)
	out := filepath.Join(dir, "keep.pcap")
	if err := os.WriteFile(out, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"run", file, "-w", out}, {"check", file}, {"run", "-", "-w", out}} {
		stdin := ""
		name := file
		if args[1] == "-" {
			stdin, _ = readFile(file)
			name = "-"
		}
		code, stdout, stderr := cli(stdin, args...)
		if code != 2 {
			t.Errorf("netsim %s: exit %d, want 2 (stderr %q)", strings.Join(args, " "), code, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		at := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `:[0-9]+:[0-9]+: \S`)
		for _, l := range lines {
			if !at.MatchString(l) {
				t.Errorf("netsim %s: line %q is not FILE:LINE:COL: ...", strings.Join(args, " "), l)
			}
		}
		if len(lines) < 2 || !strings.HasPrefix(lines[0], name+":3:5: ") || !strings.Contains(lines[0], "colour") ||
			!strings.Contains(stderr, "many") {
			t.Errorf("netsim %s: want both mistakes, the first at 3:5 naming colour, the second naming many:\n%s", strings.Join(args, " "), stderr)
		}
		if stdout != "" {
			t.Errorf("netsim %s: stdout %q", strings.Join(args, " "), stdout)
		}
		if got, _ := readFile(out); got != "keep me" {
			t.Errorf("netsim %s: the output file now holds %q", strings.Join(args, " "), got)
		}
		if es := entries(t, dir); !slices.Equal(es, []string{"bad.yaml", "keep.pcap"}) {
			t.Errorf("netsim %s: the directory holds %v", strings.Join(args, " "), es)
		}
	}
}

func readFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}

// TestScenarioUnmet: a run that does not meet an expectation exits 1 with
// one line naming it (FILE:LINE:COL: expect: ...), and writes its capture
// all the same; --no-expect skips the expectations.
func TestScenarioUnmet(t *testing.T) {
	dir := t.TempDir()
	file := writeScenario(t, dir, "unmet.yaml", bookTCPUnmet)
	out := filepath.Join(dir, "out.pcap")
	code, _, stderr := cli("", "run", file, "-w", out)
	want := "netsim run: " + file + ":27:7: expect: receiver's conn received 3 bytes, want 4\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr\n %q\nwant\n %q", code, stderr, want)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, golden(t, "tcp")) {
		t.Errorf("the capture of the run should be written: sha256 %s", sha(got))
	}
	os.Remove(out)
	if code, _, stderr := cli("", "run", file, "--no-expect", "-q", "-w", out); code != 0 || stderr != "" {
		t.Errorf("--no-expect: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("--no-expect: %v", err)
	}
}

// TestScenarioOverrides: the flags override the file: --seed changes the
// capture, --loss 100% makes an expectation fail, -F changes the format;
// the flags only demos take are usage errors.
func TestScenarioOverrides(t *testing.T) {
	dir := t.TempDir()
	book := writeScenario(t, dir, "book.yaml", bookTCP)
	udp := writeScenario(t, dir, "udp.yaml", udpLost)
	out := filepath.Join(dir, "out.pcap")

	code, _, stderr := cli("", "run", book, "--seed", "7", "-q", "-w", out)
	got, _ := os.ReadFile(out)
	if code != 0 || len(got) == 0 || bytes.Equal(got, golden(t, "tcp")) {
		t.Errorf("--seed 7: exit %d (%q), the capture should differ from the seed 0 golden", code, stderr)
	}
	code, _, stderr = cli("", "run", book, "-F", "pcapng", "-q", "-w", out)
	if got, _ := os.ReadFile(out); code != 0 || !bytes.HasPrefix(got, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		t.Errorf("-F pcapng: exit %d (%q), not a pcapng", code, stderr)
	}

	if code, _, stderr := cli("", "run", udp, "-q", "-w", out); code != 0 {
		t.Fatalf("udp scenario: exit %d: %s", code, stderr)
	}
	code, _, stderr = cli("", "run", udp, "--loss", "100%", "-q", "-w", out)
	if code != 1 || !strings.HasPrefix(stderr, "netsim run: "+udp+":19:5: expect: ") || !strings.Contains(stderr, `frame.comment contains \"lost\"`) ||
		strings.Count(stderr, "\n") != 1 {
		t.Errorf("--loss 100%%: exit %d, stderr %q", code, stderr)
	}

	// --partition takes every link and loopback down over the span, as it
	// does for the demos: the book's scenario gives the tcp demo's bytes.
	for _, span := range []string{"20us-1s", "100us-3s"} {
		demoOut, scenOut := filepath.Join(dir, "demo.pcap"), filepath.Join(dir, "scen.pcap")
		if code, _, stderr := cli("", "run", "tcp", "--partition", span, "-q", "-w", demoOut); code != 0 {
			t.Fatalf("tcp --partition %s: exit %d: %s", span, code, stderr)
		}
		if code, _, stderr := cli("", "run", book, "--partition", span, "--no-expect", "-q", "-w", scenOut); code != 0 {
			t.Fatalf("scenario --partition %s: exit %d: %s", span, code, stderr)
		}
		d, _ := os.ReadFile(demoOut)
		sc, _ := os.ReadFile(scenOut)
		if len(d) == 0 || !bytes.Equal(d, sc) || bytes.Equal(sc, golden(t, "tcp")) {
			t.Errorf("--partition %s: the scenario's capture (%d bytes) should equal the demo's (%d bytes) and differ from the golden", span, len(sc), len(d))
		}
	}

	for _, c := range []struct{ args, want string }{
		{"--port 80", "netsim run: --port is not used by scenarios (only by demos: tcp, tcp-multi, udp)\n"},
		{"-6", "netsim run: -6 is not used by scenarios (only by demos: transfer)\n"},
		{"--size 1k", "netsim run: --size is not used by scenarios (only by demos: transfer)\n"},
		{"--loss 90% --loss-burst 2", "netsim run: --loss 90%: more than bursts of 2 frames"},
		{"--delay 10", `netsim run: --delay "10": missing unit, e.g. 10ms`},
	} {
		args := append([]string{"run", book, "-w", out}, strings.Fields(c.args)...)
		os.Remove(out)
		code, _, stderr := cli("", args...)
		if code != 2 || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("run FILE %s: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("run FILE %s wrote %s", c.args, out)
		}
	}
}

// TestScenarioCheck: check runs twice and says the captures are the same
// bytes, with their size and sha256.
func TestScenarioCheck(t *testing.T) {
	dir := t.TempDir()
	file := writeScenario(t, dir, "book.yaml", bookTCP)
	want := golden(t, "tcp")
	code, stdout, stderr := cli("", "check", file)
	line := file + ": 2 runs, same " + strconv.Itoa(len(want)) + " bytes (sha256 " + sha(want) + ")\n"
	if code != 0 || stdout != line || stderr != "" {
		t.Errorf("check: exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, line)
	}
	// check takes the overrides, and checks the expectations.
	unmet := writeScenario(t, dir, "unmet.yaml", bookTCPUnmet)
	code, stdout, stderr = cli("", "check", unmet)
	if code != 1 || stdout != "" || stderr != "netsim check: "+unmet+":27:7: expect: receiver's conn received 3 bytes, want 4\n" {
		t.Errorf("check unmet: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, stdout, _ := cli("", "check", unmet, "--no-expect", "--seed", "3"); code != 0 || !strings.Contains(stdout, "2 runs, same") {
		t.Errorf("check --no-expect --seed 3: exit %d, %q", code, stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", file, "-w", "x.pcap"}, "netsim check: -w is not used by check"},
		{[]string{"check", "tcp"}, "netsim check: tcp is a demo; check takes a scenario"},
		{[]string{"check"}, "netsim check: name a scenario"},
		{[]string{"check", filepath.Join(dir, "missing.yaml")}, "netsim check: " + filepath.Join(dir, "missing.yaml") + ": no such file or directory"},
	} {
		code, _, stderr := cli("", c.args...)
		if code == 0 || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("netsim %s: exit %d, stderr %q, want %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

// TestScenarioHelpAndList: help scenario names the keys and steps; list
// names the shipped scenarios apart from the demos; show prints one.
func TestScenarioHelpAndList(t *testing.T) {
	code, stdout, _ := cli("", "help", "scenario")
	if code != 0 {
		t.Errorf("help scenario: exit %d", code)
	}
	for _, key := range []string{"hosts", "links", "switches", "programs", "events", "expect", "capture", "seed",
		"listen", "accept", "connect", "send", "recv", "shutdown", "abort", "until_eof", "loss_burst", "filters", "received", "sha256"} {
		if !strings.Contains(stdout, key) {
			t.Errorf("help scenario does not name %q", key)
		}
	}
	_, stdout, _ = cli("", "help")
	if !strings.Contains(stdout, "netsim help scenario") || !strings.Contains(stdout, "check") {
		t.Errorf("help should name the scenario topic and check: %q", stdout)
	}
	code, stdout, _ = cli("", "help", "check")
	if code != 0 || !strings.Contains(stdout, "2 runs, same N") || !strings.Contains(stdout, "-no-expect") ||
		strings.Contains(stdout, "-6") || strings.Contains(stdout, "-w FILE") || !strings.Contains(stdout, "-partition") {
		t.Errorf("help check: exit %d; it should list the flags check takes and no other:\n%s", code, stdout)
	}
	_, stdout, _ = cli("", "list")
	demos, scenarios, ok := strings.Cut(stdout, "\nScenarios")
	if !ok || !strings.Contains(demos, "transfer") || strings.Contains(demos, "book-tcp") ||
		!strings.Contains(scenarios, "book-tcp ") || !strings.Contains(scenarios, "tcp-refused") {
		t.Errorf("list: demos then scenarios:\n%s", stdout)
	}
	code, stdout, _ = cli("", "show", "book-tcp")
	if code != 0 || !strings.Contains(stdout, "name: book-tcp") || !strings.HasPrefix(stdout, "#") {
		t.Errorf("show book-tcp: exit %d, %q", code, stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"show"}, "netsim show: name a scenario"},
		{[]string{"show", "tcp"}, `netsim show: unknown scenario "tcp"`},
		{[]string{"show", "book-tcp", "x"}, `netsim show: unexpected argument "x"`},
		{[]string{"run", "nope"}, `netsim run: unknown demo or scenario "nope" (demos: tcp, tcp-multi, transfer, udp; scenarios: ` + shippedNames() + "; or a FILE.yaml)"},
		{[]string{"run", "nope.yaml"}, "netsim run: nope.yaml: no such file or directory"},
		{[]string{"run", "tcp", "--no-expect"}, "netsim run: --no-expect is not used by demo tcp (only by scenarios)"},
	} {
		code, _, stderr := cli("", c.args...)
		if code == 0 || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("netsim %s: exit %d, stderr %q, want %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

// longTransfer sends 1 GiB over a LAN: a run that Ctrl-C ends.
const longTransfer = `hosts:
  - name: a
  - name: b
links:
  - {name: lan, a: {host: a, addrs: [10.0.0.1/24]}, b: {host: b, addrs: [10.0.0.2/24]}, both: {delay: 1ms}}
programs:
  - name: server
    host: b
    steps:
      - listen: {addr: ":80"}
      - accept: {}
      - recv: {until_eof: true}
  - name: client
    host: a
    steps:
      - connect: {to: "b:80"}
      - send: {random: 65536, repeat: 16384}
      - close: {}
`

// TestScenarioSignal: SIGINT ends a scenario's run as a demo's: exit 130,
// one line, the frames so far as a valid capture under the name given.
func TestScenarioSignal(t *testing.T) {
	dir := t.TempDir()
	writeScenario(t, dir, "long.yaml", longTransfer)
	cmd := exec.Command(netsimBin, "run", "long.yaml", "-w", "X.pcapng")
	cmd.Dir = dir
	progress, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(progress)
	if first, err := lines.ReadString('\n'); !strings.Contains(first, "connected 10.0.0.1:") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("first line %q (%v)", first, err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, lines)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("%v, want exit status 130; stderr %q", err, stderr.String())
	}
	m := interruptedLine.FindStringSubmatch(stderr.String())
	if m == nil || m[2] != "X.pcapng" || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("stderr %q should say the run was interrupted, on one line", stderr.String())
	}
	n, _ := strconv.Atoi(m[1])
	if got := countFrames(t, filepath.Join(dir, "X.pcapng")); got == 0 || got != n {
		t.Errorf("capture holds %d frames; stderr says %d", got, n)
	}
	if es := entries(t, dir); !slices.Equal(es, []string{"X.pcapng", "long.yaml"}) {
		t.Errorf("the directory holds %v", es)
	}
}

// TestCryptoCustomRand: the netsim binary is built with
// cryptocustomrand=1 (main.go's go:debug line), without which Go 1.26's
// crypto/tls ignores a scenario's seeded random source and no TLS
// scenario repeats its bytes.
func TestCryptoCustomRand(t *testing.T) {
	bi, err := buildinfo.ReadFile(netsimBin)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range bi.Settings {
		if s.Key == "DefaultGODEBUG" && slices.Contains(strings.Split(s.Value, ","), "cryptocustomrand=1") {
			return
		}
	}
	t.Errorf("the binary's build settings have no DefaultGODEBUG with cryptocustomrand=1: %v", bi.Settings)
}
