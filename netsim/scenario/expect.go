package scenario

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

// ErrUnmet is matched (with [errors.Is]) by every [*UnmetError]: a run
// that finished but did not show what its scenario expects.
var ErrUnmet = errors.New("scenario: expectation not met")

// UnmetError is an expectation of a scenario's expect section that a run
// did not meet. Its Error is one line naming the expectation and its place
// in the file:
//
//	tcp.yaml:31:5: expect: "tcp.analysis.retransmission" selected 0 frames, want >= 1
//	tcp.yaml:34:7: expect: receiver's conn received 2 bytes, want 3
//	tcp.yaml:36:3: expect: capture sha256 ab12..., want cd34...
//
// It matches [ErrUnmet].
type UnmetError struct {
	// File is the scenario's file name ([Scenario.File]).
	File string
	// Pos is the expectation's place in the file (for sha256, the place
	// of the expect section, as [ExpectSpec] keeps no other).
	Pos Pos
	// Key is the expect key the expectation sits under: "filters",
	// "received" or "sha256".
	Key string
	// What names the expectation: the display filter (`tcp.len == 3`),
	// the socket ("receiver's conn"), or "capture sha256".
	What string
	// Want and Got are what the file asks and what the run showed: for a
	// filter, the count as the file gives it ("1", ">= 1") and the number
	// of frames selected;
	// for received, byte counts; for sha256, hex digests.
	Want, Got string
	// Frames are the numbers of the frames a filter selected (at most
	// the first 10), for a filter expectation.
	Frames []int
}

// Error returns the one-line report.
func (e *UnmetError) Error() string {
	var b strings.Builder
	b.WriteString(expectPlace(e.File, e.Pos))
	b.WriteString("expect: ")
	switch e.Key {
	case "filters":
		n, _ := strconv.Atoi(e.Got)
		fmt.Fprintf(&b, "%q selected %d frame", e.What, n)
		if n != 1 {
			b.WriteByte('s')
		}
		if len(e.Frames) > 0 {
			b.WriteString(" (")
			for i, f := range e.Frames {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strconv.Itoa(f))
			}
			if len(e.Frames) < n {
				b.WriteString(", ...")
			}
			b.WriteByte(')')
		}
		fmt.Fprintf(&b, ", want %s", e.Want)
	case "received":
		fmt.Fprintf(&b, "%s received %s bytes, want %s", e.What, e.Got, e.Want)
	default:
		fmt.Fprintf(&b, "%s %s, want %s", e.What, e.Got, e.Want)
	}
	return b.String()
}

// Is reports whether target is [ErrUnmet].
func (e *UnmetError) Is(target error) bool { return target == ErrUnmet }

// expectPlace returns "FILE:LINE:COL: ", "FILE: " or "" for an error
// prefix.
func expectPlace(file string, p Pos) string {
	switch {
	case file == "" && p.Line == 0:
		return ""
	case file == "":
		return fmt.Sprintf("%d:%d: ", p.Line, p.Col)
	case p.Line == 0:
		return file + ": "
	}
	return fmt.Sprintf("%s:%d:%d: ", file, p.Line, p.Col)
}

// maxUnmetFrames bounds UnmetError.Frames.
const maxUnmetFrames = 10

// needCapture reports whether the expectations read the capture's bytes
// (filters or sha256): a runner must then keep them in [Result.Capture].
func (e *ExpectSpec) needCapture() bool {
	return len(e.Filters) > 0 || e.SHA256 != ""
}

// Verify checks the scenario's expectations (its expect section) against
// a run's result, as [Scenario.Run] does after the run unless
// [RunOptions.NoExpect] is set. It is usable on its own: r.Capture may be
// a capture read from a file (pcap or pcapng), and r.Received the counts
// from elsewhere (a socket missing from r.Received received 0 bytes).
//
// Filters are counted over r.Capture with netsim's own reader and display
// filters (as netsim read -Y counts them); received counts are compared
// for equality; sha256 is the digest of r.Capture. Verify returns nil when
// every expectation holds, else the first unmet one in file order as an
// [*UnmetError] (sha256, whose place is not kept, comes after the others).
// A filter that does not compile, an unknown operator or an unreadable
// capture are errors of another kind (not [ErrUnmet]), naming the
// expectation's place.
func (s *Scenario) Verify(r *Result) error {
	if r == nil {
		r = &Result{}
	}
	return s.expect(r)
}

