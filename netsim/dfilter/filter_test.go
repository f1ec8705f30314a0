package dfilter

import (
	"errors"
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

// TestCompileDeepNesting: a filter nested deeper than MaxDepth fails with a
// *SyntaxError at the parenthesis or "not" that goes too deep, instead of
// recursing until the goroutine's stack overflows (a fatal error that no
// recover catches: a filter of 4 Mi parentheses ended the process).
func TestCompileDeepNesting(t *testing.T) {
	deep := 1 << 22 // deep enough to overflow the stack without MaxDepth
	if testing.Short() {
		deep = 2 * MaxDepth // lexing 4 Mi tokens takes seconds
	}
	const k = 2 * MaxDepth
	for _, expr := range []string{
		strings.Repeat("(", deep) + "tcp" + strings.Repeat(")", deep),
		strings.Repeat("!", k) + "tcp",
		strings.Repeat("not ", k) + "tcp",
		"tcp and " + strings.Repeat("(", k),
	} {
		_, err := Compile(expr)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Compile(%.20q...) = %v, want a *SyntaxError", expr, err)
		}
		if !strings.Contains(se.Msg, "nested") || se.Pos >= len(expr) {
			t.Errorf("Compile(%.20q...): %v at %d, want a message about nesting at the level too deep", expr, se.Msg, se.Pos)
		}
	}
	// MaxDepth levels are fine.
	ok := strings.Repeat("(", MaxDepth-1) + "!tcp" + strings.Repeat(")", MaxDepth-1)
	if _, err := Compile(ok); err != nil {
		t.Errorf("Compile of %d levels: %v", MaxDepth, err)
	}
}
