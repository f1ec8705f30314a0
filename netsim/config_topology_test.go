package netsim_test

import (
	"strings"
	"testing"

	"netsim.dev/netsim"
)

// TestSwitchDuplicateAddress: two hosts on one switch cannot have the same
// address; a Connect that fails records nothing on the switch.
func TestSwitchDuplicateAddress(t *testing.T) {
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	a, _ := n.AddHost("a")
	b, _ := n.AddHost("b")
	c, _ := n.AddHost("c")
	sw, _ := n.AddSwitch("sw")
	if _, err := n.Connect("a-sw", a.Iface("eth0", "10.0.0.1/24"), sw.Port()); err != nil {
		t.Fatal(err)
	}
	_, err = n.Connect("sw-b", sw.Port(), b.Iface("eth0", "10.0.0.1/24"))
	if want := "netsim: Connect sw-b: address 10.0.0.1 of host b eth0: host a eth0 on switch sw has it already"; err == nil || err.Error() != want {
		t.Errorf("a second 10.0.0.1 on the switch: %v, want %q", err, want)
	}
	// b's failed Connect left nothing: c may take 10.0.0.2, then b 10.0.0.3.
	if _, err := n.Connect("c-sw", c.Iface("eth0", "10.0.0.2/24"), sw.Port()); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Connect("sw-b2", sw.Port(), b.Iface("eth0", "10.0.0.3/24")); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Connect("d", b.Iface("eth1", "10.0.0.2/24"), sw.Port()); err == nil || !strings.Contains(err.Error(), "host c eth0 on switch sw") {
		t.Errorf("c's address again: %v", err)
	}
}
