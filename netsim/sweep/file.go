package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"os"
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
	b, err := os.ReadFile(name)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		lf.Records, lf.Torn, err = Read(name, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		if lf.Torn {
			if err := os.Truncate(name, int64(bytes.LastIndexByte(b, '\n')+1)); err != nil {
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
