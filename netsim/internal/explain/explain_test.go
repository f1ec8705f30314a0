package explain

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestBookTCP(t *testing.T) {
	want := map[Lang][]string{
		English: {
			"client (sender) calls connect(): SYN to port 24000, initial sequence number 1893024411 (Wireshark shows it as Seq 0: relative numbers count from it).",
			"server's stack answers the SYN of frame 1: SYN/ACK with its own initial sequence number 2736140091; Ack 1 = the client's Seq 0 + 1 (a SYN takes one sequence number).",
			"client's stack acknowledges the SYN/ACK of frame 2: Ack 1 = the server's Seq 0 + 1; the three-way handshake is complete.",
			"client (sender) calls write() with 3 bytes: Seq 1, Len 3 (relative); the next byte will be Seq 4.",
			"server's stack acknowledges the 3 data bytes of frame 4: Ack 4 = Seq 1 + Len 3.",
			"client (sender) calls close(): FIN, Seq 4: no more data from this side (a FIN takes one sequence number, so its ACK will be 5).",
			"server's stack acknowledges the FIN of frame 6 at once: Ack 5 = Seq 4 + 1 (a FIN takes one sequence number). gVisor sends this ACK on its own; Linux would delay it and fold it into the next segment it sends (in the book, its own FIN).",
			"server (receiver) calls close(): FIN, Seq 1, Ack 5: it closes its side too.",
			"client's stack acknowledges the FIN of frame 8: Ack 2 = Seq 1 + 1; both sides have closed, the connection is over.",
		},
		Russian: {
			"клиент (sender) вызывает connect(): пакет SYN на порт 24000, начальный порядковый номер 1893024411 (Wireshark показывает его как seq 0: относительные номера отсчитываются от него).",
			"стек сервера отвечает на SYN из пакета 1: пакет SYN/ACK с собственным начальным порядковым номером 2736140091; ack 1 = seq клиента (0) + 1 (SYN занимает один порядковый номер).",
			"стек клиента подтверждает SYN/ACK из пакета 2: ack 1 = seq сервера (0) + 1; тройное рукопожатие завершено.",
			"клиент (sender) вызывает write() и передаёт 3 байта: seq 1, размер данных 3 (относительные номера); следующий байт получит seq 4.",
			"стек сервера подтверждает получение данных из пакета 4 (3 байта): ack 4 = seq 1 + 3 (размер данных).",
			"клиент (sender) вызывает close(): пакет FIN, seq 4: эта сторона больше не будет отправлять данные (FIN занимает один порядковый номер, поэтому его подтверждение будет ack 5).",
			"стек сервера сразу подтверждает FIN из пакета 6: ack 5 = seq 4 + 1 (FIN занимает один порядковый номер). gVisor отправляет это подтверждение отдельным пакетом; Linux отложил бы его и объединил со следующим своим сегментом (в книге — со своим FIN).",
			"сервер (receiver) вызывает close(): пакет FIN, seq 1, ack 5: эта сторона тоже закрывает соединение.",
			"стек клиента подтверждает FIN из пакета 8: ack 2 = seq 1 + 1; обе стороны закрыли соединение.",
		},
	}
	for lang, texts := range want {
		x := New(lang)
		for i, f := range bookTCP() {
			got := x.Explain(f)
			if len(got) != 1 {
				t.Errorf("%s frame %d: %d comments %q, want 1", lang, f.Number, len(got), got)
				continue
			}
			if got[0] != texts[i] {
				t.Errorf("%s frame %d:\n got %s\nwant %s", lang, f.Number, got[0], texts[i])
			}
		}
	}
}

// A program named like its role is not repeated: "client calls connect()".
func TestProgramNamedLikeRole(t *testing.T) {
	x := New(English)
	fs := bookTCP()
	fs[0].Cause.Call.Program = "client"
	got := x.Text(fs[0])
	if !strings.HasPrefix(got, "client calls connect(): SYN") {
		t.Errorf("got %q", got)
	}
}

// Without a cause, the texts say what the frames are and how their numbers
// follow, and never claim a socket call or a stack's decision.
func TestUnknownCause(t *testing.T) {
	for _, lang := range Langs {
		x := New(lang)
		for _, f := range bookTCP() {
			f.Cause = Cause{}
			got := x.Text(f)
			for _, bad := range []string{"calls", "вызывает", "stack", "стек", "timer", "таймер"} {
				if strings.Contains(got, bad) {
					t.Errorf("%s frame %d: %q claims a cause (%q)", lang, f.Number, got, bad)
				}
			}
		}
	}
	x := New(English)
	var got []string
	for _, f := range bookTCP() {
		f.Cause = Cause{}
		got = append(got, x.Text(f))
	}
	for i, want := range map[int]string{
		0: "SYN to port 24000: a request to open a connection, initial sequence number 1893024411",
		1: "server answers the SYN of frame 1: SYN/ACK",
		4: "server acknowledges the 3 data bytes of frame 4: Ack 4 = Seq 1 + Len 3.",
		5: "FIN, Seq 4: no more data from this side.",
	} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("frame %d: got %q, want it to start %q", i+1, got[i], want)
		}
	}
}

