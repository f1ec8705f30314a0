package demo

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"netsim.dev/netsim"
)

func init() {
	register(Demo{Name: "tcp", Summary: "the book's listings 4-1/4-2: one TCP connection to 127.0.0.1:24000 carries 44, 55, 66, then closes", Uses: []string{"Port", "Payload"}, run: runTCP})
	register(Demo{Name: "tcp-multi", Summary: "the book's figure 4-9: the sender writes several times before it closes; each ACK = seq + length", Uses: []string{"Port", "Payload", "Writes"}, run: runTCPMulti})
	register(Demo{Name: "udp", Summary: "the book's listings 4-3/4-4: one UDP datagram 127.0.0.1:24001 -> 127.0.0.1:24000 with 44, 55, 66", Uses: []string{"Port", "Payload"}, run: runUDP})
}

// bookNet builds the book's setting: one machine, the exchange on its
// loopback interface.
func bookNet(p Params) (*netsim.Network, *netsim.Host, error) {
	n, err := netsim.New(p.options())
	if err != nil {
		return nil, nil, err
	}
	h, err := n.AddHost("localhost")
	if err != nil {
		return nil, nil, err
	}
	lo := p.Link
	if lo.Delay == 0 {
		lo.Delay = netsim.DefaultLoopbackDelay
	}
	if p.Link != (netsim.LinkConfig{}) {
		if err := h.Loopback().Set(lo, lo); err != nil {
			return nil, nil, err
		}
	}
	p.partition(n, lo, h.Loopback())
	return n, h, nil
}

func runTCP(p Params) (netsim.Stats, error) { return tcpExchange(p, 1) }

func runTCPMulti(p Params) (netsim.Stats, error) { return tcpExchange(p, p.Writes) }

// tcpExchange is listings 4-1 (receiver) and 4-2 (sender): the receiver
// accepts one connection and reads until the sender closes; the sender
// writes the payload `writes` times, then closes.
func tcpExchange(p Params, writes int) (netsim.Stats, error) {
	n, h, err := bookNet(p)
	if err != nil {
		return netsim.Stats{}, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port))
	var errs []error
	ln, err := h.Listen("tcp", addr)
	if err != nil {
		return netsim.Stats{}, err
	}
	n.GoNamed("server", func() { // receiver
		conn, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return // the sender failed and closed the listener
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("receiver: %w", err))
			return
		}
		got, err := io.ReadAll(conn)
		if err != nil {
			errs = append(errs, fmt.Errorf("receiver: %w", err))
		}
		fmt.Fprintf(p.Out, "receiver: %d bytes from %s: %s\n", len(got), conn.RemoteAddr(), show(got))
		errs = append(errs, conn.Close(), ln.Close())
	})
	n.GoNamed("client", func() { // sender
		conn, err := h.Dial("tcp", addr)
		if err != nil {
			// Nobody will connect: the receiver need not wait.
			errs = append(errs, fmt.Errorf("sender: %w", err), ln.Close())
			return
		}
		for i := 0; i < writes; i++ {
			if _, err := conn.Write(p.Payload); err != nil {
				errs = append(errs, fmt.Errorf("sender: %w", err))
				break
			}
			if writes > 1 {
				// Like the book's sender (and the reference capture), pause
				// between writes so that each goes out in its own segment.
				n.Sleep(50 * time.Millisecond)
			}
		}
		fmt.Fprintf(p.Out, "sender: %s -> %s: sent %d bytes in %d write(s)\n", conn.LocalAddr(), addr, writes*len(p.Payload), writes)
		errs = append(errs, conn.Close())
	})
	return finish(p, n, &errs)
}

// runUDP is listings 4-3 (receiver) and 4-4 (sender).
func runUDP(p Params) (netsim.Stats, error) {
	n, h, err := bookNet(p)
	if err != nil {
		return netsim.Stats{}, err
	}
	var errs []error
	to := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port))
	srcPort := p.Port + 1
	if srcPort > 65535 {
		srcPort = p.Port - 1
	}
	from := net.JoinHostPort("127.0.0.1", strconv.Itoa(srcPort))
	rc, err := h.ListenPacket("udp", to)
	if err != nil {
		return netsim.Stats{}, err
	}
	n.GoNamed("server", func() { // receiver
		buf := make([]byte, 65535)
		k, addr, err := rc.ReadFrom(buf)
		if err != nil {
			errs = append(errs, fmt.Errorf("receiver: %w", err))
			return
		}
		fmt.Fprintf(p.Out, "receiver: %d bytes from %s: %s\n", k, addr, show(buf[:k]))
		errs = append(errs, rc.Close())
	})
	n.GoNamed("client", func() { // sender
		sc, err := h.ListenPacket("udp", from)
		if err != nil {
			errs = append(errs, fmt.Errorf("sender: %w", err))
			return
		}
		dst, _ := net.ResolveUDPAddr("udp", to)
		if _, err := sc.WriteTo(p.Payload, dst); err != nil {
			errs = append(errs, fmt.Errorf("sender: %w", err))
		}
		fmt.Fprintf(p.Out, "sender: %s -> %s: sent %d bytes\n", from, to, len(p.Payload))
		errs = append(errs, sc.Close())
	})
	return finish(p, n, &errs)
}

// show prints bytes as the book's figures do (hex) and as Python's receiver
// prints them (b',7B').
func show(b []byte) string {
	const max = 32
	hex := fmt.Sprintf("% x", b)
	if len(b) > max {
		hex = fmt.Sprintf("% x ...", b[:max])
	}
	return fmt.Sprintf("%s (%s)", hex, pyBytes(b, max))
}

func pyBytes(b []byte, max int) string {
	s := "b'"
	for i, c := range b {
		if i == max {
			return s + "'..."
		}
		switch {
		case c == '\\' || c == '\'':
			s += `\` + string(rune(c))
		case c >= 0x20 && c < 0x7f:
			s += string(rune(c))
		default:
			s += fmt.Sprintf(`\x%02x`, c)
		}
	}
	return s + "'"
}
