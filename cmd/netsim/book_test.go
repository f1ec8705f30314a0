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

	"netsim.dev/internal/bookfilters"
	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/dfilter"
)

// transcript is one command of a help text and the output the text shows
// for it.
type transcript struct {
	line int      // the command's line in the text, from 1
	cmd  string   // what follows "$ "
	out  []string // the lines shown under it, indentation removed
	any  bool     // the text shows "..." instead: the output is not compared
}

// transcripts finds the commands of a help text: a line whose first
// non-blank characters are "$ ", and under it, up to a blank line or the
// next command, the lines it prints, indented as the "$".
func transcripts(text string) []transcript {
	var ts []transcript
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimLeft(lines[i], " ")
		if !strings.HasPrefix(trimmed, "$ ") {
			continue
		}
		indent := len(lines[i]) - len(trimmed)
		t := transcript{line: i + 1, cmd: strings.TrimPrefix(trimmed, "$ ")}
		for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" && !strings.HasPrefix(strings.TrimLeft(lines[i+1], " "), "$ ") {
			i++
			l := lines[i]
			if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
				l = l[indent:]
			}
			t.out = append(t.out, strings.TrimRight(l, " "))
		}
		if len(t.out) == 1 && t.out[0] == "..." {
			t.any, t.out = true, nil
		}
		ts = append(ts, t)
	}
	return ts
}

// runTranscripts runs each command with sh in dir, with the netsim under
// test first on PATH, in order (later commands read what earlier ones
// wrote), and reports every output that differs from the text's. A command
// that succeeds is compared on its standard output (netsim's summary on
// standard error has a wall-clock time); one that fails, on both.
func runTranscripts(t *testing.T, name, dir string, ts []transcript) (outputs [][]string) {
	t.Helper()
	path := filepath.Dir(netsimBin) + string(os.PathListSeparator) + os.Getenv("PATH")
	for _, tr := range ts {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command("sh", "-c", tr.cmd)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+path)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		got := stdout.String()
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatalf("%s:%d: %s: %v", name, tr.line, tr.cmd, err)
			}
			got += stderr.String()
		}
		if tr.any {
			if err != nil {
				t.Errorf("%s:%d: %s: %v: %s", name, tr.line, tr.cmd, err, stderr.String())
			}
			outputs = append(outputs, nil)
			continue
		}
		var gotLines []string
		if s := strings.TrimRight(got, "\n"); s != "" {
			for _, l := range strings.Split(s, "\n") {
				gotLines = append(gotLines, strings.TrimRight(l, " "))
			}
		}
		outputs = append(outputs, gotLines)
		if !slices.Equal(gotLines, tr.out) && !*update {
			t.Errorf("%s:%d: $ %s\nprints:\n%s\nthe text shows:\n%s", name, tr.line, tr.cmd, strings.Join(gotLines, "\n"), strings.Join(tr.out, "\n"))
		}
	}
	return outputs
}