// conv builds a conversation after the book's handshake (frames 1-3):
// each step is a segment and its cause; frames are numbered from 4.
type step struct {
	s    tcpSeg
	c    Cause
	note string
}

func runConv(lang Lang, steps []step) []string {
	x := New(lang)
	var out []string
	for _, f := range bookTCP()[:3] {
		out = append(out, x.Text(f))
	}
	for i, s := range steps {
		if s.s.src == (tcpSeg{}).src {
			continue
		}
		f := Frame{Number: 4 + i, Link: "lo", Data: s.s.frame(), Note: s.note, Cause: s.c}
		out = append(out, x.Text(f))
	}
	return out
}

func data(seq uint32, n int) tcpSeg {
	return tcpSeg{src: cli, dst: srv, seq: isnC + 1 + seq, ack: isnS + 1, flags: flagACK | flagPSH, win: 24576, payload: n}
}

func ackOf(a uint32, win uint16) tcpSeg {
	return tcpSeg{src: srv, dst: cli, seq: isnS + 1, ack: isnC + 1 + a, flags: flagACK, win: win}
}

const lossNote = "lost: loss 3% on lo client→server"

func TestExplanations(t *testing.T) {
	type check struct {
		frame int
		en    string // substrings the texts must hold
		ru    string
	}
	cases := []struct {
		name   string
		steps  []step
		checks []check
	}{{
		name: "RTO",
		steps: []step{
			{data(0, 100), call("sender", "write", 200), lossNote},
			{data(100, 100), call("sender", "write", 200), lossNote},
			{data(0, 100), timer(200*time.Millisecond, TCPCounts{Timeouts: 1, Retransmits: 1, SegmentsSent: 1}), ""},
			{ackOf(100, 512), arrival(6), ""},
		},
		checks: []check{
			{4, "client (sender) calls write() with 200 bytes; this segment carries Seq 1, Len 100 (relative), the next will start at Seq 101. Dropped by the network (loss 3% on lo client→server): it never arrives.",
				"клиент (sender) вызывает write() и передаёт 200 байт; этот пакет несёт seq 1, размер данных 100 (относительные номера), следующий начнётся с seq 101. Сеть теряет этот пакет (потери 3% на lo client→server): он не дойдёт до получателя."},
			{6, "retransmission of frame 4: the retransmission timer (RTO 200 ms) fired with 2 segments unacknowledged, so client's stack sends Seq 1, Len 100 again.",
				"повторная передача пакета 4: сработал таймер повторной передачи (RTO 200 мс), неподтверждённых пакетов: 2; стек клиента снова отправляет seq 1, размер данных 100."},
			{7, "server's stack acknowledges the 100 data bytes of frame 6: Ack 101 = Seq 1 + Len 100.", "стек сервера подтверждает получение данных из пакета 6 (100 байт)"},
		},
	}, {
		name: "fast retransmit",
		steps: []step{
			{data(0, 100), call("sender", "write", 100), ""},
			{data(100, 100), call("sender", "write", 100), lossNote},
			{data(200, 100), call("sender", "write", 100), ""},
			{data(300, 100), call("sender", "write", 100), ""},
			{data(400, 100), call("sender", "write", 100), ""},
			{ackOf(100, 512), arrival(4), ""},
			{ackOf(100, 512), arrival(6), ""},
			{ackOf(100, 512), arrival(7), ""},
			{ackOf(100, 512), arrival(8), ""},
			{data(100, 100), Cause{Host: "localhost", Kind: KindArrival, Arrived: []int{12}, TCP: TCPCounts{FastRetransmit: 1, Retransmits: 1, SACKRecovery: 1}}, ""},
			{ackOf(500, 512), arrival(13), ""},
		},
		checks: []check{
			{9, "server's stack acknowledges the 100 data bytes of frame 4: Ack 101 = Seq 1 + Len 100.", "стек сервера подтверждает получение данных из пакета 4 (100 байт): ack 101 = seq 1 + 100 (размер данных)."},
			{10, "server's stack repeats Ack 101 (duplicate ACK 1): frame 6 brought Seq 201, but the bytes from 101 have not arrived, so it asks for them again.",
				"стек сервера повторяет ack 101 (дубликат подтверждения №1): пакет 6 принёс seq 201, но байты начиная с 101 ещё не пришли, и получатель снова просит их."},
			{12, "duplicate ACK 3", "№3"},
			{13, "fast retransmit of frame 5 after 3 duplicate ACKs (frames 10, 11, 12): the receiver keeps asking for Seq 101, so client's stack sends it again without waiting for the timer.",
				"быстрая повторная передача пакета 5 после 3 дубликатов подтверждения (пакеты 10, 11, 12): получатель продолжает запрашивать seq 101, поэтому стек клиента отправляет его снова, не дожидаясь таймера."},
			{14, "server's stack acknowledges the data of frames 6, 7, 8, 13 (400 bytes): Ack 501 = Seq 401 + Len 100 of frame 8.",
				"стек сервера подтверждает получение данных из пакетов 6, 7, 8, 13 (400 байт): ack 501 = seq 401 + 100 (размер данных пакета 8)."},
		},
	}, {
		name: "fast retransmit after a burst of duplicate ACKs",
		steps: []step{
			{data(0, 100), call("sender", "write", 100), lossNote},
			{data(100, 100), call("sender", "write", 100), ""},
			{data(200, 100), call("sender", "write", 100), ""},
			{data(300, 100), call("sender", "write", 100), ""},
			{data(400, 100), call("sender", "write", 100), ""},
			{ackOf(0, 512), arrival(5, 6, 7, 8), ""},
			{ackOf(0, 512), arrival(5, 6, 7, 8), ""},
			{ackOf(0, 512), arrival(5, 6, 7, 8), ""},
			{ackOf(0, 512), arrival(5, 6, 7, 8), ""},
			{data(0, 100), Cause{Kind: KindArrival, Arrived: []int{9, 10, 11, 12}, TCP: TCPCounts{FastRetransmit: 1, Retransmits: 1}}, ""},
		},
		checks: []check{
			{9, "repeats Ack 1 (duplicate ACK 1): frame 5 brought Seq 101", "пакет 5 принёс seq 101"},
			{12, "repeats Ack 1 (duplicate ACK 4): frame 8 brought Seq 401", "пакет 8 принёс seq 401"},
			{13, "fast retransmit of frame 4 after 3 duplicate ACKs (frames 9, 10, 11)", "быстрая повторная передача пакета 4 после 3 дубликатов подтверждения (пакеты 9, 10, 11)"},
		},
	}, {
		name: "figure 4-9: several writes, each ACK = Seq + Len",
		steps: []step{
			{data(0, 3), call("sender", "write", 3), ""},
			{ackOf(3, 512), arrival(4), ""},
			{data(3, 3), call("sender", "write", 3), ""},
			{ackOf(6, 512), arrival(6), ""},
			{data(6, 3), call("sender", "write", 1), ""},
		},
		checks: []check{
			{6, "client (sender) calls write() with 3 bytes: Seq 4, Len 3 (relative); the next byte will be Seq 7.", "клиент (sender) вызывает write() и передаёт 3 байта: seq 4, размер данных 3 (относительные номера); следующий байт получит seq 7."},
			{7, "server's stack acknowledges the 3 data bytes of frame 6: Ack 7 = Seq 4 + Len 3.", "стек сервера подтверждает получение данных из пакета 6 (3 байта): ack 7 = seq 4 + 3 (размер данных)."},
			{8, "client (sender) calls write() with 1 byte; this segment carries those bytes together with data written earlier: Seq 7, Len 3", "вместе с данными, записанными ранее: seq 7, размер данных 3"},
		},
	}, {
		name: "tail loss probe",
		steps: []step{
			{data(0, 100), call("sender", "write", 100), ""},
			{data(100, 100), call("sender", "write", 100), lossNote},
			{ackOf(100, 512), arrival(4), ""},
			{data(100, 100), timer(12*time.Millisecond, TCPCounts{Retransmits: 1}), ""},
		},
		checks: []check{
			{7, "tail loss probe: no ACK came within the probe timeout (PTO 12 ms), so client's stack sends its last segment (frame 5, Seq 101, Len 100) again",
				"проверка потери последних пакетов (tail loss probe): подтверждение не пришло за время ожидания (PTO 12 мс), поэтому стек клиента повторяет свой последний пакет (пакет 5, seq 101, размер данных 100)"},
		},
	}, {
		name: "RACK reorder timer",
		steps: []step{
			{data(0, 100), call("sender", "write", 100), lossNote},
			{data(100, 100), call("sender", "write", 100), ""},
			{data(0, 100), timer(3*time.Millisecond, TCPCounts{FastRetransmit: 1, Retransmits: 1}), ""},
		},
		checks: []check{
			{6, "fast retransmit of frame 4: the reorder timer (RACK, 3 ms) fired", "таймер переупорядочивания (RACK, 3 мс)"},
		},
	}, {
		name: "RACK reorder timer in recovery",
		steps: []step{
			{data(0, 100), call("sender", "write", 300), lossNote},
			{data(100, 100), call("sender", "write", 300), ""},
			{data(200, 100), call("sender", "write", 300), ""},
			{data(0, 100), Cause{Kind: KindTimer, Timer: 5 * time.Millisecond, TCP: TCPCounts{Retransmits: 1}, Sender: &SenderState{InRecovery: true}}, ""},
			{data(200, 100), Cause{Kind: KindTimer, Timer: 5 * time.Millisecond, TCP: TCPCounts{Retransmits: 1}, Sender: &SenderState{InRecovery: true}}, ""},
			{data(200, 100), Cause{Kind: KindTimer, Timer: 83, TCP: TCPCounts{Retransmits: 1}}, ""},
		},
		checks: []check{
			{7, "retransmission of frame 4: the reorder timer (RACK, 5 ms) fired while recovering from loss", "во время восстановления после потерь сработал таймер переупорядочивания (RACK, 5 мс)"},
			{8, "retransmission of frame 6: the reorder timer (RACK, 5 ms) fired while recovering", "повторная передача пакета 6"},
			{9, "tail loss probe: no ACK came within the probe timeout, so", "подтверждение не пришло за время ожидания, поэтому"},
		},
	}, {
		name: "zero window",
		steps: []step{
			{data(0, 100), call("sender", "write", 1000), ""},
			{ackOf(100, 0), arrival(4), ""},
			{data(99, 1), timer(200*time.Millisecond, TCPCounts{Timeouts: 1}), ""},
			{ackOf(100, 0), arrival(6), ""},
			{ackOf(100, 4), call("receiver", "read", 0), ""},
			{data(100, 512), arrival(8), ""},
		},
		checks: []check{
			{5, "Ack 101 = Seq 1 + Len 100. Window 0: the receive buffer is full, so the sender must stop until it opens.",
				"Окно равно 0: буфер приёма заполнен, и отправитель должен ждать, пока оно не откроется."},
			{6, "zero window probe: the receiver's window is 0 (frame 5), so when the timer (200 ms) fires client's stack sends 1 byte that was already acknowledged (Seq 100)",
				"проверка нулевого окна: окно получателя равно 0 (пакет 5), поэтому, когда срабатывает таймер (200 мс), стек клиента отправляет 1 уже подтверждённый байт (seq 100)"},
			{7, "server's stack answers the zero window probe of frame 6: Ack 101, window 0 bytes.", "стек сервера отвечает на проверку нулевого окна из пакета 6: ack 101, окно 0 байт."},
			{8, "window update: server (receiver) calls read() and frees buffer space, so the receive window grows from 0 to 512 bytes (Ack 101 unchanged).",
				"обновление окна: сервер (receiver) вызывает read() и освобождает буфер, поэтому окно приёма растёт с 0 до 512 байт (ack 101 не меняется)."},
			{9, "client's stack sends more of the data written earlier, now that the ACK of frame 8 makes room: Seq 101, Len 512 (relative).",
				"стек клиента отправляет следующую часть записанных ранее данных: подтверждение из пакета 8 освободило место; seq 101, размер данных 512 (относительные номера)."},
		},
	}, {
		name: "keep-alive",
		steps: []step{
			{tcpSeg{src: cli, dst: srv, seq: isnC, ack: isnS + 1, flags: flagACK, win: 512}, timer(2*time.Hour, TCPCounts{}), ""},
			{ackOf(0, 512), arrival(4), ""},
		},
		checks: []check{
			{4, "keep-alive: the keep-alive timer (2 h) fired on an idle connection, so client's stack sends an empty segment with Seq 0, one below the next byte; the peer must answer it with an ACK.",
				"keep-alive: на простаивающем соединении сработал таймер keep-alive (2 ч)"},
			{5, "server's stack answers the keep-alive of frame 4 with Ack 1: the connection is still alive.", "стек сервера отвечает на keep-alive из пакета 4 подтверждением ack 1: соединение живо."},
		},
	}, {
		name: "abort",
		steps: []step{
			{tcpSeg{src: cli, dst: srv, seq: isnC + 1, ack: isnS + 1, flags: flagRST | flagACK}, call("sender", "abort", 0), ""},
		},
		checks: []check{
			{4, "RST: client (sender) aborts the connection (abort(), SO_LINGER 0)", "RST: клиент (sender) обрывает соединение (abort(), SO_LINGER 0)"},
		},
	}, {
		name: "teardown",
		steps: []step{
			{tcpSeg{src: cli, dst: srv, seq: isnC + 1, ack: isnS + 1, flags: flagRST | flagACK}, Cause{Kind: KindTeardown}, ""},
		},
		checks: []check{
			{4, "RST: the network shuts down with the connection still open.", "RST: сеть завершает работу, а соединение ещё открыто."},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, lang := range Langs {
				got := runConv(lang, tc.steps)
				for _, c := range tc.checks {
					want := c.en
					if lang == Russian {
						want = c.ru
					}
					if c.frame > len(got) {
						t.Fatalf("frame %d: only %d frames", c.frame, len(got))
					}
					if !strings.Contains(got[c.frame-1], want) {
						t.Errorf("%s frame %d:\n got %s\nwant %s", lang, c.frame, got[c.frame-1], want)
					}
				}
			}
		})
	}
}

