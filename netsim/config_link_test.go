package netsim

import (
	"container/heap"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	netframe "netsim.dev/netsim/internal/frame"
	"netsim.dev/netsim/internal/wire"
)

// TestLinkConfigValidate: LinkConfig.Validate is the one definition of a
// valid link direction; every field out of range gives a *ConfigError
// naming it.
func TestLinkConfigValidate(t *testing.T) {
	good := []LinkConfig{
		{}, {Loss: 1}, {Loss: 0.5, LossBurst: 3}, {Loss: 0.75, LossBurst: 3}, {LossBurst: 1}, {Loss: 1, LossBurst: 1},
		{Rate: 1, Queue: 1}, {Delay: MaxDuration, Jitter: MaxDuration}, {MTU: 576}, {MTU: 65535},
		{Delay: time.Millisecond, Jitter: time.Millisecond, Loss: 0.1, Dup: 0.1, Reorder: 0.1, Corrupt: 0.1, Down: true},
	}
	for _, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := []struct {
		c   LinkConfig
		msg string
	}{
		{LinkConfig{Delay: -1}, "LinkConfig.Delay: -1ns is negative"},
		{LinkConfig{Delay: MaxDuration + 1}, "LinkConfig.Delay: 24h0m0.000000001s is more than 24h0m0s"},
		{LinkConfig{Jitter: -time.Second}, "LinkConfig.Jitter: -1s is negative"},
		{LinkConfig{Jitter: math.MaxInt64}, "LinkConfig.Jitter: 2562047h47m16.854775807s is more than 24h0m0s"},
		{LinkConfig{Loss: 1.5}, "LinkConfig.Loss: 1.5 is not between 0 and 1"},
		{LinkConfig{Loss: math.NaN()}, "LinkConfig.Loss: NaN is not between 0 and 1"},
		{LinkConfig{LossBurst: -2}, "LinkConfig.LossBurst: -2 is negative"},
		{LinkConfig{LossBurst: math.Inf(1)}, "LinkConfig.LossBurst: +Inf is not a finite number"},
		{LinkConfig{LossBurst: math.NaN()}, "LinkConfig.LossBurst: NaN is not a finite number"},
		{LinkConfig{LossBurst: 2, Loss: 1}, "LinkConfig.Loss: 1 is more than bursts of 2 frames on average (LossBurst) can lose: at most 2 in 3, as one frame at least gets through between two bursts"},
		// Bursts of 2 frames on average with at least one frame between
		// them lose at most 2 of 3: 90% is out of reach (it gave 66.7%).
		{LinkConfig{LossBurst: 2, Loss: 0.9}, "LinkConfig.Loss: 0.9 is more than bursts of 2 frames"},
		{LinkConfig{Dup: -0.1}, "LinkConfig.Dup: -0.1 is not between 0 and 1"},
		{LinkConfig{Reorder: math.NaN()}, "LinkConfig.Reorder: NaN is not between 0 and 1"},
		{LinkConfig{Corrupt: math.Inf(1)}, "LinkConfig.Corrupt: +Inf is not between 0 and 1"},
		{LinkConfig{Rate: -1}, "LinkConfig.Rate: -1 is negative"},
		{LinkConfig{Queue: -1}, "LinkConfig.Queue: -1 is negative"},
		{LinkConfig{MTU: 575}, "LinkConfig.MTU: 575 is out of range 576-65535"},
		{LinkConfig{MTU: 65536}, "LinkConfig.MTU: 65536 is out of range 576-65535"},
		{LinkConfig{MTU: -1}, "LinkConfig.MTU: -1 is out of range 576-65535"},
		// The first field out of range, in declaration order.
		{LinkConfig{Delay: -1, Loss: 2, MTU: 1}, "LinkConfig.Delay: -1ns is negative"},
	}
	for _, c := range bad {
		err := c.c.Validate()
		if err == nil {
			t.Errorf("%+v validated", c.c)
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.HasPrefix(c.msg, ce.Field+": ") {
			t.Errorf("%+v: %v (%T), want a *ConfigError for %q", c.c, err, err, c.msg)
		}
		if !strings.HasPrefix(err.Error(), c.msg) {
			t.Errorf("%+v:\n got %q\nwant %q", c.c, err, c.msg)
		}
	}
}

// TestLinkConfigDefaults: the wire gets LinkConfig's defaults, once, from
// LinkConfig.wire, and every other field as it is.
func TestLinkConfigDefaults(t *testing.T) {
	if got, want := (LinkConfig{}).wire(), (wire.Config{Delay: DefaultLinkDelay, Queue: DefaultQueue, MTU: DefaultMTU}); got != want {
		t.Errorf("zero LinkConfig → %+v, want %+v", got, want)
	}
	c := LinkConfig{Delay: 1, Jitter: 2, Loss: 0.3, LossBurst: 4, Dup: 0.5, Reorder: 0.6, Corrupt: 0.7, Rate: 8, Queue: 9, MTU: 1280, Down: true}
	if got := c.wire(); got != wire.Config(c) {
		t.Errorf("%+v → %+v", c, got)
	}
}

// fakeClock runs a wire's events in time order (ties in the order posted).
type fakeClock struct {
	now time.Duration
	seq int
	q   events
}

type event struct {
	at  time.Duration
	seq int
	fn  func()
}

type events []event

func (q events) Len() int { return len(q) }
func (q events) Less(i, j int) bool {
	return q[i].at < q[j].at || q[i].at == q[j].at && q[i].seq < q[j].seq
}
func (q events) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *events) Push(x any)   { *q = append(*q, x.(event)) }
func (q *events) Pop() any {
	e := (*q)[len(*q)-1]
	*q = (*q)[:len(*q)-1]
	return e
}

