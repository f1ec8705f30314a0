package readcompare

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/dissect"
)

var update = flag.Bool("update", false, "regenerate testdata/golden from tshark")

// golden is tshark's output for one corpus capture, as committed: the
// summary lines one a line, each filter's frames as one string.
type golden struct {
	Tshark  string         `json:"tshark"`
	Err     string         `json:"err,omitempty"`
	Lines   []string       `json:"lines"`
	Filters []goldenFilter `json:"filters"`
}

// goldenFilter is one filter's selection: frame numbers, comma-separated,
// or "ERR" when tshark rejects the filter.
type goldenFilter struct {
	Filter string `json:"filter"`
	Frames string `json:"frames"`
}

func toGolden(version string, o *Output) *golden {
	g := &golden{Tshark: version, Err: o.Err, Lines: o.Lines}
	for i, f := range Filters {
		sel := o.Selections[i]
		s := "ERR"
		if sel.Valid {
			nums := make([]string, len(sel.Frames))
			for j, n := range sel.Frames {
				nums[j] = strconv.Itoa(n)
			}
			s = strings.Join(nums, ",")
		}
		g.Filters = append(g.Filters, goldenFilter{f, s})
	}
	return g
}

// output turns a golden back into tshark's [Output].
func (g *golden) output(t *testing.T) *Output {
	t.Helper()
	o := &Output{Lines: g.Lines, Err: g.Err}
	for _, f := range g.Filters {
		if f.Frames == "ERR" {
			o.Selections = append(o.Selections, Selection{})
			continue
		}
		sel := Selection{Valid: true}
		if f.Frames != "" {
			for _, s := range strings.Split(f.Frames, ",") {
				n, err := strconv.Atoi(s)
				if err != nil {
					t.Fatalf("golden: filter %q: frames %q", f.Filter, f.Frames)
				}
				sel.Frames = append(sel.Frames, n)
			}
		}
		o.Selections = append(o.Selections, sel)
	}
	return o
}

// corpusFiles returns the committed captures: testdata/corpus/*/*.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := Captures([]string{"testdata/corpus"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("testdata/corpus holds %d captures, want 20 or more", len(files))
	}
	return files
}

// goldenPath maps testdata/corpus/DIR/NAME to testdata/golden/DIR/NAME.json.
func goldenPath(capture string) string {
	rel, _ := filepath.Rel("testdata/corpus", capture)
	return filepath.Join("testdata/golden", rel+".json")
}

func readGolden(t *testing.T, capture string) *golden {
	t.Helper()
	b, err := os.ReadFile(goldenPath(capture))
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./internal/readcompare -run TestGoldensMatchTshark -update)", err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", goldenPath(capture), err)
	}
	var names []string
	for _, f := range g.Filters {
		names = append(names, f.Filter)
	}
	if !slices.Equal(names, Filters) {
		t.Fatalf("%s was made for another filter list; regenerate with go test ./internal/readcompare -run TestGoldensMatchTshark -update", goldenPath(capture))
	}
	return &g
}

// floors reads testdata/floor.txt: "NAME PERCENT" lines.
func floors(t *testing.T) map[string]float64 {
	t.Helper()
	f, err := os.Open("testdata/floor.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if !ok || err != nil {
			t.Fatalf("testdata/floor.txt:%d: %q: want NAME PERCENT", n, line)
		}
		m[name] = v
	}
	for _, k := range []string{"lines", "pairs"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("testdata/floor.txt has no %q floor", k)
		}
	}
	return m
}

// TestAgreement compares netsim's reader with tshark's committed outputs on
// the corpus and fails when the share of equal summary lines or of equal
// (capture, filter) selections falls below testdata/floor.txt. It needs no
// tshark: TestGoldensMatchTshark keeps the goldens honest.
func TestAgreement(t *testing.T) {
	files := corpusFiles(t)
	var results []*FileResult
	for _, c := range files {
		g := readGolden(t, c)
		ours, err := InProcess{Names: macNames(t)}.Read(c, Filters)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		results = append(results, Compare(c, LinkType(c), g.output(t), ours, Filters))
	}
	s := Summarize("", results)
	fl := floors(t)
	t.Logf("summary lines equal: %s; filter pairs equal: %s", s.Lines, s.Pairs)
	if testing.Verbose() {
		var sb strings.Builder
		(&Report{Tshark: "goldens in testdata/golden", Netsim: "in-process", Groups: []*Summary{s}, Results: results}).WriteText(&sb, 15, 15)
		t.Log("\n" + sb.String())
	}
	check := func(name string, r Ratio) {
		floor := fl[name]
		switch got := r.Percent(); {
		case got < floor:
			t.Errorf("%s agreement %s fell below the floor of %.2f%% in testdata/floor.txt", name, r, floor)
		case got >= floor+0.5:
			t.Logf("%s agreement %.2f%% is above the floor of %.2f%%: raise testdata/floor.txt", name, got, floor)
		}
	}
	check("lines", s.Lines)
	check("pairs", s.Pairs)
}

