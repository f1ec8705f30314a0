// Command gvisorbulk moves bytes through one TCP connection between two
// gVisor stacks joined by an Ethernet cable made of gVisor's own pipe link
// endpoint: the same TCP/IP stack as netsim, free-running on the wall clock,
// without netsim's scheduler (no virtual clock, no one-event-at-a-time
// driver, no quiescing). Every frame is written to a pcap file (snap length
// 128, as netsim's benchmark and tcpdump -s 128 in scripts/bench-network.sh),
// so the capture's cost is included. The sockets are gVisor's gonet
// adapters, which drive receive-buffer autotuning.
//
// With -demo it does the work of `netsim run transfer --size BYTES --mtu N
// -w FILE.pcapng` (scripts/bench-bulk.sh sets the two side by side): the
// client generates the demo's payload (internal/payload seeded as the demo
// seeds it, the same bytes), writes it 1 MiB at a time at an MTU above 4 KiB (64 KiB
// otherwise), and both ends compute the CRC-32 of what they sent and
// received, which it prints as the demo does. A FILE ending in .pcapng is
// written by netsim's own capture writer (netsim/capture: pcapgo's pcapng
// writer through netsim's buffer), whole frames unless -snap says
// otherwise, and synced to disk, as the CLI writes it.
//
// It prints benchmark lines that benchstat and scripts/bench-network.sh read.
//
// Usage: gvisorbulk [-size BYTES] [-mtu N] [-runs N] [-w FILE] [-snap N] [-demo]
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/link/nested"
	"gvisor.dev/gvisor/pkg/tcpip/link/pipe"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"netsim.dev/internal/payload"
	"netsim.dev/netsim/capture"
)

func main() {
	size := flag.Int("size", 64<<20, "bytes to send")
	mtu := flag.Int("mtu", 1500, "IP MTU of the link")
	runs := flag.Int("runs", 5, "how many transfers")
	out := flag.String("w", os.DevNull, "capture file to write (pcapng if it ends in .pcapng, else pcap)")
	snap := flag.Int("snap", 0, "snapshot length (default 128 in pcap, whole frames in pcapng)")
	flag.BoolVar(&demoWork, "demo", false, "the transfer demo's work: its payload, its write sizes, CRC-32 at both ends")
	flag.Parse()
	for i := 0; i < *runs; i++ {
		d, frames, err := transfer(*size, *mtu, *out, *snap)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gvisorbulk:", err)
			os.Exit(1)
		}
		fmt.Printf("BenchmarkGvisorBulk64MiB/mtu=%d \t1\t%d ns/op\t%.2f MB/s\t%d frames/op\t%.0f ns/frame\n",
			*mtu, d.Nanoseconds(), float64(*size)/d.Seconds()/1e6, frames, float64(d.Nanoseconds())/float64(frames))
	}
}

// demoWork is -demo.
var demoWork bool

// frameWriter records frames; pcapWriter and ngWriter are the two.
type frameWriter interface {
	write(pkt *stack.PacketBuffer)
	finish() (frames int, err error)
}

// ngWriter writes pcapng with netsim's capture writer, as the CLI does.
type ngWriter struct {
	mu     sync.Mutex
	w      *capture.Writer
	iface  int
	frames int
	buf    []byte
}

func newNgWriter(w io.Writer, snapLen int) (*ngWriter, error) {
	cw, err := capture.New(w, capture.Options{Format: capture.PCAPNG, SnapLen: snapLen})
	if err != nil {
		return nil, err
	}
	iface, err := cw.AddInterface("client-server", "link client-server")
	return &ngWriter{w: cw, iface: iface}, err
}

// write records pkt's whole frame: its bytes in one slice, as netsim's
// link endpoint has them.
func (n *ngWriter) write(pkt *stack.PacketBuffer) {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.buf = appendFrame(n.buf[:0], pkt, pkt.Size())
	_ = n.w.WriteFrame(n.iface, now, n.buf, "")
	n.frames++
}

func (n *ngWriter) finish() (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.frames, n.w.Flush()
}

// appendFrame appends pkt's frame (Ethernet header included) to buf, at
// most limit bytes of it.
func appendFrame(buf []byte, pkt *stack.PacketBuffer, limit int) []byte {
	for _, s := range pkt.AsSlices() {
		if room := limit - len(buf); len(s) > room {
			s = s[:room]
		}
		buf = append(buf, s...)
	}
	return buf
}

// pcapWriter writes classic pcap (link type Ethernet, microseconds).
type pcapWriter struct {
	mu      sync.Mutex
	w       *bufio.Writer
	snapLen int
	frames  int
	hdr     [16]byte
	buf     []byte
}

func newPcapWriter(w io.Writer, snapLen int) (*pcapWriter, error) {
	p := &pcapWriter{w: bufio.NewWriterSize(w, 1<<20), snapLen: snapLen, buf: make([]byte, 0, snapLen)}
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], uint32(snapLen))
	binary.LittleEndian.PutUint32(h[20:], 1) // Ethernet
	_, err := p.w.Write(h[:])
	return p, err
}

// write records pkt (its whole frame, Ethernet header included), truncated
// to the snap length.
func (p *pcapWriter) write(pkt *stack.PacketBuffer) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = appendFrame(p.buf[:0], pkt, p.snapLen)
	binary.LittleEndian.PutUint32(p.hdr[0:], uint32(now.Unix()))
	binary.LittleEndian.PutUint32(p.hdr[4:], uint32(now.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(p.hdr[8:], uint32(len(p.buf)))
	binary.LittleEndian.PutUint32(p.hdr[12:], uint32(pkt.Size()))
	p.w.Write(p.hdr[:])
	p.w.Write(p.buf)
	p.frames++
}

func (p *pcapWriter) finish() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frames, p.w.Flush()
}

