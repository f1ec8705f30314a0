package vclock

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
)

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// drain advances the clock event by event, as the driver does, and returns
// the order the events ran in.
func drain(c *Clock) {
	for {
		if ev := c.PopDue(); ev != nil {
			ev.Run()
			continue
		}
		at, ok := c.Next()
		if !ok {
			return
		}
		c.AdvanceTo(at)
	}
}

func TestNewClockReadsEpoch(t *testing.T) {
	c := New(epoch)
	if !c.Now().Equal(epoch) || c.Elapsed() != 0 || !c.Epoch().Equal(epoch) {
		t.Fatalf("new clock: Now %v Elapsed %v Epoch %v, want %v, 0, %v", c.Now(), c.Elapsed(), c.Epoch(), epoch, epoch)
	}
	if _, ok := c.Next(); ok {
		t.Fatal("Next on an empty queue reports an event")
	}
	if ev := c.PopDue(); ev != nil {
		t.Fatal("PopDue on an empty queue returned an event")
	}
}

func TestOrderByTimeThenSequence(t *testing.T) {
	c := New(epoch)
	var log []string
	add := func(d time.Duration, name string) {
		c.Schedule(d, 0, func() { log = append(log, name) })
	}
	add(3*time.Second, "c1")
	add(1*time.Second, "a1")
	add(2*time.Second, "b1")
	add(1*time.Second, "a2")
	add(3*time.Second, "c2")
	add(0, "now1")
	add(-5*time.Second, "now2") // negative counts as 0
	add(1*time.Second, "a3")
	drain(c)
	want := []string{"now1", "now2", "a1", "a2", "a3", "b1", "c1", "c2"}
	if !slices.Equal(log, want) {
		t.Fatalf("order = %v, want %v", log, want)
	}
	if c.Elapsed() != 3*time.Second {
		t.Fatalf("Elapsed = %v, want 3s", c.Elapsed())
	}
}

func TestManySameInstantInSchedulingOrder(t *testing.T) {
	// gVisor's faketime fires same-instant timers in map order; ours must
	// keep scheduling order, however many there are.
	c := New(epoch)
	var got []int
	for i := range 1000 {
		c.Schedule(time.Millisecond, 0, func() { got = append(got, i) })
	}
	c.AdvanceTo(time.Millisecond)
	for ev := c.PopDue(); ev != nil; ev = c.PopDue() {
		ev.Run()
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("event %d ran in position %d", v, i)
		}
	}
	if len(got) != 1000 {
		t.Fatalf("ran %d events, want 1000", len(got))
	}
}

func TestEventAccessors(t *testing.T) {
	c := New(epoch)
	c.AdvanceTo(5 * time.Second)
	ran := false
	ev := c.Schedule(2*time.Second, 7, func() { ran = true })
	if ev.At() != 7*time.Second {
		t.Errorf("At = %v, want 7s (due time since the epoch)", ev.At())
	}
	if ev.Owner() != 7 {
		t.Errorf("Owner = %d, want 7", ev.Owner())
	}
	ev.Run()
	if !ran {
		t.Error("Run did not call the function")
	}
	if c.Pending() != 1 {
		t.Errorf("Run must not dequeue: Pending = %d, want 1", c.Pending())
	}
}

func TestPopDueOnlyWhenDue(t *testing.T) {
	c := New(epoch)
	c.Schedule(10*time.Millisecond, 0, func() {})
	if ev := c.PopDue(); ev != nil {
		t.Fatal("PopDue returned an event before it is due")
	}
	at, ok := c.Next()
	if !ok || at != 10*time.Millisecond {
		t.Fatalf("Next = %v, %v; want 10ms, true", at, ok)
	}
	c.AdvanceTo(10*time.Millisecond - 1)
	if ev := c.PopDue(); ev != nil {
		t.Fatal("PopDue returned an event 1ns before it is due")
	}
	c.AdvanceTo(10 * time.Millisecond)
	if ev := c.PopDue(); ev == nil {
		t.Fatal("PopDue returned nothing at the due instant")
	}
	if c.Pending() != 0 {
		t.Fatalf("Pending = %d after popping the only event", c.Pending())
	}
}

func TestPopDueAfterOvershoot(t *testing.T) {
	c := New(epoch)
	var log []string
	c.Schedule(2*time.Second, 0, func() { log = append(log, "b") })
	c.Schedule(1*time.Second, 0, func() { log = append(log, "a") })
	c.AdvanceTo(time.Hour) // both overdue: still earliest first
	for ev := c.PopDue(); ev != nil; ev = c.PopDue() {
		ev.Run()
	}
	if !slices.Equal(log, []string{"a", "b"}) {
		t.Fatalf("order = %v, want [a b]", log)
	}
}

