package ladder

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The statements WriteMermaid emits, as Mermaid's sequenceDiagram grammar
// reads them: a participant with an alias, a message (solid line with an
// arrowhead, or with a cross), a note. Text must not hold what Mermaid
// reads as syntax: ';' ends a statement, '#' starts an entity (only
// #NNN; is allowed), '%%' a comment, and a message's text is what follows
// the first ':'.
var (
	mmParticipant = regexp.MustCompile(`^    participant (h[0-9]+) as (.+)$`)
	mmMessage     = regexp.MustCompile(`^    (h[0-9]+)(->>|-x)(h[0-9]+): (.+)$`)
	mmNote        = regexp.MustCompile(`^    Note (right of|left of) (h[0-9]+): (.+)$`)
	mmEntity      = regexp.MustCompile(`#[0-9]+;`)
)

// checkMermaid parses a diagram line by line; it returns the first
// problem, or nil.
func checkMermaid(text string) error {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if lines[0] != "sequenceDiagram" {
		return fmt.Errorf("line 1: %q, want sequenceDiagram", lines[0])
	}
	declared := map[string]bool{}
	messages := false
	okText := func(s string) error {
		rest := mmEntity.ReplaceAllString(s, "")
		switch {
		case strings.ContainsAny(rest, ";#<>\r"):
			return fmt.Errorf("text %q holds ; # < or > outside an entity", s)
		case strings.Contains(rest, "%%"):
			return fmt.Errorf("text %q holds %%%%", s)
		case strings.TrimSpace(s) != s || s == "":
			return fmt.Errorf("text %q is empty or padded", s)
		}
		return nil
	}
	for i, line := range lines[1:] {
		n := i + 2
		if m := mmParticipant.FindStringSubmatch(line); m != nil {
			if messages {
				return fmt.Errorf("line %d: participant after the messages", n)
			}
			if declared[m[1]] {
				return fmt.Errorf("line %d: %s declared twice", n, m[1])
			}
			declared[m[1]] = true
			if err := okText(m[2]); err != nil {
				return fmt.Errorf("line %d: %v", n, err)
			}
			continue
		}
		if m := mmMessage.FindStringSubmatch(line); m != nil {
			messages = true
			if !declared[m[1]] || !declared[m[3]] {
				return fmt.Errorf("line %d: undeclared participant in %q", n, line)
			}
			if err := okText(m[4]); err != nil {
				return fmt.Errorf("line %d: %v", n, err)
			}
			continue
		}
		if m := mmNote.FindStringSubmatch(line); m != nil {
			if !declared[m[2]] {
				return fmt.Errorf("line %d: note on undeclared %s", n, m[2])
			}
			if err := okText(m[3]); err != nil {
				return fmt.Errorf("line %d: %v", n, err)
			}
			continue
		}
		return fmt.Errorf("line %d: not a statement WriteMermaid emits: %q", n, line)
	}
	return nil
}

func TestMermaidSyntax(t *testing.T) {
	for _, g := range goldens {
		l, err := ReadFile(g.capture)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		l.WriteMermaid(&buf, Options{Notes: true})
		if err := checkMermaid(buf.String()); err != nil {
			t.Errorf("%s: %v", g.name, err)
		}
	}
	// Hostile text: comments and names with Mermaid's syntax in them.
	l := hostileLadder()
	var buf bytes.Buffer
	l.WriteMermaid(&buf, Options{Notes: true})
	if err := checkMermaid(buf.String()); err != nil {
		t.Errorf("hostile text: %v\n%s", err, buf.String())
	}
	// The checker itself rejects what Mermaid would misread.
	for _, bad := range []string{
		"sequenceDiagram\n    participant h0 as a\n    h0->>h1: x\n",
		"sequenceDiagram\n    participant h0 as a\n    h0->>h0: x; y\n",
		"sequenceDiagram\n    participant h0 as a\n    h0->>h0: #1\n",
		"flowchart LR\n",
	} {
		if checkMermaid(bad) == nil {
			t.Errorf("checkMermaid accepts %q", bad)
		}
	}
}

// TestMermaidParser parses the golden diagrams and the hostile one with
// Mermaid's own parser (testdata/mermaid-check.mjs, Node with mermaid 11
// and jsdom, no browser) when MERMAID_JS names a directory where they are
// installed (npm install mermaid@11 jsdom). CI does not install them:
// TestMermaidSyntax is the check that always runs.
func TestMermaidParser(t *testing.T) {
	dir := os.Getenv("MERMAID_JS")
	if dir == "" {
		t.Skip("MERMAID_JS not set: npm install mermaid@11 jsdom in DIR, then MERMAID_JS=DIR go test -run MermaidParser")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/*.mmd")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden .mmd files: %v", err)
	}
	tmp := t.TempDir()
	hostile := filepath.Join(tmp, "hostile.mmd")
	var buf bytes.Buffer
	hostileLadder().WriteMermaid(&buf, Options{Notes: true})
	os.WriteFile(hostile, buf.Bytes(), 0o666)
	files = append(files, hostile)
	run := func(files ...string) (string, error) {
		cmd := exec.Command(node, "testdata/mermaid-check.mjs")
		cmd.Args = append(cmd.Args, files...)
		cmd.Env = append(os.Environ(), "MERMAID_JS="+dir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(files...); err != nil {
		t.Errorf("Mermaid's parser: %v\n%s", err, out)
	} else if strings.Count(out, "ok ") != len(files) {
		t.Errorf("Mermaid's parser checked %d of %d files:\n%s", strings.Count(out, "ok "), len(files), out)
	}
	// The parser does reject what WriteMermaid escapes: a raw ';'.
	raw := filepath.Join(tmp, "raw.mmd")
	os.WriteFile(raw, []byte("sequenceDiagram\n    participant h0 as a\n    h0->>h0: x;y z\n"), 0o666)
	if out, err := run(raw); err == nil {
		t.Errorf("Mermaid's parser accepts a raw ';' in a message:\n%s", out)
	}
}

// hostileLadder has names, labels and comments full of Mermaid's syntax.
func hostileLadder() *Ladder {
	return &Ladder{Hosts: []string{"a;b", "c#d%%e"}, Messages: []Message{
		{Frame: 1, From: 0, To: 1, Label: "x;y #1 <b> %% z", Comments: []string{"lost: 5%;\nnext line", "  "}, Lost: true},
		{Frame: 2, From: 1, To: 1, Label: "", Comments: []string{"#"}},
	}}
}