// TestGoldensMatchTshark re-runs tshark on the corpus and checks that the
// committed outputs are still what it prints; with -update it rewrites
// them. It fails, rather than skips, without tshark when
// NETSIM_REQUIRE_TSHARK=1 (CI).
func TestGoldensMatchTshark(t *testing.T) {
	if testing.Short() && !*update {
		t.Skip("runs tshark once per corpus capture; not with -short")
	}
	path := tsharktest.Path(t)
	// With -update, $READCOMPARE_CACHE may name scripts/readcompare's
	// cache, so that regenerating costs no tshark run it already made.
	cache := ""
	if *update {
		cache = os.Getenv("READCOMPARE_CACHE")
	}
	ts, err := NewTshark(path, cache)
	if err != nil {
		t.Fatal(err)
	}
	sem := make(chan struct{}, tsharktest.Jobs)
	for _, c := range corpusFiles(t) {
		t.Run(strings.TrimPrefix(c, "testdata/corpus/"), func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			out, err := ts.Read(c, Filters)
			<-sem
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				b, err := json.MarshalIndent(toGolden(ts.Version, out), "", " ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Dir(goldenPath(c)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(goldenPath(c), append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			g := readGolden(t, c).output(t)
			if g.Err != out.Err {
				t.Errorf("tshark's complaint is now %q, the golden says %q", out.Err, g.Err)
			}
			if len(out.Lines) != len(g.Lines) {
				t.Errorf("tshark prints %d lines, the golden %d", len(out.Lines), len(g.Lines))
			}
			for i := range min(len(out.Lines), len(g.Lines)) {
				if out.Lines[i] != g.Lines[i] {
					t.Errorf("line %d:\ntshark: %s\ngolden: %s", i+1, out.Lines[i], g.Lines[i])
					break
				}
			}
			for i, f := range Filters {
				if out.Selections[i].Valid != g.Selections[i].Valid || !slices.Equal(out.Selections[i].Frames, g.Selections[i].Frames) {
					t.Errorf("%q: tshark selects %v (valid %v), the golden %v (valid %v)", f,
						out.Selections[i].Frames, out.Selections[i].Valid, g.Selections[i].Frames, g.Selections[i].Valid)
				}
			}
		})
	}
}

// TestBinaryMatchesInProcess builds netsim and checks that `netsim read`
// prints what the in-process reader gives, so that figures measured either
// way are the same.
func TestBinaryMatchesInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/netsim; not with -short")
	}
	bin := filepath.Join(t.TempDir(), "netsim")
	if out, err := exec.Command("go", "build", "-o", bin, "netsim.dev/cmd/netsim").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	files := corpusFiles(t)
	// A handful, spread over the corpus: each filter costs a process.
	var pick []string
	for i := 0; i < len(files); i += max(1, len(files)/6) {
		pick = append(pick, files[i])
	}
	filters := []string{"tcp", "udp.port==53", "tcp.analysis.retransmission", "no_such_field"}
	var wg sync.WaitGroup
	for _, c := range pick {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, err := InProcess{Names: macNames(t)}.Read(c, filters)
			if err != nil {
				t.Error(err)
				return
			}
			ex, err := Binary{Path: bin}.Read(c, filters)
			if err != nil {
				t.Error(err)
				return
			}
			if !slices.Equal(in.Lines, ex.Lines) {
				t.Errorf("%s: netsim read prints other lines than the in-process reader", c)
			}
			for i, f := range filters {
				if in.Selections[i].Valid != ex.Selections[i].Valid || !slices.Equal(in.Selections[i].Frames, ex.Selections[i].Frames) {
					t.Errorf("%s: %q: netsim read selects %+v, the in-process reader %+v", c, f, ex.Selections[i], in.Selections[i])
				}
			}
		}()
	}
	wg.Wait()
}

// macNames is Wireshark's installed manuf file, which tshark used for the
// goldens' MAC names (`netsim read` reads it the same way). Without it the
// comparison would count every named MAC as a difference: the test fails
// where tshark is required (CI) and skips elsewhere.
func macNames(t *testing.T) *dissect.MACNames {
	t.Helper()
	n := dissect.SystemMACNames()
	if n == nil {
		if os.Getenv("NETSIM_REQUIRE_TSHARK") != "" {
			t.Fatal("no Wireshark manuf file found (install tshark): the goldens name MAC vendors from it")
		}
		t.Skip("no Wireshark manuf file found (install tshark): the goldens name MAC vendors from it")
	}
	return n
}
