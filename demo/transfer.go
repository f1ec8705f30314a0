package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"strings"

	"netsim.dev/internal/payload"
	"netsim.dev/netsim"
)

func init() {
	register(Demo{Name: "transfer", Summary: "a client host (10.0.0.1) sends --size bytes to a server host (10.0.0.2) over an Ethernet link, then closes", Uses: []string{"Size", "Conns", "Hops", "IPv6"}, run: runTransfer})
}

// transferPort is the server's port in the transfer demo.
const transferPort = 5001

// chain builds the transfer demo's topology: client, hops-1 routers, server,
// in a line. Link k joins node k (the client is node 0) to node k+1 on
// subnet 10.0.k.0/24 (fd00:0:0:k::/64), where node k is .1 and node k+1 is
// .2; extra (CIDR form) are more addresses of the client's interface. It
// returns the client, the server, the server's address, and the links.
func chain(n *netsim.Network, hops int, v6 bool, cfg netsim.LinkConfig, extra ...string) (client, server *netsim.Host, addr string, err error) {
	nodes := make([]*netsim.Host, hops+1)
	for k := range nodes {
		name := fmt.Sprintf("r%d", k)
		switch k {
		case 0:
			name = "client"
		case hops:
			name = "server"
		}
		if nodes[k], err = n.AddHost(name); err != nil {
			return nil, nil, "", err
		}
	}
	v4 := func(k, host int) string { return fmt.Sprintf("10.0.%d.%d", k, host) }
	v6a := func(k, host int) string { return fmt.Sprintf("fd00:0:0:%x::%d", k, host) }
	for k := 0; k < hops; k++ {
		addrs := []string{v4(k, 1) + "/24", v6a(k, 1) + "/64"}
		if k == 0 {
			addrs = append(addrs, extra...)
		}
		left := nodes[k].Iface(fmt.Sprintf("eth%d", min(k, 1)), addrs...)
		right := nodes[k+1].Iface("eth0", v4(k, 2)+"/24", v6a(k, 2)+"/64")
		if _, err := n.Connect(nodes[k].Name()+"-"+nodes[k+1].Name(), left, right, cfg); err != nil {
			return nil, nil, "", err
		}
	}
	// Routes: node k reaches subnet j beyond its own two (k-1 and k)
	// through its left neighbour (j < k-1) or its right one (j > k).
	for k, h := range nodes {
		if k > 0 && k < hops {
			if err := h.SetForwarding(true); err != nil {
				return nil, nil, "", err
			}
		}
		for j := 0; j < hops; j++ {
			var gw4, gw6 string
			switch {
			case j < k-1:
				gw4, gw6 = v4(k-1, 1), v6a(k-1, 1)
			case j > k:
				gw4, gw6 = v4(k, 2), v6a(k, 2)
			default:
				continue
			}
			if err := h.AddRoute(v4(j, 0)+"/24", gw4); err != nil {
				return nil, nil, "", err
			}
			if err := h.AddRoute(v6a(j, 0)+"/64", gw6); err != nil {
				return nil, nil, "", err
			}
		}
	}
	addr = net.JoinHostPort(v4(hops-1, 2), fmt.Sprint(transferPort))
	if v6 {
		addr = net.JoinHostPort(v6a(hops-1, 2), fmt.Sprint(transferPort))
	}
	return nodes[0], nodes[hops], addr, nil
}

// writeSize is how many bytes a client generates and writes at a time:
// 64 KiB, 45 full segments at MTU 1500; but 1 MiB on a link whose MTU is
// above 4 KiB with a single connection. A write that is not a multiple of
// the MSS ends in a short segment when the sender has caught up with the
// writer, which at MTU 65535 is after every write: 64 KiB writes made one
// full segment and an 81-byte runt each (1,023 of a 64 MiB transfer's
// 3,081 frames); 1 MiB writes make 16 full segments and one short one.
// Several connections keep 64 KiB, since their buffers live at once; and
// MTU 1500 keeps the writes, and so the captures, it always had. Never
// more than the transfer.
func writeSize(p Params) int {
	w := int64(64 << 10)
	if p.Conns <= 1 && p.Link.MTU > 4096 {
		w = 1 << 20
	}
	return int(max(min(w, p.Size), 1))
}

