// Package wire carries frames along one direction of a link, applying what a
// real network does to them: delay and jitter, uniform and bursty loss,
// duplication, reordering, corruption, a rate limit with a drop-tail queue,
// and being down.
//
// Every decision is drawn from a random stream of its own, seeded from the
// run's seed, the link's name, the direction and the impairment's name, so
// that changing one impairment or adding a link does not change what the
// others do. Each frame is recorded once, when it enters the wire, with a
// note of whatever the wire did to it.
package wire

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"netsim.dev/netsim/internal/frame"
)

// Config is one direction's netsim.LinkConfig as the wire takes it: the
// same fields (netsim converts one type to the other, so the compiler keeps
// them in step), with netsim's defaults applied and checked by
// LinkConfig.Validate, which is the one definition of what is valid and
// documents each field. A Dir does not check them again; what it relies on:
// probabilities between 0 and 1, Delay and Jitter from 0 to MaxDelay,
// Loss at most LossBurst/(LossBurst+1) when LossBurst is above 1, Rate
// and Queue not negative (a rate-limited wire with a Queue of 0 drops
// every frame). The zero value is a perfect wire with no delay.
type Config struct {
	Delay     time.Duration // one-way propagation delay
	Jitter    time.Duration // uniform in [-Jitter, +Jitter], never below 0 in all; frames may overtake
	Loss      float64       // probability a frame is lost
	LossBurst float64       // above 1: mean loss burst of a Gilbert-Elliott channel
	Dup       float64       // probability a frame arrives twice
	Reorder   float64       // probability a frame skips the delay
	Corrupt   float64       // probability one bit of the IP payload flips
	Rate      int64         // bit/s when positive
	Queue     int           // frames that may wait for the rate (drop-tail)
	MTU       int           // not the wire's business: the link's ports take it
	Down      bool          // drop every frame
}

// MaxDelay is the largest Delay and Jitter a Dir handles: far beyond any
// real link, and far enough below the virtual clock's range (292 years)
// that no arrival time overflows.
const MaxDelay = 24 * time.Hour

// Clock is what a wire needs from the simulator.
type Clock interface {
	// Elapsed returns the virtual time since the start.
	Elapsed() time.Duration
	// After runs fn on the driver d from now.
	After(d time.Duration, fn func())
}

// ArgClock is a Clock that can also run a function of one argument: a
// wire whose clock has it schedules each arrival with no allocation (a
// method value made once and a pooled argument), where After takes a
// closure per frame.
type ArgClock interface {
	Clock
	// AfterArg runs fn(arg) on the driver d from now.
	AfterArg(d time.Duration, fn func(any), arg any)
}

// inFlight is a frame on its way, with the reference it holds and its
// number: the argument of Dir.arrive. They are pooled.
type inFlight struct {
	f   *frame.Frame
	num int
}

var flights = sync.Pool{New: func() any { return new(inFlight) }}

// Dir is one direction of a link.
type Dir struct {
	mu     sync.Mutex
	clock  Clock
	argClk ArgClock  // clock, if it is one
	arrive func(any) // d.deliver, made once
	name   string    // "client-server client→server", for frame notes
	cfg    Config
	record func(frame []byte, note string, origin int) int
	recv   func(f *frame.Frame, num int)

	loss, burst, dup, reorder, corrupt *rand.Rand
	jitter, dupJitter                  *rand.Rand
	bad                                bool            // Gilbert-Elliott state
	departures                         []time.Duration // frames queued for the rate limit
	busyUntil                          time.Duration
	lastArrival                        time.Duration
	stats                              Stats
}

// Stats counts what a direction did.
type Stats struct {
	Sent, Lost, Dropped, Duplicated, Reordered, Corrupted int
}

// NewDir returns a direction called name (for notes). record is called for
// every frame as it enters the wire, with a note ("" for an ordinary
// frame) and the origin given to SendFrom (0 from Send), and returns the
// frame's number (netsim's capture number, 0 for none); recv is called on
// the driver when a frame arrives at the far end, with that number, and
// lends it the frame (see package frame: recv takes a reference to keep it).
// seed seeds the direction's random streams.
func NewDir(clock Clock, name string, seed [32]byte, cfg Config, record func(frame []byte, note string, origin int) int, recv func(f *frame.Frame, num int)) *Dir {
	d := &Dir{clock: clock, name: name, cfg: cfg, record: record, recv: recv}
	if ac, ok := clock.(ArgClock); ok {
		d.argClk, d.arrive = ac, d.deliver
	}
	stream := func(what string) *rand.Rand {
		s := seed
		for i := 0; i < len(what); i++ {
			s[i%32] ^= what[i]
			s[(i*7+3)%32] += byte(i + 1)
		}
		return rand.New(rand.NewChaCha8(s))
	}
	d.loss, d.burst, d.dup = stream("loss"), stream("loss-burst"), stream("dup")
	d.reorder, d.corrupt, d.jitter = stream("reorder"), stream("corrupt"), stream("jitter")
	d.dupJitter = stream("dup-jitter")
	return d
}