// The cause decides: the same segment reads as an RTO retransmission or
// as a tail loss probe depending on what the stack counted, not on the
// capture.
func TestCauseDecides(t *testing.T) {
	steps := []step{
		{data(0, 100), call("sender", "write", 100), lossNote},
		{data(0, 100), timer(300*time.Millisecond, TCPCounts{Timeouts: 1, Retransmits: 1}), ""},
	}
	rto := runConv(English, steps)[4]
	steps[1].c.Timer = 0
	if got := runConv(English, steps)[4]; !strings.Contains(got, "the retransmission timer fired with 1 segment unacknowledged") {
		t.Errorf("RTO case without the timer's duration: %q", got)
	}
	steps[1].c.Timer = 300 * time.Millisecond
	steps[1].c = timer(300*time.Millisecond, TCPCounts{Retransmits: 1})
	tlp := runConv(English, steps)[4]
	if !strings.Contains(rto, "retransmission timer (RTO 300 ms)") || strings.Contains(rto, "probe") {
		t.Errorf("RTO case: %q", rto)
	}
	if !strings.Contains(tlp, "tail loss probe") || strings.Contains(tlp, "RTO") {
		t.Errorf("TLP case: %q", tlp)
	}
}

func TestRefused(t *testing.T) {
	for _, lang := range Langs {
		x := New(lang)
		syn := tcpSeg{src: cli, dst: srv, seq: isnC, flags: flagSYN, win: 65408, wscale: 7}
		rst := tcpSeg{src: srv, dst: cli, ack: isnC + 1, flags: flagRST | flagACK}
		x.Text(Frame{Number: 1, Link: "lo", Data: syn.frame(), Cause: call("client", "connect", 0)})
		got := x.Text(Frame{Number: 2, Link: "lo", Data: rst.frame(), Cause: arrival(1)})
		want := map[Lang]string{
			English: "RST: connection refused, nothing listens on port 24000 (answer to the SYN of frame 1).",
			Russian: "RST: в соединении отказано, порт 24000 никто не слушает (ответ на SYN из пакета 1).",
		}[lang]
		if got != want {
			t.Errorf("%s: got %q, want %q", lang, got, want)
		}
	}
}