func TestAdvanceToNeverGoesBack(t *testing.T) {
	c := New(epoch)
	c.AdvanceTo(5 * time.Second)
	c.AdvanceTo(time.Second)
	if c.Elapsed() != 5*time.Second {
		t.Fatalf("Elapsed = %v after AdvanceTo backwards, want 5s", c.Elapsed())
	}
	if want := epoch.Add(5 * time.Second); !c.Now().Equal(want) {
		t.Fatalf("Now = %v, want %v", c.Now(), want)
	}
	// Schedule is relative to the current virtual time.
	ev := c.Schedule(time.Second, 0, func() {})
	if ev.At() != 6*time.Second {
		t.Fatalf("At = %v, want 6s", ev.At())
	}
}

func TestCancel(t *testing.T) {
	c := New(epoch)
	var log []string
	a := c.Schedule(time.Second, 0, func() { log = append(log, "a") })
	c.Schedule(time.Second, 0, func() { log = append(log, "b") })
	cc := c.Schedule(2*time.Second, 0, func() { log = append(log, "c") })
	if !c.Cancel(a) {
		t.Fatal("Cancel of a queued event reported false")
	}
	if c.Cancel(a) {
		t.Fatal("second Cancel reported true")
	}
	if c.Pending() != 2 {
		t.Fatalf("Pending = %d, want 2", c.Pending())
	}
	drain(c)
	if !slices.Equal(log, []string{"b", "c"}) {
		t.Fatalf("order = %v, want [b c]", log)
	}
	if c.Cancel(cc) {
		t.Fatal("Cancel of an event that already ran reported true")
	}
}

func TestRescheduleGoesBehindSameInstant(t *testing.T) {
	c := New(epoch)
	var log []string
	a := c.Schedule(time.Second, 0, func() { log = append(log, "a") })
	c.Schedule(2*time.Second, 0, func() { log = append(log, "b") })
	c.Schedule(3*time.Second, 0, func() { log = append(log, "c") })
	// Move a to 2s: it was scheduled first, but a Reset puts it behind b.
	c.Reschedule(a, 2*time.Second)
	if c.Pending() != 3 {
		t.Fatalf("Pending = %d after Reschedule, want 3 (moved, not duplicated)", c.Pending())
	}
	drain(c)
	if want := []string{"b", "a", "c"}; !slices.Equal(log, want) {
		t.Fatalf("order = %v, want %v", log, want)
	}
}

func TestRescheduleEarlierAndAfterRun(t *testing.T) {
	c := New(epoch)
	var log []string
	a := c.Schedule(5*time.Second, 0, func() { log = append(log, "a") })
	c.Schedule(2*time.Second, 0, func() { log = append(log, "b") })
	c.Reschedule(a, time.Second)
	drain(c)
	if want := []string{"a", "b"}; !slices.Equal(log, want) {
		t.Fatalf("order = %v, want %v", log, want)
	}
	// An event that already ran can be rearmed (tcpip.Timer.Reset after
	// it fired), relative to the current time.
	c.Reschedule(a, time.Second)
	if at, ok := c.Next(); !ok || at != 3*time.Second {
		t.Fatalf("rearmed event: Next = %v, %v; want 3s, true", at, ok)
	}
	drain(c)
	if want := []string{"a", "b", "a"}; !slices.Equal(log, want) {
		t.Fatalf("order = %v, want %v", log, want)
	}
	// Rescheduling a cancelled event rearms it too.
	c.Cancel(a)
	c.Reschedule(a, 0)
	if c.Pending() != 1 {
		t.Fatalf("Pending = %d, want 1", c.Pending())
	}
}

