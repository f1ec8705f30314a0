package realworld_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/quic-go/quic-go"

	"netsim.dev/netsim"
	"netsim.dev/netsim/netsimtest"
)

// quicTLS returns a server certificate for "server" and a client config
// that trusts it. Call it after cryptotest.SetGlobalRandom for the same
// key on every run.
func quicTLS(t *testing.T) (srv, cli *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "server"},
		DNSNames:     []string{"server"},
		NotBefore:    time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"echo"}}
	cli = &tls.Config{RootCAs: pool, ServerName: "server", NextProtos: []string{"echo"}}
	return srv, cli
}

// quicScenario: quic-go's server and client over the hosts' ListenPacket
// (the adapter: a quic.Transport on netsim's net.PacketConn, and the
// server's address as a *net.UDPAddr): three streams one after the other,
// each echoing 10 KiB.
func quicScenario(t *testing.T, client, server *netsim.Host, srvTLS, cliTLS *tls.Config) []string {
	spc, err := server.ListenPacket("udp", ":4433")
	if err != nil {
		t.Fatal(err)
	}
	str := &quic.Transport{Conn: spc}
	defer str.Close()
	ln, err := str.Listen(srvTLS, &quic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			conn, err := ln.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				for {
					s, err := conn.AcceptStream(context.Background())
					if err != nil {
						return
					}
					io.Copy(s, s)
					s.Close()
				}
			}()
		}
	}()

	cpc, err := client.ListenPacket("udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	ctr := &quic.Transport{Conn: cpc}
	defer ctr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := ctr.Dial(ctx, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 4433}, cliTLS, &quic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseWithError(0, "done")
	// Let quic-go's own goroutines finish the handshake's last datagrams
	// before the first stream frame: whether it rides with them is a race
	// between quic-go's run loop and the writer (a virtual millisecond
	// costs nothing).
	time.Sleep(time.Millisecond)
	var out []string
	for i := range 3 {
		s, err := conn.OpenStreamSync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, 10<<10)
		for k := range msg {
			msg[k] = byte(i + k)
		}
		if _, err := s.Write(msg); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // the FIN in a datagram of its own, not raced
		s.Close()
		got, err := io.ReadAll(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("stream %d: %d bytes echoed, same: %v", i, len(got), string(got) == string(msg)))
		time.Sleep(10 * time.Millisecond)
	}
	return out
}

// TestQUIC: quic-go, unmodified, over netsim's UDP on a LAN and under 50
// ms delay and 5% loss.
func TestQUIC(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1)
	srvTLS, cliTLS := quicTLS(t)
	for i, link := range []netsim.LinkConfig{lan, lossy} {
		n, client, server := twoHosts(t, int64(i+1), link)
		netsimtest.Run(t, n, func(t *testing.T) {
			got := fmt.Sprint(quicScenario(t, client, server, srvTLS, cliTLS))
			want := "[stream 0: 10240 bytes echoed, same: true stream 1: 10240 bytes echoed, same: true stream 2: 10240 bytes echoed, same: true]"
			if got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}
