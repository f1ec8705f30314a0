package scenario

import "errors"

// UnmetError is an expectation the run did not meet: placeholder.
type UnmetError struct {
	Pos  Pos
	What string
}

func (e *UnmetError) Error() string { return e.What }

// DiffError names the first frame in which two runs differ: placeholder.
type DiffError struct {
	Frame int
}

func (e *DiffError) Error() string { return "differ" }

// expect checks s's expectations against a finished run.
func (s *Scenario) expect(r *Result) error { return nil }

func (s *Scenario) check(o RunOptions) error {
	return errors.New("scenario: check not written yet")
}
