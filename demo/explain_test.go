package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/pcapread"
	"netsim.dev/netsim/scenario"
)

// Lesson mode's proof: every frame of the book's exchanges and of the
// scenarios that teach loss recovery, flow control and refusal carries an
// explanation, and the explanation names the cause that Wireshark's own
// TCP analysis (tcp.analysis.*) finds in the same frame. The simulator
// knows why each frame left; tshark guesses it from the capture: when the
// two agree frame by frame, the explanations say what happened.

// explainedScenarios are the scenarios whose explanations are checked: the
// book's three exchanges and the five that show a cause of their own.
var explainedScenarios = []string{
	"book-tcp", "book-tcp-multi", "book-udp",
	"tcp-rto", "tcp-fast-retransmit", "tcp-zero-window", "tcp-refused", "partition-heals",
}

// runExplained runs the shipped scenario called name with explanations on,
// in lang ("en", "ru"), as pcapng (a pcap has no comments), expectations
// included, and returns the capture.
func runExplained(t testing.TB, name, lang string) []byte {
	t.Helper()
	s, err := LookupScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	ng := capture.PCAPNG
	o := scenario.RunOptions{Capture: &buf, Format: &ng}
	setExplain(&o, lang)
	if _, err := s.Run(o); err != nil {
		t.Fatalf("run %s --explain --lang %s: %v", name, lang, err)
	}
	return buf.Bytes()
}

// explainedFrame is one frame of an explained capture: its number, its
// explanation (the first comment) and every comment.
type explainedFrame struct {
	Number      int
	Time        time.Duration // since the first frame
	Explanation string
	Comments    []string
}

// readExplained reads an explained capture's frames.
func readExplained(t testing.TB, capture []byte) []explainedFrame {
	t.Helper()
	frames, err := readFrames(capture)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]explainedFrame, len(frames))
	for i, f := range frames {
		out[i] = explainedFrame{Number: f.Number, Time: time.Duration(f.Time - frames[0].Time), Comments: f.Comments}
		if len(f.Comments) > 0 {
			out[i].Explanation = f.Comments[0]
		}
	}
	return out
}

// writeTemp writes a capture into the test's temporary directory.
func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// phrases are the words an explanation must use for a cause, per
// language: what a learner reads, and what this test looks for.
type phrases struct {
	unknown        []string   // what an explanation without a cause says: never on these runs
	rtoTimer       []string   // a resend because the retransmission timer fired
	probeTimer     []string   // a tail loss probe (RACK-TLP): its own timer, before the RTO's
	dupAcks        []string   // a fast retransmit after duplicate ACKs
	fastRetransmit []string   // what only a fast retransmit's explanation says
	resend         []string   // any resend (a timer's, a fast retransmit, a repeated SYN...)
	keepAlive      []string   // a keep-alive
	reset          []string   // any RST
	zeroProbe      []string   // a zero-window probe
	forwarded      []string   // a frame a router or switch passes on
	ackRecovery    []string   // a resend in loss recovery (SACK, or RACK's reorder timer), not the RTO
	refused        []string   // the RST that refuses a connection
	dupAck         []string   // a duplicate ACK
	zeroWindow     []string   // an ACK that closes the window
	windowUpdate   []string   // an ACK that reopens it
	bookTCP        [][]string // the book's TCP exchange, frame by frame
	bookTCPMulti   [][]string // its three writes
	bookUDP        [][]string // its UDP datagram
}

