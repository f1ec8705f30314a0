package sweep

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Record is what one seed's run did: one line of a ledger, as JSON. Two
// runs of the same seed with the same netsim give the same Record apart
// from Wall, on any machine: [Compare] checks it.
type Record struct {
	// Name names what ran when one ledger holds several things run over
	// the same seeds: netsimtest writes the Go test's name ("TestUpload");
	// netsim sweep writes the scenario's name, a digest of its file
	// and the flags that set up each run ("book-tcp (dea4f73a8895)
	// --loss 5%"), so that it resumes only its own records. [Merge] and
	// [Compare] match records by Name and Seed.
	Name string `json:"name,omitempty"`
	// Seed is the run's seed.
	Seed int64 `json:"seed"`
	// Pass is true when the run went to its end without an error and met
	// every expectation.
	Pass bool `json:"pass"`
	// Failure is, when Pass is false, the first failure, one line: the
	// first unmet expectation, a step's error, a deadlock, or the worker
	// process's death (then Crashed is true).
	Failure string `json:"failure,omitempty"`
	// Crashed is true when the worker process running the seed died.
	Crashed bool `json:"crashed,omitempty"`
	// SHA256 is the capture's sha256, in hex ("" when the run wrote none).
	SHA256 string `json:"sha256,omitempty"`
	// Frames is the number of frames the run captured.
	Frames int `json:"frames"`
	// SimNS is the virtual time the run took, in nanoseconds.
	SimNS int64 `json:"sim_ns"`
	// WallNS is the wall-clock time the run took, in nanoseconds: the one
	// field that differs between machines ([Compare] ignores it).
	WallNS int64 `json:"wall_ns"`
	// Version is the version of netsim that ran the seed.
	Version string `json:"version"`
}

// Sim returns r's virtual time.
func (r Record) Sim() time.Duration { return time.Duration(r.SimNS) }

// Wall returns r's wall-clock time.
func (r Record) Wall() time.Duration { return time.Duration(r.WallNS) }

// fields lists the fields [Compare] and [Merge] compare, by their JSON
// names, with their values as text.
func (r Record) fields() [][2]string {
	return [][2]string{
		{"pass", strconv.FormatBool(r.Pass)},
		{"failure", strconv.Quote(r.Failure)},
		{"crashed", strconv.FormatBool(r.Crashed)},
		{"sha256", r.SHA256},
		{"frames", strconv.Itoa(r.Frames)},
		{"sim_ns", strconv.FormatInt(r.SimNS, 10)},
		{"version", strconv.Quote(r.Version)},
	}
}

// differ returns the name and the two values of the first field in
// which a and b differ, Wall aside, or "" when they agree.
func differ(a, b Record) (field, va, vb string) {
	fa, fb := a.fields(), b.fields()
	for i := range fa {
		if fa[i][1] != fb[i][1] {
			return fa[i][0], fa[i][1], fb[i][1]
		}
	}
	return "", "", ""
}

// Writer writes a ledger: one JSON line per [Record], each written with
// one Write call as soon as it is given, so that a ledger cut short (an
// interrupted sweep, a machine that went down) holds every record written
// before, whole. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf bytes.Buffer
}

// NewWriter returns a Writer that writes to w (an *os.File opened with
// O_APPEND, typically: an existing ledger is added to).
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes r as one line.
func (lw *Writer) Write(r Record) error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.buf.Reset()
	if err := json.NewEncoder(&lw.buf).Encode(r); err != nil {
		return err
	}
	_, err := lw.w.Write(lw.buf.Bytes())
	return err
}

// LedgerError is an error of [Read]: a line that is not a record.
type LedgerError struct {
	// Name is the ledger's name, as given to Read; Line is the line's
	// number, from 1.
	Name string
	Line int
	Err  error
}

// Error says which line of which ledger is not a record, and why.
func (e *LedgerError) Error() string {
	return fmt.Sprintf("%s:%d: not a ledger record: %v", e.Name, e.Line, e.Err)
}

// Unwrap returns why the line is not a record (a JSON error).
func (e *LedgerError) Unwrap() error { return e.Err }

// Read reads the ledger r, named name in errors: its records in the
// order of its lines. Blank lines are skipped. A last line without its
// newline (a sweep killed while writing it) that is not a whole record is
// dropped, and reported by torn; any other line that is not a record is a
// [*LedgerError].
func Read(name string, r io.Reader) (records []Record, torn bool, err error) {
	records, tornLen, err := read(name, r)
	return records, tornLen >= 0, err
}

