package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// netsimBin is the CLI built once for the tests that run it as a process.
var netsimBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "netsim-cli-test")
	if err != nil {
		panic(err)
	}
	netsimBin = filepath.Join(dir, "netsim")
	if out, err := exec.Command("go", "build", "-o", netsimBin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic("go build ./cmd/netsim: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestAcrossProcesses: `netsim run DEMO -w -` in separate processes, with
// GOMAXPROCS 1, 2 and 8, writes the golden capture's exact bytes.
func TestAcrossProcesses(t *testing.T) {
	for _, demo := range []string{"tcp", "udp", "tcp-multi"} {
		want, err := os.ReadFile(filepath.Join("..", "..", "testdata", demo+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		for _, procs := range []string{"1", "2", "8", "1", "8"} {
			cmd := exec.Command(netsimBin, "run", demo, "-w", "-")
			cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s GOMAXPROCS=%s: %v\n%s", demo, procs, err, stderr.String())
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s GOMAXPROCS=%s: sha256 %s, golden %s", demo, procs, sha(got), sha(want))
			}
			if !strings.Contains(stderr.String(), "receiver: 3 bytes") && demo != "tcp-multi" {
				t.Errorf("%s: the demo's output should go to stderr with -w -, got %q", demo, stderr.String())
			}
		}
	}
}

// TestWriteFile: -w FILE writes the capture and nothing else is left in the
// directory.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "tcp.pcap")
	var stdout, stderr bytes.Buffer
	if code := mainArgs([]string{"run", "tcp", "-w", out, "--seed", "3"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil || len(got) < 24 {
		t.Fatalf("capture: %v, %d bytes", err, len(got))
	}
	if !strings.Contains(stdout.String(), "receiver: 3 bytes from 127.0.0.1:") {
		t.Errorf("stdout: %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "9 frame(s)") {
		t.Errorf("stderr should report the frame count: %q", stderr.String())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only tcp.pcap", len(entries))
	}
	// Flags before the demo's name work too.
	out2 := filepath.Join(dir, "tcp2.pcap")
	if code := mainArgs([]string{"run", "-q", "--seed", "3", "-w", out2, "tcp"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("flags first: exit %d: %s", code, stderr.String())
	}
	if got2, _ := os.ReadFile(out2); !bytes.Equal(got, got2) {
		t.Error("flags before the demo's name gave other bytes")
	}
}

// TestBadInput: every mistake gets one line on stderr naming it, exit status
// 2 for usage and 1 for a failure, and no output file.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.pcap")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "nope", "-w", out}, 2, `unknown demo or scenario "nope"`},
		{[]string{"run", "tcp", "--port", "0", "-w", out}, 2, "--port 0"},
		{[]string{"run", "tcp", "--port", "70000", "-w", out}, 2, "--port 70000"},
		{[]string{"run", "tcp", "--payload", "xyz", "-w", out}, 2, "--payload"},
		{[]string{"run", "tcp", "--payload", "", "-w", out}, 2, "--payload"},
		{[]string{"run", "tcp", "--seed", "abc", "-w", out}, 2, "-seed"},
		{[]string{"run", "tcp-multi", "--writes", "0", "-w", out}, 2, "--writes 0"},
		{[]string{"run", "tcp", "extra", "-w", out}, 2, `unexpected argument "extra"`},
		{[]string{"run", "tcp", "--bogus"}, 2, "bogus"},
		{[]string{"run", "tcp", "--loss", "90%", "--loss-burst", "2", "-w", out}, 2, "bursts of 2"},
		{[]string{"run", "tcp", "--delay", "100000h", "-w", out}, 2, "delay"},
		{[]string{"run", "transfer", "--mtu", "100", "-w", out}, 2, "--mtu 100"},
		{[]string{"run", "transfer", "--conns", "12483073", "-w", out}, 2, "--conns 12483073: out of range 1-12483072 (49536 ephemeral ports on each of the client's 252 possible addresses)"},
		{[]string{"run", "transfer", "--rate", "fast", "-w", out}, 2, "--rate"},
		{[]string{"run", "transfer", "--size", "lots", "-w", out}, 2, "--size"},
		{[]string{"run", "transfer", "-F", "json", "-w", out}, 2, "-F"},
		{[]string{"run", "transfer", "--partition", "3s-1s", "-w", out}, 2, "--partition"},
		{[]string{"run", "transfer", "--partition", "soon", "-w", out}, 2, "--partition"},
		{[]string{"run", "transfer", "--partition", "-1s-2s", "-w", out}, 2, `--partition "-1s-2s": a time before the run's start`},
		{[]string{"run", "tcp", "-w", filepath.Join(dir, "missing", "x.pcap")}, 1, "missing"},
		{[]string{"run", "tcp", "-w", dir}, 1, "is a directory"},
		{[]string{"run", "tcp", "-6", "-w", out}, 2, "-6 is not used by demo tcp (only by: transfer)"},
		{[]string{"run", "tcp", "--size", "5MiB", "-w", out}, 2, "--size is not used by demo tcp (only by: transfer)"},
		{[]string{"run", "-w", out, "--conns", "0", "tcp"}, 2, "--conns is not used by demo tcp (only by: transfer)"},
		{[]string{"run", "transfer", "--port", "80", "-w", out}, 2, "--port is not used by demo transfer (only by: tcp, tcp-multi, udp)"},
		{[]string{"run", "udp", "--writes", "2", "-w", out}, 2, "--writes is not used by demo udp (only by: tcp-multi)"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{}, 2, "Usage"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := mainArgs(c.args, nil, &stdout, &stderr)
		if code != c.code {
			t.Errorf("netsim %s: exit %d, want %d (stderr %q)", strings.Join(c.args, " "), code, c.code, stderr.String())
		}
		if !strings.Contains(stderr.String(), c.want) {
			t.Errorf("netsim %s: stderr %q should name %q", strings.Join(c.args, " "), stderr.String(), c.want)
		}
		if c.code == 2 && len(c.args) > 0 && c.args[0] == "run" && !strings.HasPrefix(c.want, "Usage") {
			if lines := strings.Count(strings.TrimSpace(stderr.String()), "\n") + 1; lines != 1 && !strings.Contains(stderr.String(), "flag provided but not defined") && !strings.Contains(stderr.String(), "invalid value") {
				t.Errorf("netsim %s: %d lines of error, want one: %q", strings.Join(c.args, " "), lines, stderr.String())
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("failed runs left files behind: %v", names)
	}
}

// TestHelp: every command explains itself with an example, on stdout, exit 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"help", "run"}, {"run", "-h"}, {"list", "-h"}, {"help", "read"}, {"help", "help"}, {"help", "-h"}, {"help", "ladder"}, {"help", "graph"}, {"help", "explain"}} {
		var stdout, stderr bytes.Buffer
		if code := mainArgs(args, nil, &stdout, &stderr); code != 0 {
			t.Errorf("netsim %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr.String())
		}
		if !strings.Contains(stdout.String(), "netsim") {
			t.Errorf("netsim %s: stdout %q", strings.Join(args, " "), stdout.String())
		}
	}
	var stdout, stderr bytes.Buffer
	mainArgs([]string{"list"}, nil, &stdout, &stderr)
	for _, d := range []string{"tcp", "udp", "tcp-multi"} {
		if !strings.Contains(stdout.String(), d) {
			t.Errorf("netsim list does not name %s: %q", d, stdout.String())
		}
	}
	if !strings.Contains(stdout.String(), "(flags: --size --conns --hops -6)") {
		t.Errorf("netsim list should name transfer's own flags: %q", stdout.String())
	}
	stdout.Reset()
	mainArgs([]string{"run", "-h"}, nil, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "tcp, tcp-multi, udp: the receiver's port") {
		t.Errorf("netsim run -h should name the demos that read --port: %q", stdout.String())
	}
}

// TestRunAllLinks: -i all captures every link: transfer --hops 2 has five
// (three loopbacks, two Ethernet links), and the book's demos, whose one
// link the library names localhost:lo, take it too (it was an error: no
// link called "all").
func TestRunAllLinks(t *testing.T) {
	frames := func(args ...string) int {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := mainArgs(append([]string{"run", "-q", "-w", "-", "-F", "pcapng"}, args...), nil, &stdout, &stderr); code != 0 {
			t.Fatalf("netsim run %v: exit %d: %s", args, code, stderr.String())
		}
		r, err := pcapread.NewReader(&stdout)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				return n
			}
			n++
		}
	}
	if one, all := frames("transfer", "--size", "3000", "--hops", "2"), frames("transfer", "--size", "3000", "--hops", "2", "-i", "all"); all <= one {
		t.Errorf("transfer --hops 2: %d frames with -i all, %d without; want more", all, one)
	}
	if one, all := frames("tcp"), frames("tcp", "-i", "all"); all != one || one != 9 {
		t.Errorf("tcp: %d frames with -i all, %d without; want 9", all, one)
	}
}

// TestHelpFlags: every command's -h names its flags as netsim's messages
// and the README do (--delay, -w; Go's flag package prints -delay), names
// every flag the command takes, and no flag it does not.
func TestHelpFlags(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^  (--?[A-Za-z0-9][A-Za-z0-9-]*)`)
	for _, c := range []struct {
		cmd   string
		flags *flag.FlagSet // nil: read, whose help is written by hand
	}{
		{"run", newRunFlags("run").fs},
		{"check", nil},
		{"exec", newExecFlags().fs},
		{"read", nil},
	} {
		var stdout, stderr bytes.Buffer
		if code := mainArgs([]string{c.cmd, "-h"}, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("netsim %s -h: exit %d", c.cmd, code)
		}
		help := stdout.String()
		if i := strings.Index(help, "\nFlags:\n"); i >= 0 {
			help = help[i:]
		}
		listed := map[string]bool{}
		for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
			name := strings.TrimLeft(m[1], "-")
			listed[name] = true
			if m[1] != dash(name) {
				t.Errorf("netsim %s -h lists %s, want %s", c.cmd, m[1], dash(name))
			}
			// The command takes it: no "unknown flag".
			var out, errs bytes.Buffer
			mainArgs([]string{c.cmd, m[1] + "=x"}, nil, &out, &errs)
			if strings.Contains(errs.String(), "unknown flag") {
				t.Errorf("netsim %s -h lists %s, which %s does not take: %s", c.cmd, m[1], c.cmd, errs.String())
			}
		}
		if c.flags != nil {
			c.flags.VisitAll(func(fl *flag.Flag) {
				if !listed[fl.Name] {
					t.Errorf("netsim %s -h does not list %s", c.cmd, dash(fl.Name))
				}
			})
		}
		if len(listed) < 5 {
			t.Errorf("netsim %s -h lists %d flags: %q", c.cmd, len(listed), help)
		}
	}
}

// TestRunHelpScenarioFlags: run -h's sentence "A scenario takes ..." names
// every flag of run that is neither a demo's own nor a link flag (those it
// names as "the link flags"), and a scenario takes each of them.
func TestRunHelpScenarioFlags(t *testing.T) {
	i := strings.Index(runUsage, "A scenario takes ")
	j := strings.Index(runUsage[i:], "and the link flags")
	if i < 0 || j < 0 {
		t.Fatalf("run -h has no sentence saying which flags a scenario takes")
	}
	sentence := strings.Fields(runUsage[i+len("A scenario takes ") : i+j])
	for k, w := range sentence {
		sentence[k] = strings.TrimRight(w, ",")
	}
	newRunFlags("run").fs.VisitAll(func(fl *flag.Flag) {
		if slices.ContainsFunc(demoFlags, func(df demoFlag) bool { return df.flag == fl.Name }) || strings.HasPrefix(fl.Usage, "link:") {
			return
		}
		if !slices.Contains(sentence, dash(fl.Name)) {
			t.Errorf("run -h does not say that a scenario takes %s (it says %v)", dash(fl.Name), sentence)
		}
	})
}