// tap sits between the Ethernet endpoint and the pipe and records every
// frame in both directions.
type tap struct {
	nested.Endpoint
	pcap frameWriter
}

func newTap(lower stack.LinkEndpoint, pcap frameWriter) *tap {
	t := &tap{pcap: pcap}
	t.Endpoint.Init(lower, t)
	return t
}

func (t *tap) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	for _, pkt := range pkts.AsSlice() {
		t.pcap.write(pkt)
	}
	return t.Endpoint.WritePackets(pkts)
}

func (t *tap) DeliverNetworkPacket(proto tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	t.pcap.write(pkt)
	t.Endpoint.DeliverNetworkPacket(proto, pkt)
}

func newStack() *stack.Stack {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	// The receive buffer netsim's hosts use (netsim/host.go).
	rcv := tcpip.TCPReceiveBufferSizeRangeOption{Min: 4096, Default: 6 << 20, Max: 6 << 20}
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &rcv)
	return s
}

// demoPayload returns the transfer demo's payload stream for seed 0
// (demo/transfer.go, sendOne), and the size of its writes and reads
// (writeSize) at this MTU.
func demoPayload(size, mtu int) (*payload.Stream, int) {
	w := 64 << 10
	if mtu > 4096 {
		w = 1 << 20
	}
	return payload.New(0), max(min(w, size), 1)
}

func transfer(size, mtu int, path string, snap int) (time.Duration, int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var pcap frameWriter
	if strings.HasSuffix(path, ".pcapng") {
		pcap, err = newNgWriter(f, snap)
	} else {
		if snap <= 0 {
			snap = 128
		}
		pcap, err = newPcapWriter(f, snap)
	}
	if err != nil {
		return 0, 0, err
	}
	gen, chunk := demoPayload(size, mtu)
	if !demoWork {
		chunk = 256 << 10
	}
	a, b := newStack(), newStack()
	defer func() {
		a.Close()
		b.Close()
		a.Wait()
		b.Wait()
	}()
	pa, pb := pipe.New("\x02\x00\x00\x00\x00\x01", "\x02\x00\x00\x00\x00\x02", uint32(mtu+14))
	addrA, addrB := tcpip.AddrFrom4([4]byte{10, 0, 0, 1}), tcpip.AddrFrom4([4]byte{10, 0, 0, 2})
	for _, h := range []struct {
		s    *stack.Stack
		ep   stack.LinkEndpoint
		addr tcpip.Address
	}{{a, ethernet.New(newTap(pa, pcap)), addrA}, {b, ethernet.New(pb), addrB}} {
		if err := h.s.CreateNIC(1, h.ep); err != nil {
			return 0, 0, fmt.Errorf("create NIC: %s", err)
		}
		pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: h.addr.WithPrefix()}
		pa.AddressWithPrefix.PrefixLen = 24
		if err := h.s.AddProtocolAddress(1, pa, stack.AddressProperties{}); err != nil {
			return 0, 0, fmt.Errorf("add address: %s", err)
		}
		h.s.AddRoute(tcpip.Route{Destination: pa.AddressWithPrefix.Subnet(), NIC: 1})
	}
	ln, err := gonet.ListenTCP(b, tcpip.FullAddress{NIC: 1, Addr: addrB, Port: 9000}, ipv4.ProtocolNumber)
	if err != nil {
		return 0, 0, err
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		// A read loop, not io.CopyBuffer(io.Discard, ...), whose ReadFrom
		// reads 8 KiB a call: 256 KiB reads, as netsim's benchmark makes
		// (with -demo, the demo's reads, and their CRC-32).
		var n int64
		buf := make([]byte, chunk)
		sum := crc32.NewIEEE()
		for {
			k, rerr := c.Read(buf)
			n += int64(k)
			if demoWork {
				sum.Write(buf[:k])
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				err = rerr
				break
			}
		}
		if err == nil && n != int64(size) {
			err = fmt.Errorf("received %d of %d bytes", n, size)
		}
		if demoWork {
			fmt.Fprintf(os.Stderr, "server: received %d bytes, crc32 %08x\n", n, sum.Sum32())
		}
		done <- err
	}()
	start := time.Now()
	c, err := gonet.DialTCP(a, tcpip.FullAddress{NIC: 1, Addr: addrB, Port: 9000}, ipv4.ProtocolNumber)
	if err != nil {
		return 0, 0, err
	}
	buf := make([]byte, chunk)
	if !demoWork {
		// With -demo, the payload stream fills it before each write.
		for i := range buf {
			buf[i] = byte(i * 7)
		}
	}
	sum := crc32.NewIEEE()
	for left := size; left > 0; left -= len(buf) {
		b := buf[:min(left, len(buf))]
		if demoWork {
			gen.Read(b)
			sum.Write(b)
		}
		if _, err := c.Write(b); err != nil {
			return 0, 0, err
		}
	}
	if demoWork {
		fmt.Fprintf(os.Stderr, "client: sent %d bytes, crc32 %08x\n", size, sum.Sum32())
	}
	c.Close()
	if err := <-done; err != nil {
		return 0, 0, err
	}
	frames, err := pcap.finish()
	if err == nil && demoWork {
		// As netsim's -w does (cmd/netsim/output.go): the capture is on
		// disk before the command ends.
		err = f.Sync()
	}
	return time.Since(start), frames, err
}