// readSize is the server's read buffer: as large as the client's writes
// (writeSize), so never more than the transfer (10,000 connections of 1 KiB
// read at once).
func readSize(p Params) int { return writeSize(p) }

// extraClientAddrs returns the client's addresses beyond its first, in
// CIDR form, for p.Conns connections: one more for each p.connsPerAddr()
// connections, 10.0.0.4, 10.0.0.5... (fd00::4, fd00::5...), none up to
// that many. Not 10.0.0.3: gVisor gives a connection that names no local
// address the client's address that shares the longest prefix with the
// server's (10.0.0.2), the first of them on a tie, and 10.0.0.3 would take
// 10.0.0.1's place (and its connections would fight the bound ones for
// the ports of 10.0.0.3).
func extraClientAddrs(p Params) []string {
	var extra []string
	for k := 1; k*p.connsPerAddr() < p.Conns; k++ {
		if p.IPv6 {
			extra = append(extra, fmt.Sprintf("fd00::%x/64", k+3))
		} else {
			extra = append(extra, fmt.Sprintf("10.0.0.%d/24", k+3))
		}
	}
	return extra
}

// connsPerAddr is how many connections leave from one client address:
// ConnsPerAddr, or fewer in tests.
func (p Params) connsPerAddr() int { return cmp.Or(p.perAddr, ConnsPerAddr) }

// clientFrom is the local address client i dials from: "" (any: the
// client's first address, an ephemeral port) for the first perAddr
// clients, then port 0 of extra[0] for the next perAddr, and so on.
func clientFrom(i, perAddr int, extra []string) string {
	k := i / perAddr
	if k == 0 {
		return ""
	}
	ip, _, _ := strings.Cut(extra[k-1], "/")
	return net.JoinHostPort(ip, "0")
}

