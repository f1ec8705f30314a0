// Package tsg draws time-sequence graphs of TCP connections, in the style
// of W. Richard Stevens's TCP/IP Illustrated and Shawn Ostermann's tcptrace:
// for one direction of one stream, the relative sequence number against
// time.
//
// Each segment the sender sent is a vertical bar from its first to its last
// sequence number at the time it was captured; a retransmission (a segment
// whose range was sent before) is red, a SYN or FIN is teal and labelled.
// The receiver's acknowledgments make the green ACK line (a step line), and
// the acknowledgment plus the advertised receive window (scaled by the
// window scale from the SYNs) the receive-window line above it: the sender
// may send up to that line. SACK blocks (what the receiver holds beyond a
// hole) are magenta bars beside their ACK. Each segment is labelled with its
// frame number where labels do not crowd. Frames netsim's network lost or
// dropped (pcapng
// comments starting "lost:" or "dropped") get an orange ×. In netsim's own
// captures the sender's congestion window, from the "tcp sender:" comments
// its stack writes ([SenderPrefix]), is the dashed purple line una + cwnd:
// the sender may have at most that much unacknowledged.
//
// [Read] (or [ReadFile]) builds a [Graph] from a pcap or pcapng capture,
// using only [netsim.dev/netsim/pcapread] and [netsim.dev/netsim/dissect]:
// any capture works, not only netsim's. [Graph.SVG] and [Graph.PNG] draw it;
// both come from one drawing, so they look the same.
//
// [Options] pick the stream, the direction and a span of time. From the
// command line: netsim read -r F.pcapng --graph tsg -o F.svg (or -o F.png;
// --stream N, --dir client|server, --time 50ms-150ms).
package tsg