// any reports whether s contains one of words, ignoring case.
func anyOf(s string, words []string) bool {
	ls := strings.ToLower(s)
	for _, w := range words {
		if strings.Contains(ls, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// timerRE finds the timer an explanation gives: "RTO 200 ms", "PTO 1.6 s"
// ("RTO 1,6 с" in Russian).
var timerRE = regexp.MustCompile(`([RP]TO) ([0-9]+(?:[.,][0-9]+)?) (ms|s|мс|с)`)

// timerIn returns the timer an explanation names ("RTO" or "PTO") and its
// duration, or "" and 0.
func timerIn(t testing.TB, s string) (string, time.Duration) {
	m := timerRE.FindStringSubmatch(s)
	if m == nil {
		return "", 0
	}
	v, err := strconv.ParseFloat(strings.Replace(m[2], ",", ".", 1), 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	unit := time.Second
	if m[3] == "ms" || m[3] == "мс" {
		unit = time.Millisecond
	}
	return m[1], time.Duration(v * float64(unit))
}

// TestExplainEveryFrame: in both languages, every frame of every shipped
// scenario (the explained ones and the rest) has an explanation, none empty and none the unknown cause's,
// and the wire's notes ("lost: link down ...") are kept after it.
func TestExplainEveryFrame(t *testing.T) {
	for _, lang := range []string{"en", "ru"} {
		ph := langPhrases[lang]
		for _, info := range Scenarios() {
			name := info.Name
			t.Run(lang+"/"+name, func(t *testing.T) {
				frames := readExplained(t, runExplained(t, name, lang))
				if len(frames) == 0 {
					t.Fatal("no frames")
				}
				for _, f := range frames {
					switch {
					case strings.TrimSpace(f.Explanation) == "":
						t.Errorf("frame %d: no explanation (comments %q)", f.Number, f.Comments)
					case anyOf(f.Explanation, ph.unknown):
						t.Errorf("frame %d: explained as unknown: %q", f.Number, f.Explanation)
					case strings.HasPrefix(f.Explanation, "lost:") || strings.HasPrefix(f.Explanation, "tcp sender:"):
						t.Errorf("frame %d: the first comment is a note, not an explanation: %q", f.Number, f.Explanation)
					}
				}
				// An ACK names the frames whose bytes it acknowledges:
				// never one the network dropped (its bytes came in a
				// resend).
				lost := map[int]bool{}
				for _, f := range frames {
					for _, c := range f.Comments[1:] {
						if strings.HasPrefix(c, "lost:") {
							lost[f.Number] = true
						}
					}
				}
				for _, f := range frames {
					for _, n := range ackedFrames(f.Explanation) {
						if lost[n] {
							t.Errorf("frame %d: acknowledges frame %d, which the network dropped: %q", f.Number, n, f.Explanation)
						}
					}
				}
				t.Logf("%d frames explained", len(frames))
			})
		}
	}
}

// TestExplainDeterministic: the same run gives the same explanations, byte
// for byte, in both languages: scenario.Check with explanations on runs
// each scenario twice and compares the captures, comments included (as
// `netsim check --explain` does).
func TestExplainDeterministic(t *testing.T) {
	for _, name := range explainedScenarios {
		for _, lang := range []string{"en", "ru"} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				s, err := LookupScenario(name)
				if err != nil {
					t.Fatal(err)
				}
				ng := capture.PCAPNG
				o := scenario.RunOptions{Format: &ng}
				setExplain(&o, lang)
				if err := s.Check(o); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestExplainChangesOnlyComments: explanations add comments and change
// nothing else: each frame's bytes and time are those of the same run
// without them.
func TestExplainChangesOnlyComments(t *testing.T) {
	for _, name := range explainedScenarios {
		t.Run(name, func(t *testing.T) {
			s, err := LookupScenario(name)
			if err != nil {
				t.Fatal(err)
			}
			var plain bytes.Buffer
			ng := capture.PCAPNG
			if _, err := s.Run(scenario.RunOptions{Capture: &plain, Format: &ng}); err != nil {
				t.Fatal(err)
			}
			a, err := pcapread.NewReader(bytes.NewReader(plain.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			b, err := pcapread.NewReader(bytes.NewReader(runExplained(t, name, "en")))
			if err != nil {
				t.Fatal(err)
			}
			fa, err := pcapread.ReadAll(a)
			if err != nil {
				t.Fatal(err)
			}
			fb, err := pcapread.ReadAll(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(fa) != len(fb) {
				t.Fatalf("%d frames without explanations, %d with", len(fa), len(fb))
			}
			for i := range fa {
				if fa[i].Time != fb[i].Time || !bytes.Equal(fa[i].Data, fb[i].Data) {
					t.Fatalf("frame %d differs when explained", fa[i].Number)
				}
				// The wire's notes stay, after the explanation.
				for _, c := range fa[i].Comments {
					if !slices.Contains(fb[i].Comments[1:], c) {
						t.Errorf("frame %d: the note %q is gone when explained: %q", fa[i].Number, c, fb[i].Comments)
					}
				}
			}
		})
	}
}

// The display filters by which tshark classifies frames.
const (
	tsRetransmission = "tcp.analysis.retransmission && !tcp.analysis.fast_retransmission"
	tsFast           = "tcp.analysis.fast_retransmission"
	tsZeroWindow     = "tcp.analysis.zero_window"
	// gVisor's zero-window probe resends the last byte acknowledged
	// (Seq = SND.UNA-1, one byte): tshark calls it a keep-alive that fills
	// the window, never tcp.analysis.zero_window_probe (which wants a new
	// byte, Seq = SND.NXT).
	tsZeroProbe    = "tcp.analysis.window_full && tcp.len == 1"
	tsReset        = "tcp.flags.reset == 1"
	tsDupAck       = "tcp.analysis.duplicate_ack"
	tsWindowUpdate = "tcp.analysis.window_update"
	tsSYN          = "tcp.flags.syn == 1 && tcp.flags.ack == 0"
)

// causeCheck is what one scenario's explanations must say, frame by frame,
// on the frames tshark selects.
type causeCheck struct {
	filter string // tshark's classification
	frames []int  // the frames it must select (the key frames, for README)
	// what is the cause each selected frame's explanation must name:
	// "timer" (the RTO's; the probe timeout's on tlpFrames), "dupacks",
	// "dupack", "zeroprobe", "zerowin", "winupdate", "refused"; "" only
	// counts the frames.
	what string
}

// tlpFrames are the resends that gVisor sends as a tail loss probe
// (RACK-TLP, RFC 8985): with SACK, the first timer-driven resend after a
// tail loss is the probe, 2 x SRTT (+200 ms with one segment in flight)
// after the segment, not the RTO (gVisor's rack.go, schedulePTO). tshark
// cannot tell it from an RTO retransmission; the explanation must say
// probe, and timer.
var tlpFrames = map[string][]int{
	"tcp-rto":         {7},
	"partition-heals": {17},
}

// causeChecks are, per scenario, tshark's classes and the frames in each.
var causeChecks = map[string][]causeCheck{
	"tcp-rto": {
		{tsRetransmission, []int{7, 8}, "timer"},
		{tsFast, nil, ""},
	},
	"tcp-fast-retransmit": {
		{tsFast, []int{25}, "dupacks"},
		{tsRetransmission, nil, ""},
		// Frame 19 is a duplicate ACK to gVisor (it brings a new SACK
		// block) and a window update to Wireshark (the window grew by
		// 128 bytes): both are right; tshark counts from frame 20.
		{tsDupAck, []int{20, 21, 22, 23, 24}, "dupack"},
	},
	"tcp-zero-window": {
		{tsZeroProbe, []int{31, 33}, "zeroprobe"},
		{tsZeroWindow, []int{30, 32, 34}, "zerowin"},
		{tsWindowUpdate, []int{35, 36}, "winupdate"},
		{tsRetransmission + " || " + tsFast, nil, ""},
	},
	"tcp-refused": {
		{tsSYN, []int{3}, ""},
		{tsReset, []int{4}, "refused"},
	},
	"partition-heals": {
		{tsRetransmission, []int{17, 18, 19, 20, 21}, "timer"},
		{tsFast, nil, ""},
	},
}

// TestExplainCauses cross-checks the explanations with tshark's TCP
// analysis, frame by frame, in English and Russian: every frame tshark
// calls a retransmission (not fast) is explained by a timer (the RTO's, or
// the tail loss probe's on the frames in tlpFrames), every fast
// retransmission by duplicate ACKs, every zero-window probe as one, the
// RST that answers a SYN to a closed port as a refusal; the partition's
// RTO grows (exponential backoff). Conversely no frame tshark does not
// call a retransmission is explained as a fast retransmit or an RTO resend.
func TestExplainCauses(t *testing.T) {
	tsharktest.Path(t)
	t.Parallel()
	for name, checks := range causeChecks {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// tshark reads the English capture once: the frames are
			// the same in every language (TestExplainChangesOnlyComments).
			path := writeTemp(t, name+".pcapng", runExplained(t, name, "en"))
			filters := []string{"tcp.analysis.retransmission"}
			for _, c := range checks {
				filters = append(filters, c.filter)
			}
			all := tsharktest.Select(t, path, checkArgs, filters...)
			resent, sel := all[0], all[1:]
			tcp, prevSend, firstSend := tcpTable(t, path)
			for _, lang := range []string{"en", "ru"} {
				ph := langPhrases[lang]
				t.Run(lang, func(t *testing.T) {
					frames := readExplained(t, runExplained(t, name, lang))
					explanation := func(n int) string {
						if n < 1 || n > len(frames) {
							t.Fatalf("frame %d: the capture has %d", n, len(frames))
						}
						return frames[n-1].Explanation
					}
					checked := 0
					for i, c := range checks {
						if !slices.Equal(sel[i], c.frames) {
							t.Errorf("tshark -Y '%s': frames %v, want %v", c.filter, sel[i], c.frames)
						}
						for _, n := range sel[i] {
							e := explanation(n)
							checked++
							if c.what == "timer" || c.what == "dupacks" {
								// A resend names the segment's first send.
								if m := originRE.FindStringSubmatch(e); m == nil || m[1] != strconv.Itoa(firstSend[n]) {
									t.Errorf("frame %d: resends the segment first sent in frame %d, explained %q", n, firstSend[n], e)
								}
							}
							switch c.what {
							case "timer":
								if slices.Contains(tlpFrames[name], n) {
									if !anyOf(e, ph.probeTimer) {
										t.Errorf("frame %d: a tail loss probe, explained %q (want one of %q)", n, e, ph.probeTimer)
									}
								} else if !anyOf(e, ph.rtoTimer) {
									t.Errorf("frame %d: tshark's retransmission, explained %q (want one of %q)", n, e, ph.rtoTimer)
								}
								if anyOf(e, ph.dupAcks) {
									t.Errorf("frame %d: a timer's resend explained by duplicate ACKs: %q", n, e)
								}
								// The timer it names is the time since the
								// segment last left, as the capture shows.
								// (A tail loss probe's PTO is said when the
								// simulator knows it: see Cause.Timer.)
								timer, d := timerIn(t, e)
								switch {
								case prevSend[n] == 0:
									t.Errorf("frame %d: tshark's retransmission of nothing sent before", n)
								case timer == "" && !slices.Contains(tlpFrames[name], n):
									t.Errorf("frame %d: names no RTO: %q", n, e)
								case timer != "":
									gap := frames[n-1].Time - frames[prevSend[n]-1].Time
									if d < gap-time.Millisecond || d > gap+time.Millisecond {
										t.Errorf("frame %d: %s %v, but it leaves %v after frame %d, the segment's last send: %q", n, timer, d, gap, prevSend[n], e)
									}
								}
							case "dupacks":
								if !anyOf(e, ph.dupAcks) {
									t.Errorf("frame %d: tshark's fast retransmission, explained %q (want one of %q)", n, e, ph.dupAcks)
								}
								if anyOf(e, ph.rtoTimer) {
									t.Errorf("frame %d: a fast retransmission explained by the retransmission timer: %q", n, e)
								}
								// The duplicate ACKs it names: at least 3 (gVisor's
								// threshold), from the receiver, before it, each
								// asking for this segment.
								m := dupListRE.FindStringSubmatch(e)
								if m == nil {
									t.Errorf("frame %d: names no duplicate ACKs: %q", n, e)
									break
								}
								dups := frameNumbers(m[1])
								if len(dups) < 3 {
									t.Errorf("frame %d: %d duplicate ACKs named, want at least 3: %q", n, len(dups), e)
								}
								for _, d := range dups {
									r := tcp[d]
									if d >= n || r.srcPort == tcp[n].srcPort || r.len != 0 || r.ack != tcp[n].seq {
										t.Errorf("frame %d: names frame %d as a duplicate ACK of Seq %d, but tshark reads %+v", n, d, tcp[n].seq, r)
									}
								}
							case "zeroprobe":
								if !anyOf(e, ph.zeroProbe) {
									t.Errorf("frame %d: tshark's zero-window probe, explained %q (want one of %q)", n, e, ph.zeroProbe)
								}
							case "refused":
								if !anyOf(e, ph.refused) {
									t.Errorf("frame %d: the RST to a closed port, explained %q (want one of %q)", n, e, ph.refused)
								}
							case "dupack":
								if !anyOf(e, ph.dupAck) {
									t.Errorf("frame %d: tshark's duplicate ACK, explained %q (want one of %q)", n, e, ph.dupAck)
								}
							case "zerowin":
								if !anyOf(e, ph.zeroWindow) {
									t.Errorf("frame %d: tshark's zero window, explained %q (want one of %q)", n, e, ph.zeroWindow)
								}
							case "winupdate":
								if !anyOf(e, ph.windowUpdate) {
									t.Errorf("frame %d: tshark's window update, explained %q (want one of %q)", n, e, ph.windowUpdate)
								}
							}
						}
					}
					// Conversely: a resend only where tshark sees one.
					for _, f := range frames {
						if !slices.Contains(resent, f.Number) && (anyOf(f.Explanation, ph.rtoTimer) || anyOf(f.Explanation, ph.fastRetransmit)) {
							t.Errorf("frame %d: explained as a resend, which tshark does not see: %q", f.Number, f.Explanation)
						}
					}
					// The partition: the RTO doubles from one resend to the next.
					if name == "partition-heals" {
						var prev time.Duration
						for _, n := range []int{18, 19, 20, 21} {
							_, rto := timerIn(t, explanation(n))
							if rto == 0 || (prev != 0 && rto != 2*prev) {
								t.Errorf("frame %d: RTO %v after %v, want it doubled (backoff): %q", n, rto, prev, explanation(n))
							}
							prev = rto
						}
					}
					t.Logf("%d frames cross-checked with tshark, %d explained", checked, len(frames))
				})
			}
		})
	}
}

// setExplain turns explanations on in lang.
func setExplain(o *scenario.RunOptions, lang string) {
	on := true
	o.Explain, o.Lang = &on, lang
}

// langPhrases are the words each cause's explanation uses, in English
// and in Russian (the book's terms), as netsim/internal/explain writes
// them: a learner reads these, so a change in them should be deliberate.
var langPhrases = map[string]phrases{
	"en": {
		unknown:        []string{"does not cover"},
		rtoTimer:       []string{"the retransmission timer (RTO "},
		probeTimer:     []string{"tail loss probe: no ACK came within the probe timeout"},
		dupAcks:        []string{"duplicate ACKs"},
		fastRetransmit: []string{"fast retransmit"},
		resend:         []string{"retransmission", "retransmit", "tail loss probe", "sent again"},
		keepAlive:      []string{"keep-alive: "},
		reset:          []string{"RST: "},
		forwarded:      []string{"forwarded by router", "passed on by switch"},
		ackRecovery:    []string{"recovering from"},
		zeroProbe:      []string{"zero window probe: the receiver's window is 0"},
		refused:        []string{"connection refused, nothing listens on port 8000"},
		dupAck:         []string{"(duplicate ACK "},
		zeroWindow:     []string{"Window 0: the receive buffer is full"},
		windowUpdate:   []string{"window update: client calls read() and frees buffer space"},
		bookTCP: [][]string{
			{"calls connect(): SYN to port 24000"},
			{"answers the SYN of frame 1: SYN/ACK"},
			{"acknowledges the SYN/ACK of frame 2", "handshake is complete"},
			{"calls write() with 3 bytes: Seq 1, Len 3"},
			{"acknowledges the 3 data bytes of frame 4: Ack 4 = Seq 1 + Len 3"},
			{"calls close(): FIN, Seq 4"},
			{"acknowledges the FIN of frame 6 at once: Ack 5 = Seq 4 + 1", "gVisor", "Linux would delay it and fold it into the next segment it sends (in the book, its own FIN)"},
			{"calls close(): FIN, Seq 1, Ack 5"},
			{"acknowledges the FIN of frame 8: Ack 2 = Seq 1 + 1"},
		},
		bookTCPMulti: [][]string{
			{"calls connect(): SYN to port 24000"},
			{"answers the SYN of frame 1: SYN/ACK"},
			{"acknowledges the SYN/ACK of frame 2"},
			{"calls write() with 3 bytes: Seq 1, Len 3"},
			{"acknowledges the 3 data bytes of frame 4: Ack 4 = Seq 1 + Len 3"},
			{"calls write() with 3 bytes: Seq 4, Len 3"},
			{"acknowledges the 3 data bytes of frame 6: Ack 7 = Seq 4 + Len 3"},
			{"calls write() with 3 bytes: Seq 7, Len 3"},
			{"acknowledges the 3 data bytes of frame 8: Ack 10 = Seq 7 + Len 3"},
			{"calls close(): FIN, Seq 10"},
			{"acknowledges the FIN of frame 10 at once: Ack 11 = Seq 10 + 1", "gVisor"},
			{"calls close(): FIN, Seq 1, Ack 11"},
			{"acknowledges the FIN of frame 12: Ack 2 = Seq 1 + 1"},
		},
		bookUDP: [][]string{
			{"UDP datagram of 3 bytes: ", "calls sendto() to 127.0.0.1:24000", "no handshake"},
		},
	},
	"ru": {
		unknown:        []string{"не разбирает"},
		rtoTimer:       []string{"сработал таймер повторной передачи (RTO "},
		probeTimer:     []string{"(tail loss probe): подтверждение не пришло за время ожидания"},
		dupAcks:        []string{"дубликатов подтверждения"},
		fastRetransmit: []string{"быстрая повторная передача"},
		resend:         []string{"повторн", "tail loss probe"},
		keepAlive:      []string{"keep-alive: "},
		reset:          []string{"RST: "},
		forwarded:      []string{"переслан маршрутизатором", "передан коммутатором"},
		ackRecovery:    []string{"восстанавлива", "восстановлени"},
		zeroProbe:      []string{"проверка нулевого окна: окно получателя равно 0"},
		refused:        []string{"в соединении отказано, порт 8000 никто не слушает"},
		dupAck:         []string{"(дубликат подтверждения №"},
		zeroWindow:     []string{"Окно равно 0: буфер приёма заполнен"},
		windowUpdate:   []string{"обновление окна: клиент вызывает read() и освобождает буфер"},
		bookTCP: [][]string{
			{"вызывает connect(): пакет SYN на порт 24000"},
			{"отвечает на SYN из пакета 1: пакет SYN/ACK"},
			{"подтверждает SYN/ACK из пакета 2", "тройное рукопожатие завершено"},
			{"вызывает write() и передаёт 3 байта: seq 1, размер данных 3"},
			{"подтверждает получение данных из пакета 4 (3 байта): ack 4 = seq 1 + 3"},
			{"вызывает close(): пакет FIN, seq 4"},
			{"сразу подтверждает FIN из пакета 6: ack 5 = seq 4 + 1", "gVisor", "Linux отложил бы его и объединил со следующим своим сегментом (в книге — со своим FIN)"},
			{"вызывает close(): пакет FIN, seq 1, ack 5"},
			{"подтверждает FIN из пакета 8: ack 2 = seq 1 + 1"},
		},
		bookTCPMulti: [][]string{
			{"вызывает connect(): пакет SYN на порт 24000"},
			{"отвечает на SYN из пакета 1: пакет SYN/ACK"},
			{"подтверждает SYN/ACK из пакета 2"},
			{"вызывает write() и передаёт 3 байта: seq 1, размер данных 3"},
			{"подтверждает получение данных из пакета 4 (3 байта): ack 4 = seq 1 + 3"},
			{"вызывает write() и передаёт 3 байта: seq 4, размер данных 3"},
			{"подтверждает получение данных из пакета 6 (3 байта): ack 7 = seq 4 + 3"},
			{"вызывает write() и передаёт 3 байта: seq 7, размер данных 3"},
			{"подтверждает получение данных из пакета 8 (3 байта): ack 10 = seq 7 + 3"},
			{"вызывает close(): пакет FIN, seq 10"},
			{"сразу подтверждает FIN из пакета 10: ack 11 = seq 10 + 1", "gVisor"},
			{"вызывает close(): пакет FIN, seq 1, ack 11"},
			{"подтверждает FIN из пакета 12: ack 2 = seq 1 + 1"},
		},
		bookUDP: [][]string{
			{"UDP пакет, 3 байта данных: ", "вызывает sendto() на адрес 127.0.0.1:24000", "не устанавливает соединения"},
		},
	},
}

// TestExplainBook: the book's TCP exchange, nine frames, each with the
// cause the chapter teaches, in order: the sender's connect (SYN), the
// listener's stack answering it (SYN/ACK), the handshake's last ACK, the
// sender's write (3 bytes), its ACK (Ack 4 = Seq 1 + Len 3), the sender's
// close (FIN), the ACK of that FIN sent at once (gVisor; Linux folds it
// into its FIN), the receiver's close (FIN), the last ACK. Then the
// book's second exchange (three writes, each acknowledged) and the UDP
// datagram. In English and Russian.
func TestExplainBook(t *testing.T) {
	for _, lang := range []string{"en", "ru"} {
		ph := langPhrases[lang]
		for _, c := range []struct {
			name, demo string
			want       [][]string
		}{
			{"book-tcp", "tcp", ph.bookTCP},
			{"book-tcp-multi", "tcp-multi", ph.bookTCPMulti},
			{"book-udp", "udp", ph.bookUDP},
		} {
			// The scenario, and the demo itself (`netsim run tcp`).
			for _, src := range []string{c.name, c.demo} {
				t.Run(lang+"/"+src, func(t *testing.T) {
					var b []byte
					if src == c.name {
						b = runExplained(t, c.name, lang)
					} else {
						b = runCapture(t, c.demo, Params{Explain: true, Lang: lang, Format: capture.PCAPNG})
					}
					frames := readExplained(t, b)
					if len(frames) != len(c.want) {
						t.Fatalf("%d frames, want %d", len(frames), len(c.want))
					}
					for i, f := range frames {
						for _, w := range c.want[i] {
							if !strings.Contains(f.Explanation, w) {
								t.Errorf("frame %d: %q does not say %q", f.Number, f.Explanation, w)
							}
						}
					}
				})
			}
		}
	}
}

// tcpRow is one TCP frame as tshark reads it.
type tcpRow struct {
	srcPort        string
	seq, ack, len  int64 // raw (absolute) numbers
	relSeq, relAck int64 // relative, as Wireshark shows them
}

// tcpTable reads every TCP frame of a capture with tshark, by frame
// number, and maps each segment that carries data to the frame that last
// carried the same sequence number in the same direction (prev, 0: none)
// and to the first (first, itself if none before).
func tcpTable(t testing.TB, path string) (rows map[int]tcpRow, prev, first map[int]int) {
	t.Helper()
	rows, prev, first = map[int]tcpRow{}, map[int]int{}, map[int]int{}
	last, firstOf := map[string]int{}, map[string]int{}
	for _, r := range tsharktest.Fields(t, path, "tcp", "frame.number", "tcp.srcport", "tcp.seq_raw", "tcp.ack_raw", "tcp.len", "tcp.seq", "tcp.ack") {
		if len(r) != 7 {
			t.Fatalf("tshark: %q", r)
		}
		var v [7]int64
		for i := range v {
			var err error
			if v[i], err = strconv.ParseInt(r[i], 10, 64); err != nil {
				t.Fatalf("tshark: %q: %v", r, err)
			}
		}
		n := int(v[0])
		rows[n] = tcpRow{srcPort: r[1], seq: v[2], ack: v[3], len: v[4], relSeq: v[5], relAck: v[6]}
		if v[4] == 0 {
			continue
		}
		key := r[1] + "/" + r[2]
		prev[n] = last[key]
		last[key] = n
		if firstOf[key] == 0 {
			firstOf[key] = n
		}
		first[n] = firstOf[key]
	}
	return rows, prev, first
}

// originRE finds the frame a resend's explanation says it repeats:
// "retransmission of frame 6", "fast retransmit of frame 9", "(frame 16,
// Seq", "повторная передача пакета 6", "(пакет 16, seq".
var originRE = regexp.MustCompile(`(?:of frame|пакета|\(frame|\(пакет) ([0-9]+)`)

// dupListRE finds the duplicate ACKs a fast retransmit's explanation
// names: "after 3 duplicate ACKs (frames 19, 20, 21)", "после 3
// дубликатов подтверждения (пакеты 19, 20, 21)".
var dupListRE = regexp.MustCompile(`(?:duplicate ACKs|дубликатов подтверждения) \((?:frames|пакеты) ([0-9][0-9–, ]*)\)`)

// ackedRE finds the frames an ACK's explanation says it acknowledges:
// "acknowledges the 100 data bytes of frame 6", "the data of frames
// 9–15", "подтверждает получение данных из пакета 6", "из пакетов 9–15".
var ackedRE = regexp.MustCompile(`(?:acknowledges the [^:]*? of frames?|подтверждает получение данных из пакет(?:а|ов)) ([0-9][0-9–, ]*)`)

// ackedFrames returns the frame numbers an explanation says it
// acknowledges (a range "9–15" expanded).
func ackedFrames(e string) []int {
	var out []int
	for _, m := range ackedRE.FindAllStringSubmatch(e, -1) {
		out = append(out, frameNumbers(m[1])...)
	}
	return out
}

// frameNumbers reads a list of frame numbers as explanations write it:
// "19, 20, 21", "9–15".
func frameNumbers(list string) []int {
	var out []int
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "–")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				continue
			}
		}
		for n := a; n <= b && n-a < 1<<16; n++ {
			out = append(out, n)
		}
	}
	return out
}

// sumRE finds an explanation's acknowledgment arithmetic: "Ack 4 = Seq 1
// + Len 3", "Ack 5 = Seq 4 + 1", "Ack 1 = the client's Seq 0 + 1", "ack
// 4 = seq 1 + 3 (размер данных)", "ack 1 = seq клиента (0) + 1".
var sumRE = regexp.MustCompile(`(?i)ack ([0-9]+) = (?:the \w+'s )?seq (?:\p{L}+ )?\(?([0-9]+)\)? \+ (?:len )?([0-9]+)`)

// TestExplainArithmetic: every "Ack A = Seq S + Len L" an explanation
// writes adds up, and A is the acknowledgment number tshark reads in that
// frame (relative, as Wireshark shows it), in both languages, on every
// explained scenario.
func TestExplainArithmetic(t *testing.T) {
	tsharktest.Path(t)
	t.Parallel()
	for _, name := range explainedScenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			en := runExplained(t, name, "en")
			tcp, _, _ := tcpTable(t, writeTemp(t, name+".pcapng", en))
			for _, lang := range []string{"en", "ru"} {
				capture := en
				if lang != "en" {
					capture = runExplained(t, name, lang)
				}
				sums := 0
				for _, f := range readExplained(t, capture) {
					for _, m := range sumRE.FindAllStringSubmatch(f.Explanation, -1) {
						a, _ := strconv.ParseInt(m[1], 10, 64)
						s, _ := strconv.ParseInt(m[2], 10, 64)
						l, _ := strconv.ParseInt(m[3], 10, 64)
						sums++
						r, ok := tcp[f.Number]
						switch {
						case a != s+l:
							t.Errorf("%s: frame %d: %d != %d + %d: %q", lang, f.Number, a, s, l, f.Explanation)
						case !ok || r.relAck != a:
							t.Errorf("%s: frame %d: says Ack %d, tshark reads %d: %q", lang, f.Number, a, r.relAck, f.Explanation)
						}
					}
				}
				t.Logf("%s: %d acknowledgment sums checked", lang, sums)
				if sums == 0 && name != "book-udp" && name != "tcp-refused" {
					t.Errorf("%s: no acknowledgment arithmetic in any explanation", lang)
				}
			}
		})
	}
}

