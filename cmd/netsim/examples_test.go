package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	for _, args := range [][]string{{"help"}, {"run", "-h"}, {"check", "-h"}, {"help", "scenario"}, {"help", "book"}, {"help", "book", "--lang", "ru"}} {
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
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %s: %v: %s", ex.where, ex.cmd, err, stderr.String())
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