// sendOne is one client: it dials from the local address from (see
// clientFrom), sends p.Size bytes (p by pointer: a client's stack holds
// no copy of it while it waits), shuts its side down and waits for the
// server to close, so that a reset reaches it. first is what every client
// sends when it fits in one write (see firstWrite): the client then has
// no buffer of its own.
func sendOne(client *netsim.Host, from, addr string, p *Params, first *firstWrite, r *result) error {
	c, err := client.DialFrom(context.Background(), "tcp", from, addr)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	defer c.Close()
	if p.Size <= int64(len(first.b)) {
		if p.Size > 0 {
			if _, err := c.Write(first.b[:p.Size]); err != nil {
				return fmt.Errorf("client: %w", err)
			}
		}
		r.bytes, r.sum = p.Size, first.sum
	} else if err := sendStream(c, p, r); err != nil {
		return err
	}
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	// The server sends nothing: a small buffer will do, where io.Discard's
	// 8 KiB one was held by every client waiting here (80 MB for 10,000
	// connections).
	var buf [64]byte
	for {
		if _, err := c.Read(buf[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("client: waiting for the server to close: %w", err)
		}
	}
}

// sendStream writes p.Size bytes of the seed's payload stream to c in
// writes of writeSize, and counts and checksums them in r.
func sendStream(c net.Conn, p *Params, r *result) error {
	var sum uint32
	src := payload.New(p.Seed)
	buf := make([]byte, writeSize(*p))
	for left := p.Size; left > 0; {
		chunk := buf[:min(left, int64(len(buf)))]
		src.Read(chunk)
		sum = crc32.Update(sum, crc32.IEEETable, chunk)
		if _, err := c.Write(chunk); err != nil {
			return fmt.Errorf("client: %w", err)
		}
		left -= int64(len(chunk))
		r.bytes += int64(len(chunk))
	}
	r.sum = sum
	return nil
}

// firstWrite is the whole transfer of every client when it takes one
// write (p.Size up to writeSize), the same bytes for each: p.Size bytes of
// the seed's payload stream, made once for all the connections, and their
// CRC-32. A longer transfer has none (b is nil): each client generates its
// stream as it writes.
type firstWrite struct {
	b   []byte
	sum uint32
}

// newFirstWrite makes the write of p's clients.
func newFirstWrite(p Params) *firstWrite {
	if p.Size > int64(writeSize(p)) || p.Size == 0 {
		return &firstWrite{}
	}
	b := make([]byte, p.Size)
	payload.New(p.Seed).Read(b)
	return &firstWrite{b: b, sum: crc32.ChecksumIEEE(b)}
}

// result is what one end of a connection moved: the byte count and the
// CRC-32 of the bytes (IEEE, as zlib, gzip and Ethernet compute it).
type result struct {
	bytes int64
	sum   uint32
}

// receiveAll reads c to its end into buf and returns the byte count and
// CRC-32 of what it read.
func receiveAll(c net.Conn, buf []byte) (result, error) {
	var r result
	for {
		k, err := c.Read(buf)
		r.bytes += int64(k)
		r.sum = crc32.Update(r.sum, crc32.IEEETable, buf[:k])
		if err == io.EOF {
			return r, nil
		}
		if err != nil {
			return r, err
		}
	}
}

// runTransfer: the server accepts Conns connections and reads each to EOF;
// Conns client tasks each dial at once, send Size bytes and close. Each
// client sends its seed's payload stream ([payload.New]: a 64 KiB ChaCha8
// block, keyed anew for every 64 KiB of the stream; 22 GB/s where
// ChaCha8 alone ran at 0.8 GB/s and was 65% of a 64 MiB transfer's
// instructions), the same bytes for every connection. Both sides count and checksum what they sent and received (CRC-32: 6 GB/s
// here where sha256 ran at 0.44 GB/s and took a third of a bulk
// transfer's CPU; it detects every error burst up to 32 bits long and
// misses other corruption with a probability of 2^-32, which is enough to
// show that every byte arrived, since nothing forges the bytes).
//
// A burst of SYNs and the ARP queue, on purpose. All Conns clients dial at
// the same virtual instant, before the client knows the next hop's MAC
// address, so every SYN waits in gVisor's queue of packets pending link
// resolution. That queue holds 256 packets per resolution and drops the
// oldest beyond that (stack/pending_packets.go,
// maxPendingPacketsPerResolution), as Linux's per-neighbour unres_qlen_bytes
// queue (212,992 bytes by default) drops its oldest. So with --conns 1000
// the 744 SYNs queued first are dropped before they reach the wire; the ARP
// exchange takes 20 µs, the last 256 SYNs go out and their connections
// finish within milliseconds, and the other 744 connections send their SYN
// when TCP's initial retransmission timeout (1 s) fires. Measured (transfer
// --conns 1000 --size 1KiB, seed 0): 9,002 frames (the ARP request and
// reply and 9 per connection), 1,000 SYNs on the wire, 256 at t=20 µs and
// 744 at t=1 s (each connection's only SYN in the capture, so tshark flags
// no retransmission), 1.015 s of simulated time instead of 5.2 ms for
// --conns 256 (257 connections already take 1.0001 s). netsim keeps real
// ARP with that queue rather than pre-filling neighbour caches or enlarging
// the queue: it is what a real host does when many connections start at
// once towards an unresolved neighbour, and a learner can see it. Stagger
// the dials (or send one packet first) to avoid it.
func runTransfer(p Params) (netsim.Stats, error) {
	opts := p.options()
	if len(opts.CaptureInterfaces) == 0 {
		// The client's link: the view from the client's side.
		opts.CaptureInterfaces = []string{"client-server"}
		if p.Hops > 1 {
			opts.CaptureInterfaces = []string{"client-r1"}
		}
	} else if len(opts.CaptureInterfaces) == 1 && opts.CaptureInterfaces[0] == "all" {
		opts.CaptureInterfaces = nil
	}
	// The server is tuned for the burst, as one would raise somaxconn:
	// every connection's handshake may complete before it accepts any.
	opts.ListenBacklog = max(4096, p.Conns)
	n, err := netsim.New(opts)
	if err != nil {
		return netsim.Stats{}, err
	}
	extra := extraClientAddrs(p)
	client, server, addr, err := chain(n, p.Hops, p.IPv6, p.Link, extra...)
	if err != nil {
		return netsim.Stats{}, err
	}
	p.partition(n, p.Link, n.Links()...)
	routers := ""
	if p.Hops > 1 {
		routers = fmt.Sprintf(" through %d router(s)", p.Hops-1)
	}
	from := client.Addrs()[0]
	if p.IPv6 {
		from = client.Addrs()[1]
	}
	fromText := from.String()
	if len(extra) > 0 {
		first, _, _ := strings.Cut(extra[0], "/")
		last, _, _ := strings.Cut(extra[len(extra)-1], "/")
		fromText += " and " + first
		if len(extra) > 1 {
			fromText += "-" + last
		}
	}
	fmt.Fprintf(p.Out, "client %s -> server %s%s: %d connection(s) of %d bytes\n",
		fromText, addr, routers, p.Conns, p.Size)
	var errs []error
	ln, err := server.Listen("tcp", fmt.Sprintf(":%d", transferPort))
	if err != nil {
		return netsim.Stats{}, err
	}
	sent := make([]result, p.Conns)
	got := make([]result, 0, p.Conns)
	failed := map[string]int{} // client failures, by error
	finished := 0
	rsize := readSize(p)
	n.Go(func() { // server: accepts until the last client is done
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("server: %w", err))
				return
			}
			n.Go(func() {
				r, err := receiveAll(c, make([]byte, rsize))
				if err != nil {
					errs = append(errs, fmt.Errorf("server: %s: %w", c.RemoteAddr(), err))
				}
				got = append(got, r)
				errs = append(errs, c.Close())
			})
		}
	})
	first := newFirstWrite(p)
	perAddr := p.connsPerAddr()
	for i := 0; i < p.Conns; i++ {
		n.Go(func() { // client i
			if err := sendOne(client, clientFrom(i, perAddr, extra), addr, &p, first, &sent[i]); err != nil {
				failed[err.Error()]++
			}
			if finished++; finished == p.Conns {
				errs = append(errs, ln.Close())
			}
		})
	}
	st, err := finish(p, n, &errs)
	if errors.Is(err, netsim.ErrInterrupted) {
		return st, err
	}
	summarise := func(who, verb string, rs []result) {
		var total int64
		sums := map[uint32]int{}
		for _, r := range rs {
			total += r.bytes
			sums[r.sum]++
		}
		if len(rs) == 1 {
			fmt.Fprintf(p.Out, "%s: %s %d bytes, crc32 %08x\n", who, verb, rs[0].bytes, rs[0].sum)
			return
		}
		for s, k := range sums {
			fmt.Fprintf(p.Out, "%s: %s %d bytes over %d connections; %d of them with crc32 %08x\n", who, verb, total, len(rs), k, s)
		}
	}
	summarise("client", "sent", sent)
	summarise("server", "received", got)
	if len(failed) > 0 {
		total, first := 0, ""
		for msg, k := range failed {
			total += k
			if first == "" || msg < first {
				first = msg
			}
		}
		err = errors.Join(err, fmt.Errorf("%d of %d connections failed (%d distinct errors; e.g. %s)", total, p.Conns, len(failed), first))
	}
	if err == nil {
		for i, r := range got {
			if r != sent[0] {
				err = fmt.Errorf("connection %d: server received %d bytes with crc32 %08x, client sent %d with %08x", i, r.bytes, r.sum, sent[0].bytes, sent[0].sum)
				break
			}
		}
		if len(got) != p.Conns {
			err = fmt.Errorf("server finished %d of %d connections", len(got), p.Conns)
		}
	}
	return st, err
}
