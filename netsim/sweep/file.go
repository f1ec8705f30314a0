package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// LedgerFile is a ledger file opened by [OpenLedger]: what it held, and a
// [Writer] that appends to it.
type LedgerFile struct {
	*Writer
	// Records are the records the file held when it was opened, in the
	// order of its lines.
	Records []Record
	// Torn is true when the file's last line was cut short (a sweep
	// killed while writing it): OpenLedger cut it off.
	Torn bool
	f    *os.File
}

// OpenLedger opens the ledger file name to resume a sweep: it reads the
// records the file holds, if it exists, cuts off a torn last line, and
// opens it for appending (creating it if need be). A line that is not a
// record, but for a torn last one, is a [*LedgerError], and then the
// file is left as it was.
func OpenLedger(name string) (*LedgerFile, error) {
	lf := &LedgerFile{}
	// The file is read as a stream: a ledger of millions of seeds is not
	// held in memory twice.
	r, err := os.Open(name)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		var tornLen int
		lf.Records, tornLen, err = read(name, r)
		var size int64
		if fi, serr := r.Stat(); serr == nil {
			size = fi.Size()
		} else if err == nil {
			err = serr
		}
		r.Close()
		if err != nil {
			return nil, err
		}
		if lf.Torn = tornLen >= 0; lf.Torn {
			if err := os.Truncate(name, size-int64(tornLen)); err != nil {
				return nil, fmt.Errorf("%s: cutting off its torn last line: %w", name, err)
			}
		}
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	lf.f, lf.Writer = f, NewWriter(f)
	return lf, nil
}

// Close closes the file.
func (lf *LedgerFile) Close() error { return lf.f.Close() }

// Remaining returns the seeds of list that no record of records with
// this name holds, in list's order: what a resumed sweep has left to run.
func Remaining(list []int64, records []Record, name string) []int64 {
	done := make(map[int64]bool, len(records))
	for _, r := range records {
		if r.Name == name {
			done[r.Seed] = true
		}
	}
	left := make([]int64, 0, len(list))
	for _, s := range list {
		if !done[s] {
			left = append(left, s)
		}
	}
	return left
}

// ReadFile reads the ledger file name (see [Read]).
func ReadFile(name string) (records []Record, torn bool, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	return Read(name, f)
}

// WriteFile writes records to the ledger file name, one line each, whole
// or not at all: they go to a temporary file in name's directory, renamed
// to name once written.
func WriteFile(name string, records []Record) error {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".ledger-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