func (c *fakeClock) Elapsed() time.Duration { return c.now }

func (c *fakeClock) After(d time.Duration, fn func()) {
	if d < 0 {
		panic("After: negative delay")
	}
	c.seq++
	heap.Push(&c.q, event{at: c.now + d, seq: c.seq, fn: fn})
}

func (c *fakeClock) run() {
	for c.q.Len() > 0 {
		e := heap.Pop(&c.q).(event)
		c.now = e.at
		e.fn()
	}
}

// FuzzLinkSend sends arbitrary frames through a wire set up from an
// arbitrary LinkConfig that Validate accepts: Send never panics nor
// schedules an arrival in the past, the far end receives each frame that
// is not lost (twice if duplicated) with its length, and a corrupted frame
// differs from what was sent in at most one bit. Whatever Validate lets
// through, the wire handles.
func FuzzLinkSend(f *testing.F) {
	frame := make([]byte, 14+20+100)
	frame[12], frame[14] = 0x08, 0x45
	f.Add([]byte{}, uint64(0), uint64(0), uint16(0), uint16(0), uint32(0), int64(0), uint8(0))
	f.Add(frame, uint64(time.Millisecond), uint64(time.Millisecond), uint16(6000), uint16(6000), uint32(1000), int64(8000), uint8(2))
	f.Add(frame, uint64(MaxDuration), uint64(MaxDuration), uint16(65535), uint16(65535), uint32(0), int64(math.MaxInt64), uint8(1))
	f.Add([]byte("0"), uint64(1000008), uint64(1000000), uint16(6000), uint16(5995), uint32(979), int64(7921), uint8(2))
	f.Fuzz(func(t *testing.T, frame []byte, delay, jitter uint64, loss, imp uint16, burst uint32, rate int64, queue uint8) {
		c := LinkConfig{
			Delay:     time.Duration(delay & math.MaxInt64),
			Jitter:    time.Duration(jitter & math.MaxInt64),
			Loss:      float64(loss) / 65535,
			LossBurst: float64(burst) / 100,
			Dup:       float64(imp&0xf) / 15,
			Reorder:   float64(imp>>4&0xf) / 15,
			Corrupt:   float64(imp>>8&0xf) / 15,
			Rate:      max(rate, 0),
			Queue:     int(queue),
			Down:      imp>>12 == 0xf,
		}
		if c.Validate() != nil {
			return
		}
		clock := &fakeClock{}
		var arrived [][]byte
		d := wire.NewDir(clock, "f a→b", deriveSeed(1, "fuzz"), c.wire(), func([]byte, string, int) int { return 0 },
			func(g *netframe.Frame, _ int) { arrived = append(arrived, g.B) })
		in := append([]byte(nil), frame...)
		for range 3 {
			d.Send(frame)
		}
		if string(in) != string(frame) {
			t.Fatal("Send modified its frame")
		}
		clock.run()
		st := d.Stats()
		if want := 3 - st.Lost - st.Dropped + st.Duplicated; len(arrived) != want {
			t.Fatalf("%d arrived, want %d (stats %+v)", len(arrived), want, st)
		}
		for _, a := range arrived {
			if len(a) != len(frame) {
				t.Fatalf("a frame of %d bytes arrived as %d", len(frame), len(a))
			}
			diff := 0
			for i := range a {
				for x := a[i] ^ frame[i]; x != 0; x &= x - 1 {
					diff++
				}
			}
			if diff > 1 {
				t.Fatalf("%d bits differ", diff)
			}
		}
	})
}
