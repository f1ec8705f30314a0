package link

import (
	"bytes"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	"netsim.dev/netsim/internal/frame"
)

// udpHost is a stack with one port (OwnChecksums, no neighbour
// resolution) at addr and a UDP endpoint bound to port 7.
type udpHost struct {
	s    *stack.Stack
	port *Port
	ep   tcpip.Endpoint
	sent []*frame.Frame // the frames its port transmitted, each with a reference
}

func newUDPHost(t *testing.T, addr tcpip.Address) *udpHost {
	t.Helper()
	h := &udpHost{s: stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{udp.NewProtocol},
	})}
	t.Cleanup(func() {
		for _, f := range h.sent {
			f.Release()
		}
		h.s.Close()
		h.s.Wait()
	})
	h.port = New(Config{MTU: 1500, OwnChecksums: true, Transmit: func(f *frame.Frame, _ int) { h.sent = append(h.sent, f.Ref()) }})
	if err := h.s.CreateNICWithOptions(1, h.port, stack.NICOptions{QDisc: h.port}); err != nil {
		t.Fatal(err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: addr, PrefixLen: 24}}
	if err := h.s.AddProtocolAddress(1, pa, stack.AddressProperties{}); err != nil {
		t.Fatal(err)
	}
	h.s.AddRoute(tcpip.Route{Destination: pa.AddressWithPrefix.Subnet(), NIC: 1})
	var wq waiter.Queue
	ep, err := h.s.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ep.Close)
	if err := ep.Bind(tcpip.FullAddress{Addr: addr, Port: 7}); err != nil {
		t.Fatal(err)
	}
	h.ep = ep
	return h
}

// received returns the datagrams h's endpoint has, in order.
func (h *udpHost) received() []string {
	var out []string
	for {
		var b bytes.Buffer
		if _, err := h.ep.Read(&b, tcpip.ReadOptions{}); err != nil {
			return out
		}
		out = append(out, b.String())
	}
}

// TestChecksumsOK: a port with OwnChecksums marks the UDP frames its host
// originates ChecksumsOK, with checksums that are right; a receiving port
// given such a frame by DeliverFrame has its stack skip the checks (a frame
// wrongly marked gets through), while a frame without the mark (a
// corrupted copy) is checked and dropped.
func TestChecksumsOK(t *testing.T) {
	a, b := tcpip.AddrFrom4([4]byte{10, 0, 0, 1}), tcpip.AddrFrom4([4]byte{10, 0, 0, 2})
	ha, hb := newUDPHost(t, a), newUDPHost(t, b)
	for _, msg := range []string{"one", "two", "three"} {
		var r bytes.Reader
		r.Reset([]byte(msg))
		if _, err := ha.ep.Write(&r, tcpip.WriteOptions{To: &tcpip.FullAddress{Addr: b, Port: 7}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ha.sent) != 3 {
		t.Fatalf("%d frames sent, want 3", len(ha.sent))
	}
	for i, f := range ha.sent {
		if !f.ChecksumsOK {
			t.Errorf("frame %d: not ChecksumsOK", i+1)
		}
	}
	// One as sent; a corrupted copy (its checksum now wrong), unmarked;
	// the same corrupted bytes marked.
	hb.port.DeliverFrame(ha.sent[0], 1)
	bad := ha.sent[1].Clone()
	defer bad.Release()
	bad.B[len(bad.B)-1] ^= 1
	if bad.ChecksumsOK {
		t.Fatal("a clone is ChecksumsOK")
	}
	hb.port.DeliverFrame(bad, 2)
	wrong := ha.sent[2].Clone()
	defer wrong.Release()
	wrong.B[len(wrong.B)-1] ^= 1
	wrong.ChecksumsOK = true
	hb.port.DeliverFrame(wrong, 3)
	if got, want := hb.received(), []string{"one", "thred"}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("received %q, want %q (the unmarked corrupted frame dropped)", got, want)
	}
	if n := hb.s.Stats().UDP.ChecksumErrors.Value(); n != 1 {
		t.Errorf("%d UDP checksum errors, want 1", n)
	}
	if hb.port.Capabilities()&stack.CapabilityRXChecksumOffload != 0 {
		t.Error("RX checksum offload reported outside DeliverFrame")
	}
}

// TestSharedPayload: a frame with a payload of minShared bytes or more
// shares its payload's views with the stack that sent it, holding the
// frame's own bytes; the receiving stack gets them as sent, from the
// views (twice, for a duplicate) or, for a clone, which shares nothing,
// from the clone's bytes.
func TestSharedPayload(t *testing.T) {
	a, b := tcpip.AddrFrom4([4]byte{10, 0, 0, 1}), tcpip.AddrFrom4([4]byte{10, 0, 0, 2})
	ha, hb := newUDPHost(t, a), newUDPHost(t, b)
	small, big := "short", string(bytes.Repeat([]byte("0123456789"), 100))
	for _, msg := range []string{small, big} {
		var r bytes.Reader
		r.Reset([]byte(msg))
		if _, err := ha.ep.Write(&r, tcpip.WriteOptions{To: &tcpip.FullAddress{Addr: b, Port: 7}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ha.sent) != 2 {
		t.Fatalf("%d frames sent, want 2", len(ha.sent))
	}
	if _, pl, ok := ha.sent[0].Payload(); ok {
		pl.Release()
		t.Errorf("a %d-byte payload is shared", len(small))
	}
	f := ha.sent[1]
	at, pl, ok := f.Payload()
	if !ok {
		t.Fatalf("a %d-byte payload is not shared", len(big))
	}
	if got := pl.Flatten(); !bytes.Equal(got, f.B[at:]) || at != 14+20+8 {
		t.Errorf("shared payload at %d: %d bytes, equal to the frame's: %v", at, len(got), bytes.Equal(got, f.B[at:]))
	}
	pl.Release()
	clone := f.Clone()
	defer clone.Release()
	if _, _, ok := clone.Payload(); ok {
		t.Error("a clone shares the payload")
	}
	hb.port.DeliverFrame(f, 1)
	hb.port.DeliverFrame(f, 1) // a duplicate
	hb.port.DeliverFrame(clone, 2)
	if got := hb.received(); len(got) != 3 || got[0] != big || got[1] != big || got[2] != big {
		t.Errorf("received %d datagrams, want the %d-byte one 3 times", len(got), len(big))
	}
}
