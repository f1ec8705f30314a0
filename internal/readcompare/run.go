package readcompare

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Captures expands paths (files and directories, searched recursively)
// into the capture files they hold: names ending in .pcap, .pcapng, .cap,
// .pcap.gz excepted (compressed captures are skipped), sorted.
func Captures(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".pcap", ".pcapng", ".cap", ".ntar":
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Config says what [Run] compares.
type Config struct {
	Tshark  *Tshark
	Netsim  Reader
	Filters []string
	// Jobs is how many captures are compared at once (tshark processes
	// running at a time); 0 means 2.
	Jobs int
	// Progress, when not nil, is called after each capture.
	Progress func(done, total int, r *FileResult)
}

// Job is one capture to compare, with its group name.
type Job struct {
	Path  string
	Group string
}

// Run compares every job's capture and returns the results in the order of
// jobs, and the errors of the readers that failed on a capture (joined).
// Every capture gives a result, even one a reader failed on.
func Run(cfg Config, jobs []Job) ([]*FileResult, error) {
	n := cfg.Jobs
	if n <= 0 {
		n = 2
	}
	results := make([]*FileResult, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], errs[i] = one(cfg, jobs[i])
				if cfg.Progress != nil {
					mu.Lock()
					done++
					cfg.Progress(done, len(jobs), results[i])
					mu.Unlock()
				}
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results, errors.Join(errs...)
}

// one compares one capture. A reader that fails on it gives an empty
// output with its error, so that one bad capture does not stop the run;
// the error is returned too, to be reported.
func one(cfg Config, j Job) (*FileResult, error) {
	t, terr := cfg.Tshark.Read(j.Path, cfg.Filters)
	if terr != nil {
		t = &Output{Err: terr.Error(), Selections: make([]Selection, len(cfg.Filters))}
	}
	n, nerr := cfg.Netsim.Read(j.Path, cfg.Filters)
	if nerr != nil {
		n = &Output{Err: nerr.Error(), Selections: make([]Selection, len(cfg.Filters))}
	}
	r := Compare(j.Path, LinkType(j.Path), t, n, cfg.Filters)
	r.Group = j.Group
	return r, errors.Join(terr, nerr)
}

// Truncate writes a copy of each capture cut to snapLen bytes a frame
// (`editcap -s snapLen`) into dir and returns the copies' jobs. Captures
// editcap cannot read are left out.
func Truncate(editcap string, files []string, snapLen int, dir string) ([]Job, error) {
	if editcap == "" {
		editcap = "editcap"
	}
	p, err := exec.LookPath(editcap)
	if err != nil {
		return nil, fmt.Errorf("--snaplen needs editcap (apt-get install tshark): %w", err)
	}
	sub := filepath.Join(dir, "s"+strconv.Itoa(snapLen))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return nil, err
	}
	var jobs []Job
	for i, f := range files {
		// Keep names unique and the format (pcap or pcapng) as it was.
		out := filepath.Join(sub, fmt.Sprintf("%04d-%s", i, filepath.Base(f)))
		cmd := exec.Command(p, "-s", strconv.Itoa(snapLen), f, out)
		if b, err := cmd.CombinedOutput(); err != nil {
			_ = b
			os.Remove(out)
			continue
		}
		jobs = append(jobs, Job{Path: out, Group: "snaplen " + strconv.Itoa(snapLen)})
	}
	return jobs, nil
}
