// Command readcompare measures how far `netsim read` agrees with tshark on
// a set of captures: summary lines (tshark's default output, line by line)
// and, for a fixed list of display filters, the frames each selects.
//
// Usage:
//
//	go run ./scripts/readcompare [flags] FILE-OR-DIR...
//
// By default the netsim reader is the one linked into this program from the
// current checkout (the same packages and loop as `netsim read`, without a
// process per filter); --netsim PATH runs that executable instead
// (`netsim read -r F` and `netsim read -r F -Y FILTER -T fields -e
// frame.number` per filter). tshark's outputs are cached on disk, keyed by
// the capture's sha256, tshark's version, its options and the filter list,
// so a rerun after a change to netsim costs only netsim's time.
//
// Flags:
//
//	--netsim PATH     netsim executable to test (default: in-process)
//	--tshark PATH     tshark executable (default: tshark on $PATH)
//	--cache DIR       tshark output cache (default /tmp/readcompare-cache; "" disables)
//	--jobs N          captures compared at once (default 2)
//	--snaplen N,...   also compare copies cut with editcap -s N
//	--filters FILE    display filters, one a line (default: the built-in list)
//	--json FILE       write the full report as JSON ("-": standard output)
//	--kinds N         kinds of difference listed (default 30)
//	--files N         files listed (default 30)
//	-q                no progress on standard error
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"netsim.dev/internal/readcompare"
	"netsim.dev/netsim/dissect"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("readcompare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	netsim := fs.String("netsim", "", "netsim executable (default: the reader linked into this program)")
	tshark := fs.String("tshark", "", "tshark executable (default: tshark on $PATH)")
	cache := fs.String("cache", filepath.Join(os.TempDir(), "readcompare-cache"), "tshark output cache directory (\"\" disables)")
	jobs := fs.Int("jobs", 2, "captures compared at once")
	snap := fs.String("snaplen", "", "comma-separated snap lengths: also compare copies cut with editcap -s N")
	filterFile := fs.String("filters", "", "file of display filters, one a line (default: built-in list)")
	jsonOut := fs.String("json", "", "write the report as JSON to FILE (\"-\": standard output)")
	kinds := fs.Int("kinds", 30, "kinds of difference to list")
	files := fs.Int("files", 30, "files to list")
	quiet := fs.Bool("q", false, "no progress output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./scripts/readcompare [flags] FILE-OR-DIR...\n\nCompares netsim read with tshark -r on captures: summary lines and display-filter selections.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "readcompare: name at least one capture file or directory")
		return 2
	}
	if *jobs < 1 {
		fmt.Fprintf(stderr, "readcompare: --jobs %d: want 1 or more\n", *jobs)
		return 2
	}
	var snaps []int
	if *snap != "" {
		for _, s := range strings.Split(*snap, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				fmt.Fprintf(stderr, "readcompare: --snaplen %q: want positive numbers, comma-separated\n", *snap)
				return 2
			}
			snaps = append(snaps, n)
		}
	}
	filters := readcompare.Filters
	if *filterFile != "" {
		b, err := os.ReadFile(*filterFile)
		if err != nil {
			fmt.Fprintf(stderr, "readcompare: --filters: %v\n", err)
			return 2
		}
		filters = nil
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				filters = append(filters, l)
			}
		}
	}
	ts, err := readcompare.NewTshark(*tshark, *cache)
	if err != nil {
		fmt.Fprintf(stderr, "readcompare: %v\n", err)
		return 1
	}
	var reader readcompare.Reader = readcompare.InProcess{Names: dissect.SystemMACNames()}
	name := "in-process (this checkout)"
	if *netsim != "" {
		reader = readcompare.Binary{Path: *netsim, Jobs: *jobs}
		name = *netsim
	}
	caps, err := readcompare.Captures(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "readcompare: %v\n", err)
		return 1
	}
	var all []readcompare.Job
	for _, c := range caps {
		all = append(all, readcompare.Job{Path: c})
	}
	if len(snaps) > 0 {
		dir, err := os.MkdirTemp("", "readcompare-snaplen-")
		if err != nil {
			fmt.Fprintf(stderr, "readcompare: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		for _, n := range snaps {
			js, err := readcompare.Truncate("", caps, n, dir)
			if err != nil {
				fmt.Fprintf(stderr, "readcompare: %v\n", err)
				return 1
			}
			all = append(all, js...)
		}
	}
	cfg := readcompare.Config{Tshark: ts, Netsim: reader, Filters: filters, Jobs: *jobs}
	if !*quiet {
		cfg.Progress = func(done, total int, r *readcompare.FileResult) {
			if r != nil && (done%25 == 0 || done == total) {
				fmt.Fprintf(stderr, "readcompare: %d/%d captures\n", done, total)
			}
		}
	}
	results, err := readcompare.Run(cfg, all)
	if err != nil {
		// Reported, and the figures are still worth having.
		fmt.Fprintf(stderr, "readcompare: %v\n", err)
	}
	rep := &readcompare.Report{Tshark: ts.Version, Netsim: name, Results: results}
	groups := map[string][]*readcompare.FileResult{}
	var order []string
	for _, r := range results {
		if _, ok := groups[r.Group]; !ok {
			order = append(order, r.Group)
		}
		groups[r.Group] = append(groups[r.Group], r)
	}
	for _, g := range order {
		rep.Groups = append(rep.Groups, readcompare.Summarize(g, groups[g]))
	}
	if *jsonOut != "" {
		w := stdout
		if *jsonOut != "-" {
			f, err := os.Create(*jsonOut)
			if err != nil {
				fmt.Fprintf(stderr, "readcompare: --json: %v\n", err)
				return 1
			}
			defer f.Close()
			w = f
		}
		if err := rep.WriteJSON(w); err != nil {
			fmt.Fprintf(stderr, "readcompare: --json: %v\n", err)
			return 1
		}
		if *jsonOut == "-" {
			return 0
		}
	}
	rep.WriteText(stdout, *kinds, *files)
	return 0
}
