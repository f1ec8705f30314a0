package netsim

import "time"

// ParkedCalls returns the netsim calls parked now in test mode (see
// [Network.Start]) and the virtual time of netsim's last step: what a
// report of a hang made from outside the synctest bubble lists (package
// netsimtest's watchdog). It waits while the driver takes a step; ok is
// false when the network is not running in test mode.
func (n *Network) ParkedCalls() (calls []BlockedCall, at time.Duration, ok bool) {
	ic, at, ok := n.sim.Parked()
	for _, c := range ic {
		calls = append(calls, BlockedCall(c))
	}
	return calls, at, ok
}
