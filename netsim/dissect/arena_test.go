package dissect

import (
	"runtime"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// TestArenaKeepsMessages checks that the DNS and HTTP messages of packets a
// caller keeps stay as they were decoded while the Dissector decodes more
// frames (the arena never hands out its memory twice): every frame of the
// real-world capture, three times over, kept, then compared with copies of
// their Info text and names taken when each was decoded.
func TestArenaKeepsMessages(t *testing.T) {
	frames, err := pcapread.ReadFile("testdata/speed/realworld.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	type kept struct {
		p     *Packet
		info  string
		names []string
	}
	var all []kept
	messages := 0
	for round := range 3 {
		for i := range frames {
			f := frames[i]
			f.Number = round*len(frames) + i + 1
			p := new(Packet)
			d.Dissect(&f, p)
			k := kept{p: p, info: strings.Clone(p.Info())}
			if m := p.DNS; m != nil {
				messages++
				for _, q := range m.Queries {
					k.names = append(k.names, strings.Clone(q.Name))
				}
				for _, r := range m.Records {
					k.names = append(k.names, strings.Clone(r.Name), strings.Clone(r.Target))
				}
			}
			for _, h := range p.HTTP {
				messages++
				k.names = append(k.names, strings.Clone(h.FirstLine))
				for _, x := range h.Headers {
					k.names = append(k.names, strings.Clone(x.Name), strings.Clone(x.Value))
				}
			}
			all = append(all, k)
		}
	}
	if messages < 100 {
		t.Fatalf("only %d DNS and HTTP messages decoded", messages)
	}
	for _, k := range all {
		p := k.p
		if got := p.Info(); got != k.info {
			t.Errorf("frame %d: Info now %q, was %q", p.Number, got, k.info)
		}
		var names []string
		if m := p.DNS; m != nil {
			for _, q := range m.Queries {
				names = append(names, q.Name)
			}
			for _, r := range m.Records {
				names = append(names, r.Name, r.Target)
			}
		}
		for _, h := range p.HTTP {
			names = append(names, h.FirstLine)
			for _, x := range h.Headers {
				names = append(names, x.Name, x.Value)
			}
		}
		if strings.Join(names, "|") != strings.Join(k.names, "|") {
			t.Errorf("frame %d: names now %q, were %q", p.Number, names, k.names)
		}
	}
}

// TestDissectAllocsDNS checks that decoding a DNS frame and writing its
// summary line allocates nothing but, now and then, a new arena chunk:
// less than 0.1 allocations a frame on average over the capture's DNS
// frames, decoded one after the other as netsim read decodes them.
func TestDissectAllocsDNS(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's allocations would count")
	}
	all, err := pcapread.ReadFile("testdata/speed/realworld.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	// The DNS frames, found by a first pass.
	d := New()
	var p Packet
	var frames []pcapread.Frame
	for i := range all {
		d.Dissect(&all[i], &p)
		if p.DNS != nil && p.fastSummary() {
			frames = append(frames, all[i])
		}
	}
	if len(frames) < 40 {
		t.Fatalf("%d DNS frames on the fast path; want the capture's 44", len(frames))
	}
	d = New()
	buf := make([]byte, 0, 1024)
	n := 0
	run := func() {
		f := frames[n%len(frames)]
		n++
		f.Number = n
		d.Dissect(&f, &p)
		buf = AppendSummary(buf[:0], &p)
	}
	for range len(frames) {
		run() // the conversation tables' first entries
	}
	// Counted with ReadMemStats: AllocsPerRun rounds down to whole
	// allocations a run.
	const runs = 2000
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		run()
	}
	runtime.ReadMemStats(&after)
	if perFrame := float64(after.Mallocs-before.Mallocs) / runs; perFrame >= 0.1 {
		t.Errorf("decoding a DNS frame and its line: %.3f allocations a frame; want < 0.1", perFrame)
	}
}
