package wire

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim/internal/frame"
)

// fakeClock is a virtual clock for one wire: After queues a function, Run
// runs the queued functions in time order (ties in the order queued),
// advancing the clock to each.
type fakeClock struct {
	now time.Duration
	seq int
	q   eventQueue
}

type event struct {
	at  time.Duration
	seq int
	fn  func()
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

func (c *fakeClock) Elapsed() time.Duration { return c.now }

func (c *fakeClock) After(d time.Duration, fn func()) {
	if d < 0 {
		panic(fmt.Sprintf("After(%v): negative delay", d))
	}
	c.seq++
	heap.Push(&c.q, event{at: c.now + d, seq: c.seq, fn: fn})
}

// RunUntil runs every event due at or before t, then sets the clock to t.
func (c *fakeClock) RunUntil(t time.Duration) {
	for c.q.Len() > 0 && c.q[0].at <= t {
		e := heap.Pop(&c.q).(event)
		c.now = e.at
		e.fn()
	}
	c.now = max(c.now, t)
}

// Run runs every queued event.
func (c *fakeClock) Run() {
	for c.q.Len() > 0 {
		e := heap.Pop(&c.q).(event)
		c.now = e.at
		e.fn()
	}
}

// arrival is a frame as the far end received it.
type arrival struct {
	at    time.Duration
	frame []byte
}

// rig is one direction on a fake clock that remembers every frame entering
// it (with its note) and every frame arriving at the far end.
type rig struct {
	clock    *fakeClock
	dir      *Dir
	notes    []string // one per Send, in order
	recorded [][]byte
	origins  []int // the origin of each Send
	arrived  []arrival
	nums     []int // the number recv got with each arrival
}

func newRig(name string, seed [32]byte, c Config) *rig {
	r := &rig{clock: &fakeClock{}}
	r.dir = NewDir(r.clock, name, seed,
		c,
		func(frame []byte, note string, origin int) int {
			r.recorded = append(r.recorded, frame)
			r.notes = append(r.notes, note)
			r.origins = append(r.origins, origin)
			return len(r.recorded)
		},
		func(f *frame.Frame, num int) {
			r.arrived = append(r.arrived, arrival{r.clock.now, f.B})
			r.nums = append(r.nums, num)
		})
	return r
}

func seedOf(s string) [32]byte {
	var b [32]byte
	copy(b[:], s)
	return b
}

// ipv4Frame returns an Ethernet frame carrying an IPv4 packet (20-byte
// header) with a UDP-like payload of size bytes whose first 8 bytes are the
// frame's number k, so that arrivals can be told apart.
func ipv4Frame(k, size int) []byte {
	f := make([]byte, 14+20+max(size, 8))
	copy(f[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(f[6:12], []byte{2, 0, 0, 0, 0, 1})
	f[12], f[13] = 0x08, 0x00
	f[14] = 0x45
	binary.BigEndian.PutUint16(f[16:], uint16(len(f)-14))
	f[22] = 64
	f[23] = 17
	binary.BigEndian.PutUint64(f[34:], uint64(k))
	return f
}

func ipv6Frame(k, size int) []byte {
	f := make([]byte, 14+40+max(size, 8))
	f[12], f[13] = 0x86, 0xdd
	f[14] = 0x60
	binary.BigEndian.PutUint16(f[18:], uint16(len(f)-54))
	f[20] = 17
	f[21] = 64
	binary.BigEndian.PutUint64(f[54:], uint64(k))
	return f
}

func arpFrame() []byte {
	f := make([]byte, 14+28)
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f[12], f[13] = 0x08, 0x06
	return f
}

// number returns the frame number ipv4Frame wrote.
func number(f []byte) int { return int(binary.BigEndian.Uint64(f[34:])) }

// sendN sends n IPv4 frames of 100 payload bytes, one every gap, and runs
// the clock until every arrival.
func (r *rig) sendN(n int, gap time.Duration) {
	for k := 0; k < n; k++ {
		r.clock.RunUntil(time.Duration(k) * gap)
		r.dir.Send(ipv4Frame(k, 100))
	}
	r.clock.Run()
}

// noted returns the indices of the frames whose note contains s.
func (r *rig) noted(s string) []int {
	var out []int
	for i, n := range r.notes {
		if strings.Contains(n, s) {
			out = append(out, i)
		}
	}
	return out
}

// within fails unless got is within 5 standard deviations of a binomial
// count of n trials with probability p.
func within(t *testing.T, what string, got, n int, p float64) {
	t.Helper()
	mean := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	dev := math.Abs(float64(got) - mean)
	if dev > 5*sd {
		t.Errorf("%s: %d of %d (%.4f%%), want %.4f%% ± 5σ (%.1f ± %.1f)", what, got, n, 100*float64(got)/float64(n), 100*p, mean, 5*sd)
		return
	}
	t.Logf("%s: %d of %d = %.4f%% (configured %.4f%%, %.2fσ off)", what, got, n, 100*float64(got)/float64(n), 100*p, dev/max(sd, 1e-9))
}

const manyFrames = 100_000

func TestLossRate(t *testing.T) {
	for _, p := range []float64{0.001, 0.02, 0.1, 0.5, 0.99} {
		r := newRig("l a→b", seedOf(fmt.Sprint("loss", p)), Config{Loss: p})
		r.sendN(manyFrames, time.Microsecond)
		st := r.dir.Stats()
		lost := r.noted("lost: loss ")
		within(t, fmt.Sprintf("loss %v", p), st.Lost, manyFrames, p)
		if st.Sent != manyFrames || len(r.recorded) != manyFrames {
			t.Errorf("loss %v: Sent %d, recorded %d, want %d", p, st.Sent, len(r.recorded), manyFrames)
		}
		if len(lost) != st.Lost || len(r.arrived) != manyFrames-st.Lost {
			t.Errorf("loss %v: Stats.Lost %d, %d frames noted lost, %d arrived of %d", p, st.Lost, len(lost), len(r.arrived), manyFrames)
		}
		// The frames that arrived are exactly the ones not noted lost.
		isLost := map[int]bool{}
		for _, k := range lost {
			isLost[k] = true
		}
		for _, a := range r.arrived {
			if isLost[number(a.frame)] {
				t.Fatalf("loss %v: frame %d noted lost but arrived", p, number(a.frame))
			}
		}
	}
	for _, p := range []float64{0, 1} {
		r := newRig("l a→b", seedOf("edge"), Config{Loss: p})
		r.sendN(1000, time.Microsecond)
		if want := int(p * 1000); r.dir.Stats().Lost != want {
			t.Errorf("loss %v: %d of 1000 lost, want %d", p, r.dir.Stats().Lost, want)
		}
	}
}

func TestDupRate(t *testing.T) {
	for _, p := range []float64{0.01, 0.3} {
		r := newRig("d a→b", seedOf(fmt.Sprint("dup", p)), Config{Dup: p, Delay: time.Millisecond})
		r.sendN(manyFrames, time.Microsecond)
		st := r.dir.Stats()
		within(t, fmt.Sprintf("dup %v", p), st.Duplicated, manyFrames, p)
		if got := len(r.noted("duplicated: dup ")); got != st.Duplicated {
			t.Errorf("dup %v: %d noted, Stats.Duplicated %d", p, got, st.Duplicated)
		}
		if len(r.arrived) != manyFrames+st.Duplicated {
			t.Errorf("dup %v: %d arrivals, want %d", p, len(r.arrived), manyFrames+st.Duplicated)
		}
		// Each duplicated frame arrives exactly twice, the others once.
		count := make([]int, manyFrames)
		for _, a := range r.arrived {
			count[number(a.frame)]++
		}
		for _, k := range r.noted("duplicated") {
			if count[k] != 2 {
				t.Fatalf("dup %v: frame %d noted duplicated arrived %d times", p, k, count[k])
			}
			count[k] = 1
		}
		for k, c := range count {
			if c != 1 {
				t.Fatalf("dup %v: frame %d arrived %d times", p, k, c)
			}
		}
	}
}

func TestReorderRate(t *testing.T) {
	const p = 0.05
	delay := 10 * time.Millisecond
	r := newRig("r a→b", seedOf("reorder"), Config{Reorder: p, Delay: delay})
	r.sendN(manyFrames, time.Millisecond)
	st := r.dir.Stats()
	within(t, "reorder", st.Reordered, manyFrames, p)
	reordered := r.noted("reordered: reorder 5% on r a→b")
	if len(reordered) != st.Reordered {
		t.Errorf("%d noted reordered, Stats.Reordered %d", len(reordered), st.Reordered)
	}
	// A reordered frame arrives at once, overtaking the frames sent in the
	// delay before it; the others arrive after exactly the delay.
	isR := map[int]bool{}
	for _, k := range reordered {
		isR[k] = true
	}
	overtook := 0
	for i, a := range r.arrived {
		k := number(a.frame)
		sent := time.Duration(k) * time.Millisecond
		want := sent + delay
		if isR[k] {
			want = sent
			if i > 0 && number(r.arrived[i-1].frame) > k {
				t.Errorf("reordered frame %d arrived after frame %d", k, number(r.arrived[i-1].frame))
			}
			if k > 0 && i < len(r.arrived)-1 && number(r.arrived[i+1].frame) < k {
				overtook++
			}
		}
		if a.at != want {
			t.Fatalf("frame %d (reordered %v) arrived at %v, want %v", k, isR[k], a.at, want)
		}
	}
	if overtook < st.Reordered*9/10 {
		t.Errorf("only %d of %d reordered frames overtook an earlier one", overtook, st.Reordered)
	}
	// Without a delay there is nothing to overtake: reorder does nothing.
	r = newRig("r a→b", seedOf("reorder"), Config{Reorder: 0.5})
	r.sendN(1000, time.Millisecond)
	if st := r.dir.Stats(); st.Reordered != 0 || len(r.noted("reordered")) != 0 {
		t.Errorf("reorder without delay: %d reordered, notes %v", st.Reordered, r.noted("reordered"))
	}
}

// diffBits returns the positions of the bits in which a and b differ.
func diffBits(a, b []byte) []int {
	var out []int
	for i := range a {
		x := a[i] ^ b[i]
		for x != 0 {
			j := bits.LeadingZeros8(x)
			out = append(out, i*8+j)
			x &^= 0x80 >> j
		}
	}
	return out
}

func TestCorrupt(t *testing.T) {
	const p = 0.01
	r := newRig("c a→b", seedOf("corrupt"), Config{Corrupt: p, Delay: time.Millisecond})
	sent := make([][]byte, manyFrames)
	for k := range manyFrames {
		r.clock.RunUntil(time.Duration(k) * time.Microsecond)
		f := ipv4Frame(k, 100)
		if k%2 == 1 {
			f = ipv6Frame(k, 100)
			binary.BigEndian.PutUint64(f[34:], uint64(k)) // in the IPv6 header: numbered like the IPv4 ones
		}
		if k%4 == 2 {
			f[14] = 0x46 // an IPv4 header with options: 24 bytes
			f = append(f[:34:34], append(make([]byte, 4), f[34:]...)...)
			binary.BigEndian.PutUint64(f[34:], uint64(k))
		}
		sent[k] = append([]byte(nil), f...)
		r.dir.Send(f)
		if !bytes.Equal(f, sent[k]) {
			t.Fatalf("Send modified the caller's frame %d", k)
		}
	}
	r.clock.Run()
	st := r.dir.Stats()
	within(t, "corrupt", st.Corrupted, manyFrames, p)
	noted := r.noted("corrupted: corrupt 1% (bit ")
	if len(noted) != st.Corrupted {
		t.Errorf("%d noted corrupted, Stats.Corrupted %d", len(noted), st.Corrupted)
	}
	isC := map[int]bool{}
	for _, k := range noted {
		isC[k] = true
	}
	if len(r.arrived) != manyFrames {
		t.Fatalf("%d arrived, want %d", len(r.arrived), manyFrames)
	}
	for i, a := range r.arrived {
		k := number(a.frame)
		if k != i {
			// The frame number itself may be the flipped bit.
			if !isC[i] {
				t.Fatalf("arrival %d is frame %d", i, k)
			}
			k = i
		}
		d := diffBits(sent[k], a.frame)
		if !bytes.Equal(r.recorded[k], a.frame) {
			t.Fatalf("frame %d: the capture recorded other bytes than arrived", k)
		}
		if !isC[k] {
			if len(d) != 0 {
				t.Fatalf("frame %d not noted corrupted but bits %v differ", k, d)
			}
			continue
		}
		ipHdr := 20
		switch {
		case k%2 == 1:
			ipHdr = 40
		case k%4 == 2:
			ipHdr = 24
		}
		if len(d) != 1 || d[0] < (14+ipHdr)*8 {
			t.Fatalf("frame %d (IP header %d bytes): bits %v differ, want exactly one past bit %d", k, ipHdr, d, (14+ipHdr)*8)
		}
		if want := fmt.Sprintf("(bit %d flipped)", d[0]); !strings.Contains(r.notes[k], want) {
			t.Fatalf("frame %d: note %q does not say %s", k, r.notes[k], want)
		}
	}
	// Frames with no IP payload are never corrupted.
	r = newRig("c a→b", seedOf("corrupt"), Config{Corrupt: 1})
	for _, f := range [][]byte{arpFrame(), ipv4Frame(0, 8)[:34], ipv6Frame(0, 8)[:54], {1, 2, 3}, nil} {
		want := append([]byte(nil), f...)
		r.dir.Send(f)
		r.clock.Run()
		if got := r.arrived[len(r.arrived)-1].frame; !bytes.Equal(got, want) {
			t.Errorf("frame % x with no IP payload arrived as % x", want, got)
		}
	}
	if st := r.dir.Stats(); st.Corrupted != 0 || len(r.noted("corrupt")) != 0 {
		t.Errorf("frames with no IP payload: %d corrupted, notes %q", st.Corrupted, r.notes)
	}
}

// TestGilbertElliott: bursty loss keeps the long-run loss rate and gives
// bursts of the configured mean length.
func TestGilbertElliott(t *testing.T) {
	const n = 200_000
	for _, c := range []struct{ loss, burst float64 }{{0.05, 4}, {0.01, 2}, {0.2, 10}, {0.3, 1.5}, {0.6, 2}} {
		r := newRig("g a→b", seedOf(fmt.Sprint("ge", c)), Config{Loss: c.loss, LossBurst: c.burst})
		for k := range n {
			r.dir.Send(ipv4Frame(k, 8))
		}
		st := r.dir.Stats()
		// Count the bursts: runs of consecutive lost frames.
		lostAt := make([]bool, n)
		for _, k := range r.noted(fmt.Sprintf("lost: loss %g%% in bursts of %g on g a→b", 100*c.loss, c.burst)) {
			lostAt[k] = true
		}
		bursts, lost := 0, 0
		for k, l := range lostAt {
			if l {
				lost++
				if k == 0 || !lostAt[k-1] {
					bursts++
				}
			}
		}
		if lost != st.Lost {
			t.Errorf("%v: %d noted lost, Stats.Lost %d", c, lost, st.Lost)
		}
		// The loss indicators of a two-state Markov chain are correlated:
		// the variance of their sum is n·π(1-π)·(1+λ)/(1-λ), where
		// λ = 1-p-r is the chain's second eigenvalue.
		rr := 1 / c.burst
		pp := c.loss * rr / (1 - c.loss)
		lambda := 1 - pp - rr
		sd := math.Sqrt(n * c.loss * (1 - c.loss) * (1 + lambda) / (1 - lambda))
		rate := float64(lost) / n
		if math.Abs(float64(lost)-n*c.loss) > 5*sd {
			t.Errorf("%v: long-run loss %.4f%%, want %.4f%% ± %.4f%% (5σ)", c, 100*rate, 100*c.loss, 500*sd/n)
		}
		// Burst lengths are geometric with mean 1/r and variance (1-r)/r².
		mean := float64(lost) / float64(bursts)
		sdMean := math.Sqrt((1-rr)/(rr*rr)) / math.Sqrt(float64(bursts))
		if math.Abs(mean-c.burst) > 5*sdMean {
			t.Errorf("%v: mean burst %.3f frames over %d bursts, want %g ± %.3f (5σ)", c, mean, bursts, c.burst, 5*sdMean)
		}
		t.Logf("loss %g%% bursts %g: observed loss %.4f%%, mean burst %.3f over %d bursts", 100*c.loss, c.burst, 100*rate, mean, bursts)
	}
}

// decisions runs n frames through a direction with config c and returns
// its notes.
func decisions(seed [32]byte, c Config, n int) []string {
	r := newRig("s a→b", seed, c)
	r.sendN(n, 100*time.Microsecond)
	return r.notes
}

func indices(notes []string, what string) []int {
	var out []int
	for i, n := range notes {
		if strings.Contains(n, what) {
			out = append(out, i)
		}
	}
	return out
}

var everything = Config{Delay: time.Millisecond, Jitter: 200 * time.Microsecond, Loss: 0.1, Dup: 0.1, Reorder: 0.1, Corrupt: 0.1}

func TestSeeds(t *testing.T) {
	const n = 5000
	jittery := Config{Delay: time.Millisecond, Jitter: 500 * time.Microsecond, Loss: 0.1, LossBurst: 2, Dup: 0.1, Corrupt: 0.1}
	for _, c := range []Config{everything, jittery} {
		a := decisions(seedOf("one"), c, n)
		b := decisions(seedOf("one"), c, n)
		if !equal(a, b) {
			t.Fatalf("%+v: the same seed gave other decisions", c)
		}
		other := decisions(seedOf("two"), c, n)
		whats := []string{"lost", "duplicated", "reordered", "corrupted"}
		if c.Reorder == 0 {
			whats = []string{"lost: loss 10% in bursts of 2", "duplicated", "corrupted", "overtook an earlier frame"}
		}
		for _, what := range whats {
			x, y := indices(a, what), indices(other, what)
			if len(x) == 0 {
				t.Errorf("%+v seed one: no frame %s", c, what)
			}
			if equalInts(x, y) {
				t.Errorf("%+v seeds one and two: the same frames %s", c, what)
			}
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStreamsIndependent: each impairment draws from a stream of its own,
// so switching the others on or off does not change which frames it hits.
func TestStreamsIndependent(t *testing.T) {
	const n = 20000
	seed := seedOf("independent")
	alone := func(c Config, what string) []int { return indices(decisions(seed, c, n), what) }
	lost := alone(Config{Loss: 0.1}, "lost")
	for _, c := range []Config{
		{Loss: 0.1, Dup: 0.3},
		{Loss: 0.1, Corrupt: 0.3},
		{Loss: 0.1, Reorder: 0.3, Delay: time.Millisecond},
		{Loss: 0.1, Jitter: time.Millisecond, Delay: time.Millisecond},
		{Loss: 0.1, Rate: 1e9, Queue: 1000},
		everything,
	} {
		if got := alone(c, "lost"); !equalInts(got, lost) {
			t.Errorf("%+v: other frames lost than with loss alone", c)
		}
	}
	bursty := alone(Config{Loss: 0.1, LossBurst: 3}, "lost")
	if got := alone(Config{Loss: 0.1, LossBurst: 3, Dup: 0.5, Corrupt: 0.5}, "lost"); !equalInts(got, bursty) {
		t.Errorf("bursty loss: dup and corrupt changed which frames are lost")
	}
}

// TestStreamsIndependentOfLoss: loss takes frames away, but of the frames
// that survive, the same ones should be duplicated, corrupted and reordered
// as without loss, as each impairment has a stream of its own.
func TestStreamsIndependentOfLoss(t *testing.T) {
	const n = 20000
	seed := seedOf("independent")
	for _, what := range []struct {
		c    Config
		note string
	}{
		{Config{Dup: 0.2}, "duplicated"},
		{Config{Corrupt: 0.2}, "corrupted"},
		{Config{Reorder: 0.2, Delay: time.Millisecond}, "reordered"},
	} {
		base := indices(decisions(seed, what.c, n), what.note)
		lossy := what.c
		lossy.Loss = 0.3
		notes := decisions(seed, lossy, n)
		var survivors []int
		for _, k := range base {
			if !strings.Contains(notes[k], "lost") {
				survivors = append(survivors, k)
			}
		}
		if got := indices(notes, what.note); !equalInts(got, survivors) {
			t.Errorf("%s: with loss 30%%, %d frames %s, %d of them as without loss; want the %d survivors of the %d without loss",
				what.note, len(got), what.note, len(intersect(got, base)), len(survivors), len(base))
		}
	}
}

func intersect(a, b []int) []int {
	in := map[int]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []int
	for _, x := range a {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}

func TestJitter(t *testing.T) {
	delay, jitter := 10*time.Millisecond, 3*time.Millisecond
	r := newRig("j a→b", seedOf("jitter"), Config{Delay: delay, Jitter: jitter})
	const n = 20000
	r.sendN(n, time.Millisecond)
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	var total time.Duration
	order := 0
	for i, a := range r.arrived {
		k := number(a.frame)
		d := a.at - time.Duration(k)*time.Millisecond
		if d < delay-jitter || d > delay+jitter {
			t.Fatalf("frame %d: delay %v outside %v ± %v", k, d, delay, jitter)
		}
		lo, hi = min(lo, d), max(hi, d)
		total += d
		if i > 0 && number(r.arrived[i-1].frame) > k {
			order++
		}
	}
	mean := total / n
	// Uniform on [-J, J]: sd J/√3; the mean of n within 5 sd/√n.
	if tol := time.Duration(5 * float64(jitter) / math.Sqrt(3) / math.Sqrt(n)); mean < delay-tol || mean > delay+tol {
		t.Errorf("mean delay %v, want %v ± %v", mean, delay, tol)
	}
	if lo > delay-jitter+jitter/100 || hi < delay+jitter-jitter/100 {
		t.Errorf("delays span [%v, %v], want close to [%v, %v]", lo, hi, delay-jitter, delay+jitter)
	}
	// Frames 1 ms apart with ±3 ms of jitter overtake each other (as netem);
	// each frame that arrives before one sent earlier says so.
	if order == 0 {
		t.Error("jitter reordered nothing")
	}
	overtakers := 0
	var lastAt time.Duration
	byNumber := make([]time.Duration, n)
	for _, a := range r.arrived {
		byNumber[number(a.frame)] = a.at
	}
	for k := range n {
		if byNumber[k] < lastAt {
			overtakers++
			if !strings.Contains(r.notes[k], "overtook an earlier frame: jitter ±3ms on j a→b") {
				t.Fatalf("frame %d arrived before an earlier frame; note %q", k, r.notes[k])
			}
		} else if r.notes[k] != "" {
			t.Fatalf("frame %d kept its order; note %q", k, r.notes[k])
		}
		lastAt = max(lastAt, byNumber[k])
	}
	t.Logf("delay %v ± %v: observed [%v, %v], mean %v; %d of %d frames overtook an earlier one", delay, jitter, lo, hi, mean, overtakers, n)
	// The delay never goes below zero.
	r = newRig("j a→b", seedOf("jitter"), Config{Delay: time.Millisecond, Jitter: 5 * time.Millisecond})
	r.sendN(1000, time.Millisecond)
	for _, a := range r.arrived {
		if d := a.at - time.Duration(number(a.frame))*time.Millisecond; d < 0 {
			t.Fatalf("frame %d arrived %v before it was sent", number(a.frame), -d)
		}
	}
}

// TestJitterNotedWithReorder: a frame that jitter makes overtake an earlier
// one is noted also when Reorder is set.
func TestJitterNotedWithReorder(t *testing.T) {
	r := newRig("j a→b", seedOf("jitter"), Config{Delay: 10 * time.Millisecond, Jitter: 3 * time.Millisecond, Reorder: 0.01})
	const n = 5000
	r.sendN(n, time.Millisecond)
	byNumber := make([]time.Duration, n)
	for _, a := range r.arrived {
		byNumber[number(a.frame)] = a.at
	}
	var lastAt time.Duration
	jittered := 0
	for k := range n {
		reordered := strings.Contains(r.notes[k], "reordered: reorder 1% on j a→b")
		switch overtook := byNumber[k] < lastAt; {
		case overtook && r.notes[k] == "":
			t.Fatalf("frame %d overtook an earlier frame with no note", k)
		case overtook && !reordered:
			if want := "overtook an earlier frame: jitter ±3ms on j a→b"; r.notes[k] != want {
				t.Fatalf("frame %d: note %q, want %q", k, r.notes[k], want)
			}
			jittered++
		case !overtook && !reordered && r.notes[k] != "":
			t.Fatalf("frame %d kept its order; note %q", k, r.notes[k])
		}
		lastAt = max(lastAt, byNumber[k])
	}
	if jittered == 0 || r.dir.Stats().Reordered == 0 {
		t.Errorf("%d frames overtook by jitter, %d reordered: the test proves nothing", jittered, r.dir.Stats().Reordered)
	}
}

// TestOvertakeAfterShorterDelay: without jitter, frames overtake only when
// SetConfig shortens the delay; the first frames sent after it say so.
func TestOvertakeAfterShorterDelay(t *testing.T) {
	r := newRig("o a→b", seedOf("overtake"), Config{Delay: 10 * time.Millisecond})
	for k := range 20 {
		if k == 10 {
			r.dir.SetConfig(Config{Delay: time.Millisecond})
		}
		r.clock.RunUntil(time.Duration(k) * time.Millisecond)
		r.dir.Send(ipv4Frame(k, 100))
	}
	r.clock.Run()
	// Frames 0-9 arrive at 10-19 ms; frames 10-17 at 11-18 ms overtake.
	want := []int{10, 11, 12, 13, 14, 15, 16, 17}
	if got := r.noted("overtook an earlier frame: delay now 1ms on o a→b"); !equalInts(got, want) {
		t.Errorf("noted frames %v, want %v (notes %q)", got, want, r.notes)
	}
}

// TestJitterIndependentOfLossAndDup: the frames that get through arrive
// after the same jittered delay whatever Loss and Dup are.
func TestJitterIndependentOfLossAndDup(t *testing.T) {
	const n = 5000
	base := Config{Delay: 10 * time.Millisecond, Jitter: 3 * time.Millisecond}
	arrivals := func(c Config) map[int]time.Duration {
		r := newRig("ji a→b", seedOf("jitter-independent"), c)
		r.sendN(n, time.Millisecond)
		first := map[int]time.Duration{}
		for _, a := range r.arrived {
			k := number(a.frame)
			if _, ok := first[k]; !ok {
				first[k] = a.at - time.Duration(k)*time.Millisecond
			}
		}
		return first
	}
	want := arrivals(base)
	for _, c := range []Config{
		{Delay: base.Delay, Jitter: base.Jitter, Loss: 0.3},
		{Delay: base.Delay, Jitter: base.Jitter, Dup: 0.3},
		{Delay: base.Delay, Jitter: base.Jitter, Loss: 0.2, LossBurst: 3, Dup: 0.2},
	} {
		got := arrivals(c)
		if len(got) == 0 {
			t.Fatalf("%+v: nothing arrived", c)
		}
		for k, d := range got {
			// A duplicate can arrive before its original: compare the
			// original's delay only when it is the earlier copy.
			if d != want[k] && !(c.Dup > 0 && d < want[k]) {
				t.Fatalf("%+v: frame %d arrived after %v, without loss and dup %v", c, k, d, want[k])
			}
		}
	}
}

// TestHugeDurations: with Delay and Jitter up to MaxDelay (the most
// netsim.LinkConfig.Validate lets through), Send does not panic and never
// schedules an arrival in the past (the fake clock panics on that).
func TestHugeDurations(t *testing.T) {
	for _, c := range []Config{
		{Delay: MaxDelay},
		{Jitter: MaxDelay},
		{Delay: MaxDelay, Jitter: MaxDelay},
		{Delay: MaxDelay, Jitter: MaxDelay, Rate: 1, Queue: 1000, Dup: 1, Reorder: 0.5},
	} {
		func() {
			defer func() {
				if e := recover(); e != nil {
					t.Errorf("%+v: Send panics: %v", c, e)
				}
			}()
			r := newRig("h a→b", seedOf("huge"), c)
			r.clock.now = time.Hour
			for k := range 10 {
				r.dir.Send(ipv4Frame(k, 100))
			}
			r.clock.Run()
		}()
	}
}

// TestDupWithRate: on a rate-limited link a duplicate is a frame like any
// other: it takes its own serialisation time (as netem's duplicate, which is
// queued as a second packet).
func TestDupWithRate(t *testing.T) {
	r := newRig("dr a→b", seedOf("dup-rate"), Config{Rate: 1_000_000, Dup: 1, Queue: 1000})
	for k := range 10 {
		r.dir.Send(ipv4Frame(k, 1000-34))
	}
	r.clock.Run()
	if len(r.arrived) != 20 {
		t.Fatalf("%d arrived, want 20", len(r.arrived))
	}
	ser := 1000 * 8 * time.Second / 1_000_000
	if last := r.arrived[19].at; last < 20*ser {
		t.Errorf("20 frames of 1000 bytes (10 and their duplicates) at 1 Mbit/s: the last arrives at %v, want %v", last, 20*ser)
	}
	// A queue of 3: frame 0 and its duplicate take two places, frame 1 the
	// third, its duplicate is dropped, and so is frame 2. The counts add up:
	// arrivals = Sent - Lost - Dropped + Duplicated.
	r = newRig("dr a→b", seedOf("dup-rate"), Config{Rate: 1_000_000, Dup: 1, Queue: 3})
	for k := range 3 {
		r.dir.Send(ipv4Frame(k, 1000-34))
	}
	r.clock.Run()
	st := r.dir.Stats()
	if st.Duplicated != 2 || st.Dropped != 2 || len(r.arrived) != 3 || len(r.arrived) != st.Sent-st.Lost-st.Dropped+st.Duplicated {
		t.Errorf("3 frames duplicated into a queue of 3: %d arrived, stats %+v; want 3 arrivals, 2 duplicated, 2 dropped", len(r.arrived), st)
	}
	want := []string{
		"duplicated: dup 100% on dr a→b",
		"duplicated: dup 100% on dr a→b; dropped (the duplicate): queue full (3 frames) on dr a→b",
		"dropped: queue full (3 frames) on dr a→b",
	}
	if !equal(r.notes, want) {
		t.Errorf("notes %q, want %q", r.notes, want)
	}
}

func TestRate(t *testing.T) {
	const rate = 10_000_000 // 10 Mbit/s
	delay := 5 * time.Millisecond
	r := newRig("rate a→b", seedOf("rate"), Config{Rate: rate, Delay: delay, Queue: 50})
	// A burst of 200 frames of 1514 bytes at t=0: 50 fit in the queue, the
	// rest are dropped; the 50 leave one serialisation time apart.
	const size = 1514
	ser := time.Duration(size * 8 * int64(time.Second) / rate) // 1.2112 ms
	for k := range 200 {
		f := ipv4Frame(k, size-34)
		if len(f) != size {
			t.Fatalf("frame of %d bytes", len(f))
		}
		r.dir.Send(f)
	}
	r.clock.Run()
	st := r.dir.Stats()
	if st.Dropped != 150 || len(r.arrived) != 50 || st.Lost != 0 {
		t.Fatalf("burst of 200 into a queue of 50: %d dropped, %d lost, %d arrived; want 150, 0, 50", st.Dropped, st.Lost, len(r.arrived))
	}
	if got := r.noted("dropped: queue full (50 frames) on rate a→b"); len(got) != 150 || got[0] != 50 || got[149] != 199 {
		t.Errorf("frames noted dropped: %d, from %v", len(got), got[:min(3, len(got))])
	}
	for i, a := range r.arrived {
		if number(a.frame) != i {
			t.Fatalf("arrival %d is frame %d", i, number(a.frame))
		}
		if want := time.Duration(i+1)*ser + delay; a.at != want {
			t.Fatalf("frame %d arrived at %v, want %v (serialisation %v each, delay %v)", i, a.at, want, ser, delay)
		}
	}
	// Once the queue drains, frames are accepted again; a frame sent to an
	// idle link waits only for its own serialisation.
	r.clock.RunUntil(time.Second)
	r.dir.Send(ipv4Frame(1000, 100-34))
	r.clock.Run()
	if last := r.arrived[len(r.arrived)-1]; number(last.frame) != 1000 || last.at != time.Second+100*8*time.Second/rate+delay {
		t.Errorf("a 100-byte frame at 1s arrived at %v, want %v", last.at, time.Second+100*8*time.Second/rate+delay)
	}
	// Frames sent more slowly than the rate never queue: at 10 Mbit/s a
	// 1514-byte frame every 2 ms leaves at once.
	r = newRig("rate a→b", seedOf("rate"), Config{Rate: rate, Queue: 1})
	r.sendN(1000, 2*time.Millisecond)
	if st := r.dir.Stats(); st.Dropped != 0 {
		t.Errorf("paced below the rate with a queue of 1: %d dropped", st.Dropped)
	}
	// Throughput of a long backlog: the link is busy back to back.
	const queue = 1000
	r = newRig("rate a→b", seedOf("rate"), Config{Rate: 1_000_000, Queue: queue})
	for k := range 1000 {
		r.dir.Send(ipv4Frame(k, 1000-34))
	}
	r.clock.Run()
	if got, want := r.arrived[len(r.arrived)-1].at, 1000*1000*8*time.Second/1_000_000; got != want {
		t.Errorf("1000 frames of 1000 bytes at 1 Mbit/s: the last arrives at %v, want %v", got, want)
	}
	if st := r.dir.Stats(); st.Dropped != 0 {
		t.Errorf("1000 frames into a queue of %d: %d dropped", queue, st.Dropped)
	}
	r = newRig("rate a→b", seedOf("rate"), Config{Rate: 1_000_000, Queue: queue})
	for k := range queue + 10 {
		r.dir.Send(ipv4Frame(k, 100))
	}
	if st := r.dir.Stats(); st.Dropped != 10 {
		t.Errorf("%d frames into a queue of %d: %d dropped, want 10", queue+10, queue, st.Dropped)
	}
}

func TestDown(t *testing.T) {
	r := newRig("x a→b", seedOf("down"), Config{Down: true, Delay: time.Millisecond, Dup: 1, Corrupt: 1})
	r.sendN(1000, time.Millisecond)
	st := r.dir.Stats()
	if len(r.arrived) != 0 || st.Lost != 1000 || st.Sent != 1000 || st.Duplicated+st.Corrupted != 0 {
		t.Errorf("down: %d arrived, stats %+v", len(r.arrived), st)
	}
	if len(r.noted("lost: link down on x a→b")) != 1000 || len(r.recorded) != 1000 {
		t.Errorf("down: notes %q...", r.notes[:3])
	}
	// Up again: frames flow; frames already on the wire when the link goes
	// down still arrive (they left before).
	r.dir.SetConfig(Config{Delay: time.Millisecond})
	r.dir.Send(ipv4Frame(1, 100))
	r.dir.SetConfig(Config{Down: true})
	r.clock.Run()
	if len(r.arrived) != 1 {
		t.Errorf("after up: %d arrived, want 1", len(r.arrived))
	}
	if got := r.dir.Config(); !got.Down {
		t.Errorf("Config() = %+v after SetConfig(Down)", got)
	}
}

// TestNotes checks the text of each note, which Wireshark users filter on.
func TestNotes(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Loss: 1}, "lost: loss 100% on n a→b"},
		{Config{Loss: 0.999999, LossBurst: 2}, "lost: loss 99.9999% in bursts of 2 on n a→b"},
		{Config{Down: true}, "lost: link down on n a→b"},
		{Config{Dup: 1}, "duplicated: dup 100% on n a→b"},
		{Config{Reorder: 1, Delay: time.Millisecond}, "reordered: reorder 100% on n a→b"},
		{Config{Corrupt: 1}, "corrupted: corrupt 100% (bit "},
		{Config{Dup: 1, Corrupt: 1}, "; duplicated: dup 100% on n a→b"},
	} {
		r := newRig("n a→b", seedOf("notes"), c.cfg)
		r.clock.now = time.Second
		r.dir.Send(ipv4Frame(1, 100))
		r.dir.Send(ipv4Frame(2, 100))
		if !strings.Contains(r.notes[1], c.want) {
			t.Errorf("%+v: note %q, want it to contain %q", c.cfg, r.notes[1], c.want)
		}
	}
	for p, want := range map[float64]string{0.02: "2%", 0.001: "0.1%", 0.5: "50%", 0.0001: "0.01%", 0.123456: "12.3456%", 1: "100%"} {
		if got := pct(p); got != want {
			t.Errorf("pct(%v) = %q, want %q", p, got, want)
		}
	}
	// A perfect wire writes no note.
	r := newRig("n a→b", seedOf("notes"), Config{Delay: time.Millisecond})
	r.sendN(100, time.Microsecond)
	if got := r.noted(""); len(got) != 100 || strings.Join(r.notes, "") != "" {
		t.Errorf("perfect wire: notes %q", strings.Join(r.notes, "|"))
	}
}

// TestNumbersAndOrigins checks that record gets SendFrom's origin and that
// each arrival (a duplicate too) carries the number record returned.
func TestNumbersAndOrigins(t *testing.T) {
	r := newRig("a-b a→b", seedOf("nums"), Config{Delay: time.Millisecond, Dup: 1})
	r.dir.Send(ipv4Frame(1, 100))
	r.dir.SendFrom(ipv4Frame(2, 100), 7)
	r.clock.Run()
	if want := []int{0, 7}; !slices.Equal(r.origins, want) {
		t.Errorf("origins %v, want %v", r.origins, want)
	}
	if want := []int{1, 1, 2, 2}; !slices.Equal(r.nums, want) {
		t.Errorf("numbers at arrival %v, want %v", r.nums, want)
	}
}

// argClock is a fakeClock that also has AfterArg, as netsim's does.
type argClock struct{ *fakeClock }

func (c argClock) AfterArg(d time.Duration, fn func(any), arg any) {
	c.After(d, func() { fn(arg) })
}

// TestFrameReferences: a pooled frame sent on a wire that duplicates and
// corrupts is held once per copy in flight, each copy arrives with the
// frame's bytes (the corrupted one a clone, the sender's left as it was),
// and every reference is given back once the copies have arrived, with the
// clock's AfterArg or with After.
func TestFrameReferences(t *testing.T) {
	for _, withArg := range []bool{true, false} {
		for _, c := range []Config{{Delay: time.Millisecond, Dup: 1}, {Delay: time.Millisecond, Dup: 1, Corrupt: 1}} {
			fc := &fakeClock{}
			var clock Clock = fc
			if withArg {
				clock = argClock{fc}
			}
			want := ipv4Frame(1, 100)
			var got [][]byte
			d := NewDir(clock, "a→b", seedOf("refs"), c, func([]byte, string, int) int { return 0 },
				func(f *frame.Frame, _ int) { got = append(got, append([]byte(nil), f.B...)) })
			sent := frame.New(len(want))
			copy(sent.B, want)
			d.SendFrame(sent, 0)
			refs := sent.Refs()
			fc.Run()
			if c.Corrupt == 0 && refs != 3 {
				t.Errorf("%+v: %d references after SendFrame, want 3 (the sender's and two copies in flight)", c, refs)
			}
			if left := sent.Refs(); left != 1 {
				t.Errorf("%+v, AfterArg %v: %d references once both copies arrived, want the sender's 1", c, withArg, left)
			}
			if !bytes.Equal(sent.B, want) {
				t.Errorf("%+v: the sender's frame changed", c)
			}
			if len(got) != 2 {
				t.Fatalf("%+v: %d copies arrived, want 2", c, len(got))
			}
			for i, g := range got {
				if c.Corrupt == 0 && !bytes.Equal(g, want) {
					t.Errorf("%+v: copy %d differs from the frame sent", c, i)
				}
				if c.Corrupt > 0 && bytes.Equal(g, want) {
					t.Errorf("%+v: copy %d not corrupted", c, i)
				}
			}
			sent.Release()
		}
	}
}
