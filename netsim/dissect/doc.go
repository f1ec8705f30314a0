// Package dissect decodes captured frames into protocol layers and fields
// with Wireshark's semantics: relative TCP sequence numbers per stream,
// tcp.stream indices, TCP sequence analysis flags, IPv4 reassembly, and
// the "any of" multi-valued fields such as ip.addr and tcp.port.
//
// A Dissector is stateful (streams, reassembly): feed it every frame of a
// capture in order. It renders tshark 4.0's one-line summary (Summary), the
// -x hex dump (HexDump), the -V tree (Tree) and -T fields values (Fields).
// Decoding is hand-written and does not allocate per packet in the common
// case; BenchmarkDecode compares it with gopacket's DecodingLayerParser.
package dissect
