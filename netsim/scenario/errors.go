package scenario

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid matches (with [errors.Is]) every [*Error] and every
// [ErrorList]: the file, or the Scenario built in Go, is not a valid
// scenario.
var ErrInvalid = errors.New("scenario: invalid")

// Error is one thing wrong with a scenario file: where it is and what is
// wrong. Its text is one line, "FILE:LINE:COL: KEY: MSG":
//
//	tcp.yaml:12:9: programs[1].steps[2].send.hex: odd number of hex digits
type Error struct {
	// File is the file's name as given to [Parse] ("-" for standard input).
	File string
	// Pos is where the problem is; zero for a Scenario built in Go (see
	// [Scenario.Validate]) or a problem of the whole file.
	Pos Pos
	// Key is the dotted path of the value at fault, as the file writes it:
	// "programs[1].steps[2].send.hex"; empty for a YAML syntax error.
	Key string
	// Msg says what is wrong and what was expected.
	Msg string
}

// Error returns "FILE:LINE:COL: KEY: MSG", leaving out the parts that are
// empty.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Pos.Line, e.Pos.Col)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is [ErrInvalid].
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// ErrorList is every error found in a file, in file order (line, then
// column), at most [MaxErrors] of them; when there were more, the last
// one says how many were left out.
type ErrorList []*Error

// MaxErrors is the most errors an [ErrorList] holds before the one that
// counts the rest.
const MaxErrors = 10

// Error returns the errors one per line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the errors, for [errors.Is] and [errors.As].
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Is reports whether target is [ErrInvalid] (an empty list matches too).
func (l ErrorList) Is(target error) bool { return target == ErrInvalid }

// errList collects the errors of one file.
type errList struct {
	file string
	errs []*Error
	// dropped counts the errors past maxCollect, not kept.
	dropped int
}

// maxCollect is the most errors kept (to sort, then show MaxErrors): a
// file of 4 MiB of mistakes costs no more than this many.
const maxCollect = 1000

func (l *errList) add(pos Pos, key, format string, args ...any) {
	if len(l.errs) >= maxCollect {
		l.dropped++
		return
	}
	l.errs = append(l.errs, &Error{File: l.file, Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// err returns the sorted, deduplicated, capped list, or nil.
func (l *errList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	errs := slices.Clone(l.errs)
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	errs = slices.CompactFunc(errs, func(a, b *Error) bool { return *a == *b })
	if len(errs) > MaxErrors {
		rest := len(errs) - MaxErrors + l.dropped
		more := &Error{File: l.file, Pos: errs[MaxErrors].Pos, Msg: fmt.Sprintf("%d more errors not shown", rest)}
		if rest == 1 {
			more.Msg = "1 more error not shown"
		}
		errs = append(errs[:MaxErrors:MaxErrors], more)
	}
	return ErrorList(errs)
}
