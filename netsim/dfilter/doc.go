// Package dfilter compiles and evaluates Wireshark display filters such as
//
//	tcp.flags.syn==1 and tcp.seq==0 and tcp.ack==0
//	ip.addr==127.0.0.0/8 && udp.port in {53, 5353, 8000..8100}
//	tcp.payload contains 2c:37:42 or frame.len > 1000
//
// with tshark 4.0's semantics: comparisons on multi-valued fields such as
// ip.addr and tcp.port are "any of", except != which means "all not equal"
// (~= is "any not equal"); a field or protocol name alone tests existence;
// "not" binds tighter than "and", which binds tighter than "or".
//
// Compile once and Match many packets decoded by package dissect; or use
// CountFile, MatchFile and ExpectCount to check a capture from a Go test.
package dfilter
