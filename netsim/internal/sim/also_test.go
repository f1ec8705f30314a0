package sim

import (
	"slices"
	"testing"
	"time"
)

// An Op with Also waits on several Waitables: any of them wakes it, it
// completes once even when all of them are notified in the same step and
// when a Waitable is listed twice, and it leaves none of them holding it.
func TestOpWaitsOnSeveralWaitables(t *testing.T) {
	s := newSim()
	g := []*gate{newGate(s), newGate(s), newGate(s)}
	var log []string
	tries := 0
	s.Go("poller", func() {
		for round := range 3 {
			op := &Op{Desc: "poll", W: s.NewWaitable(), Also: []*Waitable{g[0].w, g[1].w, g[2].w, g[1].w}}
			op.Try = func() bool {
				tries++
				for i, x := range g {
					if x.open {
						log = append(log, string(rune('a'+i)))
					}
				}
				return slices.ContainsFunc(g, func(x *gate) bool { return x.open })
			}
			if !s.Do(op) {
				t.Errorf("round %d: Do failed", round)
			}
			for _, x := range g {
				x.open = false
			}
			log = append(log, "|")
		}
	})
	s.Go("opener", func() {
		g[1].set()
		sleep(s, time.Millisecond)
		// All three in one step: one completion.
		s.Do(&Op{Desc: "open all", Try: func() bool {
			for _, x := range g {
				x.open = true
				x.w.Notify()
			}
			return true
		}})
		sleep(s, time.Millisecond)
		g[2].set()
	})
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	if got, want := log, []string{"b", "|", "a", "b", "c", "|", "c", "|"}; !slices.Equal(got, want) {
		t.Errorf("log %v, want %v", got, want)
	}
	for i, x := range g {
		if len(x.w.parked) != 0 {
			t.Errorf("gate %d still holds %d parked Ops", i, len(x.w.parked))
		}
	}
	if len(s.parked) != 0 {
		t.Errorf("%d Ops still parked", len(s.parked))
	}
}

// An Op with Also times out through its deadline, which notifies W.
func TestOpWithAlsoTimesOut(t *testing.T) {
	s := newSim()
	g := newGate(s)
	s.Go("poller", func() {
		op := &Op{Desc: "poll", W: s.NewWaitable(), Also: []*Waitable{g.w}}
		op.Try = func() bool {
			if s.clock.Elapsed() >= 5*time.Second {
				return true
			}
			op.Deadline = 5 * time.Second
			return false
		}
		s.Do(op)
		if got := s.clock.Elapsed(); got != 5*time.Second {
			t.Errorf("poll ended at %v, want 5s", got)
		}
	})
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	if len(g.w.parked) != 0 {
		t.Errorf("gate still holds %d Ops", len(g.w.parked))
	}
}
