package demo

import (
	"testing"
	"time"

	"netsim.dev/netsim"
)

// slowStartRounds returns how many round trips of data a sender needs to
// move size bytes in segments of mss bytes, starting from an initial window
// of iw segments, doubling each round trip (slow start, no loss) until the
// receiver's window of wnd bytes caps what one round trip can carry.
func slowStartRounds(size, mss, iw, wnd int) int {
	segs := (size + mss - 1) / mss
	capSegs := wnd / mss
	rounds, sent, cwnd := 0, 0, iw
	for sent < segs {
		sent += min(cwnd, capSegs)
		cwnd *= 2
		rounds++
	}
	return rounds
}

// TestFidelityOverDelay moves 16 MiB over one Ethernet link with a 10 ms
// one-way delay (20 ms round trip) and counts the round trips of simulated
// time, from the first frame (the ARP request) to the last.
//
// The arithmetic it is held to, with netsim's parameters:
//   - set-up: 2 RTTs (ARP request and reply; SYN and SYN/ACK; the data
//     leaves with the handshake's last ACK);
//   - segments of 1420 bytes (MSS 1460 less the 40 bytes of options gVisor
//     reserves for timestamps and SACK blocks): 11,815 of them;
//   - slow start from 10 segments, doubling each RTT: 10, 20, ..., 1280
//     (2,550 segments in 8 RTTs), then capped by the receiver's window of
//     3 MiB (a 6 MiB receive buffer, Linux's tcp_rmem maximum, advertised at
//     half as Linux's tcp_adv_win_scale=1 does): 2,215 segments per RTT, 5
//     more RTTs: 13 RTTs of data;
//   - so 15 RTTs, where an unbounded window would give 2 + 11 = 13.
//
// It runs in the fast tier too: 16 MiB of simulated transfer take about
// half a second (two under -race).
//
// Before the receive buffer was set (gVisor's 1 MiB default, a 512 KiB
// window that netsim's sockets never autotune) the same run took 70 RTTs.
func TestFidelityOverDelay(t *testing.T) {
	const (
		size  = 16 << 20
		delay = 10 * time.Millisecond
		rtt   = 2 * delay
		mss   = 1420
		wnd   = 3 << 20
		setup = 2
	)
	d, _ := Lookup("transfer")
	st, err := d.Run(Params{Size: size, Link: netsim.LinkConfig{Delay: delay}})
	if err != nil {
		t.Fatal(err)
	}
	rtts := float64(st.LastFrame) / float64(rtt)
	predicted := setup + slowStartRounds(size, mss, 10, wnd)
	unbounded := setup + slowStartRounds(size, mss, 10, size)
	t.Logf("16 MiB over a %v RTT link: last frame at %v of simulated time = %.1f RTTs, %d frames; slow start predicts %d RTTs (%d with an unbounded window)",
		rtt, st.LastFrame, rtts, st.Frames, predicted, unbounded)
	// No run can beat slow start with an unbounded window; allow two RTTs
	// above the prediction for the close and for how the last round trip
	// ends.
	if rtts < float64(unbounded)-0.5 || rtts > float64(predicted)+2 {
		t.Errorf("%.1f RTTs, want between %d (slow start, unbounded window) and %d (prediction %d + 2)",
			rtts, unbounded, predicted+2, predicted)
	}
}