// Config returns the direction's configuration.
func (d *Dir) Config() Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// SetConfig changes the configuration for frames sent from now on.
func (d *Dir) SetConfig(c Config) {
	d.mu.Lock()
	d.cfg = c
	d.mu.Unlock()
}

// Name returns the direction's name, as the frame notes give it.
func (d *Dir) Name() string { return d.name }

// Stats returns the direction's counts.
func (d *Dir) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Send puts a frame (Ethernet header included) on the wire: [Dir.SendFrame]
// for a frame that is not pooled ([frame.Heap]). The frame must not be
// modified afterwards.
//
// Every configured impairment draws from its stream a fixed number of times
// per frame, whatever the others decide: loss (or the Gilbert-Elliott
// channel) once even while the link is down, corruption twice (whether, and
// which bit), duplication once, reordering once, jitter once (and once more
// from a stream of its own for the duplicate, when Dup is set). So a frame
// that loss takes away consumes the same draws as one that gets through, and
// changing Loss changes which frames are lost, not which of the survivors
// are duplicated, corrupted, reordered or jittered.
func (d *Dir) Send(frame []byte) { d.SendFrom(frame, 0) }

// SendFrom is Send with an origin, an opaque tag that record receives
// (netsim passes what a router's port says of a forwarded frame).
func (d *Dir) SendFrom(b []byte, origin int) { d.SendFrame(frame.Heap(b), origin) }

// SendFrame is [Dir.SendFrom] for a frame lent for the call: the wire takes
// a reference for each copy that will arrive, and gives it back once recv
// has returned. Its bytes are recorded from the frame itself; a corrupted
// frame is a copy (the sender's stays as it was).
func (d *Dir) SendFrame(f *frame.Frame, origin int) {
	b := f.B
	d.mu.Lock()
	now := d.clock.Elapsed()
	c := d.cfg
	var notes []string
	note := func(format string, args ...any) {
		notes = append(notes, fmt.Sprintf(format, args...)+" on "+d.name)
	}
	d.stats.Sent++

	// The draws, all of them, before any decision.
	drawnLoss := false
	switch {
	case c.Loss > 0 && c.LossBurst > 1:
		drawnLoss = d.gilbert(c)
	case c.Loss > 0:
		drawnLoss = d.loss.Float64() < c.Loss
	}
	drawnCorrupt, corruptAt := false, uint64(0)
	if c.Corrupt > 0 {
		drawnCorrupt = d.corrupt.Float64() < c.Corrupt
		corruptAt = d.corrupt.Uint64()
	}
	drawnDup := c.Dup > 0 && d.dup.Float64() < c.Dup
	drawnReorder := c.Reorder > 0 && d.reorder.Float64() < c.Reorder
	var jitter [2]time.Duration // the frame's and its duplicate's
	if c.Jitter > 0 {
		jitter[0] = time.Duration(d.jitter.Int64N(int64(2*c.Jitter)+1)) - c.Jitter
		if c.Dup > 0 {
			jitter[1] = time.Duration(d.dupJitter.Int64N(int64(2*c.Jitter)+1)) - c.Jitter
		}
	}

	lost := false
	switch {
	case c.Down:
		note("lost: link down")
		lost = true
		d.stats.Lost++
	case drawnLoss && c.LossBurst > 1:
		note("lost: loss %s in bursts of %g", pct(c.Loss), c.LossBurst)
		lost = true
		d.stats.Lost++
	case drawnLoss:
		note("lost: loss %s", pct(c.Loss))
		lost = true
		d.stats.Lost++
	}
	if !lost && drawnCorrupt {
		if g, bit, ok := flipBit(f, corruptAt); ok {
			defer g.Release()
			f, b = g, g.B
			d.stats.Corrupted++
			note("corrupted: corrupt %s (bit %d flipped)", pct(c.Corrupt), bit)
		}
	}
	copies := 1
	if !lost && drawnDup {
		copies = 2
	}
	// depart[i] is when copy i has left the sender: at once, or on a
	// rate-limited link when it has been serialised behind the frames
	// before it. A duplicate is a frame like any other there: it takes its
	// own time and its own place in the queue (as netem's).
	depart := []time.Duration{now, now}[:copies]
	limit := c.Queue
	if !lost && c.Rate > 0 {
		n := 0
		for n < len(d.departures) && d.departures[n] <= now {
			n++
		}
		d.departures = d.departures[n:]
		for i := range copies {
			if len(d.departures) >= limit {
				d.stats.Dropped++
				if i == 0 {
					note("dropped: queue full (%d frames)", limit)
					lost = true
				}
				depart = depart[:i]
				break
			}
			start := max(now, d.busyUntil)
			d.busyUntil = start + time.Duration(int64(len(b))*8*int64(time.Second)/c.Rate)
			d.departures = append(d.departures, d.busyUntil)
			depart[i] = d.busyUntil
		}
	}
	if !lost && copies == 2 {
		d.stats.Duplicated++
		note("duplicated: dup %s", pct(c.Dup))
		if len(depart) == 1 {
			note("dropped (the duplicate): queue full (%d frames)", limit)
		}
	}
	var times []time.Duration
	if !lost {
		// The notes of reordering go on the frame that overtakes: the one
		// that arrives before a frame sent earlier (see Config.Jitter).
		earlier := d.lastArrival // the latest arrival of the frames before this one
		for i := range depart {
			delay := max(c.Delay+jitter[i], 0)
			reordered := false
			if i == 0 && drawnReorder && c.Delay > 0 {
				delay = 0
				reordered = true
				d.stats.Reordered++
				note("reordered: reorder %s", pct(c.Reorder))
			}
			at := depart[i] + delay
			if at < earlier && !reordered {
				what := "overtook an earlier frame"
				if i == 1 {
					what = "the duplicate overtook an earlier frame"
				}
				if c.Jitter > 0 {
					note("%s: jitter ±%v", what, c.Jitter)
				} else {
					// No jitter: the delay was shortened by SetConfig.
					note("%s: delay now %v", what, c.Delay)
				}
			}
			d.lastArrival = max(d.lastArrival, at)
			times = append(times, at)
		}
	}
	d.mu.Unlock()

	num := d.record(b, strings.Join(notes, "; "), origin)
	for _, at := range times {
		f.Ref()
		if d.argClk != nil {
			a := flights.Get().(*inFlight)
			a.f, a.num = f, num
			d.argClk.AfterArg(at-now, d.arrive, a)
			continue
		}
		// sent is never assigned again, so the closure copies it.
		sent := f
		d.clock.After(at-now, func() {
			d.recv(sent, num)
			sent.Release()
		})
	}
}

