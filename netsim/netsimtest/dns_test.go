package netsimtest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/netsimtest"
)

// dnsHandler answers A queries for NAME.sim. with 10.53.0.N, where N is the
// length of NAME, and TXT queries for big.sim. with 40 records of 60 bytes:
// too much for a 512-byte UDP answer, so over UDP the client gets a
// truncated answer (TC set) and asks again over TCP, as resolvers do.
func dnsHandler(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	q := req.Question[0]
	switch {
	case q.Qtype == dns.TypeA && strings.HasSuffix(q.Name, ".sim."):
		label := strings.TrimSuffix(q.Name, ".sim.")
		m.Answer = append(m.Answer, &dns.A{
			Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
			A:   net.IPv4(10, 53, 0, byte(len(label))),
		})
	case q.Qtype == dns.TypeTXT && q.Name == "big.sim.":
		for i := 0; i < 40; i++ {
			m.Answer = append(m.Answer, &dns.TXT{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
				Txt: []string{fmt.Sprintf("%02d-%s", i, strings.Repeat("x", 57))},
			})
		}
	default:
		m.Rcode = dns.RcodeNameError
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		m.Truncate(dns.MinMsgSize) // sets TC when the answer does not fit
	}
	w.WriteMsg(m)
}

// dnsScenario runs github.com/miekg/dns, unmodified, over the network: a
// server on UDP and TCP port 53 of the server host (dns.Server with the
// host's PacketConn and Listener), and a client (dns.Client's
// ExchangeWithConn on conns from the client host's Dial) that asks over
// UDP, retrying on timeouts, falls back to TCP on a truncated answer, and
// then asks a batch of questions over one TCP connection. It returns what
// the client saw, one line per question.
func dnsScenario(t *testing.T, client, server *netsim.Host, tcpQueries int) string {
	pc, err := server.ListenPacket("udp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := server.Listen("tcp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	handler := dns.HandlerFunc(dnsHandler)
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	udpSrv := &dns.Server{PacketConn: pc, Handler: handler, NotifyStartedFunc: notify}
	tcpSrv := &dns.Server{Listener: ln, Handler: handler, NotifyStartedFunc: notify}
	served := make(chan error, 2)
	go func() { served <- udpSrv.ActivateAndServe() }()
	go func() { served <- tcpSrv.ActivateAndServe() }()
	<-started
	<-started

	var log []string
	c := &dns.Client{Timeout: 400 * time.Millisecond} // four RTTs of the lossy link
	// Over TCP, loss costs a retransmission timeout (200 ms and more), not
	// a retry: the client waits longer.
	tc := &dns.Client{Timeout: 5 * time.Second}
	var tcpConn *dns.Conn
	tcpExchange := func(m *dns.Msg) (*dns.Msg, error) {
		if tcpConn == nil {
			conn, err := client.Dial("tcp", "server:53")
			if err != nil {
				return nil, err
			}
			tcpConn = &dns.Conn{Conn: conn}
		}
		r, _, err := tc.ExchangeWithConn(m, tcpConn)
		return r, err
	}
	// query asks over UDP, a new socket per question as a stub resolver
	// does, up to 8 tries; on a truncated answer it asks over TCP.
	query := func(name string, qtype uint16) string {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.Id = uint16(len(log) + 1) // dns.Id() is random: keep the capture seeded
		conn, err := client.Dial("udp", "server:53")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		co := &dns.Conn{Conn: conn}
		tries := 0
		for {
			tries++
			r, _, err := c.ExchangeWithConn(m, co)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && tries < 8 {
				continue
			}
			if err != nil {
				return fmt.Sprintf("%s: udp error after %d tries: %v", name, tries, err)
			}
			via := "udp"
			if r.Truncated {
				if r, err = tcpExchange(m); err != nil {
					return fmt.Sprintf("%s: tcp error: %v", name, err)
				}
				via = "tcp"
			}
			return fmt.Sprintf("%s %s via %s after %d tries: %s, %d answers%s", name, dns.TypeToString[qtype], via, tries, dns.RcodeToString[r.Rcode], len(r.Answer), firstAnswer(r))
		}
	}
	for _, name := range []string{"a.sim.", "client.sim.", "nowhere.example."} {
		log = append(log, query(name, dns.TypeA))
	}
	log = append(log, query("big.sim.", dns.TypeTXT))
	// A batch over the TCP connection the fallback opened.
	for i := 0; i < tcpQueries; i++ {
		m := new(dns.Msg)
		if i%4 == 3 {
			m.SetQuestion("big.sim.", dns.TypeTXT)
		} else {
			m.SetQuestion(fmt.Sprintf("%s.sim.", strings.Repeat("q", i%20+1)), dns.TypeA)
		}
		m.Id = uint16(1000 + i)
		r, err := tcpExchange(m)
		if err != nil {
			log = append(log, fmt.Sprintf("tcp %d: %v", i, err))
			continue
		}
		log = append(log, fmt.Sprintf("tcp %d: %s, %d answers%s", i, dns.RcodeToString[r.Rcode], len(r.Answer), firstAnswer(r)))
	}
	if tcpConn != nil {
		tcpConn.Close()
	}
	if err := udpSrv.Shutdown(); err != nil {
		t.Errorf("udp Shutdown: %v", err)
	}
	if err := tcpSrv.Shutdown(); err != nil {
		t.Errorf("tcp Shutdown: %v", err)
	}
	for range 2 {
		if err := <-served; err != nil {
			t.Errorf("ActivateAndServe: %v", err)
		}
	}
	return strings.Join(log, "\n")
}

func firstAnswer(r *dns.Msg) string {
	if len(r.Answer) == 0 {
		return ""
	}
	return " first " + strings.ReplaceAll(r.Answer[0].String(), "\t", " ")
}

// runDNS runs the scenario on a fresh network and returns the capture, its
// sha256, and what the client saw.
func runDNS(t *testing.T, seed int64, link netsim.LinkConfig) (pcap []byte, sum, out string) {
	var buf bytes.Buffer
	n, client, server := twoHosts(t, netsim.Options{Seed: seed, Capture: &buf, CaptureFormat: capture.PCAPNG}, link)
	netsimtest.Run(t, n, func(t *testing.T) { out = dnsScenario(t, client, server, 24) })
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(h[:]), out
}

func checkDNSOutput(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{
		"a.sim. A via udp after ",
		"NOERROR, 1 answers first a.sim. 60 IN A 10.53.0.1",
		"client.sim. A via udp",
		"nowhere.example. A via udp",
		"NXDOMAIN, 0 answers",
		"big.sim. TXT via tcp after ",
		"NOERROR, 40 answers first big.sim. 60 IN TXT \"00-",
		"tcp 0: NOERROR, 1 answers first q.sim. 60 IN A 10.53.0.1",
		"tcp 3: NOERROR, 40 answers",
		"tcp 23: NOERROR, 40 answers",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("client's log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "error") {
		t.Errorf("client's log has errors:\n%s", out)
	}
}

// dnsDeterminism runs the scenario runs times at GOMAXPROCS 1 and 8 and
// fails unless every run gives the same capture and output. It returns the
// last capture.
func dnsDeterminism(t *testing.T, runs int, seed int64, link netsim.LinkConfig) ([]byte, string) {
	sums := map[string]int{}
	var pcap []byte
	var want string
	for i := 0; i < runs; i++ {
		procs := []int{1, 8}[i%2]
		prev := runtime.GOMAXPROCS(procs)
		p, sum, out := runDNS(t, seed, link)
		runtime.GOMAXPROCS(prev)
		sums[sum]++
		if i == 0 {
			want, pcap = out, p
			checkDNSOutput(t, out)
		} else if out != want {
			t.Fatalf("run %d (GOMAXPROCS %d) output:\n%s\nrun 0:\n%s", i, procs, out, want)
		}
	}
	t.Logf("%d runs: %d distinct captures %v", runs, len(sums), sums)
	if len(sums) != 1 {
		t.Errorf("%d runs gave %d captures, want 1", runs, len(sums))
	}
	return pcap, want
}

// TestDNSDeterministic: miekg/dns client and server, unmodified, over UDP
// and TCP: one capture over 20 runs at GOMAXPROCS 1 and 8.
func TestDNSDeterministic(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 4
	}
	pcap, out := dnsDeterminism(t, runs, 5, netsim.LinkConfig{Delay: time.Millisecond})
	t.Logf("client saw:\n%s", out)
	path := filepath.Join(t.TempDir(), "dns.pcapng")
	if err := os.WriteFile(path, pcap, 0o644); err != nil {
		t.Fatal(err)
	}
	// 4 UDP questions (one socket each), 4 answers; no loss, no retries.
	for expr, want := range map[string]int{
		"udp.dstport == 53":           4,
		"udp.srcport == 53":           4,
		"tcp.flags.syn == 1":          2,
		"tcp.analysis.retransmission": 0,
	} {
		if err := dfilter.ExpectCount(path, expr, want); err != nil {
			t.Error(err)
		}
	}
}

// TestDNSLossy: the same under 5% loss and 50 ms delay each way. The UDP
// client's 400 ms timeouts run on fake time and retry; TCP retransmits. One
// capture over 20 runs; retries and retransmissions are in it.
func TestDNSLossy(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 4
	}
	link := netsim.LinkConfig{Delay: 50 * time.Millisecond, Loss: 0.05}
	pcap, out := dnsDeterminism(t, runs, 5, link)
	t.Logf("client saw:\n%s", out)
	path := filepath.Join(t.TempDir(), "dns-lossy.pcapng")
	if err := os.WriteFile(path, pcap, 0o644); err != nil {
		t.Fatal(err)
	}
	retrans, err := dfilter.CountFile(path, "tcp.analysis.retransmission")
	if err != nil {
		t.Fatal(err)
	}
	queries, err := dfilter.CountFile(path, "udp.dstport == 53")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("lossy capture: %d TCP retransmissions, %d UDP queries sent for 4 questions", retrans, queries)
	if retrans == 0 {
		t.Error("no TCP retransmission in the lossy capture")
	}
	if queries <= 4 || strings.Count(out, "after 1 tries") == 4 {
		t.Errorf("no UDP retry in the lossy run (%d queries):\n%s", queries, out)
	}
	// tshark, which no one here wrote, agrees.
	tsharktest.Path(t)
	rows := tsharktest.Fields(t, path, "tcp.analysis.retransmission", "frame.number")
	if len(rows) != retrans {
		t.Errorf("tshark finds %d retransmissions, dfilter %d", len(rows), retrans)
	}
	if rows := tsharktest.Fields(t, path, "udp.dstport == 53", "dns.id"); len(rows) != queries {
		t.Errorf("tshark finds %d UDP queries, dfilter %d", len(rows), queries)
	}
}