// tsharkClasses are tshark's TCP analysis classes every shipped
// scenario's explanations must agree with (TestExplainAgreesWithTshark),
// and the phrases that say each.
var tsharkClasses = []struct {
	filter string
	words  func(phrases) []string
}{
	{tsFast, func(p phrases) []string { return p.fastRetransmit }},
	{tsRetransmission, func(p phrases) []string { return p.resend }},
	{"tcp.analysis.keep_alive && tcp.len == 0", func(p phrases) []string { return p.keepAlive }},
	{tsZeroWindow, func(p phrases) []string { return p.zeroWindow }},
	{tsReset, func(p phrases) []string { return p.reset }},
}

// TestExplainAgreesWithTshark: on every shipped scenario, in both
// languages, each frame tshark calls a fast retransmission is explained as
// one, each other retransmission as a resend, each keep-alive, zero window
// and RST as such; and no frame tshark does not call a retransmission is
// explained as a fast retransmit. (A frame a router passes on is
// explained as forwarded, whatever it carries: those are left out.) The
// full tier only: one tshark run per scenario.
func TestExplainAgreesWithTshark(t *testing.T) {
	tsharktest.Path(t)
	if testing.Short() {
		t.Skip("the full tier checks every scenario; -short checks the five in TestExplainCauses")
	}
	t.Parallel()
	for _, info := range Scenarios() {
		t.Run(info.Name, func(t *testing.T) {
			t.Parallel()
			en := runExplained(t, info.Name, "en")
			filters := []string{"tcp.analysis.retransmission"}
			for _, c := range tsharkClasses {
				filters = append(filters, c.filter)
			}
			sel := tsharktest.Select(t, writeTemp(t, info.Name+".pcapng", en), checkArgs, filters...)
			for _, lang := range []string{"en", "ru"} {
				capture := en
				if lang != "en" {
					capture = runExplained(t, info.Name, lang)
				}
				ph := langPhrases[lang]
				frames := readExplained(t, capture)
				checked := 0
				for i, c := range tsharkClasses {
					for _, n := range sel[i+1] {
						e := frames[n-1].Explanation
						if anyOf(e, ph.forwarded) {
							continue
						}
						checked++
						if !anyOf(e, c.words(ph)) {
							t.Errorf("%s: frame %d: tshark -Y '%s', explained %q (want one of %q)", lang, n, c.filter, e, c.words(ph))
						}
					}
				}
				for _, f := range frames {
					if anyOf(f.Explanation, ph.fastRetransmit) && !slices.Contains(sel[0], f.Number) {
						t.Errorf("%s: frame %d: explained as a fast retransmit, which tshark does not see: %q", lang, f.Number, f.Explanation)
					}
				}
				t.Logf("%s: %d frames tshark flags agree with their explanations", lang, checked)
			}
		})
	}
}