func TestSYNRetransmitted(t *testing.T) {
	x := New(English)
	syn := tcpSeg{src: cli, dst: srv, seq: isnC, flags: flagSYN, win: 65408, wscale: 7}
	x.Text(Frame{Number: 1, Link: "lo", Data: syn.frame(), Cause: call("client", "connect", 0), Note: lossNote})
	got := x.Text(Frame{Number: 2, Link: "lo", Data: syn.frame(), Cause: timer(time.Second, TCPCounts{})})
	if want := "SYN sent again: no SYN/ACK came, so the connection-setup timer (1 s) fired; same initial sequence number as frame 1."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUDP(t *testing.T) {
	from := netip.MustParseAddrPort("127.0.0.1:24001")
	for lang, want := range map[Lang]string{
		English: "UDP datagram of 3 bytes: sender calls sendto() to 127.0.0.1:24000; UDP has no handshake and no acknowledgments.",
		Russian: "UDP пакет, 3 байта данных: sender вызывает sendto() на адрес 127.0.0.1:24000; UDP не устанавливает соединения и не подтверждает получение.",
	} {
		got := New(lang).Text(Frame{Number: 1, Link: "lo", Data: udpFrame(from, srv, 3), Cause: call("sender", "sendto", 3)})
		if got != want {
			t.Errorf("%s: got %q, want %q", lang, got, want)
		}
	}
}

func TestNotesKept(t *testing.T) {
	x := New(English)
	f := bookTCP()[0]
	f.Note = "lost: loss 20% in bursts of 4 on lo a→b; duplicated: dup 1% on lo a→b"
	f.Cause.Sender = &SenderState{Cwnd: 14480, MSS: 1448, RTO: 200 * time.Millisecond}
	got := x.Explain(f)
	if len(got) != 3 || got[1] != f.Note || !strings.HasPrefix(got[2], SenderPrefix) {
		t.Fatalf("comments %q: want the explanation, the note, the sender's state", got)
	}
	if !strings.HasSuffix(got[0], "Dropped by the network (loss 20% in bursts of 4 on lo a→b): it never arrives. The network delivers it twice.") {
		t.Errorf("got %q", got[0])
	}
}

func TestARPAndForwarding(t *testing.T) {
	x := New(English)
	req := make([]byte, 28)
	copy(req, []byte{0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2})
	rep := make([]byte, 28)
	copy(rep, []byte{0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 2, 10, 0, 0, 2, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1})
	probe := ether(0x0806, req)
	bcast := ether(0x0806, req)
	copy(bcast, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	if got, want := x.Text(Frame{Number: 1, Data: bcast}), "ARP request: who has 10.0.0.2? Tell 10.0.0.1."; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q...", got, want)
	}
	if got, want := New(English).Text(Frame{Number: 1, Data: probe, Cause: timer(5*time.Second, TCPCounts{})}), "ARP request sent straight to the MAC address already known for 10.0.0.2: the stack checks that it is still right (neighbor unreachability detection, when its timer (5 s) fires after the entry was used)."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := x.Text(Frame{Number: 2, Data: ether(0x0806, rep), Cause: arrival(1)}), "ARP reply: 10.0.0.2 is at 02:00:00:00:00:02 (answers the request of frame 1)."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	a := netip.MustParseAddrPort("10.0.0.1:40000")
	b := netip.MustParseAddrPort("10.0.1.2:80")
	syn := tcpSeg{src: a, dst: b, seq: 7, flags: flagSYN, wscale: -1}
	x.Text(Frame{Number: 3, Link: "l1", Data: syn.frame(), Cause: call("client", "connect", 0)})
	syn.ttl = 63
	got := x.Text(Frame{Number: 4, Link: "l2", Data: syn.frame(), Cause: Cause{Host: "R", Kind: KindArrival, Arrived: []int{3}, Forwarded: true}})
	if want := "forwarded by router R: frame 3 passed on to the next link (TTL 64 → 63)."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	syn.ttl = 64
	got = x.Text(Frame{Number: 5, Link: "l3", Data: syn.frame(), Cause: Cause{Host: "sw0", Kind: KindArrival, Arrived: []int{3}, Forwarded: true}})
	if want := "passed on by switch sw0: frame 3 goes out on this link unchanged."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Every text exists in both languages, and both use the same arguments.
func TestTextsBothLanguages(t *testing.T) {
	verb := regexp.MustCompile(`%(\[(\d+)\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)
	args := func(s string) string {
		used := map[int]string{}
		n := 0
		for _, m := range verb.FindAllStringSubmatch(s, -1) {
			if strings.HasSuffix(m[0], "%") {
				continue
			}
			if m[2] != "" {
				fmt.Sscan(m[2], &n)
			} else {
				n++
			}
			used[n] = m[0][len(m[0])-1:]
		}
		return fmt.Sprint(used)
	}
	for k, m := range texts {
		if m[0] == "" || m[1] == "" {
			t.Errorf("%s: a language is missing: %q", k, m)
			continue
		}
		if args(m[0]) != args(m[1]) {
			t.Errorf("%s: English uses %s, Russian %s", k, args(m[0]), args(m[1]))
		}
		if m[0] != m[1] && strings.ContainsAny(m[1], "abcdefghijklmnopqrstuvwxyz") && !strings.ContainsAny(m[1], "абвгдеёжзийклмнопрстуфхцчшщъыьэюя") {
			t.Errorf("%s: the Russian text %q has no Russian", k, m[1])
		}
	}
}

func TestParseLang(t *testing.T) {
	for s, want := range map[string]Lang{"": English, "en": English, "ru": Russian} {
		if l, err := ParseLang(s); err != nil || l != want {
			t.Errorf("ParseLang(%q) = %q, %v", s, l, err)
		}
	}
	if _, err := ParseLang("de"); !errors.Is(err, ErrLang) {
		t.Errorf("ParseLang(de): %v, want ErrLang", err)
	}
}

func TestDurations(t *testing.T) {
	for d, want := range map[time.Duration][2]string{
		200 * time.Millisecond:    {"200 ms", "200 мс"},
		1500 * time.Millisecond:   {"1.5 s", "1,5 с"},
		50 * time.Microsecond:     {"50 µs", "50 мкс"},
		1234567 * time.Nanosecond: {"1.235 ms", "1,235 мс"},
		2 * time.Hour:             {"2 h", "2 ч"},
		75 * time.Second:          {"75 s", "75 с"},
		3 * time.Minute:           {"3 min", "3 мин"},
	} {
		if got := New(English).dur(d); got != want[0] {
			t.Errorf("%v: %q, want %q", d, got, want[0])
		}
		if got := New(Russian).dur(d); got != want[1] {
			t.Errorf("%v: %q, want %q", d, got, want[1])
		}
	}
}

func TestNumberList(t *testing.T) {
	for want, ns := range map[string][]int{
		"14":                   {14},
		"14, 15, 16":           {14, 15, 16},
		"6–15, 25":             {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 25},
		"1, 3, 5, 7, 9, 11, …": {1, 3, 5, 7, 9, 11, 13},
	} {
		if got := numberList(ns); got != want {
			t.Errorf("%v: %q, want %q", ns, got, want)
		}
	}
}

func TestRussianPlural(t *testing.T) {
	x := New(Russian)
	for n, want := range map[int]string{1: "1 байт", 2: "2 байта", 5: "5 байт", 11: "11 байт", 21: "21 байт", 22: "22 байта", 112: "112 байт"} {
		if got := x.bytes(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

func FuzzExplain(f *testing.F) {
	for _, fr := range bookTCP() {
		f.Add(fr.Data, uint8(fr.Cause.Kind), fr.Number, uint8(0))
	}
	f.Add(udpFrame(cli, srv, 3), uint8(KindCall), 1, uint8(1))
	f.Add([]byte{}, uint8(0), 0, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, number int, variant uint8) {
		for _, lang := range Langs {
			x := New(lang)
			// The fuzzed frame after the book's handshake, so it meets a
			// connection's state, then again as the first frame.
			for _, fr := range bookTCP()[:3] {
				x.Explain(fr)
			}
			c := Cause{Kind: Kind(kind % 6), Arrived: []int{number, 1, -5, 1 << 40}, Timer: time.Duration(number),
				Forwarded: variant&1 != 0, Call: Call{Op: []string{"", "write", "close", "abort", "sendto"}[variant%5], Bytes: number}}
			if variant&2 != 0 {
				c.TCP = TCPCounts{Timeouts: 1, Retransmits: 1, FastRetransmit: uint64(variant & 4)}
			}
			if variant&8 != 0 {
				c.Sender = &SenderState{}
			}
			for _, n := range []int{number, 4, 5} {
				out := x.Explain(Frame{Number: n, Link: "lo", Data: data, Note: "lost: loss 1% on x", Cause: c})
				if len(out) == 0 || out[0] == "" {
					t.Fatalf("no explanation for %x", data)
				}
			}
			New(lang).Explain(Frame{Number: number, Data: data, Cause: c})
		}
	})
}

// A SYN that waited for ARP says whose connect() it belongs to.
func TestSYNWaitedForARP(t *testing.T) {
	rep := make([]byte, 28)
	copy(rep, []byte{0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 2, 127, 0, 0, 1, 2, 0, 0, 0, 0, 1, 127, 0, 0, 1})
	syn := tcpSeg{src: cli, dst: srv, seq: isnC, flags: flagSYN, win: 65408, wscale: 7}
	for lang, want := range map[Lang]string{
		English: "client's connect() sends its SYN now that the reply of frame 1 gave the neighbor's MAC address: SYN to port 24000, initial sequence number 1893024411",
		Russian: "connect() клиента отправляет SYN теперь, когда ответ из пакета 1 сообщил MAC-адрес соседа: пакет SYN на порт 24000",
	} {
		x := New(lang)
		x.Text(Frame{Number: 1, Link: "lo", Data: ether(0x0806, rep)})
		got := x.Text(Frame{Number: 2, Link: "lo", Data: syn.frame(), Cause: arrival(1)})
		if !strings.HasPrefix(got, want) || strings.Count(got, "MAC") != 1 {
			t.Errorf("%s: got %q, want it to start %q and name the MAC address once", lang, got, want)
		}
	}
}

func TestICMPAndNDP(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.1.1:40000")
	b := netip.MustParseAddrPort("10.0.3.2:8000")
	r := netip.MustParseAddr("10.0.1.254")
	x := New(English)
	syn := tcpSeg{src: a, dst: b, seq: 100, flags: flagSYN, wscale: -1}
	sa := tcpSeg{src: b, dst: a, seq: 900, ack: 101, flags: flagSYN | flagACK, wscale: -1}
	ack := tcpSeg{src: a, dst: b, seq: 101, ack: 901, flags: flagACK}
	d1 := tcpSeg{src: a, dst: b, seq: 101, ack: 901, flags: flagACK, payload: 1420}
	d2 := tcpSeg{src: a, dst: b, seq: 1521, ack: 901, flags: flagACK, payload: 1420}
	for i, s := range []tcpSeg{syn, sa, ack, d1, d2} {
		x.Text(Frame{Number: i + 1, Link: "l", Data: s.frame()})
	}
	// One message per packet the router could not pass on: each names
	// the packet it quotes, though both arrived together.
	c := Cause{Host: "r1", Kind: KindArrival, Arrived: []int{4, 5}}
	got := x.Text(Frame{Number: 6, Link: "l", Data: icmp4(r, a.Addr(), 3, 4, 1400, d2.frame()), Cause: c})
	if want := "ICMP fragmentation needed: the packet of frame 5 is too big for the next link (MTU 1400)"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q...", got, want)
	}
	// The sender resends in smaller segments.
	d1.payload = 1320
	got = x.Text(Frame{Number: 7, Link: "l", Data: d1.frame(), Cause: Cause{Host: "c", Kind: KindArrival, Arrived: []int{6}, TCP: TCPCounts{Retransmits: 1}}})
	if want := "retransmission of frame 4 in smaller segments: the ICMP message of frame 6 says the path takes smaller packets"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q...", got, want)
	}

	// A UDP datagram to a closed port, in Russian.
	y := New(Russian)
	u := udpFrame(a, netip.AddrPortFrom(b.Addr(), 9999), 13)
	y.Text(Frame{Number: 1, Link: "l", Data: u})
	got = y.Text(Frame{Number: 2, Link: "l", Data: icmp4(b.Addr(), a.Addr(), 3, 3, 0, u), Cause: arrival(1)})
	if want := "ICMP «порт недоступен»: UDP пакет 1 пришёл на порт 9999, который никто не слушает."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	// NDP: a solicitation to the solicited-node group, a probe straight to
	// the address, duplicate address detection, an advertisement.
	h1 := netip.MustParseAddr("fd00:1::1")
	h2 := netip.MustParseAddr("fd00:1::2")
	target := h2.As16()
	ns := append([]byte{0, 0, 0, 0}, target[:]...)
	z := New(English)
	for _, tc := range []struct {
		src, dst netip.Addr
		typ      byte
		c        Cause
		want     string
	}{
		{h1, netip.MustParseAddr("ff02::1:ff00:2"), 135, call("client", "connect", 0), "NDP neighbor solicitation (IPv6's ARP): who has fd00:1::2? The stack needs that address's Ethernet (MAC) address before the first packet of client's connect() can go out."},
		{h1, h2, 135, timer(5*time.Second, TCPCounts{}), "NDP neighbor solicitation sent straight to fd00:1::2: the stack checks that the MAC address it knows is still right (neighbor unreachability detection, when its timer (5 s) fires after the entry was used)."},
		{netip.IPv6Unspecified(), netip.MustParseAddr("ff02::1:ff00:2"), 135, Cause{}, "NDP duplicate address detection: before using fd00:1::2, the host asks whether another host already has it."},
		{h2, h1, 136, Cause{}, "NDP neighbor advertisement: fd00:1::2 is here (IPv6's ARP reply)."},
		{h1, netip.MustParseAddr("ff02::16"), 143, Cause{}, "MLD report: the host tells the link which IPv6 multicast groups it listens to (neighbor discovery needs them)."},
	} {
		if got := z.Text(Frame{Number: 1, Data: icmp6(tc.src, tc.dst, tc.typ, 0, ns), Cause: tc.c}); got != tc.want {
			t.Errorf("type %d from %s: got %q, want %q", tc.typ, tc.src, got, tc.want)
		}
	}

	// A datagram bigger than the link's MTU: its first fragment.
	frag := udpFrame(a, b, 1472)
	frag[14+6] |= 0x20 // more fragments
	binary.BigEndian.PutUint16(frag[14+20+4:], 4008)
	if got, want := New(English).Text(Frame{Number: 1, Data: frag}), "first fragment of a UDP datagram of 4000 bytes from port 40000 to port 8000"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q...", got, want)
	}

	// TCP over IPv6 is followed as over IPv4.
	v6a := netip.MustParseAddrPort("[fd00:1::1]:40000")
	v6b := netip.MustParseAddrPort("[fd00:3::2]:8000")
	w := New(English)
	w.Text(Frame{Number: 1, Data: tcpSeg{src: v6a, dst: v6b, seq: 5, flags: flagSYN, wscale: -1}.frame(), Cause: call("client", "connect", 0)})
	got = w.Text(Frame{Number: 2, Data: tcpSeg{src: v6b, dst: v6a, seq: 77, ack: 6, flags: flagSYN | flagACK, wscale: -1}.frame(), Cause: arrival(1)})
	if want := "server's stack answers the SYN of frame 1: SYN/ACK with its own initial sequence number 77"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q...", got, want)
	}
}