func TestStackClock(t *testing.T) {
	c := New(epoch)
	sc := c.Stack(3)
	if !sc.Now().Equal(epoch) {
		t.Fatalf("stack Now = %v, want %v", sc.Now(), epoch)
	}
	m0 := sc.NowMonotonic()
	c.AdvanceTo(1500 * time.Millisecond)
	if d := sc.NowMonotonic().Sub(m0); d != 1500*time.Millisecond {
		t.Fatalf("monotonic advanced %v, want 1.5s", d)
	}
	if !sc.Now().Equal(epoch.Add(1500 * time.Millisecond)) {
		t.Fatalf("stack Now = %v", sc.Now())
	}
	// Readings at one instant are distinct and increasing (gVisor's RACK
	// orders segments by send time).
	m1, m2 := sc.NowMonotonic(), sc.NowMonotonic()
	if !m1.Before(m2) || m2.Sub(m0) > 1500*time.Millisecond+2 {
		t.Fatalf("monotonic readings at one instant: %v then %v", m1, m2)
	}

	fired := 0
	tm := sc.AfterFunc(time.Second, func() { fired++ })
	at, ok := c.Next()
	if !ok || at != 2500*time.Millisecond {
		t.Fatalf("AfterFunc queued at %v, %v; want 2.5s", at, ok)
	}
	c.AdvanceTo(at)
	ev := c.PopDue()
	if ev == nil || ev.Owner() != 3 {
		t.Fatalf("stack timer event = %v, want owner 3", ev)
	}
	// Nothing fires by itself: only when the driver runs the event.
	if fired != 0 {
		t.Fatal("timer fired without Run")
	}
	ev.Run()
	if fired != 1 {
		t.Fatalf("fired = %d, want 1", fired)
	}
	if tm.Stop() {
		t.Fatal("Stop after the timer fired reported true")
	}
}

func TestStackTimerStopAndReset(t *testing.T) {
	c := New(epoch)
	sc := c.Stack(1)
	fired := 0
	tm := sc.AfterFunc(time.Second, func() { fired++ })
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	if tm.Stop() {
		t.Fatal("second Stop reported true")
	}
	drain(c)
	if fired != 0 {
		t.Fatal("stopped timer fired")
	}
	// Reset rearms a stopped timer.
	tm.Reset(2 * time.Second)
	drain(c)
	if fired != 1 || c.Elapsed() != 2*time.Second {
		t.Fatalf("after Reset: fired %d at %v, want 1 at 2s", fired, c.Elapsed())
	}
	// Reset of a pending timer moves it, it does not add a second firing.
	tm.Reset(time.Second)
	tm.Reset(3 * time.Second)
	if c.Pending() != 1 {
		t.Fatalf("Pending = %d after two Resets, want 1", c.Pending())
	}
	drain(c)
	if fired != 2 || c.Elapsed() != 5*time.Second {
		t.Fatalf("after second Reset: fired %d at %v, want 2 at 5s", fired, c.Elapsed())
	}
	// AfterFunc(0) is due now and runs only when popped (faketime runs it
	// in a new goroutine).
	var tm0 tcpip.Timer = sc.AfterFunc(0, func() { fired++ })
	_ = tm0
	if fired != 2 {
		t.Fatal("AfterFunc(0) ran inline")
	}
	if ev := c.PopDue(); ev == nil {
		t.Fatal("AfterFunc(0) is not due at once")
	} else {
		ev.Run()
	}
	if fired != 3 {
		t.Fatalf("fired = %d, want 3", fired)
	}
}

// model is the obvious implementation: a slice kept sorted by (at, seq).
type modelEvent struct {
	at  time.Duration
	seq uint64
	id  int
}

// TestHeapAgainstModel runs random operations on the clock and on a sorted
// slice and checks that they agree on what fires, when, and in which order.
func TestHeapAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 100; seed++ {
		checkAgainstModel(t, seed, 300)
	}
}

func FuzzHeapAgainstModel(f *testing.F) {
	f.Add(uint64(0), uint16(50))
	f.Add(uint64(42), uint16(500))
	f.Fuzz(func(t *testing.T, seed uint64, steps uint16) {
		checkAgainstModel(t, seed, int(steps%2000))
	})
}

