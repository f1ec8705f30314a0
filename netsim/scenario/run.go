package scenario

import "errors"

// StepError is a step that failed: placeholder until the runner lands.
type StepError struct {
	Program string
	Step    Step
	Err     error
}

func (e *StepError) Error() string { return e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

func (s *Scenario) run(o RunOptions) (*Result, error) {
	return nil, errors.New("scenario: runner not written yet")
}
