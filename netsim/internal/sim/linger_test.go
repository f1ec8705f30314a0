package sim

import (
	"testing"
	"time"

	"netsim.dev/netsim/internal/vclock"
)

// A Run with no tasks must still go on for linger from where the clock is
// (Run's doc: "until every task has returned and the network has been quiet
// for linger"). When quietSince started at 0 rather than at the current
// time, a task-less Run after the clock had moved (say, a second Run to let
// connections finish closing) returned at once without running anything.
func TestRunWithoutTasksLingersFromNow(t *testing.T) {
	s := New(vclock.New(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)))
	s.Go("", func() { s.Do(&Op{Desc: "Sleep", Sleep: 10 * time.Minute, Free: true}) })
	if err := s.Run(time.Minute); err != nil {
		t.Fatal(err)
	}
	ran := false
	s.Clock().Schedule(30*time.Second, 0, func() { ran = true })
	if err := s.Run(time.Minute); err != nil {
		t.Fatal(err)
	}
	if !ran || s.Clock().Elapsed() != 10*time.Minute+30*time.Second {
		t.Fatalf("an event 30 s into a task-less Run with linger 1m: ran %v, clock at %v; want true at 10m30s", ran, s.Clock().Elapsed())
	}
}
