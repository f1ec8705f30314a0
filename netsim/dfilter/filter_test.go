package dfilter

import (
	"strings"
	"sync"
	"testing"

	"netsim.dev/netsim/dissect"
	"netsim.dev/netsim/pcapread"
)

func TestCompileErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"tcp.flgs==1":              `"tcp.flgs" is not a valid protocol or protocol field (column 1)`,
		"tcp.port == 80 and":       "Unexpected end of filter expression. (column 19)",
		"tcp.port in {1 2}":        `"2" was unexpected in this context. (column 16)`,
		"ip.addr == 1.2.3.4/33":    "Netmask bits in a CIDR IPv4 address should be <= 32, not 33 (column 12)",
		"tcp.port == 70000":        `"70000" too big for this field, maximum 65535. (column 13)`,
		"tcp.analysis.flags == 1":  "tcp.analysis.flags (type=Label) cannot participate in == comparison. (column 1)",
		`tcp.payload matches "(" `: "invalid regular expression",
	} {
		_, err := Compile(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%q) = %v, want %q", expr, err, want)
		}
	}
	se := func() *SyntaxError { _, err := Compile("tcp.port == abc"); return err.(*SyntaxError) }()
	if got := se.Caret(); got != "tcp.port == abc\n            ^~~" {
		t.Errorf("caret:\n%s", got)
	}
}

func TestEmptyFilterMatchesAll(t *testing.T) {
	if n, err := CountFile("testdata/linux-lo-tcp.pcap", "  "); err != nil || n != 8 {
		t.Errorf("got %d, %v", n, err)
	}
}

// TestMatchConcurrent runs one Filter from several goroutines (go test -race).
func TestMatchConcurrent(t *testing.T) {
	frames, err := pcapread.ReadFile("testdata/linux-lo-tcp-multi.pcap")
	if err != nil {
		t.Fatal(err)
	}
	d := dissect.New()
	pkts := make([]dissect.Packet, len(frames))
	for i := range frames {
		d.Dissect(&frames[i], &pkts[i])
	}
	f := MustCompile("tcp.len > 0 and tcp.port in {24000} and tcp.payload == 2c:37:42")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 100; k++ {
				n := 0
				for i := range pkts {
					if f.Match(&pkts[i]) {
						n++
					}
				}
				if n != 3 {
					t.Errorf("matched %d, want 3", n)
					return
				}
			}
		}()
	}
	wg.Wait()
}
