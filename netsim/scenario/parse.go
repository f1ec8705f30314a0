package scenario

import "errors"

// Pos of an error, and errors: placeholder until the parser lands.

// Error is a parse error at a place in a file.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// ErrorList is every parse error of a file, in file order.
type ErrorList []*Error

func (l ErrorList) Error() string { return "scenario: parse errors" }

func parse(name string, src []byte) (*Scenario, error) {
	return nil, errors.New("scenario: parser not written yet")
}
