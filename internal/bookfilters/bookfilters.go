// Package bookfilters holds the nine Wireshark display filters of the book's
// chapter on traffic capture (see cmd/netsim/book/), in its order, so
// that the tests of the filter engine, of the CLI's walkthrough and of the
// agreement harness check one list.
package bookfilters

// Filters are the chapter's nine display filters, in its order: the whole
// conversation, the three handshake segments, the data segments, the two
// FINs, the last ACK and the UDP datagram.
var Filters = []string{
	"tcp and ip.addr==127.0.0.1 and tcp.port==24000",
	"tcp.flags.syn==1 and tcp.seq==0 and tcp.ack==0",
	"tcp.flags.syn==1 and tcp.flags.ack==1 and tcp.seq==0 and tcp.ack==1",
	"tcp.flags.syn==0 and tcp.flags.ack==1 and tcp.flags.push==0 and tcp.seq==1 and tcp.ack==1",
	"not tcp.flags.push==0",
	"tcp.flags.fin==1 and tcp.dstport==24000",
	"tcp.flags.fin==1 and tcp.srcport==24000",
	"tcp.flags.ack==1 and tcp.seq==5 and tcp.dstport==24000",
	"udp.port==24000",
}