func checkAgainstModel(t *testing.T, seed uint64, steps int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := New(epoch)
	var (
		model  []modelEvent
		events []*Event // by id
		fired  []int
		seq    uint64
	)
	sortModel := func() {
		sort.Slice(model, func(i, j int) bool {
			if model[i].at != model[j].at {
				return model[i].at < model[j].at
			}
			return model[i].seq < model[j].seq
		})
	}
	removeModel := func(id int) bool {
		for i, m := range model {
			if m.id == id {
				model = append(model[:i], model[i+1:]...)
				return true
			}
		}
		return false
	}
	// Small delays make many ties.
	delay := func() time.Duration { return time.Duration(r.IntN(8)-1) * time.Millisecond }
	for step := 0; step < steps; step++ {
		switch op := r.IntN(10); {
		case op < 4: // schedule
			id := len(events)
			d := delay()
			seq++
			model = append(model, modelEvent{at: c.Elapsed() + max(d, 0), seq: seq, id: id})
			events = append(events, c.Schedule(d, 0, func() { fired = append(fired, id) }))
		case op < 5 && len(events) > 0: // cancel
			id := r.IntN(len(events))
			want := removeModel(id)
			if got := c.Cancel(events[id]); got != want {
				t.Fatalf("seed %d step %d: Cancel(%d) = %v, model says %v", seed, step, id, got, want)
			}
		case op < 6 && len(events) > 0: // reschedule
			id := r.IntN(len(events))
			d := delay()
			removeModel(id)
			seq++
			model = append(model, modelEvent{at: c.Elapsed() + max(d, 0), seq: seq, id: id})
			c.Reschedule(events[id], d)
		case op < 8: // pop one due event
			sortModel()
			ev := c.PopDue()
			if len(model) == 0 || model[0].at > c.Elapsed() {
				if ev != nil {
					t.Fatalf("seed %d step %d: PopDue returned an event, model has none due", seed, step)
				}
				continue
			}
			if ev == nil {
				t.Fatalf("seed %d step %d: PopDue returned nil, model has event %d due", seed, step, model[0].id)
			}
			want := model[0]
			model = model[1:]
			n := len(fired)
			ev.Run()
			if len(fired) != n+1 || fired[n] != want.id || ev.At() != want.at {
				t.Fatalf("seed %d step %d: popped event (at %v) ran %v, model wants %d at %v", seed, step, ev.At(), fired[n:], want.id, want.at)
			}
		default: // advance to the next event
			sortModel()
			at, ok := c.Next()
			if ok != (len(model) > 0) || (ok && at != model[0].at) {
				t.Fatalf("seed %d step %d: Next = %v, %v; model %v", seed, step, at, ok, model)
			}
			if ok {
				c.AdvanceTo(at)
			}
		}
		if c.Pending() != len(model) {
			t.Fatalf("seed %d step %d: Pending = %d, model has %d", seed, step, c.Pending(), len(model))
		}
	}
}

// TestTakeBack: a reading taken back is given again; one that is not the
// last is left alone.
func TestTakeBack(t *testing.T) {
	c := New(epoch)
	s := c.Stack(1)
	r1 := s.NowMonotonic()
	r2 := s.NowMonotonic()
	c.TakeBack(r2)
	if r := s.NowMonotonic(); r != r2 {
		t.Fatalf("after taking back %v: %v", r2, r)
	}
	r4 := s.NowMonotonic()
	c.TakeBack(r1) // not the last: nothing
	if r := s.NowMonotonic(); !r4.Before(r) {
		t.Fatalf("taking back an old reading changed the clock: %v after %v", r, r4)
	}
}

// TestTimerArmed: a stack timer reports the duration it was armed with;
// re-armed from its own callback after one reading, for less than a
// microsecond (woken early by the readings' skew), it keeps it; for
// longer (its target moved), it is not known (0).
func TestTimerArmed(t *testing.T) {
	c := New(epoch)
	s := c.Stack(1)
	var tm tcpip.Timer
	var fired []time.Duration
	rearm := time.Duration(0)
	tm = s.AfterFunc(200*time.Millisecond, func() {
		s.NowMonotonic()
		if rearm > 0 {
			tm.Reset(rearm)
			rearm = 0
		}
	})
	run := func() {
		at, _ := c.Next()
		c.AdvanceTo(at)
		ev := c.PopDue()
		armed, ok := c.Timer(ev)
		if !ok {
			t.Fatal("a stack timer's event is not a timer")
		}
		fired = append(fired, armed)
		c.RunEvent(ev)
	}
	rearm = 4 // ns
	run()
	run()
	tm.Reset(300 * time.Millisecond)
	rearm = 50 * time.Millisecond
	run()
	run()
	want := []time.Duration{200 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 0}
	if !slices.Equal(fired, want) {
		t.Errorf("armed %v, want %v", fired, want)
	}
	if _, ok := c.Timer(c.Schedule(1, 0, func() {})); ok {
		t.Error("a plain event reports a timer")
	}
}

// TestInherit: a stack timer armed for no time carries what SetInherit's
// function gave; one armed for longer carries nothing.
func TestInherit(t *testing.T) {
	c := New(epoch)
	s := c.Stack(1)
	c.SetInherit(func() any { return "step 7" })
	s.AfterFunc(0, func() {})
	s.AfterFunc(time.Millisecond, func() {})
	var got []any
	for range 2 {
		at, _ := c.Next()
		c.AdvanceTo(at)
		got = append(got, c.Inherited(c.PopDue()))
	}
	if got[0] != "step 7" || got[1] != nil {
		t.Errorf("inherited %v, want [step 7 <nil>]", got)
	}
}
