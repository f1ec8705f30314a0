package netsim_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	gvlog "gvisor.dev/gvisor/pkg/log"

	"netsim.dev/netsim"
)

// logBook is an Options.Logf that keeps its lines.
type logBook struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBook) logf(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, fmt.Sprintf(format, args...))
}

func (b *logBook) has(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// TestLogf: every open network with a Logf receives gVisor's lines, only its
// own netsim lines, and nothing once closed.
func TestLogf(t *testing.T) {
	var a, b logBook
	na, err := netsim.New(netsim.Options{Logf: a.logf})
	if err != nil {
		t.Fatal(err)
	}
	defer na.Close()
	nb, err := netsim.New(netsim.Options{Logf: b.logf})
	if err != nil {
		t.Fatal(err)
	}
	defer nb.Close()
	quiet, err := netsim.New(netsim.Options{}) // nil Logf: nothing to deliver, nothing to fail
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()

	gvlog.Warningf("netsim test probe %d", 1)
	for name, book := range map[string]*logBook{"a": &a, "b": &b} {
		if !book.has("gvisor: warning: netsim test probe 1") {
			t.Errorf("network %s: gVisor's line missing from %q", name, book.lines)
		}
	}

	c, _ := na.AddHost("client")
	s, _ := na.AddHost("server")
	l, err := na.Connect("c-s", c.Iface("eth0", "10.0.0.1/24"), s.Iface("eth0", "10.0.0.2/24"), netsim.LinkConfig{Loss: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Set(netsim.LinkConfig{Down: true}, netsim.LinkConfig{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"netsim: link c-s: host client eth0 to host server eth0, client→server delay 10µs, loss 2%, mtu 1500, server→client delay 10µs, loss 2%, mtu 1500",
		"netsim: link c-s client→server now: delay 10µs, mtu 1500, down",
	} {
		if !a.has(want) {
			t.Errorf("network a: %q missing from %q", want, a.lines)
		}
	}
	if b.has("netsim: link") {
		t.Errorf("network b got network a's lines: %q", b.lines)
	}

	if err := na.Close(); err != nil {
		t.Fatal(err)
	}
	gvlog.Warningf("netsim test probe %d", 2)
	if a.has("probe 2") {
		t.Error("a closed network got a gVisor line")
	}
	if !b.has("gvisor: warning: netsim test probe 2") {
		t.Errorf("network b: second line missing from %q", b.lines)
	}
}

// TestLogfNilQuiet: with no Logf, gVisor's lines reach nobody, standard
// error included. It runs a child process, because the log is the
// process's; the child first checks, without a network, that gVisor does
// print to standard error, so that the test can fail.
func TestLogfNilQuiet(t *testing.T) {
	switch os.Getenv("NETSIM_LOG_CHILD") {
	case "before":
		gvlog.Warningf("netsim child line")
		return
	case "after":
		n, err := netsim.New(netsim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.AddHost("h"); err != nil {
			t.Fatal(err)
		}
		gvlog.Warningf("netsim child line")
		n.Close()
		return
	}
	for _, mode := range []string{"before", "after"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLogfNilQuiet$", "-test.count=1")
		cmd.Env = append(os.Environ(), "NETSIM_LOG_CHILD="+mode)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("child %s: %v\n%s", mode, err, stderr.String())
		}
		printed := strings.Contains(stderr.String(), "netsim child line")
		if printed != (mode == "before") {
			t.Errorf("child %s: gVisor's line on standard error: %v (stderr %q)", mode, printed, stderr.String())
		}
	}
}

// TestLogfConcurrent: networks opened, logged to and closed at once (as
// parallel tests do) each get the gVisor line written while they are open,
// with no race on the process-wide routing.
func TestLogfConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			var book logBook
			n, err := netsim.New(netsim.Options{Logf: book.logf})
			if err != nil {
				t.Error(err)
				return
			}
			for k := range 20 {
				gvlog.Warningf("netsim concurrent probe %d.%d", i, k)
			}
			n.Close()
			for k := range 20 {
				if !book.has(fmt.Sprintf("gvisor: warning: netsim concurrent probe %d.%d", i, k)) {
					t.Errorf("network %d: line %d missing", i, k)
				}
			}
		})
	}
	wg.Wait()
}