// TestExplainLossy: a bulk transfer (tcp-zero-window's 60000 bytes) under
// 5% random loss on every link, three seeds, mixes every kind of resend:
// tail loss probes, RTOs, fast retransmits after duplicate ACKs, RACK's
// reorder timer, resends in SACK recovery. In both languages: every frame
// is explained (none unknown); every frame tshark calls a fast
// retransmission is explained as loss detection from ACKs (a fast
// retransmit, or a resend in loss recovery: SACK's, or RACK's reorder
// window), never as the retransmission timer's; every other retransmission as a resend; and
// nothing tshark does not call a retransmission is explained as a fast
// retransmit. The full tier only.
func TestExplainLossy(t *testing.T) {
	tsharktest.Path(t)
	if testing.Short() {
		t.Skip("the full tier: three lossy runs read by tshark")
	}
	t.Parallel()
	for seed := int64(1); seed <= 3; seed++ {
		t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
			t.Parallel()
			run := func(lang string) []byte {
				s, err := LookupScenario("tcp-zero-window")
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				ng := capture.PCAPNG
				loss := 0.05
				o := scenario.RunOptions{Capture: &buf, Format: &ng, Seed: &seed, NoExpect: true}
				o.Impair.Loss = &loss
				setExplain(&o, lang)
				if _, err := s.Run(o); err != nil {
					t.Fatal(err)
				}
				return buf.Bytes()
			}
			en := run("en")
			sel := tsharktest.Select(t, writeTemp(t, "lossy.pcapng", en), checkArgs, tsFast, tsRetransmission, "tcp.analysis.retransmission")
			if len(sel[0])+len(sel[1]) == 0 {
				t.Fatal("no retransmission: the loss did not bite")
			}
			for _, lang := range []string{"en", "ru"} {
				capture := en
				if lang != "en" {
					capture = run(lang)
				}
				ph := langPhrases[lang]
				frames := readExplained(t, capture)
				for _, f := range frames {
					if strings.TrimSpace(f.Explanation) == "" || anyOf(f.Explanation, ph.unknown) {
						t.Errorf("%s: frame %d: unexplained: %q", lang, f.Number, f.Explanation)
					}
					if anyOf(f.Explanation, ph.fastRetransmit) && !slices.Contains(sel[2], f.Number) {
						t.Errorf("%s: frame %d: explained as a fast retransmit, which tshark does not see: %q", lang, f.Number, f.Explanation)
					}
				}
				for _, n := range sel[0] {
					e := frames[n-1].Explanation
					if !anyOf(e, ph.fastRetransmit) && !anyOf(e, ph.ackRecovery) || anyOf(e, ph.rtoTimer) {
						t.Errorf("%s: frame %d: tshark's fast retransmission, explained %q", lang, n, e)
					}
				}
				for _, n := range sel[1] {
					if e := frames[n-1].Explanation; !anyOf(e, ph.resend) {
						t.Errorf("%s: frame %d: tshark's retransmission, explained %q", lang, n, e)
					}
				}
				t.Logf("%s: %d frames, %d fast retransmissions and %d other retransmissions cross-checked", lang, len(frames), len(sel[0]), len(sel[1]))
			}
		})
	}
}
