package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"netsim.dev/netsim/dfilter"
)

// example is a command a help text or README shows, and where.
type example struct {
	where string // "netsim run -h", "README.md:258", ...
	cmd   string
}

// runCommand finds `netsim run ...` commands in a line: up to a backtick,
// a comment, a pipe, && or two spaces (where a help text's description
// starts).
var runCommand = regexp.MustCompile("netsim run [^`#|&\n]*?(?:  |`|#|\\||&&|$)")

// lossyExamples returns the `netsim run` commands of text that impair a
// link so that frames are lost (--loss, --partition).
func lossyExamples(where string, text string, lineNumbers bool) []example {
	var out []example
	inBadInput := false
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			// README's bad-input table shows commands that fail on purpose;
			// TestStranger checks those.
			inBadInput = strings.Contains(line, "Bad input")
		}
		if inBadInput {
			continue
		}
		for _, m := range runCommand.FindAllString(line, -1) {
			cmd := strings.TrimRight(strings.TrimRight(m, "`#|&"), " ")
			if !strings.Contains(cmd, "--loss ") && !strings.Contains(cmd, "--partition ") {
				continue
			}
			w := where
			if lineNumbers {
				w += ":" + strconv.Itoa(i+1)
			}
			out = append(out, example{w, cmd})
		}
	}
	return out
}

// placeholders are files the examples name that stand for the reader's
// own: no claim about what they lose can be checked.
var placeholders = []string{"my.yaml"}

// readmeUpload is README's upload.yaml, the scenario its examples run.
func readmeUpload(t *testing.T, readme string) string {
	t.Helper()
	start := strings.Index(readme, "# upload.yaml")
	if start < 0 {
		t.Fatal("README.md: no upload.yaml block")
	}
	end := strings.Index(readme[start:], "```")
	if end < 0 {
		t.Fatal("README.md: the upload.yaml block does not end")
	}
	return readme[start : start+end]
}

var lostSummary = regexp.MustCompile(`(\d+) lost,`)