// scratchDir returns a test directory where testdata/ is the repository's,
// as in a checkout, for the texts' commands to run in.
func scratchDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	td, err := filepath.Abs(filepath.Join("..", "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(td, filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// bookChapterFilters are the chapter's nine display filters, in its order.
var bookChapterFilters = bookfilters.Filters

// bookCaptures are the captures the walkthrough's filter list names, in the
// order of its columns.
var bookCaptures = []string{"netsim tcp", "netsim tcp-multi", "netsim udp", "Linux tcp", "Linux tcp-multi", "Linux udp"}

// bookFilter is one of the walkthrough's filters with the frames it says
// the filter selects in each of bookCaptures.
type bookFilter struct {
	line   int
	filter string
	frames [6][]int
}

var (
	filterHead = regexp.MustCompile(`^  ([1-9])\. (.+)$`)
	filterRow  = regexp.MustCompile(`^     netsim tcp: (.+) · tcp-multi: (.+) · udp: (.+) \| Linux tcp: (.+) · tcp-multi: (.+) · udp: (.+)$`)
)

// parseFrames reads "none" (or "нет"), "1-9", or "4 6 8".
func parseFrames(s string) ([]int, error) {
	if s == "none" || s == "нет" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Fields(s) {
		if a, b, ok := strings.Cut(f, "-"); ok {
			lo, err1 := strconv.Atoi(a)
			hi, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || lo > hi {
				return nil, fmt.Errorf("bad range %q", f)
			}
			for n := lo; n <= hi; n++ {
				out = append(out, n)
			}
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bad frame number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// bookFilters finds the numbered filters of a walkthrough and the frames
// each is said to select.
func bookFilters(t *testing.T, name, text string) []bookFilter {
	t.Helper()
	var fs []bookFilter
	lines := strings.Split(text, "\n")
	for i := 0; i+1 < len(lines); i++ {
		m := filterHead.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		r := filterRow.FindStringSubmatch(lines[i+1])
		if r == nil {
			t.Errorf("%s:%d: filter %q is not followed by the frames it selects (netsim tcp: ... | Linux tcp: ...)", name, i+2, m[2])
			continue
		}
		f := bookFilter{line: i + 1, filter: m[2]}
		for j := range f.frames {
			frames, err := parseFrames(r[j+1])
			if err != nil {
				t.Errorf("%s:%d: %v", name, i+2, err)
			}
			f.frames[j] = frames
		}
		fs = append(fs, f)
	}
	return fs
}

// TestBookTranscripts runs every command of `netsim help book`, in English
// and in Russian, and compares what it prints with what the text shows.
func TestBookTranscripts(t *testing.T) {
	for _, lang := range bookLangs {
		t.Run(lang, func(t *testing.T) {
			text, err := bookText(lang)
			if err != nil {
				t.Fatal(err)
			}
			ts := transcripts(text)
			if len(ts) < 10 {
				t.Fatalf("book/%s.md: only %d commands found", lang, len(ts))
			}
			// An empty directory, as on a machine with only the netsim
			// binary: the texts' commands must not need a checkout.
			outputs := runTranscripts(t, "book/"+lang+".md", t.TempDir(), ts)
			if *update {
				rewriteOutputs(t, filepath.Join("book", lang+".md"), text, ts, outputs)
			}
		})
	}
}

// TestBookTextsAgree: the two languages run the same commands and give the
// same filters with the same frames.
func TestBookTextsAgree(t *testing.T) {
	en, _ := bookText("en")
	ru, _ := bookText("ru")
	// The explanations are in the text's language (--lang ru): the
	// commands are the same but for that flag, and the output that shows
	// explanations (--explain, --ladder-notes) is not.
	cmds := func(text string) []string {
		var out []string
		for _, tr := range transcripts(text) {
			cmd := strings.Replace(tr.cmd, " --lang ru", "", 1)
			if strings.Contains(cmd, "--explain") || strings.Contains(cmd, "--ladder-notes") {
				out = append(out, cmd)
				continue
			}
			out = append(out, cmd+"\n"+strings.Join(tr.out, "\n"))
		}
		return out
	}
	if a, b := cmds(en), cmds(ru); !slices.Equal(a, b) {
		t.Errorf("the commands and outputs of book/en.md and book/ru.md differ:\nen: %q\nru: %q", a, b)
	}
	fe, fr := bookFilters(t, "book/en.md", en), bookFilters(t, "book/ru.md", ru)
	if len(fe) != len(fr) {
		t.Fatalf("book/en.md has %d filters, book/ru.md %d", len(fe), len(fr))
	}
	for i := range fe {
		if fe[i].filter != fr[i].filter || fmt.Sprint(fe[i].frames) != fmt.Sprint(fr[i].frames) {
			t.Errorf("filter %d: en %q %v, ru %q %v", i+1, fe[i].filter, fe[i].frames, fr[i].filter, fr[i].frames)
		}
	}
}

// TestBookFilters: the walkthrough gives the chapter's nine filters, and the
// frames it says each selects are the frames netsim's dfilter and tshark
// select on the demos' captures (made by the netsim under test) and on the
// Linux reference captures.
func TestBookFilters(t *testing.T) {
	dir := t.TempDir()
	paths := make([]string, len(bookCaptures))
	for i, d := range []string{"tcp", "tcp-multi", "udp"} {
		paths[i] = filepath.Join(dir, d+".pcap")
		if out, err := exec.Command(netsimBin, "run", d, "-q", "-w", paths[i]).CombinedOutput(); err != nil {
			t.Fatalf("netsim run %s: %v: %s", d, err, out)
		}
	}
	for i, f := range []string{"linux-lo-tcp.pcap", "linux-lo-tcp-multi.pcap", "linux-lo-udp.pcap"} {
		paths[3+i] = filepath.Join("..", "..", "testdata", "reference", f)
	}
	for _, lang := range bookLangs {
		text, err := bookText(lang)
		if err != nil {
			t.Fatal(err)
		}
		name := "book/" + lang + ".md"
		fs := bookFilters(t, name, text)
		var got []string
		for _, f := range fs {
			got = append(got, f.filter)
		}
		if !slices.Equal(got, bookChapterFilters) {
			t.Fatalf("%s: the filters are\n%q\nwant the chapter's nine:\n%q", name, got, bookChapterFilters)
		}
		for _, f := range fs {
			for j, p := range paths {
				sel, err := dfilter.MatchFile(p, f.filter)
				if err != nil {
					t.Fatalf("%s:%d: %v", name, f.line, err)
				}
				if !slices.Equal(sel, f.frames[j]) {
					t.Errorf("%s:%d: %q selects %v in %s (dfilter), the text says %v", name, f.line, f.filter, sel, bookCaptures[j], f.frames[j])
				}
			}
		}
	}
	tsharktest.Path(t)
	for j, p := range paths {
		for i, sel := range tsharktest.Select(t, p, nil, bookChapterFilters...) {
			text, _ := bookText("en")
			want := bookFilters(t, "book/en.md", text)[i].frames[j]
			if !slices.Equal(sel, want) {
				t.Errorf("tshark: %q selects %v in %s, the text says %v", bookChapterFilters[i], sel, bookCaptures[j], want)
			}
		}
	}
}

// TestHelpBook: netsim help book prints the English text, --lang ru the
// Russian one; an unknown language is a usage error that names the two.
func TestHelpBook(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"help", "book"}, 0, "Practical Video Game Bots"},
		{[]string{"help", "book", "--lang", "ru"}, 0, "Боты для компьютерных игр"},
		{[]string{"help", "book", "--lang=en"}, 0, "STEP 1."},
		{[]string{"help", "book", "-h"}, 0, "Usage: netsim help book"},
		{[]string{"help"}, 0, "netsim help book"},
	} {
		code, stdout, stderr := cli("", c.args...)
		if code != c.code || !strings.Contains(stdout, c.out) {
			t.Errorf("netsim %s: exit %d, stdout %.200q, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stdout, stderr, c.code, c.out)
		}
	}
	code, _, stderr := cli("", "help", "book", "--lang", "de")
	if code != 2 || stderr != "netsim help book: --lang \"de\": the walkthrough is in en and ru\n" {
		t.Errorf("netsim help book --lang de: exit %d, stderr %q", code, stderr)
	}
	ru, _ := bookText("ru")
	if !strings.Contains(ru, "ШАГ 1.") {
		t.Errorf("book/ru.md is not in Russian")
	}
}

var (
	// A row of step 2's table: the book's packet, netsim's frame, who
	// sends it, its flags and numbers.
	mapRow = regexp.MustCompile(`^    (\d+|-) {2,8}(\d+) {2,}(?:client|server|клиент|сервер) (\[[A-Z, ]+\])((?: (?:Seq|Ack|Len)=\d+)*)`)
	// A row of step 7's table: Linux's frame, then netsim's, each with
	// who sends it, its flags and numbers.
	teardownRow = regexp.MustCompile(`^    (?:(\d+)  (?:client|server|клиент|сервер) (\[[A-Z, ]+\])((?: (?:Seq|Ack|Len)=\d+)*)|-) +(\d+)  (?:client|server|клиент|сервер) (\[[A-Z, ]+\])((?: (?:Seq|Ack|Len)=\d+)*)$`)
)

// listing returns `netsim read -r path`'s lines, one per frame.
func listing(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command(netsimBin, "read", "-r", path).Output()
	if err != nil {
		t.Fatalf("netsim read -r %s: %v", path, err)
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// checkFrame reports whether frame n of a listing has the flags and every
// Seq=, Ack=, Len= the text gives.
func checkFrame(t *testing.T, where string, lst []string, capture string, n int, flags, nums string) {
	t.Helper()
	if n < 1 || n > len(lst) {
		t.Errorf("%s: %s has no frame %d", where, capture, n)
		return
	}
	line := lst[n-1]
	if !strings.Contains(line, "] "+flags+" ") && !strings.Contains(line, " "+flags+" ") {
		t.Errorf("%s: frame %d of %s is not %s: %s", where, n, capture, flags, line)
	}
	for _, f := range strings.Fields(nums) {
		if !strings.Contains(line, " "+f+" ") {
			t.Errorf("%s: frame %d of %s has no %s: %s", where, n, capture, f, line)
		}
	}
}

// TestBookFrameTables: the tables that pair the book's packets (Linux's
// frames) with netsim's give each frame's real flags, Seq, Ack and Len.
func TestBookFrameTables(t *testing.T) {
	dir := t.TempDir()
	tcp := filepath.Join(dir, "tcp.pcap")
	if out, err := exec.Command(netsimBin, "run", "tcp", "-q", "-w", tcp).CombinedOutput(); err != nil {
		t.Fatalf("netsim run tcp: %v: %s", err, out)
	}
	netsimList := listing(t, tcp)
	linuxList := listing(t, filepath.Join("..", "..", "testdata", "reference", "linux-lo-tcp.pcap"))
	for _, lang := range bookLangs {
		text, err := bookText(lang)
		if err != nil {
			t.Fatal(err)
		}
		maps, teardowns := 0, 0
		for i, line := range strings.Split(text, "\n") {
			where := fmt.Sprintf("book/%s.md:%d", lang, i+1)
			if m := mapRow.FindStringSubmatch(line); m != nil {
				maps++
				n, _ := strconv.Atoi(m[2])
				checkFrame(t, where, netsimList, "netsim's tcp", n, m[3], m[4])
				if m[1] != "-" {
					// The book numbers its packets from 10.
					b, _ := strconv.Atoi(m[1])
					checkFrame(t, where, linuxList, "Linux's tcp", b-9, m[3], "")
				}
			}
			if m := teardownRow.FindStringSubmatch(line); m != nil {
				teardowns++
				if m[1] != "" {
					l, _ := strconv.Atoi(m[1])
					checkFrame(t, where, linuxList, "Linux's tcp", l, m[2], m[3])
				}
				n, _ := strconv.Atoi(m[4])
				checkFrame(t, where, netsimList, "netsim's tcp", n, m[5], m[6])
			}
		}
		if maps != 9 || teardowns != 4 {
			t.Errorf("book/%s.md: %d rows pair the book's packets with netsim's frames (want 9), %d rows compare the teardowns (want 4)", lang, maps, teardowns)
		}
	}
}

// rewriteOutputs writes text to path with each transcript's output replaced
// by what the command printed (go test -run TestBookTranscripts -update),
// indented as its command.
func rewriteOutputs(t *testing.T, path, text string, ts []transcript, outputs [][]string) {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i := len(ts) - 1; i >= 0; i-- {
		tr := ts[i]
		if tr.any {
			continue
		}
		indent := strings.Repeat(" ", len(lines[tr.line-1])-len(strings.TrimLeft(lines[tr.line-1], " ")))
		var repl []string
		for _, l := range outputs[i] {
			repl = append(repl, strings.TrimRight(indent+l, " "))
		}
		lines = slices.Concat(lines[:tr.line], repl, lines[tr.line+len(tr.out):])
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBookReference: the Linux captures netsim help book --reference
// writes are testdata/reference's, byte for byte; a second run leaves them
// be, and a different file of the same name is not replaced.
func TestBookReference(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ref")
	for range 2 {
		code, stdout, stderr := sweepCmd(t, t.TempDir(), nil, "help", "book", "--reference", dir)
		if code != 0 || !strings.HasPrefix(stdout, "the book's exchanges captured on Linux: ") {
			t.Fatalf("exit %d: %s%s", code, stdout, stderr)
		}
	}
	for _, name := range bookReferenceFiles {
		want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reference", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v: not testdata/reference's bytes", name, err)
		}
	}
	other := filepath.Join(dir, bookReferenceFiles[1])
	if err := os.WriteFile(other, []byte("mine"), 0o666); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, bookReferenceFiles[0]))
	code, _, stderr := sweepCmd(t, t.TempDir(), nil, "help", "book", "--reference", dir)
	if code != 1 || !strings.Contains(stderr, "exists and is another file: not replaced") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(other); string(b) != "mine" {
		t.Error("the other file was replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, bookReferenceFiles[0])); err == nil {
		t.Error("a refused --reference wrote a file")
	}
}
