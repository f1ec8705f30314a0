package scenario_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"netsim.dev/netsim/scenario"
)

// TestRunPartition: RunOptions.Partition takes the links down over its
// span (the book's exchange then resends its SYN), leaves the Scenario as it
// was, and rejects a span that ends before it starts.
func TestRunPartition(t *testing.T) {
	s := parse(t, "tcp.yaml", tcpYAML)
	events := len(s.Events)
	_, plain, _, err := run(t, s, scenario.RunOptions{NoExpect: true})
	if err != nil {
		t.Fatal(err)
	}
	_, cut, _, err := run(t, s, scenario.RunOptions{NoExpect: true, Partition: [2]time.Duration{20 * time.Microsecond, time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(plain, cut) || len(cut) <= len(plain) {
		t.Errorf("a partition from 20µs to 1s should make a longer capture (resends): %d bytes, without it %d", len(cut), len(plain))
	}
	if len(s.Events) != events {
		t.Errorf("Run added %d events to the Scenario", len(s.Events)-events)
	}
	_, err = s.Run(scenario.RunOptions{Partition: [2]time.Duration{3 * time.Second, time.Second}})
	if err == nil || !errors.Is(err, scenario.ErrInvalid) {
		t.Errorf("a partition ending before it starts: %v, want an error matching ErrInvalid", err)
	}
}
