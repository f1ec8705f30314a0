package dfilter

import "fmt"

// SyntaxError is a filter that does not compile. Pos and Len locate the
// offending text in the expression (byte offsets).
type SyntaxError struct {
	Expr string // the whole expression given to Compile
	Pos  int    // byte offset in Expr where the problem starts
	Len  int    // bytes of Expr the problem spans (0 at the end of Expr)
	Msg  string // what is wrong, in tshark's words
}

// Error returns the message and the 1-based column of the problem.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s (column %d)", e.Msg, e.Pos+1)
}

// Caret returns the expression and a line marking the error under it, as
// tshark prints them.
func (e *SyntaxError) Caret() string {
	n := e.Len
	if n < 1 {
		n = 1
	}
	mark := make([]byte, 0, e.Pos+n)
	for i := 0; i < e.Pos; i++ {
		mark = append(mark, ' ')
	}
	mark = append(mark, '^')
	for i := 1; i < n; i++ {
		mark = append(mark, '~')
	}
	return e.Expr + "\n" + string(mark)
}

func errAt(expr string, pos, n int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Expr: expr, Pos: pos, Len: n, Msg: fmt.Sprintf(format, args...)}
}
