// Command gencap writes netsim's generated test captures.
//
//	go run ./netsim/dfilter/internal/gencap -dir DIR        the corpus
//	go run ./netsim/dfilter/internal/gencap -bench N -o F   a capture of at least N frames for benchmarks
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"netsim.dev/netsim/dfilter/internal/corpus"
)

func main() {
	dir := flag.String("dir", "", "write the corpus captures into `DIR`")
	bench := flag.Int("bench", 0, "write a benchmark capture of at least `N` frames")
	out := flag.String("o", "bench.pcap", "benchmark capture `FILE`")
	flag.Parse()
	if err := run(*dir, *bench, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gencap:", err)
		os.Exit(1)
	}
}

func run(dir string, bench int, out string) error {
	if dir != "" {
		for _, c := range corpus.All() {
			if err := os.WriteFile(filepath.Join(dir, c.Name), c.Bytes(), 0o644); err != nil {
				return err
			}
		}
	}
	if bench > 0 {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		n, err := corpus.WriteBench(w, bench)
		if err != nil {
			f.Close()
			return err
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "gencap: wrote %d frames to %s\n", n, out)
	}
	return nil
}