// deliver is an arrival's event: recv, then the wire's reference back.
func (d *Dir) deliver(arg any) {
	a := arg.(*inFlight)
	f, num := a.f, a.num
	*a = inFlight{}
	flights.Put(a)
	d.recv(f, num)
	f.Release()
}

// gilbert draws the next state of a Gilbert channel whose long-run loss
// rate is c.Loss and whose mean burst length is c.LossBurst: every frame in
// the bad state is lost, none in the good state.
func (d *Dir) gilbert(c Config) bool {
	r := 1 / c.LossBurst           // bad -> good
	p := c.Loss * r / (1 - c.Loss) // good -> bad, for a stationary loss rate of c.Loss
	if d.bad {
		if d.burst.Float64() < r {
			d.bad = false
		}
	} else if d.burst.Float64() < p {
		d.bad = true
	}
	return d.bad
}

// flipBit returns a copy of f ([frame.Frame.Clone], holding one reference)
// with one bit flipped in the payload of its IP packet (past the IP
// header), so that the transport checksum fails: the bit is chosen by r, a
// uniform 64-bit draw, scaled to the payload's bits (one draw whatever the
// frame's length). It reports false for frames that carry no IP payload.
func flipBit(f *frame.Frame, r uint64) (*frame.Frame, int, bool) {
	const eth = 14
	b := f.B
	if len(b) <= eth {
		return nil, 0, false
	}
	var start int
	switch uint16(b[12])<<8 | uint16(b[13]) {
	case 0x0800:
		start = eth + int(b[eth]&0x0f)*4
	case 0x86dd:
		start = eth + 40
	default:
		return nil, 0, false
	}
	if start >= len(b) {
		return nil, 0, false
	}
	out := f.Clone()
	hi, _ := bits.Mul64(r, uint64(len(b)-start)*8)
	bit := start*8 + int(hi)
	out.B[bit/8] ^= 0x80 >> (bit % 8)
	return out, bit, true
}

func pct(p float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", p*100), "0"), ".") + "%"
}