// TestLossyExamples runs every example of netsim's help texts and README
// that impairs the network so that frames are lost (--loss, --partition),
// and checks that it shows what it claims: the run succeeds, the network
// loses frames, and TCP retransmits (the examples are all TCP). A seed that
// loses nothing is a broken example: pick another (see the notes' seed
// search).
func TestLossyExamples(t *testing.T) {
	var examples []example
	for _, args := range [][]string{{"help"}, {"run", "-h"}, {"check", "-h"}, {"read", "-h"}, {"list"}, {"help", "scenario"}, {"help", "book"}, {"help", "book", "--lang", "ru"}} {
		code, stdout, stderr := cli("", args...)
		if code != 0 {
			t.Fatalf("netsim %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		examples = append(examples, lossyExamples("netsim "+strings.Join(args, " "), stdout, false)...)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples = append(examples, lossyExamples("README.md", string(readme), true)...)
	if len(examples) < 4 {
		t.Fatalf("only %d lossy examples found: %v", len(examples), examples)
	}
	dir := scratchDir(t)
	if err := os.WriteFile(filepath.Join(dir, "upload.yaml"), []byte(readmeUpload(t, string(readme))), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Dir(netsimBin) + string(os.PathListSeparator) + os.Getenv("PATH")
	seen := map[string]bool{}
	checked := 0
	for _, ex := range examples {
		if seen[ex.cmd] {
			continue
		}
		seen[ex.cmd] = true
		placeholder := false
		for _, p := range placeholders {
			placeholder = placeholder || strings.Contains(ex.cmd, " "+p)
		}
		if placeholder {
			continue
		}
		t.Run(ex.cmd, func(t *testing.T) {
			args := strings.Fields(ex.cmd)
			capture := ""
			for i, a := range args {
				if a == "-w" && i+1 < len(args) {
					capture = args[i+1]
				}
			}
			if capture == "" || capture == "-" {
				capture = "example.pcapng"
				args = append(args, "-w", capture)
			}
			// -q would hide the summary that counts the losses.
			args = slicesDelete(args, "-q")
			var stdout, stderr bytes.Buffer
			cmd := exec.Command("sh", "-c", strings.Join(args, " "))
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+path)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			// A scenario whose expectations a lossy run does not meet exits 1
			// and still writes its capture (a sweep's reproduction line is
			// such a run): what it lost is still there to count.
			if err := cmd.Run(); err != nil {
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), ": expect: ") {
					t.Fatalf("%s: %s: %v: %s", ex.where, ex.cmd, err, stderr.String())
				}
			}
			lost := 0
			for _, m := range lostSummary.FindAllStringSubmatch(stderr.String(), -1) {
				n, _ := strconv.Atoi(m[1])
				lost += n
			}
			retrans, err := dfilter.CountFile(filepath.Join(dir, capture), "tcp.analysis.retransmission")
			if err != nil {
				t.Fatal(err)
			}
			if lost == 0 {
				// A failed run prints no summary: count the frames noted
				// lost (pcapng), else only the retransmissions can tell (pcap).
				if lost, err = dfilter.CountFile(filepath.Join(dir, capture), `frame.comment contains "lost"`); err != nil {
					t.Fatal(err)
				}
				if lost == 0 && !strings.Contains(stderr.String(), "frame(s) sent") && strings.HasSuffix(capture, ".pcap") {
					lost = retrans
				}
			}
			if lost == 0 || retrans == 0 {
				t.Errorf("%s: %s loses %d frame(s), with %d retransmission(s): the example shows no loss (stderr: %s)", ex.where, ex.cmd, lost, retrans, stderr.String())
			}
			t.Logf("%s: %d lost, %d retransmissions", ex.where, lost, retrans)
		})
		checked++
	}
	t.Logf("%d lossy examples run", checked)
}

// slicesDelete returns s without the elements equal to v.
func slicesDelete(s []string, v string) []string {
	out := s[:0:0]
	for _, e := range s {
		if e != v {
			out = append(out, e)
		}
	}
	return out
}

// readmeText returns the repository's README.md.
func readmeText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readmeFilterRow is a row of README's table of the book's filters.
var readmeFilterRow = regexp.MustCompile("^\\| ([1-9]) \\| `([^`]+)` \\| [^|]+ \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\|$")

// TestREADMEBookFilters: README's table of the book's nine filters gives
// the frames `netsim help book` gives, which TestBookFilters checks against
// real runs with dfilter and tshark.
func TestREADMEBookFilters(t *testing.T) {
	en, err := bookText("en")
	if err != nil {
		t.Fatal(err)
	}
	want := bookFilters(t, "book/en.md", en)
	var got []bookFilter
	for i, line := range strings.Split(readmeText(t), "\n") {
		m := readmeFilterRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := bookFilter{line: i + 1, filter: m[2]}
		for j := range f.frames {
			frames, err := parseFrames(strings.TrimSpace(m[3+j]))
			if err != nil {
				t.Errorf("README.md:%d: %v", i+1, err)
			}
			f.frames[j] = frames
		}
		got = append(got, f)
	}
	if len(got) != len(want) {
		t.Fatalf("README.md has %d rows of the book's filters, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].filter != want[i].filter || fmt.Sprint(got[i].frames) != fmt.Sprint(want[i].frames) {
			t.Errorf("README.md:%d: %q selects %v, book/en.md says %q %v", got[i].line, got[i].filter, got[i].frames, want[i].filter, want[i].frames)
		}
	}
}

// wallTime is the part of netsim's summary line that changes from run to
// run.
var wallTime = regexp.MustCompile(`, [0-9.]+(ns|µs|ms|s) wall \(simulated/wall [0-9.e+-]+\)`)

// TestREADMETranscripts runs the `$ netsim ...` commands of README's
// unlabelled code blocks, in order, in one directory (`go run ./cmd/netsim`
// is the netsim under test), and compares what they print with what README
// shows: standard output, then standard error, with the wall-clock time of
// netsim's summary line left out. A command with a comment (`# with ...`)
// runs a changed file and is skipped; tshark's are run when tshark is
// installed.
func TestREADMETranscripts(t *testing.T) {
	readme := readmeText(t)
	dir := scratchDir(t)
	if err := os.WriteFile(filepath.Join(dir, "upload.yaml"), []byte(readmeUpload(t, readme)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, tsharkErr := exec.LookPath("tshark")
	path := filepath.Dir(netsimBin) + string(os.PathListSeparator) + os.Getenv("PATH")
	lines := strings.Split(readme, "\n")
	ran := 0
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```") {
			continue
		}
		unlabelled := lines[i] == "```"
		start := i + 1
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
		}
		if !unlabelled {
			continue
		}
		block := strings.Join(lines[start:i], "\n")
		for _, tr := range transcripts(block) {
			tr.line += start
			if strings.Contains(tr.cmd, "#") || (strings.HasPrefix(tr.cmd, "tshark") && tsharkErr != nil) {
				continue
			}
			cmdline := strings.Replace(tr.cmd, "go run ./cmd/netsim", "netsim", 1)
			var stdout, stderr bytes.Buffer
			cmd := exec.Command("sh", "-c", cmdline)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+path)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Run()
			var all []string
			for _, s := range []string{stdout.String(), wallTime.ReplaceAllString(stderr.String(), ", WALL")} {
				if s = strings.TrimRight(s, "\n"); s != "" {
					for _, l := range strings.Split(s, "\n") {
						all = append(all, strings.TrimRight(l, " "))
					}
				}
			}
			want := make([]string, len(tr.out))
			for j, l := range tr.out {
				want[j] = wallTime.ReplaceAllString(l, ", WALL")
			}
			// tshark's own complaints (running as root) are not README's.
			all = slicesFilter(all, func(l string) bool { return !strings.HasPrefix(l, "Running as user") })
			if !slices.Equal(all, want) && !slices.Equal(strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n"), want) {
				t.Errorf("README.md:%d: $ %s\nprints:\n%s\nREADME shows:\n%s", tr.line, tr.cmd, strings.Join(all, "\n"), strings.Join(want, "\n"))
			}
			ran++
		}
	}
	if ran < 5 {
		t.Errorf("only %d README commands run", ran)
	}
}