// expect checks s's expectations against a finished run.
func (s *Scenario) expect(r *Result) error {
	e := &s.Expect
	var unmet []*UnmetError

	if len(e.Filters) > 0 {
		u, err := s.expectFilters(r.Capture)
		if err != nil {
			return err
		}
		unmet = append(unmet, u...)
	}

	for _, x := range e.Received {
		var got int64
		for _, sb := range r.Received {
			if sb.Program == x.Program && sb.Sock == x.Sock {
				got += sb.Bytes
			}
		}
		if got != x.Bytes {
			unmet = append(unmet, &UnmetError{
				File: s.File, Pos: x.Pos, Key: "received",
				What: x.Program + "'s " + x.Sock,
				Want: strconv.FormatInt(x.Bytes, 10),
				Got:  strconv.FormatInt(got, 10),
			})
		}
	}

	if e.SHA256 != "" {
		want := strings.ToLower(strings.TrimSpace(e.SHA256))
		if _, err := hex.DecodeString(want); err != nil || len(want) != 2*sha256.Size {
			return fmt.Errorf("%sexpect: sha256 %q is not a sha256 in hex (64 hex digits)", expectPlace(s.File, e.Pos), e.SHA256)
		}
		if r.Capture == nil {
			return fmt.Errorf("%sexpect: sha256: the run kept no capture to hash", expectPlace(s.File, e.Pos))
		}
		sum := sha256.Sum256(r.Capture)
		if got := hex.EncodeToString(sum[:]); got != want {
			unmet = append(unmet, &UnmetError{
				File: s.File, Pos: e.Pos, Key: "sha256",
				What: "capture sha256", Want: want, Got: got,
			})
		}
	}

	if len(unmet) == 0 {
		return nil
	}
	// File order: by place; sha256 (placed at the section) last.
	sort.SliceStable(unmet, func(i, j int) bool {
		a, b := unmet[i], unmet[j]
		if (a.Key == "sha256") != (b.Key == "sha256") {
			return b.Key == "sha256"
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		return a.Pos.Col < b.Pos.Col
	})
	return unmet[0]
}

// expectFilters counts the frames of capture each filter expectation
// selects, in one pass over the capture, and returns the unmet ones.
func (s *Scenario) expectFilters(capture []byte) ([]*UnmetError, error) {
	fs := s.Expect.Filters
	compiled := make([]*dfilter.Filter, len(fs))
	for i, x := range fs {
		if _, _, err := expectFilterOp(x); err != nil {
			return nil, fmt.Errorf("%sexpect: %q: %w", expectPlace(s.File, x.Pos), x.Filter, err)
		}
		f, err := dfilter.Compile(x.Filter)
		if err != nil {
			return nil, fmt.Errorf("%sexpect: bad display filter %q: %w", expectPlace(s.File, x.Pos), x.Filter, err)
		}
		compiled[i] = f
	}
	if capture == nil {
		return nil, fmt.Errorf("%sexpect: filters: the run kept no capture to count frames in", expectPlace(s.File, fs[0].Pos))
	}
	counts := make([]int, len(fs))
	frames := make([][]int, len(fs))
	rd, err := pcapread.NewReader(bytes.NewReader(capture))
	if err == nil {
		err = dissect.Scan(rd, func(p *dissect.Packet) error {
			for i, f := range compiled {
				if f.Match(p) {
					counts[i]++
					if len(frames[i]) < maxUnmetFrames {
						frames[i] = append(frames[i], p.Number)
					}
				}
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("%sexpect: reading the capture: %w", expectPlace(s.File, fs[0].Pos), err)
	}
	var unmet []*UnmetError
	for i, x := range fs {
		op, want, _ := expectFilterOp(x)
		if expectCompareCount(counts[i], op, want) {
			continue
		}
		unmet = append(unmet, &UnmetError{
			File: s.File, Pos: x.Pos, Key: "filters",
			What:   x.Filter,
			Want:   expectWant(op, want),
			Got:    strconv.Itoa(counts[i]),
			Frames: frames[i],
		})
	}
	return unmet, nil
}

// expectWant writes a filter's count as a file gives it: "3" for exactly
// 3, else "OP N".
func expectWant(op string, n int) string {
	if op == "==" {
		return strconv.Itoa(n)
	}
	return fmt.Sprintf("%s %d", op, n)
}

// expectFilterOp returns x's operator and count: an empty Op means ">=" with a
// count of at least 1 (a filter alone in the file: ">= 1").
func expectFilterOp(x FilterExpect) (string, int, error) {
	switch x.Op {
	case "":
		return ">=", max(x.Count, 1), nil
	case "==", "!=", "<", "<=", ">", ">=":
	default:
		return "", 0, fmt.Errorf("operator %q is not one of == != < <= > >=", x.Op)
	}
	if x.Count < 0 {
		return "", 0, fmt.Errorf("count %d is negative", x.Count)
	}
	return x.Op, x.Count, nil
}

// expectCompareCount reports whether got op want holds.
func expectCompareCount(got int, op string, want int) bool {
	switch op {
	case "==":
		return got == want
	case "!=":
		return got != want
	case "<":
		return got < want
	case "<=":
		return got <= want
	case ">":
		return got > want
	case ">=":
		return got >= want
	}
	return false
}
