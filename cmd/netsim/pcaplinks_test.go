package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPcapSeveralLinksRefused: -i naming several links (all, or a list)
// with a pcap capture is a usage error for a scenario as for a demo (a
// pcap file holds one link: the run captured the first silently), and
// nothing is written (exec too, before it starts anything); without -w
// or -F the listing becomes pcapng.
func TestPcapSeveralLinksRefused(t *testing.T) {
	dir := t.TempDir()
	file := writeScenario(t, dir, "two.yaml", twoClients)
	pcapFile := writeScenario(t, dir, "twopcap.yaml", strings.Replace(twoClients, "capture: {", "capture: {format: pcap, ", 1))
	out := filepath.Join(dir, "z.pcap")
	for _, args := range [][]string{
		{"run", file, "-i", "all", "-F", "pcap", "-w", out},
		{"run", pcapFile, "-i", "all", "-w", out + "ng"},
		{"run", file, "-i", "c1-sw,c2-sw", "-F", "pcap", "-w", out + "ng"},
		{"run", "arp-switch", "-i", "all", "-F", "pcap", "-w", out},
		{"check", file, "-i", "all", "-F", "pcap"},
		{"run", "transfer", "-i", "client-server,client:lo", "-F", "pcap", "-w", out},
		{"exec", "-i", "all", "-F", "pcap", "-w", out, "--", "python3", "-c", "pass"},
	} {
		code, _, stderr := cli("", args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "-i ") || !strings.Contains(stderr, "pcapng") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line naming -i and pcapng", args, code, stderr)
		}
		if es := entries(t, dir); len(es) != 2 {
			t.Errorf("%q: left %v", args, es)
		}
	}
	// Without -w: the listing is pcapng, every link in it.
	code, stdout, stderr := cli("", "run", pcapFile, "-i", "all", "--no-expect")
	if code != 0 || !strings.Contains(stdout, "10.0.0.3 → 10.0.0.2") {
		t.Errorf("run -i all without -w: exit %d: %s, listing without c2's frames: %s", code, stderr, stdout)
	}
	// One link in pcap is fine.
	code, _, stderr = cli("", "run", file, "-i", "c1-sw", "-F", "pcap", "-w", out, "--no-expect")
	if code != 0 {
		t.Errorf("run -i c1-sw -F pcap: exit %d: %s", code, stderr)
	}
}