// slicesFilter returns the elements of s that keep accepts.
func slicesFilter(s []string, keep func(string) bool) []string {
	var out []string
	for _, e := range s {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// TestHelpExamplesRun runs, in order and in one directory, every example
// of `netsim help` (a later one may read what an earlier one wrote), but
// those that name a placeholder file of the reader's; each must succeed.
func TestHelpExamplesRun(t *testing.T) {
	_, usage, _ := cli("", "help")
	_, examples, ok := strings.Cut(usage, "\nExamples:\n")
	if !ok {
		t.Fatalf("netsim help has no examples: %q", usage)
	}
	examples, _, _ = strings.Cut(examples, "\n\n")
	dir := scratchDir(t)
	path := filepath.Dir(netsimBin) + string(os.PathListSeparator) + os.Getenv("PATH")
	ran := 0
	for _, line := range strings.Split(examples, "\n") {
		cmdline, _, _ := strings.Cut(strings.TrimSpace(line), "   ")
		if !strings.HasPrefix(cmdline, "netsim ") || slices.ContainsFunc(placeholders, func(p string) bool { return strings.Contains(cmdline, " "+p) }) {
			continue
		}
		cmd := exec.Command("sh", "-c", cmdline)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+path)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("netsim help's example %q: %v: %s", cmdline, err, out)
		}
		ran++
	}
	if ran < 4 {
		t.Errorf("only %d of netsim help's examples run", ran)
	}
}