// read is Read; tornLen is the length in bytes of a torn last line, or
// -1 when there is none.
func read(name string, r io.Reader) (records []Record, tornLen int, err error) {
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		text, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return records, -1, fmt.Errorf("%s: %w", name, err)
		}
		last := err == io.EOF
		if len(bytes.TrimSpace(text)) > 0 {
			var rec Record
			dec := json.NewDecoder(bytes.NewReader(text))
			dec.DisallowUnknownFields()
			derr := dec.Decode(&rec)
			if derr == nil {
				// One record a line: anything after it (two records run
				// together, a stray byte) is not a record either.
				if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) > 0 {
					derr = fmt.Errorf("%q after the record", bytes.TrimSpace(rest))
				}
			}
			if derr != nil {
				if last {
					return records, len(text), nil
				}
				return records, -1, &LedgerError{Name: name, Line: line, Err: derr}
			}
			records = append(records, rec)
		}
		if last {
			return records, -1, nil
		}
	}
}

// DiffError is what [Compare] returns when two ledgers differ: the first
// seed (in the order of names, then seeds) whose records differ, and the
// first field that does.
type DiffError struct {
	// Name and Seed say whose records differ; Field is the field's JSON
	// name ("seed" when one ledger has no record of it), A and B its
	// values in each ledger (for "seed", the names of the ledger that has
	// the record and of the one that has not).
	Name  string
	Seed  int64
	Field string
	A, B  string
}

// Error names the seed and the field: "seed 137: sha256 differs: A vs B".
func (e *DiffError) Error() string {
	if e.Field == "seed" {
		return fmt.Sprintf("%s: in %s only", seedName(e.Name, e.Seed), e.A)
	}
	return fmt.Sprintf("%s: %s differs: %s vs %s", seedName(e.Name, e.Seed), e.Field, e.A, e.B)
}

// seedName is how messages name a record: "seed 7", "TestX seed 7".
func seedName(name string, seed int64) string {
	if name == "" {
		return fmt.Sprintf("seed %d", seed)
	}
	return fmt.Sprintf("%s seed %d", name, seed)
}

// ConflictError is what [Merge] and [Compare] return for two records of
// the same name and seed that disagree.
type ConflictError struct {
	// Name and Seed say whose records disagree, Field is the first field
	// that differs, A and B its two values.
	Name  string
	Seed  int64
	Field string
	A, B  string
}

// Error names the seed and the field that disagree.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s has two records that disagree: %s %s vs %s", seedName(e.Name, e.Seed), e.Field, e.A, e.B)
}

// compareKeys orders records by Name, then Seed.
func compareKeys(a, b Record) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.Seed, b.Seed)
}

// Merge merges ledgers into one, sorted by Name, then Seed. Records of the
// same name and seed that agree (all fields but WallNS) collapse into the
// first of them; records that disagree are a [*ConflictError].
func Merge(ledgers ...[]Record) ([]Record, error) {
	var all []Record
	for _, l := range ledgers {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, compareKeys)
	out := all[:0]
	for _, r := range all {
		if n := len(out); n > 0 && compareKeys(out[n-1], r) == 0 {
			if f, va, vb := differ(out[n-1], r); f != "" {
				return nil, &ConflictError{Name: r.Name, Seed: r.Seed, Field: f, A: va, B: vb}
			}
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out), nil
}

// Compare checks that ledgers a and b, named nameA and nameB, hold the
// same names and seeds with the same records, all fields but WallNS, whatever the
// order of their lines. It returns nil, a [*DiffError] naming the first
// seed that differs, or a [*ConflictError] if one ledger disagrees with
// itself.
func Compare(nameA string, a []Record, nameB string, b []Record) error {
	ma, err := Merge(a)
	if err != nil {
		return fmt.Errorf("%s: %w", nameA, err)
	}
	mb, err := Merge(b)
	if err != nil {
		return fmt.Errorf("%s: %w", nameB, err)
	}
	i, j := 0, 0
	for i < len(ma) || j < len(mb) {
		switch {
		case j == len(mb) || i < len(ma) && compareKeys(ma[i], mb[j]) < 0:
			return &DiffError{Name: ma[i].Name, Seed: ma[i].Seed, Field: "seed", A: nameA, B: nameB}
		case i == len(ma) || compareKeys(mb[j], ma[i]) < 0:
			return &DiffError{Name: mb[j].Name, Seed: mb[j].Seed, Field: "seed", A: nameB, B: nameA}
		}
		if f, va, vb := differ(ma[i], mb[j]); f != "" {
			return &DiffError{Name: ma[i].Name, Seed: ma[i].Seed, Field: f, A: va, B: vb}
		}
		i++
		j++
	}
	return nil
}
